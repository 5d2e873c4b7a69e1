#!/bin/sh
# Fuzz the changeset decoders (tests/fuzz/fuzz_changeset.c) with libFuzzer.
#
# usage: tests/fuzz/run.sh            build with clang -fsanitize=fuzzer,address,
#                                     undefined and fuzz for XA_FUZZ_SECONDS
#                                     (default 60) on a copy of tests/fuzz/corpus
#        tests/fuzz/run.sh --replay   build with cc (gcc will do) and
#                                     -DXA_FUZZ_MAIN, and replay the corpus once;
#                                     fails if a seed no longer decodes as what
#                                     its name says (seed-request-*, ...)
#        tests/fuzz/run.sh --seeds    rewrite tests/fuzz/corpus/seed-* with
#                                     tests/fuzz/mkseeds.c
#
# The project's storage/*.c and sync/*.c are compiled straight from the tree
# into a temporary folder (an archive, so that the target pulls in only what
# it uses: no libcurl).  Exits non-zero if the fuzzer finds a crash, a leak
# or undefined behaviour; the reproducer is kept and its path printed.  With
# no clang or no libFuzzer it says so and exits 77, which ctest reports as
# skipped (SKIP_RETURN_CODE): a fuzz run that did not happen never passes.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mode=${1:-fuzz}
seconds=${XA_FUZZ_SECONDS:-60}
pkgs="sqlite3 libcjson zlib" # split on purpose below

case "$mode" in
fuzz | --replay | --seeds) ;;
*)
    echo "usage: $0 [--replay | --seeds]" >&2
    exit 2
    ;;
esac
case "$seconds" in
'' | *[!0-9]*)
    echo "run.sh: XA_FUZZ_SECONDS must be a number of seconds, not '$seconds'" >&2
    exit 2
    ;;
esac

# shellcheck disable=SC2086
if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists $pkgs; then
    echo "run.sh: pkg-config cannot find $pkgs (needed to build xasync at all)" >&2
    exit 1
fi
# the target needs no libcurl, but sync/client.c includes its header
if pkg-config --exists libcurl; then
    pkgs_cflags="$pkgs libcurl"
else
    pkgs_cflags=$pkgs
fi
# shellcheck disable=SC2086
cflags="-std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -I$root/include \
$(pkg-config --cflags $pkgs_cflags)"
# shellcheck disable=SC2086
libs="$(pkg-config --libs $pkgs) -lm"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xa-fuzz.XXXXXX")
keep=0
cleanup() {
    if [ "$keep" = 0 ]; then
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# build_lib CC FLAGS...: the project's sources as $tmp/libxa.a
build_lib() {
    cc=$1
    shift
    mkdir -p "$tmp/obj"
    for src in "$root"/storage/*.c "$root"/sync/*.c; do
        obj="$tmp/obj/$(basename "$(dirname "$src")")_$(basename "$src" .c).o"
        # shellcheck disable=SC2086
        "$cc" $cflags "$@" -c "$src" -o "$obj"
    done
    ar rcs "$tmp/libxa.a" "$tmp"/obj/*.o
}

if [ "$mode" = --seeds ]; then
    cc=${CC:-cc}
    build_lib "$cc" -O1
    # shellcheck disable=SC2086
    "$cc" $cflags -O1 "$here/mkseeds.c" "$tmp/libxa.a" $libs -o "$tmp/mkseeds"
    mkdir -p "$here/corpus"
    "$tmp/mkseeds" "$here/corpus"
    echo "run.sh: seeds written to $here/corpus"
    ls -l "$here"/corpus/seed-*
    exit 0
fi

if [ "$mode" = --replay ]; then
    cc=${CC:-cc}
    san="-g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined"
    # shellcheck disable=SC2086
    build_lib "$cc" $san
    # shellcheck disable=SC2086
    "$cc" $cflags $san -DXA_FUZZ_MAIN "$here/fuzz_changeset.c" "$tmp/libxa.a" $libs \
        -o "$tmp/fuzz_changeset"
    for kind in request response ops; do
        if [ -z "$(find "$here/corpus" -name "seed-$kind-*" -type f)" ]; then
            echo "run.sh: no seed-$kind-* in $here/corpus (run.sh --seeds writes them)" >&2
            exit 1
        fi
    done
    # fails if a seed-* file no longer decodes as its name says
    "$tmp/fuzz_changeset" "$here/corpus"
    exit 0
fi

# fuzz: clang with libFuzzer
cc=${XA_FUZZ_CC:-clang}
if ! command -v "$cc" >/dev/null 2>&1; then
    echo "run.sh: $cc is not installed: fuzzing skipped (exit 77)"
    exit 77
fi
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\n%s\n' \
    'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return d && n > 9; }' \
    >"$tmp/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$tmp/probe.c" -o "$tmp/probe" \
    >"$tmp/probe.log" 2>&1; then
    echo "run.sh: $cc cannot build a libFuzzer target (libFuzzer not installed?):" \
        "fuzzing skipped (exit 77)"
    sed 's/^/    /' "$tmp/probe.log" | head -5
    exit 77
fi

san="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"
# shellcheck disable=SC2086
build_lib "$cc" $san -fsanitize=fuzzer-no-link
# shellcheck disable=SC2086
"$cc" $cflags $san -fsanitize=fuzzer "$here/fuzz_changeset.c" "$tmp/libxa.a" $libs \
    -o "$tmp/fuzz_changeset"

mkdir -p "$tmp/corpus" "$tmp/artifacts"
cp "$here"/corpus/* "$tmp/corpus/"
echo "run.sh: fuzzing for $seconds s on a copy of $(find "$tmp/corpus" -type f | wc -l) seed(s)"
status=0
"$tmp/fuzz_changeset" -max_len=65536 -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$tmp/artifacts/" \
    "$tmp/corpus" >"$tmp/fuzz.log" 2>&1 || status=$?
tail -n 25 "$tmp/fuzz.log"
if [ "$status" != 0 ] || [ -n "$(ls "$tmp/artifacts")" ]; then
    keep=1
    echo "run.sh: the fuzzer found a problem (exit $status); log and reproducer kept:"
    echo "    $tmp/fuzz.log"
    for f in "$tmp"/artifacts/*; do
        [ -e "$f" ] && echo "    $f  (replay: $tmp/fuzz_changeset $f)"
    done
    [ "$status" != 0 ] || status=1
    exit "$status"
fi
echo "run.sh: no crash in $seconds s"

#!/usr/bin/env bash
# Install what is missing, then build and run every test twice, with
# compiler warnings as errors (XA_WERROR):
#   build-release/  Release (-O3, as shipped)
#   build-test/     Debug with -fsanitize=address,undefined, and the
#                   changeset fuzzer (fuzz_changeset, 60 s of libFuzzer)
# Arguments go to both ctest runs (./scripts/test.sh -R test_cli).  Exits 0
# only if both runs pass; a test ctest reports as skipped is listed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
# playwright-core for the browser tests (no browser download: it drives
# Debian's /usr/bin/chromium)
(cd tests/ui && npm ci --no-audit --no-fund --loglevel=error)

jobs=$(nproc)
status=0
summary=()
# pass NAME DIR CTEST_ARGS... -- CMAKE_ARGS...: configure, build and test
pass() {
    local name=$1 dir=$2 t0=$SECONDS rc=0
    shift 2
    local ctest_args=()
    while [ "$1" != -- ]; do
        ctest_args+=("$1")
        shift
    done
    shift
    echo "== $name: $dir" >&2
    cmake -S . -B "$dir" -DXA_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j"$jobs"
    (cd "$dir" && ctest --output-on-failure --timeout 900 "${ctest_args[@]}") || rc=$?
    summary+=("$name: $([ $rc = 0 ] && echo passed || echo "FAILED (ctest exit $rc)") in $((SECONDS - t0)) s")
    [ $rc = 0 ] || status=1
}

pass "Release" build-release -LE fuzz "$@" -- -DCMAKE_BUILD_TYPE=Release
pass "Debug, sanitizers" build-test "$@" -- -DCMAKE_BUILD_TYPE=Debug -DXA_SANITIZE=ON
printf '\n' >&2
printf 'test.sh: %s\n' "${summary[@]}" >&2
exit "$status"

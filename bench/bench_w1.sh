#!/bin/sh
# bench_w1.sh: build bench_w1 (Release, in build/, tests on so that the
# proxy xaproxy is built too) and run it on the W1 workload (docs/workload.md).
#
#   bench/bench_w1.sh [FIXTURE] [--keep]
#
# FIXTURE defaults to ../shared/fixtures/w1-ops.jsonl beside the repository
# (or $W1_FIXTURE).  --keep keeps the temporary folder of databases and logs.
# Prints figures; exits 1 if a build step or the run fails, or if the end
# state of W1 is not the expected one.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
fixture=${W1_FIXTURE:-$root/../shared/fixtures/w1-ops.jsonl}
if [ $# -gt 0 ]; then
    case $1 in
    --*) ;;
    *) fixture=$1; shift ;;
    esac
fi
if [ ! -r "$fixture" ]; then
    echo "bench_w1.sh: cannot read the fixture $fixture (give its path as the first argument)" >&2
    exit 1
fi

jobs=$(nproc 2>/dev/null || echo 2)
echo "bench_w1.sh: building in $root/build (Release, tests on)" >&2
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DXA_TESTS=ON >/dev/null
cmake --build "$root/build" --target bench_w1 -j "$jobs" >/dev/null

exec "$root/build/bench/bench_w1" "$fixture" "$@"

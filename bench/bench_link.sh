#!/bin/sh
# bench_link.sh: build bench_link (Release, in build/, tests on so that the
# proxy xaproxy is built too) and run it: a 200-edit backlog sent to the
# district over a 32 kbit/s, 600 ms link, in batches, one edit a request and
# through the daemon.
#
#   bench/bench_link.sh [--keep]
#
# --keep keeps the temporary folder of databases and logs.  Prints figures;
# takes about 10 minutes (the one-edit-a-request cases take 4 or 5 each);
# exits 1 if a build step or the run fails, or if the district does not end
# up holding every edit.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

jobs=$(nproc 2>/dev/null || echo 2)
echo "bench_link.sh: building in $root/build (Release, tests on)" >&2
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DXA_TESTS=ON >/dev/null
cmake --build "$root/build" --target bench_link -j "$jobs" >/dev/null

exec "$root/build/bench/bench_link" "$@"

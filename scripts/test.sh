#!/usr/bin/env bash
# Install what is missing, build with sanitizers, and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
# playwright-core for the browser tests (no browser download: it drives
# Debian's /usr/bin/chromium)
(cd tests/ui && npm ci --no-audit --no-fund --loglevel=error)
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DXA_SANITIZE=ON >/dev/null
cmake --build build-test -j"$(nproc)"
cd build-test
ctest --output-on-failure --timeout 900 "$@"

#!/usr/bin/env bash
# Copy the screenshots made by the last browser test run into
# docs/screenshots, where the README shows them: the editor's
# (tests/ui/editor.test.mjs) and the district desk's (tests/desk/desk.test.mjs),
# both written into BUILD/screenshots.
#   scripts/update-screenshots.sh [BUILD_DIR]
# Without BUILD_DIR: the build folder under this one whose screenshots are
# the newest (./scripts/test.sh makes build-release/ and build-test/).
set -euo pipefail
cd "$(dirname "$0")/.."
shots=(editor.png conflict.png print.png exchange.png returned.png setup.png copy.png help.png docx-page1.png docx-table.png
    desk-completeness.png desk-report.png desk-rollup.png desk-conflicts.png)

if [ $# -gt 1 ]; then
    echo "usage: $0 [BUILD_DIR]" >&2
    exit 2
fi
if [ $# -eq 1 ]; then
    from=$1/screenshots
else
    from=
    for d in build*/screenshots; do
        [ -f "$d/${shots[0]}" ] || continue
        if [ -z "$from" ] || [ "$d/${shots[0]}" -nt "$from/${shots[0]}" ]; then
            from=$d
        fi
    done
    if [ -z "$from" ]; then
        echo "update-screenshots: no build*/screenshots here; run ./scripts/test.sh first" >&2
        exit 1
    fi
fi
for s in "${shots[@]}"; do
    if [ ! -f "$from/$s" ]; then
        echo "update-screenshots: $from/$s is missing (did test_ui and test_desk_ui pass?)" >&2
        exit 1
    fi
done
mkdir -p docs/screenshots
for s in "${shots[@]}"; do
    cp "$from/$s" "docs/screenshots/$s"
done
echo "update-screenshots: ${shots[*]} copied from $from to docs/screenshots"

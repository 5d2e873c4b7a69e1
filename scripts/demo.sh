#!/usr/bin/env bash
# Install what is missing, build, and show xasync at work on one office PC
# and a second one that trades edits by USB stick, with no network at all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DXA_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target xasync >/dev/null

x=build/client/xasync
demo=build/demo
rm -rf "$demo" && mkdir -p "$demo"
pc1=(--db "$demo/pc1.db")
pc2=(--db "$demo/pc2.db")
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() {
    local shown=() a
    for a in "$@"; do
        case "$a" in *[[:space:]]*) shown+=("\"$a\"") ;; *) shown+=("$a") ;; esac
    done
    say "xasync ${shown[*]}"
    "$x" "$@"
}

run "${pc1[@]}" init --scope hoang-kim
run "${pc1[@]}" set report-2024-h1 title "Sơ kết công tác thi đua khen thưởng 6 tháng đầu năm 2024" --author "Lê Thị Lan"
run "${pc1[@]}" set ind-4 est "636,4" --author "Lê Thị Lan"
run "${pc1[@]}" set ind-4 est "640,1" --author "Lê Thị Lan"
run "${pc1[@]}" set para-1 text "UBND xã Hoàng Kim báo cáo như sau:" --author "Lê Thị Lan"
run "${pc1[@]}" show
run "${pc1[@]}" log

say "a second PC receives the edits by USB stick"
run "${pc2[@]}" init --scope hoang-kim
"$x" "${pc1[@]}" export-ops --have "$("$x" "${pc2[@]}" have)" > "$demo/usb-1.json"
run "${pc2[@]}" apply "$demo/usb-1.json"

say "both PCs change the same figure while apart"
run "${pc1[@]}" set ind-4 est "641" --author "Lê Thị Lan"
run "${pc2[@]}" set ind-4 est "642,5" --author "Nguyễn Văn Bình"
"$x" "${pc2[@]}" export-ops --have "$("$x" "${pc1[@]}" have)" > "$demo/usb-2.json"
run "${pc1[@]}" apply "$demo/usb-2.json"
run "${pc1[@]}" get ind-4 est || echo "(exit $?: a conflict, both values kept)"
run "${pc1[@]}" resolve ind-4 est "642,5" --author "Lê Thị Lan"
run "${pc1[@]}" get ind-4 est
run "${pc1[@]}" log ind-4 est
printf '\nThe databases are in %s.\n' "$demo"

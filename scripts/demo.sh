#!/usr/bin/env bash
# Install what is missing, build, and show xasync at work: one office PC and
# a second one that trade edits by USB stick with no network at all; a
# district server started on this PC's loopback (SQLite only, no other
# service) that defines its form; the commune report imported, bound to the
# form, edited, checked, sent and accepted; the district's rollup.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DXA_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target xasync xasync-district >/dev/null

x=build/client/xasync
xd=build/server/xasync-district
demo=build/demo
rm -rf "$demo" && mkdir -p "$demo"
pc1=(--db "$demo/pc1.db")
pc2=(--db "$demo/pc2.db")
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
xdrun() { say "xasync-district $*"; "$xd" "$@"; }
run() {
    local shown=() a
    for a in "$@"; do
        case "$a" in *[[:space:]]*) shown+=("\"$a\"") ;; *) shown+=("$a") ;; esac
    done
    say "xasync ${shown[*]}"
    "$x" "$@"
}

run "${pc1[@]}" init --scope hoang-kim
run "${pc1[@]}" set ghi-chu text "Bản nháp số liệu 6 tháng đầu năm 2024" --author "Lê Thị Lan"
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
say "the district defines what it collects: the seed's indicator table becomes a form"
dd=(--db "$demo/district.db")
xdrun "${dd[@]}" init
"$xd" "${dd[@]}" commune add hoang-kim --name "Xã Hoằng Kim" > "$demo/hoang-kim.token" 2>/dev/null
"$xd" "${dd[@]}" commune add hoang-phu --name "Xã Hoằng Phú" > "$demo/hoang-phu.token" 2>/dev/null
xdrun "${dd[@]}" form add --from-report tests/fixtures/bao-cao-so-ket-6-thang-2024.txt --id sk6-2024
"$xd" "${dd[@]}" form list

say "the district server on this PC (loopback); the commune's PC syncs and gets the form"
"$xd" "${dd[@]}" serve --listen 127.0.0.1:0 > "$demo/serve.out" 2> "$demo/serve.log" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q listening "$demo/serve.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$demo/serve.out")
run "${pc1[@]}" remote set "http://127.0.0.1:$port" --token-file "$demo/hoang-kim.token"
run "${pc1[@]}" sync

say "the commune report: import (its rows bind to the form), edit a figure, check it"
run "${pc1[@]}" report import tests/fixtures/bao-cao-so-ket-6-thang-2024.txt --author "Lê Thị Lan"
run "${pc1[@]}" report edit ind/4/est "640" --author "Lê Thị Lan"
"$x" "${pc1[@]}" report export | grep -E "^4[[:space:]]" || true
run "${pc1[@]}" report check || echo "(exit $?: findings to look at; they never block sending)"
"$x" "${pc1[@]}" report export --format html > "$demo/bao-cao.html"
"$x" "${pc1[@]}" report export --format docx -o "$demo/bao-cao.docx"
echo "printable page: $demo/bao-cao.html; Word file: $demo/bao-cao.docx"

say "sent to the district ('Gửi lên huyện'), which accepts it"
run "${pc1[@]}" report submit --author "Lê Thị Lan"
run "${pc1[@]}" sync
xdrun "${dd[@]}" accept hoang-kim report-2024-h1
run "${pc1[@]}" sync
run "${pc1[@]}" report state
run "${pc1[@]}" status

say "what the district sees: who has sent, and each indicator added up by its meaning"
"$xd" "${dd[@]}" communes
xdrun "${dd[@]}" rollup --form sk6-2024 --period 2024-h1
kill "$server"
wait "$server" 2>/dev/null || true
trap - EXIT

printf '\nThe databases are in %s.  The editor: %s --db %s ui --open\n' "$demo" "$x" \
    "$demo/pc1.db"

#!/bin/sh
# `xasync report copy` (the page's "copy last period's report"): a real
# database with the seed report; the copy's figures read back with
# `xasync show --json` and compared row by row with the source's.
# Usage: report_copy.sh XASYNC SEED_REPORT
set -eu
xa=$1
seed=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/xasync-copy-XXXXXX")
trap 'rm -rf "$dir"' EXIT
db=$dir/a.db
fail() { echo "FAIL: $*" >&2; exit 1; }
x() { "$xa" --db "$db" "$@"; }

x init --scope hoang-kim >/dev/null
x report import "$seed" --author "Lê Thị Lan" >/dev/null
# a deleted row and the report's life: neither is carried into the copy
x report delete ind/14 --author "Lê Thị Lan"
x set report-2024-h1 state returned --author "Huyện" >/dev/null
x set report-2024-h1 state_reason "Sửa dòng 9" --author "Huyện" >/dev/null
x show --json >"$dir/src.json"

# refusals: the message, exit 1, nothing stored
have0=$(x have)
expect_refusal() { # WANT_MESSAGE ARGS...
    want=$1
    shift
    set +e
    x report copy "$@" >"$dir/out" 2>"$dir/err"
    rc=$?
    set -e
    [ "$rc" = 1 ] || fail "report copy $*: exit $rc, not 1"
    grep -q "$want" "$dir/err" || { cat "$dir/err" >&2; fail "report copy $*: no \"$want\""; }
    [ "$(x have)" = "$have0" ] || fail "report copy $*: the database changed"
    echo "refused: report copy $* ($(cat "$dir/err"))"
}
expect_refusal "không hợp lệ.*is not a half-year period" --period 2025-13
expect_refusal "không hợp lệ.*is not a half-year period" --period 2025
expect_refusal "đã có / report report-2024-h1 already exists" --period 2025-h1 --id report-2024-h1
expect_refusal "không có báo cáo nope / no report nope" --period 2025-h1 --report nope

# the next year's report, and a report later in the same year
out=$(x report copy --period 2025-h1 --author "Lê Thị Lan")
echo "$out"
echo "$out" | grep -q "copied report report-2024-h1 to report-2025-h1 for 2025-h1" || fail "copy: $out"
x report copy --report report-2024-h1 --period 2024-h2 --id bc-2024-h2 >/dev/null
[ "$(x report list | sort | tr '\n' ' ')" = "bc-2024-h2 report-2024-h1 report-2025-h1 " ] ||
    fail "reports: $(x report list)"
x show --json >"$dir/all.json"
[ "$(x have)" != "$have0" ] || fail "nothing written"

python3 - "$dir/src.json" "$dir/all.json" <<'EOF'
import json, re, sys
src, now = (json.load(open(p)) for p in sys.argv[1:3])
def table(fields, rep):
    out = {}
    for f in fields:
        e = f["entity"]
        if e == rep or e.startswith(rep + "/b/"):
            out.setdefault(e[len(rep):], {})[f["field"]] = f["values"][0]["value"]
    return out
def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)
old = table(src, "report-2024-h1")
# the source is untouched
if table(now, "report-2024-h1") != old:
    fail("the source report changed")
rows = {k: v for k, v in old.items() if v.get("kind") == "row"}
figures = sum(1 for v in rows.values() if v.get("est") and v.get("deleted") != "1")
if figures < 10:
    fail(f"the seed has {figures} figures")
for rep, same_year in (("report-2025-h1", False), ("bc-2024-h2", True)):
    new = table(now, rep)
    period = rep.split("-", 1)[1] if rep.startswith("report-") else "2024-h2"
    if new[""].get("period") != period:
        fail(f"{rep}: period {new[''].get('period')}")
    for f in ("state", "state_reason", "sent", "sent_at"):
        if f in new[""]:
            fail(f"{rep}: the header carries {f}")
    if rep == "report-2025-h1" and not any("2024" in v.get("text", "") for v in old.values() if v.get("kind") == "part"):
        fail("no part of the seed names 2024")
    if rep == "report-2025-h1" and not new[""]["title"].endswith("năm 2025"):
        fail(f"{rep}: title {new['']['title']}")
    if rep == "report-2025-h1":
        cited = [k for k, v in old.items() if "91/2017/NĐ-CP" in v.get("text", "") and v.get("kind") == "heading"]
        if not cited or any("91/2017/NĐ-CP ngày 31/7/2017" not in new[k]["text"] for k in cited):
            fail("a decree cited in a heading was changed")
    moved = 0
    for k, v in old.items():
        if k == "":
            continue
        if v.get("deleted") == "1":
            if k in new:
                fail(f"{rep}: the deleted block {k} was copied")
            continue
        n = new.get(k)
        if n is None:
            fail(f"{rep}: block {k} missing")
        if v.get("kind") in ("part", "heading") and not same_year:
            # the years naming the period move; a decree's date and number do not
            want = re.sub(r"(?<![^ (])2024(?![^ ).,;:])", "2025", v.get("text", ""))
            if "2023" in v.get("text", ""):
                fail("the seed's headings name 2023")
            if n.get("text", "") != want:
                fail(f"{rep}{k}: heading {n.get('text')!r}, want {want!r}")
            v = dict(v, text=want)
        if v.get("kind") != "row":
            for f in ("kind", "text", "num", "marker", "pos"):
                if v.get(f) != n.get(f):
                    fail(f"{rep}{k}: {f} {n.get(f)!r}, not {v.get(f)!r}")
            continue
        # this period's figure becomes the previous period's; est empty
        if n.get("prev", "") != v.get("est", ""):
            fail(f"{rep}{k} (tt {v.get('tt')}): prev {n.get('prev')!r}, est was {v.get('est')!r}")
        if n.get("est", "") != "":
            fail(f"{rep}{k}: est {n.get('est')!r} is not empty")
        moved += bool(v.get("est"))
        for f in ("vs_prev", "vs_plan", "remain", "printed_for"):
            if f in n:
                fail(f"{rep}{k}: {f} copied ({n[f]!r}); it is computed")
        want_plan = v.get("plan") if same_year else None
        if n.get("plan") != want_plan:
            fail(f"{rep}{k}: plan {n.get('plan')!r}, want {want_plan!r}")
        for f in ("tt", "name", "unit", "note", "table", "pos"):
            if v.get(f) != n.get(f):
                fail(f"{rep}{k}: {f} {n.get(f)!r}, not {v.get(f)!r}")
    if moved != figures:
        fail(f"{rep}: {moved} figures moved, {figures} held")
    print(f"{rep}: {moved} figures moved to prev, est empty, derived computed")
EOF

# printed: the previous period's column holds last period's figure, the rest empty
x report export --report report-2025-h1 >"$dir/2025.txt"
grep -q "^4	Tổng sản lượng lương thực có hạt	tấn	636,4	*$" "$dir/2025.txt" ||
    { grep "^4	" "$dir/2025.txt" >&2; fail "row 4 printed"; }
grep -q "KQ thực hiện 6 tháng 2024	KH năm 2025" "$dir/2025.txt" || fail "the table's head not moved a year"
# and it is checked like any report: a figure typed, its row computed
x report edit ind/4/est 700 --report report-2025-h1 --author "Lê Thị Lan"
x report export --report report-2025-h1 | grep -q "^4	Tổng sản lượng lương thực có hạt	tấn	636,4		700	110,0		" ||
    { x report export --report report-2025-h1 | grep "^4	" >&2; fail "row 4 computed"; }
echo "ok"

#!/bin/sh
# The Debian package (CPack, CMakeLists.txt): built from this build folder
# with `cpack -G DEB`, then read back with dpkg-deb: the programs, the menu
# entry "Báo cáo xã", the sync daemon's user unit, the maintainer scripts
# and the declared dependencies.  Usage: package.sh BUILD_DIR
set -eu
build=$1
out=$(mktemp -d "${TMPDIR:-/tmp}/xasync-deb-XXXXXX")
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cpack -G DEB --config "$build/CPackConfig.cmake" -B "$out" >"$out/cpack.log" 2>&1 || {
    cat "$out/cpack.log" >&2; fail "cpack -G DEB"; }
deb=$(ls "$out"/xasync_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { cat "$out/cpack.log" >&2; fail "no xasync_*.deb made"; }
echo "package: $(basename "$deb") ($(wc -c <"$deb") bytes)"

files=$(dpkg-deb -c "$deb")
for f in ./usr/bin/xasync ./usr/bin/xasync-district ./usr/libexec/xasync/xasync-full \
         ./usr/share/applications/bao-cao-xa.desktop ./usr/lib/systemd/user/xasync-daemon.service; do
    echo "$files" | grep -q " $f\$" || fail "$f is not in the package"
    echo "has $f"
done
echo "$files" | grep " ./usr/bin/xasync\$" | grep -q '^-rwxr-xr-x' || fail "xasync is not executable"

info=$(dpkg-deb -I "$deb")
echo "$info" | grep -q '^ Package: xasync$' || fail "Package: xasync"
depends=$(echo "$info" | sed -n 's/^ Depends: //p')
echo "Depends: $depends"
for lib in libsqlite3-0 libcurl libcjson1 libmicrohttpd12 zlib1g xdg-utils; do
    echo "$depends" | grep -q "$lib" || fail "Depends lacks $lib"
done
echo "$info" | grep -q ' postinst' || fail "no postinst"
echo "$info" | grep -q ' prerm' || fail "no prerm"

# the menu entry and the unit, as installed
dpkg-deb -x "$deb" "$out/root"
desk="$out/root/usr/share/applications/bao-cao-xa.desktop"
grep -qx 'Name=Báo cáo xã' "$desk" || fail "the entry is not named Báo cáo xã"
grep -qx 'Exec=xasync ui --open' "$desk" || fail "the entry does not start the editor"
grep -qx 'Type=Application' "$desk" || fail "Type=Application"
grep -q '^Categories=Office;' "$desk" || fail "not in the office menu"
if command -v desktop-file-validate >/dev/null 2>&1; then
    desktop-file-validate "$desk" || fail "desktop-file-validate"
fi
grep -qx 'ExecStart=xasync daemon' "$out/root/usr/lib/systemd/user/xasync-daemon.service" ||
    fail "the unit does not start xasync daemon"
dpkg-deb -e "$deb" "$out/ctl"
grep -q 'systemctl --global enable xasync-daemon.service' "$out/ctl/postinst" ||
    fail "postinst does not enable the daemon for the sessions"
# the installed programs run from the package's layout (xasync finds
# xasync-full in ../libexec/xasync)
"$out/root/usr/bin/xasync" --help >/dev/null || fail "xasync --help"
# `sync` runs in xasync-full: without a database it says so, not that
# xasync-full is missing
msg=$("$out/root/usr/bin/xasync" --db "$out/none.db" sync 2>&1) && fail "sync without a database succeeded"
echo "$msg" | grep -q 'xasync-full' && fail "xasync does not find xasync-full: $msg"
echo "$msg" | grep -q 'no xasync database\|không có' || fail "unexpected: $msg"
echo "ok"

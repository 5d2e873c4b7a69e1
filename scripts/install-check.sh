#!/usr/bin/env bash
# Install the Debian package the way an IT person would, on this machine,
# check what a clerk's session gets, then remove it again.  Meant for a
# clean Debian 12 root, after ./scripts/test.sh built build-release/:
#   ../shared/tools/fresh-machine.sh "$(pwd)" "./scripts/test.sh && ./scripts/install-check.sh"
# It refuses to run where an xasync package is already installed (it would
# replace and then remove it).  Usage: install-check.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-release}
fail() { echo "install-check: FAIL: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root (it installs a package)"
if dpkg-query -W -f='${Status}' xasync 2>/dev/null | grep -q 'install ok installed'; then
    fail "an xasync package is installed here already; run this in a clean root"
fi
[ -f "$build/CPackConfig.cmake" ] || fail "no $build/CPackConfig.cmake: build first (./scripts/test.sh)"

out=$(mktemp -d /tmp/xasync-install-XXXXXX)
trap 'rm -rf "$out"' EXIT
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$out" >"$out/cpack.log" 2>&1 ||
    { cat "$out/cpack.log" >&2; fail "cpack -G DEB"; }
deb=$(ls "$out"/xasync_*.deb | head -n 1)
echo "install-check: $(basename "$deb")"

# apt resolves the declared dependencies from Debian's archive
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >"$out/apt.log" 2>&1 ||
    { cat "$out/apt.log" >&2; fail "apt-get install $deb"; }
dpkg-query -W -f='${Status}\n' xasync | grep -q 'install ok installed' || fail "not installed"
echo "install-check: installed, with its dependencies from Debian"

for f in /usr/bin/xasync /usr/bin/xasync-district /usr/libexec/xasync/xasync-full \
         /usr/share/applications/bao-cao-xa.desktop /usr/lib/systemd/user/xasync-daemon.service; do
    [ -e "$f" ] || fail "$f missing after install"
done
grep -qx 'Name=Báo cáo xã' /usr/share/applications/bao-cao-xa.desktop || fail "menu entry name"
command -v xasync >/dev/null || fail "xasync is not on PATH"
xasync --help >/dev/null || fail "xasync --help"

# a clerk's account: a database of its own, an edit, the report commands
# (xasync-full) and the editor answering on loopback
id clerk >/dev/null 2>&1 || useradd -m clerk
su clerk -s /bin/sh -c 'set -e
    xasync init --scope hoang-kim >/dev/null
    xasync set r title "Báo cáo thử" >/dev/null
    [ "$(xasync get r title)" = "Báo cáo thử" ]
    xasync report list >/dev/null
    ls ~/.local/share/xasync/xasync.db ~/.local/share/xasync/xasync.db-node >/dev/null' ||
    fail "a clerk could not use the installed xasync"
echo "install-check: a clerk's account writes and reads its report"

DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq xasync >"$out/apt.log" 2>&1 ||
    { cat "$out/apt.log" >&2; fail "apt-get remove xasync"; }
[ ! -e /usr/bin/xasync ] || fail "/usr/bin/xasync left after remove"
[ -e ~clerk/.local/share/xasync/xasync.db ] || fail "removing the package removed the clerk's data"
userdel -r clerk 2>/dev/null || true
echo "install-check: removed; the clerk's data stays. ok"

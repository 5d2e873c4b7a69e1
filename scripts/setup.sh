#!/usr/bin/env bash
# Install what xasync needs to build (and with --test, to test), from
# Debian's packages.  Installs only what is missing; uses sudo when not root.
set -euo pipefail

pkgs=(gcc libc6-dev make cmake pkg-config
      libsqlite3-dev libcurl4-openssl-dev libcjson-dev zlib1g-dev
      libmicrohttpd-dev libgnutls28-dev libcmocka-dev)
if [ "${1:-}" = "--test" ]; then
    # TLS test certificates; the changeset fuzzer (libFuzzer); the editor's
    # browser tests (Debian's chromium, driven by playwright-core from npm).
    pkgs+=(openssl ca-certificates clang libclang-rt-14-dev chromium)
    command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
    command -v npm >/dev/null 2>&1 || pkgs+=(npm)
fi

missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "setup: need root to install ${missing[*]}; run as root or install sudo" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

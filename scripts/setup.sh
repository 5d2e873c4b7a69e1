#!/usr/bin/env bash
# Install what xasync needs to build (and with --test, to test), from
# Debian's packages.  Installs only what is missing; uses sudo when not root.
set -euo pipefail

pkgs=(gcc libc6-dev make cmake pkg-config
      libsqlite3-dev libcurl4-openssl-dev libcjson-dev zlib1g-dev
      libmicrohttpd-dev libgnutls28-dev libcmocka-dev libzip-dev libxml2-dev fonts-liberation2
      libsodium-dev libxlsxwriter-dev)
testing=0
if [ "${1:-}" = "--test" ]; then
    testing=1
    # TLS test certificates; the changeset fuzzer (clang; its libFuzzer
    # runtime below); the editor's browser tests (Debian's chromium, driven
    # by playwright-core from npm); the Debian package's test (cpack's
    # dpkg-shlibdeps, in dpkg-dev, and file).
    pkgs+=(openssl ca-certificates clang chromium python3-docx libreoffice-writer-nogui poppler-utils
           python3-openpyxl dpkg-dev file)
    command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
    command -v npm >/dev/null 2>&1 || pkgs+=(npm)
fi

updated=0
# install PACKAGE...: those of them not installed yet
install() {
    local missing=() p
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$p")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0

    echo "setup: installing ${missing[*]}" >&2
    local as_root=()
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "setup: need root to install ${missing[*]}; run as root or install sudo" >&2
            exit 1
        fi
        as_root=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    if [ "$updated" = 0 ]; then
        "${as_root[@]}" apt-get update -qq
        updated=1
    fi
    "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install "${pkgs[@]}"
if [ "$testing" = 1 ]; then
    # libFuzzer and the sanitizers' runtime of the clang just installed
    # (Debian 12's clang is 14: libclang-rt-14-dev)
    clang_major=$(clang -dumpversion | cut -d. -f1)
    install "libclang-rt-$clang_major-dev"
fi

#!/usr/bin/env bash
# One-stop set-up for a fresh Debian 12 machine.
#   tools/setup.sh demo   install packages, build, run the main job (the demo session)
#   tools/setup.sh test   install packages, build, run every test (ctest)
#   tools/setup.sh build  install packages and build only
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${RR86_BUILD_DIR:-$here/build}"
packages=(build-essential cmake ninja-build pkg-config git llvm-19-dev clang-19 libclang-rt-19-dev
          libzydis-dev capnproto libcapnp-dev libzstd-dev doctest-dev libcli11-dev libfmt-dev
          libxxhash-dev zlib1g-dev nasm seabios gdb)

install_packages() {
    local missing=()
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "setup: installing ${missing[*]}"
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build_all() {
    cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$build" -j "$(nproc)"
}

case "${1:-}" in
    demo)  install_packages; build_all; "$build/tools/rr86" demo ;;
    test)  install_packages; build_all
           ctest --test-dir "$build" --output-on-failure -j "$(nproc)" ;;
    build) install_packages; build_all ;;
    *) echo "usage: tools/setup.sh demo|test|build" >&2; exit 2 ;;
esac

# Sourced by the SeaBIOS boot benchmarks (boot_bench.sh, tiered_bench.sh): their arguments
# [RR86] [RUNS] (default build/tools/rr86, 20 runs), a temporary directory `work` removed on exit,
# and in it the 1 MiB boot disk whose MBR prints BOOT OK and exits via isa-debug-exit.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rr86="${1:-$here/build/tools/rr86}"
runs="${2:-20}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
nasm -f bin -DFULL_DISK "$here/tools/demo/boot_ok.asm" -o "$work/disk.img"

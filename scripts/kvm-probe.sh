#!/usr/bin/env bash
# kvm-probe.sh — can KVM boot Linux on this host? (vm driver of asd-lab's local target)
set -Eeuo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"

usage() {
  cat <<'EOF2'
Usage: kvm-probe.sh --kernel VMLINUZ --cache FILE

Tells whether KVM can boot Linux here. /dev/kvm may exist (nested virtualization) and yet never
run a Linux guest, so the probe boots KERNEL with KVM and no root filesystem: a working KVM
reaches the kernel's "cannot mount root" panic within a second or two; the probe gives up after
20 s. The verdict is cached in FILE, keyed by the host kernel release and the guest kernel.

Output: VERDICT=usable|unusable and REASON=... lines. Exit status 0 usable, 3 unusable.
EOF2
}
KERNEL=""; CACHE=""
while [ $# -gt 0 ]; do
  case $1 in
    --kernel) [ $# -ge 2 ] || usage_error "--kernel needs a value"; KERNEL=$2; shift 2 ;;
    --cache) [ $# -ge 2 ] || usage_error "--cache needs a value"; CACHE=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done
[ -f "$KERNEL" ] || usage_error "--kernel '$KERNEL' is not a file"
[ -n "$CACHE" ] || usage_error "--cache is required"

verdict() { printf 'VERDICT=%s\nREASON=%s\n' "$1" "$2"; [ "$1" = usable ] || exit 3; exit 0; }
[ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] || verdict unusable "/dev/kvm is missing or not accessible (no hardware virtualization, or no kvm module)"
need_tool qemu-system-x86_64 qemu-system-x86

key="$(uname -r) $(sha256sum <"$KERNEL" | cut -c1-16)"
if [ -f "$CACHE" ] && [ "$(sed -n 's/^KEY=//p' "$CACHE")" = "$key" ]; then
  verdict "$(sed -n 's/^VERDICT=//p' "$CACHE")" "$(sed -n 's/^REASON=//p' "$CACHE")"
fi
out=$(timeout 20 qemu-system-x86_64 -accel kvm -cpu host -m 256 -smp 1 -display none -no-reboot \
  -serial stdio -monitor none -kernel "$KERNEL" -append "console=ttyS0 panic=-1" 2>&1 || true)
if grep -q 'Kernel panic' <<<"$out"; then
  v=usable; reason=""
else
  v=unusable
  reason=$(grep -m1 'qemu-system-x86_64: error\|Assertion\|failed' <<<"$out" | cut -c1-160 || true)
  reason="a probe boot of the guest kernel with KVM did not reach the kernel's first panic within 20 s${reason:+ ($reason)}: nested virtualization that cannot run Linux?"
fi
printf 'KEY=%s\nVERDICT=%s\nREASON=%s\n' "$key" "$v" "$reason" >"$CACHE"
verdict "$v" "$reason"

#!/usr/bin/env bash
# build-image.sh — build, or reuse from the cache, the golden image of asd-lab's local target.
set -Eeuo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"

# Bump when the recipe below changes what ends up in the image: the cache key includes it.
RECIPE_VERSION=3
# Services installed in the image but disabled there (see recipe()).
IMAGE_SERVICES_OFF="postgresql.service prometheus.service prometheus-alertmanager.service
  prometheus-node-exporter.service prometheus-postgres-exporter.service
  prometheus-blackbox-exporter.service prometheus-snmp-exporter.service snmpd.service"
SUITE=bookworm

usage() {
  cat <<EOF
Usage: build-image.sh [--state-dir DIR] [--vm] [--force]

Builds the golden image of asd-lab's local target: a Debian 12 ($SUITE) root filesystem made
by debootstrap from the apt mirror configured on this host (/etc/apt/sources.list and
/etc/apt/sources.list.d/*), with the packages of scripts/image-packages.txt. Servers use it as
the read-only lower directory of an overlayfs, so one image serves every server.

The image is cached under STATE/image/<hash>, where <hash> digests the package list and the
recipe version; it is rebuilt only when that hash changes. STATE/image/current points to the
image that new servers use. Images that no server uses any more are removed.

Options:
  --state-dir DIR   state directory (default: \$ASD_LAB_STATE, else /var/lib/asd-lab for root,
                    else ./.asd-lab)
  --vm              also build the VM variant (vm driver): the Debian cloud kernel and an
                    initramfs (scripts/image-packages-vm.txt) in a layer over the image, the
                    kernel and initrd for direct boot, and a qcow2 disk used as backing file
  --force           rebuild even if the cached image is up to date
  -h, --help        this help

Environment:
  ASD_LAB_MIRROR, ASD_LAB_SECURITY_MIRROR   override the mirrors read from the apt sources

Output (last line): IMAGE=<dir of the image>
EOF
}

STATE=""; VM=0; FORCE=0
while [ $# -gt 0 ]; do
  case $1 in
    --state-dir) [ $# -ge 2 ] || usage_error "--state-dir needs a value"; STATE=$2; shift 2 ;;
    --state-dir=*) STATE=${1#*=}; shift ;;
    --vm) VM=1; shift ;;
    --force) FORCE=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done
[ -n "$STATE" ] || STATE=$(default_state_dir)

need_root
need_tool debootstrap debootstrap
need_tool chroot coreutils
need_tool flock util-linux
if [ "$VM" = 1 ]; then
  need_tool qemu-img qemu-utils
  need_tool mkfs.ext4 e2fsprogs
fi

# --- mirrors: read from the host's apt configuration, never guessed -------------------------------
# Prints "SUITE URI" for every enabled deb source (one-line and deb822 formats).
apt_sources() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" { print $3, $2 }'
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN { RS = ""; FS = "\n" }
      { types = ""; uris = ""; suites = ""; enabled = "yes"
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^#/) continue
          if ($i ~ /^Types:/) types = substr($i, 7)
          else if ($i ~ /^URIs:/) uris = substr($i, 6)
          else if ($i ~ /^Suites:/) suites = substr($i, 8)
          else if ($i ~ /^Enabled:/) { enabled = substr($i, 9); gsub(/[ \t]/, "", enabled) }
        }
        if (types !~ /(^|[ \t])deb([ \t]|$)/ || enabled == "no") next
        split(uris, u, " "); m = split(suites, s, " ")
        for (j = 1; j <= m; j++) print s[j], u[1]
      }' "$f"
  done
}
MIRROR=${ASD_LAB_MIRROR:-$(apt_sources | awk -v s="$SUITE" '$1 == s { print $2; exit }')}
SECURITY=${ASD_LAB_SECURITY_MIRROR:-$(apt_sources | awk -v s="$SUITE-security" '$1 == s { print $2; exit }')}
[ -n "$MIRROR" ] || die "no Debian '$SUITE' mirror in /etc/apt/sources.list or /etc/apt/sources.list.d/: add one, or set ASD_LAB_MIRROR (e.g. http://deb.debian.org/debian)"

# The base system, plus what the Ansible roles install: the servers have no outbound access, so
# every package a role needs must already be in the image (the roles then install nothing).
PKG_LIST=("$SCRIPT_DIR/image-packages.txt" "$SCRIPT_DIR/../ansible/image-packages.txt")
VM_LIST=$SCRIPT_DIR/image-packages-vm.txt
packages() { sed -e 's/#.*//' "$@" | tr -s ' \t' '\n\n' | sed '/^$/d' | sort -u; }
HASH=$( { list_digest "${PKG_LIST[@]}"; echo "recipe=$RECIPE_VERSION suite=$SUITE"; } | sha256sum | cut -c1-12)
VM_HASH=$( { echo "$HASH"; list_digest "$VM_LIST"; } | sha256sum | cut -c1-12)

IMAGES=$STATE/image
mkdir -p "$IMAGES"
chmod 0755 "$STATE" "$IMAGES"
exec 9>"$IMAGES/.lock"
flock 9 # one build at a time; a second caller waits and then finds the cache warm

# --- chroot plumbing ---------------------------------------------------------------------------
MOUNTS=()
mount_tracked() { mount "$@"; MOUNTS+=("${!#}"); }
unmount_all() {
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    umount "${MOUNTS[$i]}" 2>/dev/null || umount -l "${MOUNTS[$i]}" 2>/dev/null || true
  done
  MOUNTS=()
}
trap unmount_all EXIT

chroot_setup() {
  local r=$1
  mount_tracked -t proc proc "$r/proc"
  mount_tracked -t sysfs sysfs "$r/sys"
  mount_tracked --bind /dev "$r/dev"
  mount_tracked --bind /dev/pts "$r/dev/pts"
  cp -L /etc/resolv.conf "$r/etc/resolv.conf" # apt needs the host's resolver while building
  printf '#!/bin/sh\n# asd-lab build: no service starts inside the build chroot\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
  chmod 0755 "$r/usr/sbin/policy-rc.d"
}
chroot_teardown() {
  local r=$1
  rm -f "$r/usr/sbin/policy-rc.d"
  printf '# asd-lab: servers have no DNS and no outbound access by default (see docs/local.md)\n' >"$r/etc/resolv.conf"
  unmount_all
}
in_chroot() { local r=$1; shift; LC_ALL=C DEBIAN_FRONTEND=noninteractive chroot "$r" "$@"; }

write_sources() {
  local r=$1
  rm -f "$r/etc/apt/sources.list"
  {
    printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$MIRROR" "$SUITE" "$SUITE"
    if [ -n "$SECURITY" ]; then
      printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$SECURITY" "$SUITE"
    fi
  } >"$r/etc/apt/sources.list.d/debian.sources"
}

# The recipe: what makes the debootstrapped tree a golden image that every server can share.
recipe() {
  local r=$1
  # Per-server identity is generated by create-server: none may be shared through the image.
  rm -f "$r"/etc/ssh/ssh_host_*
  : >"$r/etc/machine-id"
  if [ -e "$r/var/lib/dbus/machine-id" ] || [ -L "$r/var/lib/dbus/machine-id" ]; then
    ln -sf /etc/machine-id "$r/var/lib/dbus/machine-id"
  fi
  echo asd-lab-image >"$r/etc/hostname"
  # Key-only SSH from the first boot; the Ansible roles harden the rest (ANSSI BP-028).
  install -d -m 0755 "$r/etc/ssh/sshd_config.d"
  cat >"$r/etc/ssh/sshd_config.d/10-asd-lab.conf" <<'EOF'
# asd-lab golden image: key-only SSH, no direct root login.
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
EOF
  # Static addresses come from one systemd-networkd file per server.
  in_chroot "$r" systemctl enable systemd-networkd.service >/dev/null 2>&1
  # The kernel's audit interface exists only in the host's namespaces: auditd runs in VMs, not in
  # containers, where it would only leave a failed unit.
  install -d -m 0755 "$r/etc/systemd/system/auditd.service.d"
  printf '[Unit]\n# asd-lab: kernel auditing is not available inside a container\nConditionVirtualization=!container\n' \
    >"$r/etc/systemd/system/auditd.service.d/asd-lab-container.conf"
  # fail2ban's Debian defaults read /var/log/auth.log, which a journald-only server lacks: the unit
  # would fail on every new server. The hardening role configures it (journal backend) and enables it.
  in_chroot "$r" systemctl disable fail2ban.service >/dev/null 2>&1 || true
  # Module services (database, monitoring, logs) are in the image so that servers without outbound
  # access can run them, but off: each module role enables what its server runs (least
  # functionality, ANSSI R62). Debian's postinst creates a PostgreSQL cluster "15/main": the data
  # role creates its own, with its own layout, so none is shared through the image.
  local unit
  for unit in $IMAGE_SERVICES_OFF; do
    in_chroot "$r" systemctl disable "$unit" >/dev/null 2>&1 || true
  done
  if [ -d "$r/etc/postgresql/15/main" ]; then
    in_chroot "$r" pg_dropcluster 15 main >/dev/null 2>&1 || die "could not drop the image's default PostgreSQL cluster"
  fi
  in_chroot "$r" apt-get clean
}

build_rootfs() {
  local dir=$1 tmp="$IMAGES/.build-$HASH" started=$SECONDS
  rm -rf "$tmp"
  mkdir -p "$tmp"
  info "building golden image $HASH: debootstrap $SUITE from $MIRROR (a few minutes)"
  debootstrap --variant=minbase --components=main "$SUITE" "$tmp/rootfs" "$MIRROR" >"$tmp/debootstrap.log" 2>&1 ||
    die "debootstrap failed (log: $tmp/debootstrap.log): $(tail -n 3 "$tmp/debootstrap.log" | tr '\n' ' ')"
  write_sources "$tmp/rootfs"
  chroot_setup "$tmp/rootfs"
  info "installing $(packages "${PKG_LIST[@]}" | wc -l) packages and the pending updates"
  {
    in_chroot "$tmp/rootfs" apt-get update &&
      in_chroot "$tmp/rootfs" apt-get install -y --no-install-recommends $(packages "${PKG_LIST[@]}") &&
      in_chroot "$tmp/rootfs" apt-get -y upgrade
  } >"$tmp/apt.log" 2>&1 || die "apt-get failed in the image (log: $tmp/apt.log): $(tail -n 3 "$tmp/apt.log" | tr '\n' ' ')"
  recipe "$tmp/rootfs"
  chroot_teardown "$tmp/rootfs"
  install -d -m 0755 "$tmp/rootfs/usr/share/asd-lab"
  in_chroot "$tmp/rootfs" dpkg-query -W -f '${Package} ${Version}\n' >"$tmp/rootfs/usr/share/asd-lab/packages.txt"
  # Written last: its presence marks a complete image.
  printf 'IMAGE=%s\nRECIPE=%s\nSUITE=%s\nMIRROR=%s\nBUILT=%s\n' "$HASH" "$RECIPE_VERSION" "$SUITE" "$MIRROR" \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$tmp/rootfs/etc/asd-lab-image"
  rm -rf "$dir"
  mkdir -p "$dir"
  mv "$tmp/rootfs" "$dir/rootfs"
  mv "$tmp"/*.log "$dir/" 2>/dev/null || true
  rm -rf "$tmp"
  info "golden image $HASH built in $((SECONDS - started)) s"
}

# The VM variant: a layer (overlay upper directory) with the cloud kernel and the seed hook, then a
# bootable ext4 disk of lower+layer converted to qcow2, used read-only as the backing file of VMs.
build_vm() {
  local dir=$1 vmdir="$1/vm-$VM_HASH" tmp="$1/.build-vm-$VM_HASH" started=$SECONDS merged
  rm -rf "$tmp"
  mkdir -p "$tmp/layer" "$tmp/work" "$tmp/merged"
  merged=$tmp/merged
  info "building the VM variant $VM_HASH of image $HASH (cloud kernel, initramfs, qcow2 disk)"
  mount_tracked -t overlay overlay -o "lowerdir=$dir/rootfs,upperdir=$tmp/layer,workdir=$tmp/work" "$merged"
  # The seed hook must be in place before the kernel's postinst builds the initramfs.
  install -d -m 0755 "$merged/etc/initramfs-tools/hooks" "$merged/etc/initramfs-tools/scripts/local-bottom"
  install -m 0755 "$SCRIPT_DIR/image/initramfs-hook" "$merged/etc/initramfs-tools/hooks/asd-lab-seed"
  install -m 0755 "$SCRIPT_DIR/image/initramfs-seed" "$merged/etc/initramfs-tools/scripts/local-bottom/asd-lab-seed"
  printf '# asd-lab VM: root is the whole virtio disk (no partition table), kernel booted by qemu\n/dev/vda / ext4 errors=remount-ro 0 1\n' >"$merged/etc/fstab"
  chroot_setup "$merged"
  {
    in_chroot "$merged" apt-get update &&
      in_chroot "$merged" apt-get install -y --no-install-recommends $(packages "$VM_LIST") &&
      in_chroot "$merged" apt-get clean
  } >"$tmp/apt.log" 2>&1 || die "apt-get failed in the VM layer (log: $tmp/apt.log): $(tail -n 3 "$tmp/apt.log" | tr '\n' ' ')"
  chroot_teardown "$merged"
  local kernel initrd
  # chroot_teardown unmounted the overlay: the kernel is a new file, so it is in the layer itself.
  kernel=$(find "$tmp/layer/boot" -name 'vmlinuz-*' 2>/dev/null | sort -V | tail -n 1)
  initrd=$(find "$tmp/layer/boot" -name 'initrd.img-*' 2>/dev/null | sort -V | tail -n 1)
  [ -n "$kernel" ] && [ -n "$initrd" ] || die "the VM layer has no kernel or initrd in /boot (log: $tmp/apt.log)"
  cp "$kernel" "$tmp/vmlinuz"
  cp "$initrd" "$tmp/initrd.img"
  # Disk of the whole tree (image + layer), read through a read-only overlay of both.
  mount_tracked -t overlay overlay -o "ro,lowerdir=$tmp/layer:$dir/rootfs" "$merged"
  mkfs.ext4 -q -L asd-root -d "$merged" "$tmp/root.raw" 4G >"$tmp/mkfs.log" 2>&1 ||
    die "mkfs.ext4 -d failed (log: $tmp/mkfs.log)"
  unmount_all
  qemu-img convert -O qcow2 "$tmp/root.raw" "$tmp/base.qcow2"
  rm -f "$tmp/root.raw"
  rmdir "$tmp/merged"
  rm -rf "$tmp/work"
  rm -rf "$vmdir"
  mv "$tmp" "$vmdir"
  info "VM variant $VM_HASH built in $((SECONDS - started)) s"
}

DIR=$IMAGES/$HASH
if [ "$FORCE" = 0 ] && [ -f "$DIR/rootfs/etc/asd-lab-image" ]; then
  info "golden image $HASH is up to date (cached in $DIR)"
else
  build_rootfs "$DIR"
fi
ln -sfn "$HASH" "$IMAGES/current"
if [ "$VM" = 1 ]; then
  if [ "$FORCE" = 0 ] && [ -f "$DIR/vm-$VM_HASH/base.qcow2" ]; then
    info "VM variant $VM_HASH is up to date (cached in $DIR/vm-$VM_HASH)"
  else
    build_vm "$DIR"
  fi
  ln -sfn "vm-$VM_HASH" "$DIR/vm-current"
fi

# Prune images that are neither current nor used by a server (their lower directory must stay).
used=$(cat "$STATE"/servers/*/server.env 2>/dev/null | sed -n 's/^IMAGE=//p' | sort -u || true)
for d in "$IMAGES"/*; do
  h=$(basename "$d")
  [ -d "$d" ] && [ ! -L "$d" ] && [[ $h =~ ^[0-9a-f]{12}$ ]] || continue
  [ "$h" = "$HASH" ] && continue
  grep -qx "$h" <<<"$used" && continue
  info "removing unused image $h"
  rm -rf "$d"
done
# Same for VM variants of the current image.
used_vm=$(cat "$STATE"/servers/*/server.env 2>/dev/null | sed -n 's/^VM_IMAGE=//p' | sort -u || true)
current_vm=$(readlink "$DIR/vm-current" 2>/dev/null || true)
for d in "$DIR"/vm-*; do
  v=$(basename "$d")
  [ -d "$d" ] && [ ! -L "$d" ] || continue
  [ "$v" = "$current_vm" ] && continue
  grep -qx "$v" <<<"$used_vm" && continue
  info "removing unused VM variant $v"
  rm -rf "$d"
done
echo "IMAGE=$DIR"

#!/usr/bin/env bash
# create-server.sh — create (or start again) one lab server on this host, from the golden image.
# scripts/create_server.py does the same job with the same arguments; scripts/New-LabServer.ps1 is
# its Hyper-V counterpart. asd-lab's TypeScript driver (src/targets/local/) calls this script.
set -Eeuo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"

usage() {
  cat <<'EOF'
Usage: create-server.sh --name NAME --role ROLE --memory MIB --cpus CPUS --network BRIDGE
                        --address ADDRESS/PREFIX --gateway ADDRESS --ssh-key FILE
                        [--driver container|vm] [--state-dir DIR] [--accel auto|kvm|tcg]
                        [--timeout SECONDS] [--cohort NAME] [--candidate ID]

Creates one server of asd-lab's local target and waits until its SSH server answers.
The server boots the golden image (scripts/build-image.sh) with its own identity: hostname,
machine-id, SSH host keys, a static address (systemd-networkd) and the user asd-admin, whose
authorized key is FILE and who may use sudo without a password (Ansible connects as asd-admin).

Drivers:
  container  overlayfs (per-server upper directory) over the read-only image, booted by
             systemd-nspawn --boot, plugged into BRIDGE through a veth pair; memory and CPU
             caps are written to the server's own cgroup (v2, or v1 on hybrid hosts)
  vm         qemu: qcow2 disk whose backing file is the image's disk, direct boot of Debian's
             cloud kernel, a seed disk with the server's identity, a tap interface on BRIDGE;
             KVM when it works, else software emulation (TCG, about a minute to boot)

Idempotent: when the server already runs, nothing changes (and the script says so); when it
exists but is stopped (e.g. after a host reboot), it is started again with its own disk. Asking
for different settings than those of the existing server is an error: destroy it first.
Every check runs before anything is created.

Options:
  --name NAME              server (and machine) name, a DNS label of at most 63 characters
  --role ROLE              role label (gateway, app, db, mon, k8s...), stored in /etc/asd-lab/server
  --memory MIB             memory cap in MiB (128 to 16384)
  --cpus CPUS              CPU cap, in CPUs (0.1 to 16)
  --network BRIDGE         the candidate's bridge (scripts/lab-network.sh up)
  --address ADDRESS/PREFIX static address of the server, e.g. 10.98.0.10/24
  --gateway ADDRESS        host address on the bridge, e.g. 10.98.0.1
  --ssh-key FILE           OpenSSH public key(s) for asd-admin (authorized_keys format)
  --driver DRIVER          container (default) or vm
  --state-dir DIR          state directory (default: $ASD_LAB_STATE, else /var/lib/asd-lab for
                           root, else ./.asd-lab)
  --accel ACCEL            vm driver: auto (default: KVM if a probe boot works, else TCG), kvm
                           (fail when KVM cannot boot Linux here) or tcg
  --timeout SECONDS        how long to wait for SSH (default: 60 container, 300 vm)
  --cohort NAME            label stored with the server (asd-lab's cohort)
  --candidate ID           label stored with the server (asd-lab's candidate)
  -h, --help               this help

Exit status: 0 server running and answering SSH, 2 bad arguments, 1 any other failure.
EOF
}

NAME=""; ROLE=""; MEMORY=""; CPUS=""; NETWORK=""; ADDRESS=""; GATEWAY=""; SSH_KEY=""
DRIVER=container; STATE=""; ACCEL=auto; TIMEOUT=""; COHORT=""; CANDIDATE=""
while [ $# -gt 0 ]; do
  opt=$1
  case $opt in
    -h|--help) usage; exit 0 ;;
    --*=*) set -- "${opt%%=*}" "${opt#*=}" "${@:2}"; continue ;;
    --name|--role|--memory|--cpus|--network|--address|--gateway|--ssh-key|--driver|--state-dir|--accel|--timeout|--cohort|--candidate)
      [ $# -ge 2 ] || usage_error "$opt needs a value" ;;
    *) usage_error "unknown argument '$opt'" ;;
  esac
  case $opt in
    --name) NAME=$2 ;; --role) ROLE=$2 ;; --memory) MEMORY=$2 ;; --cpus) CPUS=$2 ;;
    --network) NETWORK=$2 ;; --address) ADDRESS=$2 ;; --gateway) GATEWAY=$2 ;; --ssh-key) SSH_KEY=$2 ;;
    --driver) DRIVER=$2 ;; --state-dir) STATE=$2 ;; --accel) ACCEL=$2 ;; --timeout) TIMEOUT=$2 ;;
    --cohort) COHORT=$2 ;; --candidate) CANDIDATE=$2 ;;
  esac
  shift 2
done

# --- arguments ------------------------------------------------------------------------------------
for req in name role memory cpus network address gateway ssh-key; do
  var=${req//-/_}; var=${var^^}
  [ -n "${!var}" ] || usage_error "--$req is required"
done
valid_name "$NAME" || usage_error "--name '$NAME' must be a DNS label (lowercase letters, digits, '-', starting with a letter, at most 63 characters)"
[[ $ROLE =~ ^[a-z][a-z0-9-]{0,31}$ ]] || usage_error "--role '$ROLE' must be a lowercase word such as gateway, app, db, mon or k8s"
[[ $MEMORY =~ ^[0-9]+$ ]] && [ "$MEMORY" -ge 128 ] && [ "$MEMORY" -le 16384 ] ||
  usage_error "--memory '$MEMORY' must be a whole number of MiB between 128 and 16384"
[[ $CPUS =~ ^[0-9]+(\.[0-9]+)?$ ]] && awk -v c="$CPUS" 'BEGIN { exit !(c >= 0.1 && c <= 16) }' ||
  usage_error "--cpus '$CPUS' must be a number of CPUs between 0.1 and 16"
valid_ifname "$NETWORK" || usage_error "--network '$NETWORK' is not a valid interface name (1 to 15 characters)"
valid_cidr4 "$ADDRESS" || usage_error "--address '$ADDRESS' must be an IPv4 address with a prefix length, e.g. 10.98.0.10/24"
valid_ip4 "$GATEWAY" || usage_error "--gateway '$GATEWAY' must be an IPv4 address, e.g. 10.98.0.1"
case $DRIVER in container|vm) ;; *) usage_error "--driver '$DRIVER' must be 'container' or 'vm'" ;; esac
case $ACCEL in auto|kvm|tcg) ;; *) usage_error "--accel '$ACCEL' must be auto, kvm or tcg" ;; esac
[ -z "$TIMEOUT" ] || { [[ $TIMEOUT =~ ^[0-9]+$ ]] && [ "$TIMEOUT" -ge 1 ]; } || usage_error "--timeout '$TIMEOUT' must be a whole number of seconds"
[ -n "$TIMEOUT" ] || { [ "$DRIVER" = vm ] && TIMEOUT=300 || TIMEOUT=60; }
[ -z "$COHORT" ] || valid_name "$COHORT" || usage_error "--cohort '$COHORT' must be a DNS label"
[ -z "$CANDIDATE" ] || valid_name "$CANDIDATE" || usage_error "--candidate '$CANDIDATE' must be a DNS label"
ip2int() { local IFS=.; set -- $1; echo $(( ($1 << 24) | ($2 << 16) | ($3 << 8) | $4 )); }
PREFIX=${ADDRESS#*/}; IP=${ADDRESS%/*}
MASK=$(( (0xFFFFFFFF << (32 - PREFIX)) & 0xFFFFFFFF ))
[ $(( $(ip2int "$IP") & MASK )) -eq $(( $(ip2int "$GATEWAY") & MASK )) ] ||
  usage_error "--gateway $GATEWAY is not in the subnet of --address $ADDRESS"
[ "$IP" != "$GATEWAY" ] || usage_error "--address and --gateway are both $GATEWAY"
host_part=$(( $(ip2int "$IP") & ~MASK & 0xFFFFFFFF ))
[ "$host_part" -ne 0 ] && [ "$host_part" -ne $(( ~MASK & 0xFFFFFFFF )) ] ||
  usage_error "--address $ADDRESS is the network or broadcast address of its subnet"
[ -f "$SSH_KEY" ] && [ -r "$SSH_KEY" ] || usage_error "--ssh-key '$SSH_KEY' is not a readable file"
grep -q 'PRIVATE KEY' "$SSH_KEY" && usage_error "--ssh-key '$SSH_KEY' is a PRIVATE key: give the public key (.pub)"
grep -Eq '^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/=]+' "$SSH_KEY" ||
  usage_error "--ssh-key '$SSH_KEY' holds no OpenSSH public key line (such as 'ssh-ed25519 AAAA... comment')"
[ -n "$STATE" ] || STATE=$(default_state_dir)

# --- host prerequisites ---------------------------------------------------------------------------
need_root
need_tool ip iproute2
need_tool ssh-keygen openssh-client
need_tool chroot coreutils
need_tool mount mount
need_tool setsid util-linux
need_tool flock util-linux
if [ "$DRIVER" = container ]; then
  need_tool systemd-nspawn systemd-container
else
  need_tool qemu-system-x86_64 qemu-system-x86
  need_tool qemu-img qemu-utils
  need_tool mkfs.ext4 e2fsprogs
fi
CGROUPS=$(cgroup_mode)
[ "$CGROUPS" != none ] || die "no cgroup memory and cpu controllers under /sys/fs/cgroup (neither v2 nor v1): cannot cap the server's memory and CPU"
[[ $(ip -o link show dev "$NETWORK" 2>/dev/null || true) == *' alias asd-lab'* ]] ||
  die "bridge '$NETWORK' does not exist or was not made by asd-lab: run scripts/lab-network.sh up --bridge $NETWORK --gateway $GATEWAY/$PREFIX first"
ip -o -4 addr show dev "$NETWORK" | awk '{ print $4 }' | grep -qx "$GATEWAY/$PREFIX" ||
  die "bridge '$NETWORK' does not hold the gateway $GATEWAY/$PREFIX: run scripts/lab-network.sh up --bridge $NETWORK --gateway $GATEWAY/$PREFIX"

SERVERS=$STATE/servers
S=$SERVERS/$NAME
mkdir -p "$SERVERS"
exec 8>"$SERVERS/.$NAME.lock"
flock 8 # one create/destroy of this server at a time

KEY_SHA=$(sha256sum <"$SSH_KEY" | cut -c1-64)
CPU_QUOTA=$(awk -v c="$CPUS" 'BEGIN { printf "%d", c * 100000 }')
read_env() { sed -n "s/^$1=//p" "$S/server.env" 2>/dev/null || true; }

# --- an existing server: same settings, then start it if it is stopped ---------------------------
EXISTS=0
if [ -f "$S/server.env" ]; then
  EXISTS=1
  for pair in ROLE:"$ROLE" MEMORY_MIB:"$MEMORY" CPUS:"$CPUS" NETWORK:"$NETWORK" ADDRESS:"$ADDRESS" GATEWAY:"$GATEWAY" DRIVER:"$DRIVER" SSH_KEY_SHA256:"$KEY_SHA"; do
    k=${pair%%:*}; v=${pair#*:}
    [ "$(read_env "$k")" = "$v" ] ||
      die "server '$NAME' exists with $k=$(read_env "$k"), not $v: destroy it first (scripts/destroy-server.sh --name $NAME --state-dir $STATE)"
  done
elif [ -d "$S" ]; then
  # A creation that stopped half way: nothing in it is trusted, start from scratch.
  warn "removing the unfinished server directory $S"
  mountpoint -q "$S/merged" && umount "$S/merged"
  rm -rf "$S"
fi
# The address belongs to one server only.
for f in "$SERVERS"/*/server.env; do
  [ -f "$f" ] || continue
  other=$(basename "$(dirname "$f")")
  [ "$other" = "$NAME" ] && continue
  [ "$(sed -n 's/^ADDRESS=//p' "$f")" = "$ADDRESS" ] && die "address $ADDRESS is already used by server '$other'"
done

# --- images ---------------------------------------------------------------------------------------
if [ "$EXISTS" = 1 ]; then
  IMAGE=$(read_env IMAGE); VM_IMAGE=$(read_env VM_IMAGE)
else
  IMAGE=$(readlink "$STATE/image/current" 2>/dev/null || true)
  VM_IMAGE=""
  [ -n "$IMAGE" ] && [ -f "$STATE/image/$IMAGE/rootfs/etc/asd-lab-image" ] ||
    die "no golden image in $STATE/image: build it with scripts/build-image.sh --state-dir $STATE"
  if [ "$DRIVER" = vm ]; then
    VM_IMAGE=$(readlink "$STATE/image/$IMAGE/vm-current" 2>/dev/null || true)
    [ -n "$VM_IMAGE" ] && [ -f "$STATE/image/$IMAGE/$VM_IMAGE/base.qcow2" ] ||
      die "no VM variant of the golden image: build it with scripts/build-image.sh --vm --state-dir $STATE"
  fi
fi
LOWER=$STATE/image/$IMAGE/rootfs
VMDIR=$STATE/image/$IMAGE/$VM_IMAGE
[ -d "$LOWER" ] || die "image $IMAGE of server '$NAME' is gone from $STATE/image: destroy the server and create it again"

# --- VM acceleration: decided before anything is created -----------------------------------------
# Nested KVM may exist (/dev/kvm) yet never boot Linux: scripts/kvm-probe.sh boots the image's
# kernel once with KVM and caches its verdict.
kvm_usable() {
  local res rc=0
  res=$("$SCRIPT_DIR/kvm-probe.sh" --kernel "$VMDIR/vmlinuz" --cache "$STATE/kvm-probe") || rc=$?
  KVM_WHY=$(sed -n 's/^REASON=//p' <<<"$res")
  [ "$rc" -eq 0 ]
}
if [ "$DRIVER" = vm ]; then
  case $ACCEL in
    tcg) USE_ACCEL=tcg ;;
    kvm) kvm_usable || die "--accel kvm: KVM is not usable on this host: $KVM_WHY; use --accel tcg (software emulation) or --accel auto"; USE_ACCEL=kvm ;;
    auto) if kvm_usable; then USE_ACCEL=kvm; else USE_ACCEL=tcg; fi ;;
  esac
fi

# --- running already? ------------------------------------------------------------------------------
COMM=systemd-nspawn
[ "$DRIVER" = vm ] && COMM=qemu-system-x86
if [ "$EXISTS" = 1 ] && is_alive "$S/pid" "$COMM"; then
  info "server '$NAME' is already running ($DRIVER, $ADDRESS, pid $(cat "$S/pid")): nothing changed"
  wait_ssh "$IP" "$TIMEOUT" || die "server '$NAME' runs but its SSH server does not answer on $IP:22 (console: $S/console.log)"
  exit 0
fi

# --- the server's identity, written into its root filesystem ---------------------------------------
customize() {
  local r=$1 t uid gid
  printf '%s\n' "$NAME" >"$r/etc/hostname"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n' "$NAME" >"$r/etc/hosts"
  od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$r/etc/machine-id"
  echo >>"$r/etc/machine-id"
  install -d -m 0755 "$r/etc/systemd/network"
  cat >"$r/etc/systemd/network/10-asd-lab.network" <<EOF
# asd-lab: static address of $NAME (host0 in a container, the virtio NIC in a VM).
[Match]
Name=host0 en* eth*

[Network]
Address=$ADDRESS
Gateway=$GATEWAY
LinkLocalAddressing=no
IPv6AcceptRA=no
EOF
  chmod 0644 "$r/etc/systemd/network/10-asd-lab.network"
  for t in rsa ecdsa ed25519; do
    rm -f "$r/etc/ssh/ssh_host_${t}_key" "$r/etc/ssh/ssh_host_${t}_key.pub"
    ssh-keygen -q -t "$t" -N '' -C "root@$NAME" -f "$r/etc/ssh/ssh_host_${t}_key"
  done
  if ! chroot "$r" getent passwd asd-admin >/dev/null; then
    chroot "$r" useradd --create-home --shell /bin/bash --password '*' --comment 'asd-lab administrator (Ansible)' asd-admin
  fi
  uid=$(chroot "$r" id -u asd-admin); gid=$(chroot "$r" id -g asd-admin)
  install -d -m 0700 -o "$uid" -g "$gid" "$r/home/asd-admin/.ssh"
  install -m 0600 -o "$uid" -g "$gid" "$SSH_KEY" "$r/home/asd-admin/.ssh/authorized_keys"
  printf 'asd-admin ALL=(ALL:ALL) NOPASSWD: ALL\n' >"$r/etc/sudoers.d/90-asd-admin"
  chmod 0440 "$r/etc/sudoers.d/90-asd-admin"
  chroot "$r" visudo -cqf /etc/sudoers.d/90-asd-admin || die "the sudoers file of '$NAME' is invalid"
  install -d -m 0755 "$r/etc/asd-lab"
  printf 'NAME=%s\nROLE=%s\nADDRESS=%s\nCOHORT=%s\nCANDIDATE=%s\n' "$NAME" "$ROLE" "$ADDRESS" "$COHORT" "$CANDIDATE" >"$r/etc/asd-lab/server"
  chmod 0644 "$r/etc/asd-lab/server"
}

# Host-side copy of the public host keys: asd-lab writes known_hosts from them (strict checking).
keep_host_keys() {
  local r=$1 t
  : >"$S/known_host_keys"
  for t in ed25519 ecdsa rsa; do
    printf '%s %s\n' "${IP}" "$(cut -d' ' -f1,2 "$r/etc/ssh/ssh_host_${t}_key.pub")" >>"$S/known_host_keys"
  done
}

mount_overlay() {
  local lower=$1
  mountpoint -q "$S/merged" || mount -t overlay overlay -o "lowerdir=$lower,upperdir=$S/upper,workdir=$S/work" "$S/merged"
}

write_env() {
  cat >"$S/server.env" <<EOF
NAME=$NAME
ROLE=$ROLE
MEMORY_MIB=$MEMORY
CPUS=$CPUS
NETWORK=$NETWORK
ADDRESS=$ADDRESS
GATEWAY=$GATEWAY
SSH_KEY=$(realpath "$SSH_KEY")
SSH_KEY_SHA256=$KEY_SHA
DRIVER=$DRIVER
IMAGE=$IMAGE
VM_IMAGE=$VM_IMAGE
COHORT=$COHORT
CANDIDATE=$CANDIDATE
TAP=$TAP
MAC=$MAC
EOF
}

# Deterministic, collision-resistant names derived from the server name.
H=$(printf '%s' "$NAME" | sha256sum)
TAP="asdv-${H:0:10}"
MAC="52:54:00:${H:10:2}:${H:12:2}:${H:14:2}"
[ "$DRIVER" = vm ] || { TAP=""; MAC=""; }

started=$SECONDS
if [ "$EXISTS" = 0 ]; then
  install -d -m 0700 "$S"
  mkdir -p "$S/upper" "$S/work" "$S/merged"
  if [ "$DRIVER" = container ]; then
    mount_overlay "$LOWER"
    customize "$S/merged"
    keep_host_keys "$S/merged"
  else
    # The identity is prepared exactly as for a container, in an overlay upper directory; that
    # directory becomes the seed disk that the VM's initramfs copies over its root on first boot.
    mount_overlay "$VMDIR/layer:$LOWER"
    customize "$S/merged"
    keep_host_keys "$S/merged"
    umount "$S/merged"
    if [ -n "$(find "$S/upper" -type c -print -quit)" ]; then
      die "the identity of '$NAME' deletes files of the image (overlay whiteouts), which a seed disk cannot carry"
    fi
    mkfs.ext4 -q -L asd-seed -d "$S/upper" "$S/seed.img" 64M >/dev/null
    qemu-img create -q -f qcow2 -F qcow2 -b "$VMDIR/base.qcow2" "$S/disk.qcow2"
    rm -rf "$S/upper" "$S/work" "$S/merged"
  fi
  write_env
  info "server '$NAME' prepared ($DRIVER, image $IMAGE${VM_IMAGE:+/$VM_IMAGE})"
else
  info "server '$NAME' exists but is stopped: starting it again"
  if [ "$DRIVER" = container ]; then mount_overlay "$LOWER"; fi
fi

# --- caps: the server's own cgroup, since there may be no systemd on the host to ask -------------
CG_DIRS=()
setup_cgroup() {
  local mem_bytes=$(( $1 * 1048576 ))
  case $CGROUPS in
    v2)
      local base=/sys/fs/cgroup/asd-lab
      mkdir -p "$base"
      grep -qw memory /sys/fs/cgroup/cgroup.subtree_control || echo +memory >/sys/fs/cgroup/cgroup.subtree_control
      grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control || echo +cpu >/sys/fs/cgroup/cgroup.subtree_control
      grep -qw memory "$base/cgroup.subtree_control" || echo +memory >"$base/cgroup.subtree_control"
      grep -qw cpu "$base/cgroup.subtree_control" || echo +cpu >"$base/cgroup.subtree_control"
      mkdir -p "$base/$NAME"
      echo "$mem_bytes" >"$base/$NAME/memory.max"
      echo "$CPU_QUOTA 100000" >"$base/$NAME/cpu.max"
      CG_DIRS=("$base/$NAME") ;;
    v1)
      mkdir -p "/sys/fs/cgroup/memory/asd-lab/$NAME" "/sys/fs/cgroup/cpu/asd-lab/$NAME"
      echo "$mem_bytes" >"/sys/fs/cgroup/memory/asd-lab/$NAME/memory.limit_in_bytes"
      echo 100000 >"/sys/fs/cgroup/cpu/asd-lab/$NAME/cpu.cfs_period_us"
      echo "$CPU_QUOTA" >"/sys/fs/cgroup/cpu/asd-lab/$NAME/cpu.cfs_quota_us"
      CG_DIRS=("/sys/fs/cgroup/memory/asd-lab/$NAME" "/sys/fs/cgroup/cpu/asd-lab/$NAME")
      # Hybrid hosts: a server's systemd keeps its units under the cgroup it starts in, in the
      # name=systemd and unified hierarchies. Each server needs its own there too: in a shared one
      # the servers' systemd instances remove each other's unit cgroups (units then fail to start
      # with status 219/CGROUP).
      local h
      for h in systemd unified; do
        if [ -e "/sys/fs/cgroup/$h/cgroup.procs" ]; then
          mkdir -p "/sys/fs/cgroup/$h/asd-lab/$NAME"
          CG_DIRS+=("/sys/fs/cgroup/$h/asd-lab/$NAME")
        fi
      done ;;
  esac
}

# Start COMMAND... in a new session, inside the cgroup from its first instruction: the wrapper
# joins the cgroup, then execs the command, so that every child process is capped too.
start_capped() {
  local dirs
  dirs=$(IFS=:; echo "${CG_DIRS[*]}")
  ASD_CGROUPS=$dirs setsid bash -c 'IFS=:; for d in $ASD_CGROUPS; do echo $$ >"$d/cgroup.procs"; done; exec "$@"' asd-lab-start "$@" \
    </dev/null >>"$S/console.log" 2>&1 8>&- &
  LAST_PID=$!
}

rm -f "$S/pid"
if [ "$DRIVER" = container ]; then
  setup_cgroup "$MEMORY"
  start_capped systemd-nspawn --quiet --register=no --keep-unit --boot --machine="$NAME" --directory="$S/merged" \
    --network-bridge="$NETWORK" --console=read-only --resolv-conf=off --timezone=off --link-journal=no
  echo "$LAST_PID" >"$S/pid"
else
  # Guest RAM is --memory; the cgroup also leaves room for qemu itself (translation cache, devices).
  setup_cgroup $(( MEMORY + 256 ))
  ip link show dev "$TAP" >/dev/null 2>&1 || ip tuntap add dev "$TAP" mode tap
  ip link set dev "$TAP" master "$NETWORK"
  ip link set dev "$TAP" up
  SMP=$(awk -v c="$CPUS" 'BEGIN { n = int(c); if (n < c) n++; print n }')
  if [ "$USE_ACCEL" = kvm ]; then ACCEL_ARGS=(-accel kvm -cpu host); else ACCEL_ARGS=(-accel tcg,tb-size=64); fi
  start_capped qemu-system-x86_64 -name "$NAME" -machine pc "${ACCEL_ARGS[@]}" -m "$MEMORY" -smp "$SMP" \
    -kernel "$VMDIR/vmlinuz" -initrd "$VMDIR/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0 asd_lab_seed=/dev/vdb panic=-1" \
    -drive "file=$S/disk.qcow2,if=virtio,format=qcow2" \
    -drive "file=$S/seed.img,if=virtio,format=raw,readonly=on" \
    -netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no" -device "virtio-net-pci,netdev=n0,mac=$MAC" \
    -display none -monitor none -serial "file:$S/serial.log" -no-reboot -pidfile "$S/pid" -daemonize
  wait "$LAST_PID" || die "qemu did not start (log: $S/console.log): $(tail -n 3 "$S/console.log" | tr '\n' ' ')"
  info "accelerator: $USE_ACCEL"
fi

info "waiting for SSH on $IP:22 (at most $TIMEOUT s)"
while :; do
  if wait_ssh "$IP" 1; then break; fi
  is_alive "$S/pid" "$COMM" || die "server '$NAME' stopped while booting (log: $S/console.log${TAP:+, console: $S/serial.log}): $(tail -n 3 "$S/console.log" | tr '\n' ' ')"
  [ $((SECONDS - started)) -lt "$TIMEOUT" ] || die "server '$NAME' did not answer SSH on $IP:22 within $TIMEOUT s (log: $S/console.log${TAP:+, console: $S/serial.log}); it is left running: destroy it with scripts/destroy-server.sh --name $NAME"
done
info "server '$NAME' is running: $ADDRESS, ssh asd-admin@$IP ($((SECONDS - started)) s)"

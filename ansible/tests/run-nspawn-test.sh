#!/usr/bin/env bash
# End-to-end test of the asd-lab base roles on real Debian 12 servers (systemd-nspawn containers).
#
#  1. builds (or reuses) a debootstrapped Debian 12 root file system, cached at $ASD_TEST_ROOTFS;
#  2. boots one container per role ($ASD_TEST_ROLES) on a private bridge, each on its own overlay
#     of the cached root file system, with the admin account the creation scripts would make;
#  3. measures the lynis hardening index of the stock servers;
#  4. runs site.yml twice and requires the second run to report changed=0 (idempotence);
#  5. checks that SSH refuses passwords, keyboard-interactive and root, and accepts keys;
#  6. checks that the nftables input and forward chains drop by default;
#  7. measures the lynis hardening index again and requires >= $ASD_TEST_MIN_LYNIS;
#  8. stops the containers and removes the bridge, overlays and forwarder (trap, also on failure).
#
# Needs root, debootstrap, systemd-container, ansible, socat, sshpass (installed with apt-get when
# missing). Two network modes:
#  - online (default, like EC2): the containers reach the Debian mirror through a TCP forwarder on
#    the bridge address (socat), and the roles download what they install;
#  - offline (ASD_TEST_OFFLINE=1, like the local target): no forwarder, nothing leaves the bridge;
#    the root file system carries ../image-packages.txt (a second cached copy, rebuilt when that
#    list changes), and the roles must converge without any download.
#
# Environment (all optional):
#   ASD_TEST_ROOTFS        cached root file system     (/var/tmp/ansible-test/rootfs)
#   ASD_TEST_WORKDIR       where runs are made          (/var/tmp/ansible-test)
#   ASD_TEST_ROLES         servers to boot              ("gateway app db mon")
#   ASD_TEST_MIN_LYNIS     minimal hardening index      (85)
#   ASD_TEST_LAB_ENV       update stage of the servers  (prod)
#   ASD_TEST_BRIDGE        bridge name                  (asdtest0)
#   ASD_TEST_NET           /24 prefix of the bridge     (10.250.0)
#   ASD_TEST_MIRROR        Debian mirror host           (deb.debian.org)
#   ASD_TEST_SSH_TIMEOUT   seconds to wait for sshd     (120)
#   ASD_TEST_OFFLINE       1: servers without any network access beyond the bridge (see above)
#   ASD_TEST_KEEP          1: leave the run directory (logs, overlays) in place at the end
#   ASD_TEST_HOLD          1: before cleaning up, keep the servers running until $RUN/release exists
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ANSIBLE_DIR=$(dirname "$HERE")
ROOTFS=${ASD_TEST_ROOTFS:-/var/tmp/ansible-test/rootfs}
WORKDIR=${ASD_TEST_WORKDIR:-/var/tmp/ansible-test}
read -r -a ROLES <<<"${ASD_TEST_ROLES:-gateway app db mon}"
MIN_LYNIS=${ASD_TEST_MIN_LYNIS:-85}
LAB_ENV=${ASD_TEST_LAB_ENV:-prod}
BRIDGE=${ASD_TEST_BRIDGE:-asdtest0}
NET=${ASD_TEST_NET:-10.250.0}
MIRROR=${ASD_TEST_MIRROR:-deb.debian.org}
SSH_TIMEOUT=${ASD_TEST_SSH_TIMEOUT:-120}
KEEP=${ASD_TEST_KEEP:-0}
OFFLINE=${ASD_TEST_OFFLINE:-0}
HOLD=${ASD_TEST_HOLD:-0}
SUITE=bookworm
CANDIDATE=t1
ROOTFS_PACKAGES=systemd,systemd-sysv,dbus,openssh-server,python3,sudo,iproute2,nftables,ca-certificates,lynis

log() { printf '\n=== %s\n' "$*"; }
die() { printf '\nFAIL: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, systemd-nspawn and bridges need it)"
[ "${#ROLES[@]}" -ge 1 ] && [ "${#ROLES[@]}" -le 50 ] || die "ASD_TEST_ROLES must name 1 to 50 servers"
for r in "${ROLES[@]}"; do
  case "$r" in gateway|app|db|mon|k8s) ;; *) die "unknown role '$r' in ASD_TEST_ROLES (gateway app db mon k8s)";; esac
done

# --- Tools ----------------------------------------------------------------------------------------
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v systemd-nspawn >/dev/null || need+=(systemd-container)
command -v ansible-playbook >/dev/null || need+=(ansible)
command -v socat >/dev/null || need+=(socat)
command -v sshpass >/dev/null || need+=(sshpass)
if [ "${#need[@]}" -gt 0 ]; then
  log "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" >/dev/null
fi

# --- Cached root file system ---------------------------------------------------------------------
case "$(realpath -m "$ROOTFS")" in
  /|/usr|/var|/var/tmp|/etc|/home|/root) die "ASD_TEST_ROOTFS=$ROOTFS is not a dedicated directory";;
esac
if [ ! -x "$ROOTFS/usr/bin/python3" ] || [ ! -x "$ROOTFS/usr/sbin/lynis" ]; then
  log "building the Debian 12 root file system in $ROOTFS (cached for later runs)"
  rm -rf "$ROOTFS.tmp"
  mkdir -p "$(dirname "$ROOTFS")"
  debootstrap --include="$ROOTFS_PACKAGES" "$SUITE" "$ROOTFS.tmp" "http://$MIRROR/debian" >"$ROOTFS.build.log" 2>&1 \
    || die "debootstrap failed, see $ROOTFS.build.log"
  mv "$ROOTFS.tmp" "$ROOTFS"
fi
if [ ! -f "$ROOTFS/etc/asd-test-rootfs" ]; then
  log "adding the updates and security sources to $ROOTFS and upgrading it"
  # The sources of an installed Debian 12: main, updates and security.
  printf 'deb http://%s/debian %s main\ndeb http://%s/debian %s-updates main\ndeb http://%s/debian-security %s-security main\n' \
    "$MIRROR" "$SUITE" "$MIRROR" "$SUITE" "$MIRROR" "$SUITE" >"$ROOTFS/etc/apt/sources.list"
  # A fresh install carries the current security updates. The host's expiry check setting (off
  # when the mirror is a frozen snapshot) is passed on for this one command.
  valid_until=$(apt-config dump 2>/dev/null | sed -n 's/^Acquire::Check-Valid-Until "\(.*\)";$/\1/p')
  systemd-nspawn -q --register=no --keep-unit -D "$ROOTFS" --setenv=DEBIAN_FRONTEND=noninteractive \
    sh -c "apt-get -o Acquire::Check-Valid-Until=${valid_until:-true} update -q && apt-get -y -q upgrade && apt-get clean" \
    >>"$ROOTFS.build.log" 2>&1 || die "upgrade of the root file system failed, see $ROOTFS.build.log"
  date -u +%FT%TZ >"$ROOTFS/etc/asd-test-rootfs"
fi

# Offline mode: a copy of the root file system with the packages the roles need.
LOWER=$ROOTFS
if [ "$OFFLINE" = 1 ]; then
  LOWER="$ROOTFS-offline"
  want=$(sha256sum "$ANSIBLE_DIR/image-packages.txt" | cut -d' ' -f1)
  if [ "$(cat "$LOWER/etc/asd-test-packages" 2>/dev/null)" != "$want" ]; then
    log "building $LOWER: $ROOTFS + ansible/image-packages.txt"
    rm -rf "$LOWER.tmp" "$LOWER"
    cp -a "$ROOTFS" "$LOWER.tmp"
    mapfile -t pkgs < <(sed 's/#.*//' "$ANSIBLE_DIR/image-packages.txt" | tr -s ' \t' '\n' | grep -v '^$')
    valid_until=$(apt-config dump 2>/dev/null | sed -n 's/^Acquire::Check-Valid-Until "\(.*\)";$/\1/p')
    systemd-nspawn -q --register=no --keep-unit -D "$LOWER.tmp" --setenv=DEBIAN_FRONTEND=noninteractive \
      sh -c "apt-get -o Acquire::Check-Valid-Until=${valid_until:-true} update -q && apt-get install -y -q --no-install-recommends ${pkgs[*]} && apt-get clean" \
      >>"$ROOTFS.build.log" 2>&1 || die "installing image-packages.txt failed, see $ROOTFS.build.log"
    echo "$want" >"$LOWER.tmp/etc/asd-test-packages"
    mv "$LOWER.tmp" "$LOWER"
  fi
fi

# --- Run directory and cleanup -------------------------------------------------------------------
mkdir -p "$WORKDIR"
RUN=$(mktemp -d "$WORKDIR/run.XXXXXX")
declare -a NSPAWN_PIDS=() MERGED=() HOSTS=() IPS=()
SOCAT_PID=

cleanup() {
  local rc=$?
  set +e
  if [ "$HOLD" = 1 ] && [ "${#IPS[@]}" -gt 0 ]; then
    log "holding the servers (exit code $rc): ssh -i $RUN/id_admin -o UserKnownHostsFile=$RUN/known_hosts asd-admin@<${IPS[*]}>"
    echo "inventory: $RUN/inventory.yml; touch $RUN/release to clean up"
    until [ -e "$RUN/release" ]; do sleep 2; done
  fi
  log "cleaning up (exit code $rc)"
  for pid in "${NSPAWN_PIDS[@]}"; do
    # systemd-nspawn turns SIGTERM into a clean poweroff of the container.
    kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${NSPAWN_PIDS[@]}"; do
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null
  done
  [ -n "$SOCAT_PID" ] && kill "$SOCAT_PID" 2>/dev/null
  for m in "${MERGED[@]}"; do
    mountpoint -q "$m" && { umount "$m" 2>/dev/null || umount -l "$m"; }
  done
  ip link show "$BRIDGE" >/dev/null 2>&1 && ip link del "$BRIDGE"
  if [ "$KEEP" = 1 ]; then
    echo "run directory kept: $RUN"
  else
    mkdir -p "$WORKDIR/last-run"
    rm -rf "$WORKDIR/last-run"/*
    cp "$RUN"/*.log "$RUN"/*.dat "$RUN"/inventory.yml "$WORKDIR/last-run/" 2>/dev/null
    rm -rf "$RUN"
    echo "logs of this run: $WORKDIR/last-run"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Keys ----------------------------------------------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -C asd-admin@asd-test -f "$RUN/id_admin"
ssh-keygen -q -t ed25519 -N '' -C $CANDIDATE@asd-test -f "$RUN/id_candidate"
PWTEST_PASSWORD="Asd-Lab-Test-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
# LogLevel=ERROR: no login banner in the logs, errors still shown.
SSH_OPTS=(-o BatchMode=yes -o ConnectTimeout=5 -o IdentitiesOnly=yes -o LogLevel=ERROR
  -o UserKnownHostsFile="$RUN/known_hosts" -o StrictHostKeyChecking=accept-new)

# --- Network: a private bridge and a forwarder to the Debian mirror -------------------------------
ip link show "$BRIDGE" >/dev/null 2>&1 && ip link del "$BRIDGE"
ip link add "$BRIDGE" type bridge
ip addr add "$NET.1/24" dev "$BRIDGE"
ip link set "$BRIDGE" up
if [ "$OFFLINE" != 1 ]; then
  setsid socat "TCP-LISTEN:80,bind=$NET.1,reuseaddr,fork" "TCP:$MIRROR:80" >"$RUN/socat.log" 2>&1 </dev/null &
  SOCAT_PID=$!
fi

# --- Servers -------------------------------------------------------------------------------------
i=2
declare -A SEEN=()
for role in "${ROLES[@]}"; do
  SEEN[$role]=$(( ${SEEN[$role]:-0} + 1 ))
  server=$role
  [ "${SEEN[$role]}" -gt 1 ] && server="$role${SEEN[$role]}"
  host="$CANDIDATE-$server"
  ip="$NET.$i"
  HOSTS+=("$host"); IPS+=("$ip")
  d="$RUN/$host"
  mkdir -p "$d/upper" "$d/work" "$d/merged"
  mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$d/upper,workdir=$d/work" "$d/merged"
  MERGED+=("$d/merged")
  m="$d/merged"
  # What the server creation scripts provide: network, the admin account with the lab key and
  # passwordless sudo. The hostname is left generic on purpose: the common role must set it.
  echo "debian-$i" >"$m/etc/hostname"
  printf '127.0.1.1 debian-%s\n' "$i" >>"$m/etc/hosts"   # as the Debian installer does
  mkdir -p "$m/etc/systemd/network"
  printf '[Match]\nName=host0\n\n[Network]\nAddress=%s/24\nGateway=%s.1\n' "$ip" "$NET" >"$m/etc/systemd/network/10-asd-test-host0.network"
  ln -sf /lib/systemd/system/systemd-networkd.service "$m/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
  # No DNS in the test network: lookups fail at once on the bridge address instead of timing
  # out on the host's resolver (unreachable from the bridge). nspawn must not overwrite it.
  rm -f "$m/etc/resolv.conf"
  printf 'nameserver %s.1\n' "$NET" >"$m/etc/resolv.conf"
  # Online mode: the mirror is reached through the forwarder on the bridge.
  [ "$OFFLINE" = 1 ] || printf '%s.1 %s\n' "$NET" "$MIRROR" >>"$m/etc/hosts"
  # Test environment only: when the host's mirror is a frozen snapshot, the host has told APT not
  # to check the Release files' expiry; the servers need the same setting to use that mirror.
  if apt-config dump 2>/dev/null | grep -q '^Acquire::Check-Valid-Until "false"'; then
    echo 'Acquire::Check-Valid-Until "false";' >"$m/etc/apt/apt.conf.d/99asd-test-snapshot-mirror"
  fi
  chroot "$m" useradd -m -s /bin/bash asd-admin
  install -d -m 0700 -o "$(chroot "$m" id -u asd-admin)" -g "$(chroot "$m" id -g asd-admin)" "$m/home/asd-admin/.ssh"
  install -m 0600 -o "$(chroot "$m" id -u asd-admin)" -g "$(chroot "$m" id -g asd-admin)" "$RUN/id_admin.pub" "$m/home/asd-admin/.ssh/authorized_keys"
  printf 'asd-admin ALL=(ALL:ALL) NOPASSWD: ALL\n' >"$m/etc/sudoers.d/90-asd-admin"
  chmod 0440 "$m/etc/sudoers.d/90-asd-admin"
  # Controls for the access checks: root holds a valid key, pwtest a valid password.
  install -d -m 0700 "$m/root/.ssh"
  install -m 0600 "$RUN/id_admin.pub" "$m/root/.ssh/authorized_keys"
  chroot "$m" useradd -m -s /bin/bash pwtest
  echo "pwtest:$PWTEST_PASSWORD" | chroot "$m" chpasswd
  echo "root:$PWTEST_PASSWORD" | chroot "$m" chpasswd

  setsid systemd-nspawn --register=no --keep-unit --boot --quiet -D "$m" -M "$host" \
    --network-bridge="$BRIDGE" --resolv-conf=off >"$RUN/nspawn-$host.log" 2>&1 </dev/null &
  NSPAWN_PIDS+=($!)
  i=$((i + 1))
done

log "waiting for sshd on ${IPS[*]} (at most ${SSH_TIMEOUT}s)"
deadline=$((SECONDS + SSH_TIMEOUT))
for ip in "${IPS[@]}"; do
  until ssh "${SSH_OPTS[@]}" -i "$RUN/id_admin" "asd-admin@$ip" true 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || die "sshd on $ip did not answer within ${SSH_TIMEOUT}s (see $RUN/nspawn-*.log)"
    sleep 2
  done
done

on() { local ip=$1; shift; ssh "${SSH_OPTS[@]}" -i "$RUN/id_admin" "asd-admin@$ip" "$@"; }

lynis_index() { # ip tag -> prints the hardening index, keeps the report
  local ip=$1 tag=$2 host=$3
  on "$ip" sudo lynis audit system --quick --no-colors >"$RUN/lynis-$host-$tag.log" 2>&1 || true
  on "$ip" sudo cat /var/log/lynis-report.dat >"$RUN/lynis-$host-$tag.dat"
  on "$ip" sudo cat /var/log/lynis.log >"$RUN/lynis-$host-$tag.details.log"   # points per test
  sed -n 's/^hardening_index=//p' "$RUN/lynis-$host-$tag.dat"
}

lynis_all() { # tag -> runs lynis on every server at once
  local tag=$1 n pids=()
  for n in "${!HOSTS[@]}"; do lynis_index "${IPS[$n]}" "$tag" "${HOSTS[$n]}" >/dev/null & pids+=($!); done
  wait "${pids[@]}"   # not a bare wait: the containers are children of this shell too
}

log "lynis on the stock servers"
lynis_all before
declare -A BEFORE=()
for n in "${!HOSTS[@]}"; do
  BEFORE[${HOSTS[$n]}]=$(sed -n 's/^hardening_index=//p' "$RUN/lynis-${HOSTS[$n]}-before.dat")
  echo "${HOSTS[$n]}: hardening index ${BEFORE[${HOSTS[$n]}]}"
done

# --- Inventory (same format as the generated one, see ../README.md) ------------------------------
{
  echo "all:"
  echo "  vars:"
  echo "    lab_cohort: asd-test"
  echo "    lab_target: local"
  echo "    lab_admin_cidrs: []"
  echo "    lab_pki_dir: $RUN/pki"
  echo "    ansible_user: asd-admin"
  echo "    ansible_ssh_private_key_file: $RUN/id_admin"
  echo "    ansible_ssh_common_args: -o UserKnownHostsFile=$RUN/known_hosts -o StrictHostKeyChecking=accept-new"
  echo "  children:"
  for role in "${!SEEN[@]}"; do
    echo "    $role:"
    echo "      hosts:"
    for n in "${!HOSTS[@]}"; do
      [ "${ROLES[$n]}" = "$role" ] || continue
      echo "        ${HOSTS[$n]}:"
      echo "          ansible_host: ${IPS[$n]}"
      echo "          lab_ip: ${IPS[$n]}"
      echo "          lab_server: ${HOSTS[$n]#"$CANDIDATE-"}"
      echo "          lab_role: $role"
      echo "          lab_candidate: $CANDIDATE"
      echo "          lab_env: $LAB_ENV"
    done
  done
  echo "    cand_$CANDIDATE:"
  echo "      hosts:"
  for h in "${HOSTS[@]}"; do echo "        $h:"; done
  echo "      vars:"
  echo "        lab_subnet: $NET.0/24"
  echo "        lab_candidate_ssh_keys:"
  echo "          - $(cat "$RUN/id_candidate.pub")"
} >"$RUN/inventory.yml"

# --- Converge twice ------------------------------------------------------------------------------
export ANSIBLE_CONFIG="$ANSIBLE_DIR/ansible.cfg" ANSIBLE_FORCE_COLOR=0 ANSIBLE_NOCOLOR=1
converge() { # name -> runs site.yml, keeps the log, prints the duration
  local name=$1 t0=$SECONDS rc=0
  (cd "$ANSIBLE_DIR" && ansible-playbook -i "$RUN/inventory.yml" site.yml) >"$RUN/$name.log" 2>&1 || rc=$?
  echo "$name: $((SECONDS - t0))s, exit code $rc"
  sed -n '/^PLAY RECAP/,/^$/p' "$RUN/$name.log"
  [ "$rc" -eq 0 ] || { tail -n 60 "$RUN/$name.log"; die "$name failed (log: $RUN/$name.log)"; }
}
log "first converge"
converge converge-1
log "second converge (must change nothing)"
converge converge-2
recap=$(sed -n '/^PLAY RECAP/,/^$/p' "$RUN/converge-2.log" | grep -E 'ok=')
[ "$(grep -c . <<<"$recap")" -eq "${#HOSTS[@]}" ] || die "recap does not list every server"
if grep -Ev 'changed=0 .*unreachable=0 +failed=0' <<<"$recap"; then
  grep -E '^changed:' -A3 "$RUN/converge-2.log" | head -n 40
  die "second run is not idempotent (see $RUN/converge-2.log)"
fi
echo "idempotence: OK (changed=0 on every server)"

log "no failed systemd unit"
for n in "${!HOSTS[@]}"; do
  failed=$(on "${IPS[$n]}" systemctl --failed --no-legend --plain)
  [ -z "$failed" ] || die "${HOSTS[$n]}: failed units: $failed"
  echo "${HOSTS[$n]}: no failed unit"
done

# --- Access checks -------------------------------------------------------------------------------
log "SSH access checks"
CHECK_OPTS=(-o ConnectTimeout=5 -o UserKnownHostsFile="$RUN/known_hosts" -o StrictHostKeyChecking=accept-new
  -o NumberOfPasswordPrompts=1 -o LogLevel=ERROR)
for n in "${!HOSTS[@]}"; do
  ip=${IPS[$n]} host=${HOSTS[$n]}
  on "$ip" sudo usermod -aG ssh-users pwtest   # pwtest may log in except for the method
  out=$(sshpass -p "$PWTEST_PASSWORD" ssh "${CHECK_OPTS[@]}" -o PubkeyAuthentication=no \
        -o PreferredAuthentications=password "pwtest@$ip" true 2>&1) && die "$host: password login accepted"
  grep -q 'Permission denied (publickey)' <<<"$out" || die "$host: unexpected answer to a password login: $out"
  out=$(sshpass -p "$PWTEST_PASSWORD" ssh "${CHECK_OPTS[@]}" -o PubkeyAuthentication=no \
        -o PreferredAuthentications=keyboard-interactive "pwtest@$ip" true 2>&1) && die "$host: keyboard-interactive login accepted"
  grep -q 'Permission denied (publickey)' <<<"$out" || die "$host: unexpected answer to keyboard-interactive: $out"
  out=$(ssh "${SSH_OPTS[@]}" -i "$RUN/id_admin" "root@$ip" true 2>&1) && die "$host: root login accepted"
  out=$(sshpass -p "$PWTEST_PASSWORD" ssh "${CHECK_OPTS[@]}" -o PubkeyAuthentication=no "root@$ip" true 2>&1) && die "$host: root password login accepted"
  on "$ip" sudo gpasswd -d pwtest ssh-users >/dev/null
  ssh "${SSH_OPTS[@]}" -i "$RUN/id_candidate" "$CANDIDATE@$ip" sudo -n true || die "$host: the candidate cannot log in with a key and use sudo"
  ssh "${SSH_OPTS[@]}" -i "$RUN/id_admin" "asd-admin@$ip" sudo -n true || die "$host: asd-admin cannot log in with a key and use sudo"
  echo "$host: password, keyboard-interactive and root refused; key logins work"
done

# --- Firewall checks -----------------------------------------------------------------------------
log "nftables checks"
for n in "${!HOSTS[@]}"; do
  ip=${IPS[$n]} host=${HOSTS[$n]}
  rules=$(on "$ip" sudo nft list table inet asd_lab)
  grep -Eq 'hook input priority filter; policy drop;' <<<"$rules" || die "$host: input chain does not drop by default"
  grep -Eq 'hook forward priority filter; policy drop;' <<<"$rules" || die "$host: forward chain does not drop by default"
  on "$ip" sudo systemctl is-enabled nftables >/dev/null || die "$host: nftables is not enabled at boot"
  echo "$host: input and forward policies drop; ruleset loaded at boot"
done

# --- Staged updates ------------------------------------------------------------------------------
# The gate on a real upgrade: a local repository offers version 2 of an installed probe package
# (its name has the "." and "+" that the gate must quote); unattended-upgrades itself (dry run)
# must skip it on a prod server, take it once it is older than the delay, and take it at once on
# a test server.
log "staged security updates: the update gate on a real pending upgrade"
gate_probe=$(cat <<'PROBE'
set -eu
umask 022   # the servers' umask is 027 (R36); dpkg-deb wants a 0755 control directory
name='asd-gate.probe+x'
work=$(mktemp -d /var/cache/apt/asd-gate-probe.XXXXXX); chmod 0755 "$work"   # readable by apt's _apt
conf=/etc/asd-lab/update-stage.json; saved=$(cat "$conf")
restore() {
  echo "$saved" >"$conf"
  rm -f /etc/apt/sources.list.d/asd-gate-probe.list /etc/apt/apt.conf.d/53asd-gate-probe /var/lib/apt/lists/*asd-gate-probe*
  dpkg --purge "$name" >/dev/null 2>&1 || true
  rm -rf "$work"
  /usr/local/sbin/asd-update-gate >/dev/null
}
trap restore EXIT
fail() { echo "gate: $*"; exit 1; }
mkpkg() { # version -> .deb in $work
  d="$work/p$1"; mkdir -p "$d/DEBIAN"
  printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: asd-lab test <root@localhost>\nDescription: update gate probe\n' "$name" "$1" >"$d/DEBIAN/control"
  dpkg-deb -b "$d" "$work/${name}_$1_all.deb" >/dev/null
}
mkpkg 1.0; mkpkg 2.0
dpkg -i "$work/${name}_1.0_all.deb" >/dev/null
mkdir -p "$work/repo"; mv "$work/${name}_2.0_all.deb" "$work/repo/"
(cd "$work/repo" && apt-ftparchive packages . >Packages \
  && apt-ftparchive -o APT::FTPArchive::Release::Origin=asd-gate-probe release . >Release)
echo "deb [trusted=yes] file:$work/repo ./" >/etc/apt/sources.list.d/asd-gate-probe.list
apt-get update -qq -o Dir::Etc::sourcelist=/etc/apt/sources.list.d/asd-gate-probe.list -o Dir::Etc::sourceparts=- >/dev/null
# unattended-upgrades takes this origin like a security one, for the probe only.
echo 'Unattended-Upgrade::Origins-Pattern { "origin=asd-gate-probe"; };' >/etc/apt/apt.conf.d/53asd-gate-probe
stage() { printf '{"stage": "%s", "delay_days": %s}\n' "$1" "$2" >"$conf"; /usr/local/sbin/asd-update-gate; }
uu() { unattended-upgrade --dry-run --debug 2>&1; }

stage prod 7
uu | grep -qF "skipping blacklisted package $name" || fail "prod server: a fresh upgrade was not held back"
python3 - <<'PY'   # eight days later
import datetime, json
p = '/var/lib/asd-lab/update-gate/seen.json'
s = json.load(open(p))
s['asd-gate.probe+x']['first_seen'] = (datetime.date.today() - datetime.timedelta(days=8)).isoformat()
json.dump(s, open(p, 'w'))
PY
stage prod 7
uu | grep -qF "pkgs that look like they should be upgraded: $name" || fail "prod server: not released after the delay"
rm -f /var/lib/asd-lab/update-gate/seen.json
stage test 0
uu | grep -qF "pkgs that look like they should be upgraded: $name" || fail "test server: the upgrade was held"
echo "gate + unattended-upgrades: held on prod, released after 7 days, taken at once on test"
PROBE
)
on "${IPS[0]}" sudo bash -s <<<"$gate_probe" || die "${HOSTS[0]}: the update gate does not stage updates as documented"
for n in "${!HOSTS[@]}"; do
  ip=${IPS[$n]} host=${HOSTS[$n]}
  on "$ip" sudo /usr/local/sbin/asd-update-gate || die "$host: the update gate failed"
  on "$ip" sudo apt-config dump Unattended-Upgrade::Package-Blacklist >/dev/null || die "$host: APT cannot read the gate's output"
done

# --- Hardening index -----------------------------------------------------------------------------
log "lynis on the converged servers"
lynis_all after
fail=0
for n in "${!HOSTS[@]}"; do
  host=${HOSTS[$n]}
  after=$(sed -n 's/^hardening_index=//p' "$RUN/lynis-$host-after.dat")
  echo "$host: hardening index ${BEFORE[$host]} -> $after (minimum $MIN_LYNIS)"
  [ -n "$after" ] && [ "$after" -ge "$MIN_LYNIS" ] || fail=1
done
[ "$fail" -eq 0 ] || die "a server is below the minimal hardening index $MIN_LYNIS (reports: $RUN/lynis-*-after.dat)"
log "all checks passed"

# Shared helpers of the local-target scripts (sourced, not executed).
# scripts/create_server.py and scripts/destroy_server.py re-implement the same behaviour in Python.

# Every message starts with the script's name so that a trainer knows which step spoke.
ASD_PROG=${ASD_PROG:-$(basename "$0")}

# A command that fails under "set -e" outside of any check says where, instead of exiting silently.
trap 'printf "%s: error: unexpected failure at line %s: %s\n" "$ASD_PROG" "$LINENO" "$BASH_COMMAND" >&2' ERR

info() { printf '%s: %s\n' "$ASD_PROG" "$*"; }
warn() { printf '%s: warning: %s\n' "$ASD_PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$ASD_PROG" "$*" >&2; exit "${ASD_EXIT:-1}"; }
# Bad arguments exit with 2 (like getopt) so that callers can tell them from runtime failures.
usage_error() { ASD_EXIT=2 die "$* (see --help)"; }

need_root() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (it mounts filesystems, creates network interfaces and cgroups): run it with sudo"
}

# need_tool COMMAND DEBIAN_PACKAGE
need_tool() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is missing: install it with 'apt-get install -y $2'"
}

# The state directory: --state-dir, else $ASD_LAB_STATE, else /var/lib/asd-lab for root, else ./.asd-lab.
default_state_dir() {
  if [ -n "${ASD_LAB_STATE:-}" ]; then printf '%s\n' "$ASD_LAB_STATE"
  elif [ "$(id -u)" -eq 0 ]; then printf '%s\n' /var/lib/asd-lab
  else printf '%s\n' "$PWD/.asd-lab"; fi
}

# A name usable as a hostname, machine name and file name (RFC 1123 label, at most 63 characters).
valid_name() { [[ $1 =~ ^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$ ]]; }

valid_ifname() { [[ $1 =~ ^[A-Za-z0-9_.-]{1,15}$ ]]; }

# valid_cidr4 10.98.0.10/24: a dotted IPv4 address with a prefix length.
valid_cidr4() {
  [[ $1 =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})/([0-9]{1,2})$ ]] || return 1
  local i
  for i in 1 2 3 4; do [ "${BASH_REMATCH[$i]}" -le 255 ] || return 1; done
  [ "${BASH_REMATCH[5]}" -ge 8 ] && [ "${BASH_REMATCH[5]}" -le 30 ]
}

valid_ip4() { valid_cidr4 "$1/24"; }

# sha256 of a file with comments and blank lines removed, entries sorted: the identity of a package list.
list_digest() {
  sed -e 's/#.*//' "$@" | tr -s ' \t' '\n\n' | sed '/^$/d' | sort -u | sha256sum | cut -c1-12
}

# The cgroup layout of this host: "v2" (unified, memory controller available), "v1" (legacy or hybrid
# hierarchy with memory and cpu controllers mounted), or "none".
cgroup_mode() {
  if [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
    echo v2
  elif [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ] && [ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then
    echo v1
  else
    echo none
  fi
}

# is_alive PIDFILE COMM: the process of the pid file exists and runs COMM (guards against pid reuse).
is_alive() {
  local pid
  [ -s "$1" ] || return 1
  pid=$(cat "$1")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]
}

# wait_ssh ADDRESS TIMEOUT: until the SSH server sends its banner, or fail after TIMEOUT seconds.
wait_ssh() {
  local addr=$1 timeout=$2 start=$SECONDS banner
  while [ $((SECONDS - start)) -lt "$timeout" ]; do
    banner=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/22" && head -c 8 <&3' "$addr" 2>/dev/null || true)
    if [ "${banner:0:4}" = "SSH-" ]; then return 0; fi
    sleep 0.5
  done
  return 1
}

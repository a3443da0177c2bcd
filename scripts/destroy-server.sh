#!/usr/bin/env bash
# destroy-server.sh — stop one lab server and remove everything it had on this host.
# scripts/destroy_server.py does the same job with the same arguments.
set -Eeuo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"

usage() {
  cat <<'EOF'
Usage: destroy-server.sh --name NAME [--state-dir DIR] [--timeout SECONDS]

Stops the server NAME made by create-server.sh and removes all it had on this host: its process
(systemd-nspawn or qemu: a clean shutdown is asked first, then it is killed after SECONDS,
default 30), its overlay mount, its cgroup, its tap interface (vm), its state directory (upper
directory or disks, logs). The golden image and the candidate's bridge stay.
Idempotent: a server that is not there is not an error ("nothing to do").

Options:
  --name NAME          server name
  --state-dir DIR      state directory (default: $ASD_LAB_STATE, else /var/lib/asd-lab for root,
                       else ./.asd-lab)
  --timeout SECONDS    how long a clean shutdown may take before the server is killed (default 30)
  -h, --help           this help
EOF
}

NAME=""; STATE=""; TIMEOUT=30
while [ $# -gt 0 ]; do
  opt=$1
  case $opt in
    -h|--help) usage; exit 0 ;;
    --*=*) set -- "${opt%%=*}" "${opt#*=}" "${@:2}"; continue ;;
    --name|--state-dir|--timeout) [ $# -ge 2 ] || usage_error "$opt needs a value" ;;
    *) usage_error "unknown argument '$opt'" ;;
  esac
  case $opt in --name) NAME=$2 ;; --state-dir) STATE=$2 ;; --timeout) TIMEOUT=$2 ;; esac
  shift 2
done
[ -n "$NAME" ] || usage_error "--name is required"
valid_name "$NAME" || usage_error "--name '$NAME' must be a DNS label"
[[ $TIMEOUT =~ ^[0-9]+$ ]] || usage_error "--timeout '$TIMEOUT' must be a whole number of seconds"
[ -n "$STATE" ] || STATE=$(default_state_dir)
need_root
need_tool ip iproute2

SERVERS=$STATE/servers
S=$SERVERS/$NAME
mkdir -p "$SERVERS"
exec 8>"$SERVERS/.$NAME.lock"
flock 8

did=()
read_env() { sed -n "s/^$1=//p" "$S/server.env" 2>/dev/null || true; }
H=$(printf '%s' "$NAME" | sha256sum)
TAP=$(read_env TAP); [ -n "$TAP" ] || TAP="asdv-${H:0:10}"

# Processes: nspawn turns SIGTERM into a clean poweroff of the container; qemu stops at once.
pid=""
if is_alive "$S/pid" systemd-nspawn || is_alive "$S/pid" qemu-system-x86; then pid=$(cat "$S/pid"); fi
if [ -n "$pid" ]; then
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < TIMEOUT * 5; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    warn "server '$NAME' did not stop within $TIMEOUT s: killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  did+=("stopped pid $pid")
fi

# The cgroup(s): whatever still runs in them belongs to the server; then they go.
cgdirs=()
CG_HIERARCHIES=(/sys/fs/cgroup /sys/fs/cgroup/memory /sys/fs/cgroup/cpu /sys/fs/cgroup/systemd /sys/fs/cgroup/unified)
for h in "${CG_HIERARCHIES[@]}"; do
  [ -d "$h/asd-lab/$NAME" ] && cgdirs+=("$h/asd-lab/$NAME")
done
for d in "${cgdirs[@]}"; do
  # The server's systemd made its own cgroups below: processes and directories, deepest first.
  for ((i = 0; i < 50; i++)); do
    procs=$(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null || true)
    [ -z "$procs" ] && break
    # shellcheck disable=SC2086
    kill -KILL $procs 2>/dev/null || true
    sleep 0.1
  done
  find "$d" -depth -type d -exec rmdir {} + 2>/dev/null ||
    die "cannot remove cgroup $d (processes left: $(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | tr '\n' ' '))"
  did+=("removed cgroup $d")
done

# The shared parents go with the last server (rmdir fails, harmlessly, while others remain).
for h in "${CG_HIERARCHIES[@]}"; do rmdir "$h/asd-lab" 2>/dev/null || true; done

if mountpoint -q "$S/merged" 2>/dev/null; then
  umount "$S/merged" 2>/dev/null || umount -l "$S/merged"
  did+=("unmounted $S/merged")
fi
if ip link show dev "$TAP" >/dev/null 2>&1; then
  ip link delete dev "$TAP"
  did+=("removed tap $TAP")
fi
# systemd-nspawn leaves a propagation directory per machine when it cannot clean it itself.
if [ -d "/run/systemd/nspawn/propagate/$NAME" ]; then
  rm -rf "/run/systemd/nspawn/propagate/$NAME"
fi
if [ -d "$S" ]; then
  rm -rf "$S"
  did+=("removed $S")
fi
rm -f "$SERVERS/.$NAME.lock"

if [ ${#did[@]} -eq 0 ]; then
  info "server '$NAME' does not exist: nothing to do"
else
  info "server '$NAME' destroyed ($(IFS=';'; echo "${did[*]}" | sed 's/;/; /g'))"
fi

#!/usr/bin/env bash
# lab-network.sh — the isolated network of one candidate: a Linux bridge, the host's gateway address
# on it, and nftables rules that keep it apart from the other candidates and from the outside.
set -Eeuo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"

NFT_TABLE=asd_lab

usage() {
  cat <<'EOF'
Usage: lab-network.sh up   --bridge NAME --gateway ADDRESS/PREFIX [--label TEXT]
       lab-network.sh down --bridge NAME
       lab-network.sh status --bridge NAME

One network per candidate:
  - a Linux bridge NAME (at most 15 characters) that the candidate's servers plug into
    (container veth or VM tap);
  - the host holds the gateway ADDRESS/PREFIX on it, so the servers reach each other and the host;
  - nftables table "inet asd_lab", chain "forward": every packet routed into or out of the bridge
    is dropped. Candidates therefore never reach each other, and nothing outside the host reaches
    a server. There is no NAT and no outbound access: the golden image already holds every package.

"up" and "down" are idempotent: a second "up" changes nothing and says so; "down" removes the
bridge and its rules (and the table when no rule is left), and succeeds when nothing is there.
An interface NAME that asd-lab did not create, or an address or route of the subnet held by
another interface, is an error: nothing is changed.

Options:
  --bridge NAME              bridge interface name
  --gateway ADDRESS/PREFIX   host address on the bridge, e.g. 10.98.0.1/24
  --label TEXT               free text stored as the bridge's alias (after "asd-lab ")
  -h, --help                 this help
EOF
}

ACTION=${1:-}
case $ACTION in
  up|down|status) shift ;;
  -h|--help) usage; exit 0 ;;
  "") usage_error "missing action: up, down or status" ;;
  *) usage_error "unknown action '$ACTION': use up, down or status" ;;
esac
BRIDGE=""; GATEWAY=""; LABEL=""
while [ $# -gt 0 ]; do
  case $1 in
    --bridge) [ $# -ge 2 ] || usage_error "--bridge needs a value"; BRIDGE=$2; shift 2 ;;
    --gateway) [ $# -ge 2 ] || usage_error "--gateway needs a value"; GATEWAY=$2; shift 2 ;;
    --label) [ $# -ge 2 ] || usage_error "--label needs a value"; LABEL=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done
[ -n "$BRIDGE" ] || usage_error "--bridge is required"
valid_ifname "$BRIDGE" || usage_error "--bridge '$BRIDGE' is not a valid interface name (1 to 15 letters, digits, '-', '_', '.')"
if [ "$ACTION" = up ]; then
  [ -n "$GATEWAY" ] || usage_error "--gateway is required for 'up'"
  valid_cidr4 "$GATEWAY" || usage_error "--gateway '$GATEWAY' must be an IPv4 address with a prefix length between 8 and 30, e.g. 10.98.0.1/24"
fi
[[ $LABEL =~ ^[A-Za-z0-9\ =:._/-]*$ ]] || usage_error "--label may only hold letters, digits, spaces and '=:._/-'"

need_root
need_tool ip iproute2
need_tool nft nftables

ip2int() { local IFS=.; set -- $1; echo $(( ($1 << 24) | ($2 << 16) | ($3 << 8) | $4 )); }
# overlaps A/PA B/PB
overlaps() {
  local a=${1%/*} pa=${1#*/} b=${2%/*} pb=${2#*/} p m
  [ "$pa" = "$1" ] && pa=32
  [ "$pb" = "$2" ] && pb=32
  p=$(( pa < pb ? pa : pb ))
  m=$(( p == 0 ? 0 : (0xFFFFFFFF << (32 - p)) & 0xFFFFFFFF ))
  [ $(( $(ip2int "$a") & m )) -eq $(( $(ip2int "$b") & m )) ]
}

is_ours() { [[ $(ip -o link show dev "$1" 2>/dev/null || true) == *' alias asd-lab'* ]]; }
link_exists() { ip link show dev "$1" >/dev/null 2>&1; }
rule_handles() {
  { nft -a list chain inet "$NFT_TABLE" forward 2>/dev/null || true; } |
    awk -v c="\"asd-lab:$BRIDGE\"" '$0 ~ "comment " c { print $NF }'
}

up() {
  local changed=0 line dev dst
  if link_exists "$BRIDGE"; then
    is_ours "$BRIDGE" || die "interface '$BRIDGE' exists and was not created by asd-lab: nothing changed (pick another cohort name or remove that interface)"
  fi
  # The subnet must be free everywhere else on the host: an overlap would route lab traffic away.
  while read -r dst dev; do
    [ "$dev" = "$BRIDGE" ] && continue
    [ "$dst" = default ] && continue
    if overlaps "$dst" "$GATEWAY"; then
      die "subnet of $GATEWAY overlaps the route $dst of interface $dev: nothing changed (choose another local.subnetPool)"
    fi
  done < <(ip -o -4 route show table main | awk '{ d = ""; for (i = 1; i < NF; i++) if ($i == "dev") d = $(i + 1); print $1, d }')
  while read -r dev line; do
    [ "$dev" = "$BRIDGE" ] && continue
    [ "${line%/*}" = "${GATEWAY%/*}" ] && die "address ${GATEWAY%/*} is already held by interface $dev: nothing changed"
  done < <(ip -o -4 addr show | awk '{ print $2, $4 }')

  if ! link_exists "$BRIDGE"; then
    ip link add name "$BRIDGE" type bridge
    ip link set dev "$BRIDGE" alias "asd-lab ${LABEL}"
    changed=1
  fi
  if ! ip -o -4 addr show dev "$BRIDGE" | awk '{ print $4 }' | grep -qx "$GATEWAY"; then
    # A bridge of ours with another address: the cohort changed; replace it.
    ip -4 addr flush dev "$BRIDGE"
    ip addr add "$GATEWAY" dev "$BRIDGE"
    changed=1
  fi
  if ! ip -o link show dev "$BRIDGE" | grep -q '[<,]UP[,>]'; then
    ip link set dev "$BRIDGE" up
    changed=1
  fi
  nft add table inet "$NFT_TABLE"
  nft add chain inet "$NFT_TABLE" forward '{ type filter hook forward priority filter - 10; policy accept; }'
  if [ -z "$(rule_handles)" ]; then
    nft add rule inet "$NFT_TABLE" forward iifname "\"$BRIDGE\"" oifname != "\"$BRIDGE\"" drop comment "\"asd-lab:$BRIDGE\""
    nft add rule inet "$NFT_TABLE" forward oifname "\"$BRIDGE\"" iifname != "\"$BRIDGE\"" drop comment "\"asd-lab:$BRIDGE\""
    changed=1
  fi
  if [ "$changed" = 1 ]; then
    info "network $BRIDGE is up: gateway $GATEWAY, routed traffic to and from it dropped (nft table inet $NFT_TABLE)"
  else
    info "network $BRIDGE was already up with gateway $GATEWAY: nothing changed"
  fi
}

down() {
  local changed=0 h
  if link_exists "$BRIDGE"; then
    is_ours "$BRIDGE" || die "interface '$BRIDGE' was not created by asd-lab: not removing it"
    ip link delete dev "$BRIDGE"
    changed=1
  fi
  for h in $(rule_handles); do
    nft delete rule inet "$NFT_TABLE" forward handle "$h"
    changed=1
  done
  # The table goes with its last rule: "down" of the last candidate leaves nothing behind.
  local chain
  chain=$(nft list chain inet "$NFT_TABLE" forward 2>/dev/null || true) # no "| grep -q": SIGPIPE + pipefail
  if nft list table inet "$NFT_TABLE" >/dev/null 2>&1 && [[ $chain != *'comment "asd-lab:'* ]]; then
    nft delete table inet "$NFT_TABLE"
    changed=1
  fi
  if [ "$changed" = 1 ]; then info "network $BRIDGE removed"; else info "network $BRIDGE was not there: nothing changed"; fi
}

status() {
  if link_exists "$BRIDGE" && is_ours "$BRIDGE"; then
    echo "BRIDGE=$BRIDGE"
    echo "STATE=up"
    echo "ADDRESS=$(ip -o -4 addr show dev "$BRIDGE" | awk '{ print $4; exit }')"
    echo "RULES=$(rule_handles | wc -l)"
  else
    echo "BRIDGE=$BRIDGE"
    echo "STATE=down"
  fi
}

"$ACTION"

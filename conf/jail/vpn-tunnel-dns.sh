#!/bin/sh
# Tunnel up/down hook for a VPN container of a vpndns VPN core: points the
# container's DNS port-forward (step 5 of the packet flow) at the DNS
# server of the tunnel that just came up, and removes it when the tunnel
# goes down, so that vpndns's queries for this container fail instead of
# leaving by another way.
#
# usage: vpn-tunnel-dns.sh up [DNS_ADDR ...]
#        vpn-tunnel-dns.sh down
#
# Run by OpenVPN (which sets $script_type), "up" takes the servers the
# provider pushed ("dhcp-option DNS ADDR" in foreign_option_N) and ignores
# the arguments OpenVPN appends.  In the container's client configuration:
#   script-security 2
#   up   "/usr/local/etc/vpndns/vpn-tunnel-dns.sh up"
#   down "/usr/local/etc/vpndns/vpn-tunnel-dns.sh down"
# Other tunnels (WireGuard, IPsec) call it with the address:
#   vpn-tunnel-dns.sh up 172.16.0.1
#
# FIREWALL=pf (default) replaces the pf table <tunnel_dns> of
# conf/pf/vpn-container.pf.conf; FIREWALL=ipfw runs
# conf/ipfw/vpn-container.ipfw.sh (IPFW_SCRIPT).  Each DNS address also
# gets a host route through the tunnel interface (TUN_IF, or OpenVPN's
# $dev), so it can only be reached through the tunnel.
set -u

FIREWALL=${FIREWALL:-pf}
IPFW_SCRIPT=${IPFW_SCRIPT:-/usr/local/etc/vpndns/vpn-container.ipfw.sh}
TUN_IF=${TUN_IF:-${dev:-tun0}}
STATE=${STATE:-/var/run/vpn-tunnel-dns}

cmd=${1:-}
[ $# -gt 0 ] && shift

# the DNS servers pushed by OpenVPN
pushed_dns() {
	i=1
	while :; do
		eval "opt=\${foreign_option_$i:-}"
		[ -n "$opt" ] || break
		case $opt in
		"dhcp-option DNS "*) echo "${opt#dhcp-option DNS }" ;;
		esac
		i=$((i + 1))
	done
}

# only IPv4 dotted quads: the port-forward is IPv4
valid() {
	echo "$1" | grep -Eq '^[0-9]{1,3}(\.[0-9]{1,3}){3}$'
}

case $cmd in
up)
	dns=""
	if [ -n "${script_type:-}" ]; then
		# shellcheck disable=SC2046 # one word per address
		set -- $(pushed_dns)
	fi
	for a in "$@"; do
		if valid "$a"; then dns="$dns $a"; fi
	done
	if [ -z "$dns" ]; then
		echo "vpn-tunnel-dns: no DNS server for the tunnel; DNS stays closed" >&2
		exit 1
	fi
	for a in $dns; do
		/sbin/route -q delete -host "$a" >/dev/null 2>&1
		/sbin/route -q add -host "$a" -interface "$TUN_IF" ||
			echo "vpn-tunnel-dns: cannot route $a through $TUN_IF" >&2
	done
	echo "$dns" > "$STATE"
	if [ "$FIREWALL" = ipfw ]; then
		# ipfw's redirect takes one server: the first
		# shellcheck disable=SC2086
		set -- $dns
		sh "$IPFW_SCRIPT" tunnel-up "$1"
	else
		# shellcheck disable=SC2086
		/sbin/pfctl -q -t tunnel_dns -T replace $dns
	fi
	logger -t vpn-tunnel-dns "tunnel DNS:$dns via $TUN_IF"
	;;
down)
	if [ -s "$STATE" ]; then
		# shellcheck disable=SC2013 # one address per word
		for a in $(cat "$STATE"); do
			/sbin/route -q delete -host "$a" >/dev/null 2>&1
		done
	fi
	rm -f "$STATE"
	if [ "$FIREWALL" = ipfw ]; then
		sh "$IPFW_SCRIPT" tunnel-down
	else
		/sbin/pfctl -q -t tunnel_dns -T flush
	fi
	logger -t vpn-tunnel-dns "tunnel DNS removed"
	;;
*)
	echo "usage: $0 up [DNS_ADDR ...] | down" >&2
	exit 1
	;;
esac
exit 0

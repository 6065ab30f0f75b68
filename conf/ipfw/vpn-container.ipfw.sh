#!/bin/sh
# ipfw rules for a VPN container of a vpndns VPN core (a VNET jail with its
# own ipfw), the ipfw variant of conf/pf/vpn-container.pf.conf.
#
# usage: vpn-container.ipfw.sh start
#        vpn-container.ipfw.sh tunnel-up TUNNEL_DNS_ADDR
#        vpn-container.ipfw.sh tunnel-down
#        vpn-container.ipfw.sh show
#
# "start" loads the rules.  In the container's rc.conf:
#   firewall_enable="YES"
#   firewall_script="/usr/local/etc/vpndns/vpn-container.ipfw.sh"
# rc.d/ipfw runs it with firewall_type as argument; anything that is not
# one of the commands below means start.  The tunnel's up and down
# hooks run "tunnel-up ADDR" and "tunnel-down" (conf/jail/vpn-tunnel-dns.sh
# does).  The host loads ipfw and ipfw_nat.
#
# Three in-kernel NAT instances, by the steps of the packet flow
# (docs/deploy-freebsd-jail.md):
#   nat 1  step 2: clients' DNS to vpndns leaves with this container's
#          bridge address (10.10.1.2); answers are translated back (9, 10);
#   nat 2  step 5: vpndns's queries to 10.10.1.2:53 are redirected to the
#          tunnel's DNS server (a distinct NAT instance, so a distinct
#          table from step 2); answers go back from 10.10.1.2:53 (8);
#   nat 3  steps 6, 7: everything leaving through the tunnel carries the
#          tunnel's address.
# With the tunnel down, nat 2 has no redirect: a query to 10.10.1.2:53
# finds no listener, and vpndns answers SERVFAIL at once (fail closed).
#
# Settings (environment, or edit the defaults; all addresses are examples):
: "${BRIDGE_IF:=epair2b}"          # on the VPN bridge
: "${BRIDGE_ADDR:=10.10.1.2}"      # this container's bridge address
: "${TUN_IF:=tun0}"                # the tunnel to the VPN provider
: "${CLIENT_IF:=gre0}"             # remote clients over GRE/IPsec
: "${CLIENT_NETS:=10.40.2.0/24}"   # comma-separated
: "${VPNDNS:=10.10.1.53}"          # the vpndns jail
: "${STATE:=/var/run/vpn-tunnel-dns}"   # the tunnel DNS address, kept for restarts

set -eu
fw="/sbin/ipfw -q"

# nat2 [ADDR]: the redirect of step 5, or none
nat2() {
	if [ -n "${1:-}" ]; then
		$fw nat 2 config ip "$BRIDGE_ADDR" \
		    redirect_port udp "$1:53" 53 \
		    redirect_port tcp "$1:53" 53
	else
		$fw nat 2 config ip "$BRIDGE_ADDR"
	fi
}

# nat3: the tunnel's NAT, when the tunnel interface exists
nat3() {
	if /sbin/ifconfig "$TUN_IF" >/dev/null 2>&1; then
		$fw nat 3 config if "$TUN_IF" same_ports reset
	fi
}

start() {
	$fw -f flush
	$fw nat 1 config ip "$BRIDGE_ADDR" same_ports reset
	dns=""
	if [ -s "$STATE" ]; then dns=$(cat "$STATE"); fi
	nat2 "$dns"
	nat3

	$fw add 100 allow ip from any to any via lo0

	# step 5 in, step 8 out: vpndns <-> the tunnel's DNS server
	$fw add 1000 nat 2 "{" udp or tcp "}" from "$VPNDNS" to "$BRIDGE_ADDR" 53 \
	    in recv "$BRIDGE_IF"
	$fw add 1010 nat 2 "{" udp or tcp "}" from any 53 to "$VPNDNS" \
	    out xmit "$BRIDGE_IF"
	# step 2 out, step 9 in: clients <-> vpndns
	$fw add 1020 nat 1 "{" udp or tcp "}" from "$CLIENT_NETS" to "$VPNDNS" 53 \
	    out xmit "$BRIDGE_IF"
	$fw add 1030 nat 1 "{" udp or tcp "}" from "$VPNDNS" 53 to "$BRIDGE_ADDR" \
	    in recv "$BRIDGE_IF"
	# steps 6, 7: the tunnel
	$fw add 1040 nat 3 ip4 from any to any out xmit "$TUN_IF"
	$fw add 1050 nat 3 ip4 from any to any in recv "$TUN_IF"

	# Clients may ask only vpndns: DNS to other servers is dropped (ipfw
	# can't rewrite the destination without a NAT instance of its own;
	# the pf variant redirects such queries to vpndns instead).
	$fw add 1100 deny "{" udp or tcp "}" from "$CLIENT_NETS" to not "$VPNDNS" 53 \
	    in recv "$CLIENT_IF"
	# Clients reach the bridge only for vpndns (NATed above); the rest of
	# their traffic goes through the tunnel.
	$fw add 1110 deny ip4 from "$CLIENT_NETS" to any out xmit "$BRIDGE_IF"
	$fw add 1120 allow ip from any to any
}

case "${1:-start}" in
tunnel-up)
	[ -n "${2:-}" ] || { echo "usage: $0 tunnel-up TUNNEL_DNS_ADDR" >&2; exit 1; }
	echo "$2" > "$STATE"
	nat3
	nat2 "$2"
	;;
tunnel-down)
	rm -f "$STATE"
	nat2 ""
	;;
show)
	/sbin/ipfw list
	/sbin/ipfw nat show config
	;;
*)
	start
	;;
esac

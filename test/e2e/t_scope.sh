#!/bin/bash
# IPv6 scope in address identity: two tunnels may hand out the same
# link-local address (fe80::2) on two links.  Real links are made with two
# network namespaces, each joined to this one by a veth pair:
#
#   this namespace          namespace A            namespace B
#   vpsc1 fe80::1  <----->  vpsc1p fe80::2
#   vpsc2 fe80::1  <--------------------------->  vpsc2p fe80::2
#
# Each namespace runs a fake DNS server on fe80::2 that answers with its own
# address (10.1.0.1 in A, 10.2.0.2 in B) and logs every query.
#
#  1. forwarders: view tun1 forwards to fe80::2%vpsc1, tun2 to fe80::2%vpsc2;
#     identical concurrent queries from both views' clients are each
#     answered by their own link, and each link's server sees its own;
#  2. reflect: the same fe80::2 client on both links is two reflect views,
#     each reflected to its own link and answered from its own cache;
#  3. a link-local forwarder without an interface is refused, naming the
#     file and line.
#
# Negative control: the test-hooks build with the "scope" guard off (Unbound
# compares addresses without their scope, as stock Unbound does) merges the
# two links again.
#
# Needs root (namespaces, veth); without them the test reports one failure
# that says so.

UB_PORT=5900
FAKE_PORT=5901
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpnlib.sh"

NSA=vpndns-sc-a
NSB=vpndns-sc-b

# net_down: remove the namespaces and links (idempotent)
net_down() {
	ip link del vpsc1 2>/dev/null
	ip link del vpsc2 2>/dev/null
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	return 0
}

# link_up NS LINK: veth LINK here, LINK"p" in NS; fe80::1 here, fe80::2
# there, no other addresses, no duplicate address detection delay
link_up() {
	local ns=$1 l=$2
	ip link add "$l" type veth peer name "${l}p" || return 1
	ip link set "${l}p" netns "$ns" || return 1
	sysctl -qw "net.ipv6.conf.$l.addr_gen_mode=1" 2>/dev/null
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.${l}p.addr_gen_mode=1" 2>/dev/null
	ip addr add fe80::1/64 dev "$l" nodad || return 1
	ip netns exec "$ns" ip addr add fe80::2/64 dev "${l}p" nodad || return 1
	ip link set "$l" up || return 1
	ip netns exec "$ns" ip link set "${l}p" up || return 1
	ip netns exec "$ns" ip link set lo up
}

net_up() {
	net_down
	ip netns add "$NSA" && ip netns add "$NSB" &&
		link_up "$NSA" vpsc1 && link_up "$NSB" vpsc2
}

trap '_e2e_cleanup; net_down' EXIT

if [[ $(id -u) != 0 ]] || ! net_up; then
	net_down
	assert_eq "network namespaces and veth links (needs root)" yes no
	e2e_finish
fi

# a python that runs inside namespace NS, for fake_start
for ns in "$NSA" "$NSB"; do
	printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$ns" "$E2E_PYTHON" \
		>"$E2E_TMP/py-$ns"
	chmod +x "$E2E_TMP/py-$ns"
done
# fake_in NS NAME A: fake server NAME in NS on fe80::2, answering A
fake_in() {
	local saved=$E2E_PYTHON rc=0
	E2E_PYTHON=$E2E_TMP/py-$1
	fake_start "$2" :: "$FAKE_PORT" --a "$3" || rc=1
	E2E_PYTHON=$saved
	return $rc
}
fake_in "$NSA" fa 10.1.0.1 || exit 1
fake_in "$NSB" fb 10.2.0.2 || exit 1

# nsq NS LINK NAME: query from fe80::2 in NS to the resolver's fe80::1 on
# LINK; prints the dnsq result
nsq() {
	ip netns exec "$1" "$E2E_PYTHON" "$DNSQ" --server "fe80::1%${2}p" \
		--port "$UB_PORT" --src "fe80::2%${2}p" --timeout 5 "$3"
}

# fa=N fb=N: queries for NAME (ERE) each link's server saw
counts() { fake_counts "$1" fa fb; }

## 3. a link-local forwarder needs its interface ------------------------------

write_vpndns_conf "$E2E_TMP/bad.conf" \
	'# a forwarder without its link' \
	"view: tun1 fe80::2@$FAKE_PORT"
write_vpndns_unbound_conf "$E2E_TMP/ub-bad.conf" "$E2E_TMP/bad.conf"
out=$("$UNBOUND_CHECKCONF" "$E2E_TMP/ub-bad.conf" 2>&1)
assert_match "checkconf: a link-local forwarder without interface refused at file:line" \
	"bad\.conf:2: server 'fe80::2@$FAKE_PORT': a link-local server needs its interface" "$out"
write_vpndns_conf "$E2E_TMP/bad.conf" "view: tun1 fe80::2%vpsc-none@$FAKE_PORT"
out=$("$UNBOUND_CHECKCONF" "$E2E_TMP/ub-bad.conf" 2>&1)
assert_match "checkconf: an interface that does not exist refused" \
	"bad\.conf:1: .*unknown interface" "$out"

## the resolver on both links ---------------------------------------------------

write_vpndns_conf "$E2E_TMP/vpndns.conf" \
	"view: tun1 fe80::2%vpsc1@$FAKE_PORT" \
	"view: tun2 fe80::2%vpsc2@$FAKE_PORT" \
	'client: 127.0.0.11/32 tun1' \
	'client: 127.0.0.12/32 tun2' \
	"reflect: fe80::/64 $FAKE_PORT" \
	'default: refuse'
write_vpndns_unbound_conf "$E2E_TMP/ub.conf" "$E2E_TMP/vpndns.conf" \
	"	interface: fe80::1%vpsc1@$UB_PORT" \
	"	interface: fe80::1%vpsc2@$UB_PORT" \
	'	access-control: fe80::/10 allow'

# run_cases LABEL: both cases against the running resolver; prints one
# line per result for the caller to assert on
run_cases() {
	local n=$1 pa pb
	fake_log_clear fa
	fake_log_clear fb
	fake_mode fa slow:400
	fake_mode fb slow:400
	# 1. forwarders: 4 identical queries from each view's client at once
	"$E2E_PYTHON" "$DNSQ" --port "$UB_PORT" --timeout 5 \
		--burst 127.0.0.11=10.1.0.1 127.0.0.12=10.2.0.2 --count 4 \
		"fw$n.example" | sed -n 's/^total /burst /p'
	echo "fwd-seen $(counts "fw$n\.example\.")"
	# 2. reflect: the same fe80::2 on both links, at once, then again
	# from the caches
	nsq "$NSA" vpsc1 "rf$n.example" >"$E2E_TMP/ra.out" 2>&1 &
	pa=$!
	nsq "$NSB" vpsc2 "rf$n.example" >"$E2E_TMP/rb.out" 2>&1 &
	pb=$!
	wait "$pa" "$pb"
	echo "reflect-a $(sed -n 2p "$E2E_TMP/ra.out")"
	echo "reflect-b $(sed -n 2p "$E2E_TMP/rb.out")"
	fake_mode fa
	fake_mode fb
	echo "reflect-a-cached $(nsq "$NSA" vpsc1 "rf$n.example" | sed -n 2p)"
	echo "reflect-b-cached $(nsq "$NSB" vpsc2 "rf$n.example" | sed -n 2p)"
	echo "reflect-seen $(counts "rf$n\.example\.")"
	# B asks a name A's link has cached: must still go to B's link
	echo "reflect-a-first $(nsq "$NSA" vpsc1 "seq$n.example" | sed -n 2p)"
	echo "reflect-b-after-a $(nsq "$NSB" vpsc2 "seq$n.example" | sed -n 2p)"
	echo "seq-seen $(counts "seq$n\.example\.")"
}

unbound_start_as normal "" "$E2E_TMP/ub.conf" || exit 1
res=$(run_cases 1)
echo "$res" | sed 's/^/  /'
assert_match "forwarders: every client got its own link's answer" \
	'^burst sent=8 answered=8 right=8 wrong=0' "$res"
assert_match "forwarders: each link's server was asked" \
	'^fwd-seen fa=[1-9][0-9]* fb=[1-9][0-9]*$' "$res"
assert_match "reflect, concurrent: link A's client answered by link A" '^reflect-a 10\.1\.0\.1$' "$res"
assert_match "reflect, concurrent: link B's client answered by link B" '^reflect-b 10\.2\.0\.2$' "$res"
assert_match "reflect, cached: link A's cache" '^reflect-a-cached 10\.1\.0\.1$' "$res"
assert_match "reflect, cached: link B's cache" '^reflect-b-cached 10\.2\.0\.2$' "$res"
assert_match "reflect: each link's server was asked once" '^reflect-seen fa=1 fb=1$' "$res"
assert_match "reflect: B is not answered from A's cache" '^reflect-b-after-a 10\.2\.0\.2$' "$res"
assert_match "reflect: B's query went to B's link" '^seq-seen fa=1 fb=1$' "$res"
out=$(uctl vpndns_list)
assert_match "vpndns_list: one reflect view per link (vpsc1)" 'reflect_fe80__2_vpsc1_5901' "$out"
assert_match "vpndns_list: one reflect view per link (vpsc2)" 'reflect_fe80__2_vpsc2_5901' "$out"

## negative control: addresses compared without their scope -------------------------

if have_testhooks; then
	unbound_start_as testhooks scope "$E2E_TMP/ub.conf" || exit 1
	res=$(run_cases 2)
	echo "$res" | sed 's/^/  /'
	check "scope off (negative control): forwarders: a client got the other link's answer" \
		grep -qE '^burst .* wrong=[1-9]' <<<"$res"
	# the two links share one reflect view, which forwards to whichever
	# link asked first
	check "scope off (negative control): reflect: a link's client answered by the other link" \
		grep -qE '^reflect-a[a-z-]* 10\.2\.0\.2$|^reflect-b[a-z-]* 10\.1\.0\.1$' <<<"$res"
	check "scope off (negative control): reflect: one link's server never asked" \
		grep -qE '^seq-seen (fa=1 fb=0|fa=0 fb=1)$' <<<"$res"
else
	assert_eq "test-hooks build present for the negative control" yes no
fi
unbound_stop
e2e_finish

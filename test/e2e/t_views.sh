#!/bin/bash
# Views: every client gets the answer of its own view's forwarders, from
# the upstream and from the view's cache, and no other view's forwarder
# ever sees its queries. Covers named views (view:+client:), anonymous
# forward: views, reflect:, default: <server>, default: refuse (REFUSED +
# EDE 18), domain-forward:, overlapping netblocks (longest prefix), an
# IPv6 client, TCP clients and the vpndns_lookup control command.

UB_PORT=5411
FAKE_PORT=5412
REFLECT_PORT=5413
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpnlib.sh"

# fake upstreams; each answers A with 192.0.2.<last octet of its address>
FA=127.0.0.2   # view A   (named)
FB=127.0.0.3   # view B   (named)
FC=127.0.0.4   # anonymous forward: view
FD=127.0.0.5   # default view
FDOM=127.0.0.6 # domain-forward corp.example
F6=127.0.0.9   # view of the IPv6 client ::1
FR0=127.0.0.20 # reflect: fakes on the clients' own addresses
FR1=127.0.0.21
ALL_FAKES=(fa fb fc fd fdom f6 fr0 fr1)

fake_start fa "$FA" "$FAKE_PORT" || exit 1
fake_start fb "$FB" "$FAKE_PORT" || exit 1
fake_start fc "$FC" "$FAKE_PORT" || exit 1
fake_start fd "$FD" "$FAKE_PORT" || exit 1
fake_start fdom "$FDOM" "$FAKE_PORT" || exit 1
fake_start f6 "$F6" "$FAKE_PORT" || exit 1
fake_start fr0 "$FR0" "$REFLECT_PORT" || exit 1
fake_start fr1 "$FR1" "$REFLECT_PORT" || exit 1

write_two_views_conf "$E2E_TMP/vpndns.conf" \
	"forward: 127.0.0.12/32 $FC@$FAKE_PORT" \
	'# overlaps: the /24 is A, the /28 inside it is B' \
	'client: 127.0.0.0/24 A' \
	'client: 127.0.0.16/28 B' \
	"reflect: 127.0.0.20/31 $REFLECT_PORT" \
	"forward: ::1/128 $F6@$FAKE_PORT" \
	"domain-forward: corp.example $FDOM@$FAKE_PORT" \
	"default: $FD@$FAKE_PORT"
write_vpndns_unbound_conf "$E2E_TMP/ub.conf" "$E2E_TMP/vpndns.conf"
unbound_start "$E2E_TMP/ub.conf" || exit 1

# counts of one name in every fake, as "fa=1 fb=0 ..."
counts() { fake_counts " $1 "; }

## two and three named/anonymous views, first ask -------------------------

assert_eq "view A (named) answer" 192.0.2.2 "$(q 127.0.0.10 www.example.com)"
assert_eq "view B (named) answer" 192.0.2.3 "$(q 127.0.0.11 www.example.com)"
assert_eq "forward: view answer" 192.0.2.4 "$(q 127.0.0.12 www.example.com)"
assert_eq "each fake saw only its own view's query" \
	"fa=1 fb=1 fc=1 fd=0 fdom=0 f6=0 fr0=0 fr1=0" "$(counts 'www\.example\.com\.')"

## cached repeat: no upstream, still per-view ------------------------------

# dig is a strict client: it drops a reply whose ID does not match
assert_eq "cached: view A answer (dig)" 192.0.2.2 "$(q 127.0.0.10 www.example.com +time=1)"
assert_eq "cached: view B answer (dig)" 192.0.2.3 "$(q 127.0.0.11 www.example.com +time=1)"
assert_eq "cached: forward: view answer (dig)" 192.0.2.4 "$(q 127.0.0.12 www.example.com +time=1)"
# the same through dnsq, which also shows replies with a wrong ID
for c in 10:2 11:3 12:4; do
	out=$(pq "127.0.0.${c%%:*}" www.example.com)
	assert_eq "cached: client 127.0.0.${c%%:*} gets its view's answer" \
		"NOERROR 192.0.2.${c##*:}" "$(r_status "$out") $(r_ans "$out")"
	assert_eq "cached: client 127.0.0.${c%%:*} reply ID matches the query" ok "$(r_id "$out")"
done
assert_eq "cached repeats reached no upstream" \
	"fa=1 fb=1 fc=1 fd=0 fdom=0 f6=0 fr0=0 fr1=0" "$(counts 'www\.example\.com\.')"

## reflect: each client is answered by the fake on its own address ---------

assert_eq "reflect: 127.0.0.20 answered by its own fake" 192.0.2.20 "$(q 127.0.0.20 refl.example.com)"
assert_eq "reflect: 127.0.0.21 answered by its own fake" 192.0.2.21 "$(q 127.0.0.21 refl.example.com)"
assert_eq "reflect: only the clients' own fakes asked" \
	"fa=0 fb=0 fc=0 fd=0 fdom=0 f6=0 fr0=1 fr1=1" "$(counts 'refl\.example\.com\.')"

## default: <server> catches an unmatched client ---------------------------

assert_eq "default view answers unmatched 127.0.1.1" 192.0.2.5 "$(q 127.0.1.1 dflt.example.com)"
assert_eq "default: only the default fake asked" \
	"fa=0 fb=0 fc=0 fd=1 fdom=0 f6=0 fr0=0 fr1=0" "$(counts 'dflt\.example\.com\.')"

## overlapping netblocks: longest prefix wins --------------------------------

assert_eq "overlap: 127.0.0.17 (in /28) gets B" 192.0.2.3 "$(q 127.0.0.17 ovl.example.com)"
assert_eq "overlap: 127.0.0.5 (only /24) gets A" 192.0.2.2 "$(q 127.0.0.5 ovl.example.com)"
assert_eq "overlap: fa and fb asked once each, nobody else" \
	"fa=1 fb=1 fc=0 fd=0 fdom=0 f6=0 fr0=0 fr1=0" "$(counts 'ovl\.example\.com\.')"

## IPv6 client ---------------------------------------------------------------

if _e2e_have_ipv6; then
	assert_eq "IPv6 client ::1 gets its view's answer" 192.0.2.9 "$(q ::1 v6.example.com)"
	assert_eq "IPv6: only the ::1 view's fake asked" \
		"fa=0 fb=0 fc=0 fd=0 fdom=0 f6=1 fr0=0 fr1=0" "$(counts 'v6\.example\.com\.')"
else
	echo "skip - no IPv6 on loopback"
fi

## domain-forward: same forwarder whoever asks --------------------------------

assert_eq "domain-forward from view A" 192.0.2.6 "$(q 127.0.0.10 a.corp.example)"
assert_eq "domain-forward from view B" 192.0.2.6 "$(q 127.0.0.11 b.corp.example)"
assert_eq "domain-forward from forward: view" 192.0.2.6 "$(q 127.0.0.12 c.corp.example)"
assert_eq "domain-forward from reflect client" 192.0.2.6 "$(q 127.0.0.20 d.corp.example)"
assert_eq "domain-forward from default client" 192.0.2.6 "$(q 127.0.1.1 e.corp.example)"
assert_eq "domain-forward: only the domain's fake asked" \
	"fa=0 fb=0 fc=0 fd=0 fdom=5 f6=0 fr0=0 fr1=0" "$(counts '[a-e]\.corp\.example\.')"

## TCP clients ---------------------------------------------------------------

assert_eq "TCP: view A answer" 192.0.2.2 "$(q 127.0.0.10 tcp.example.com +tcp)"
assert_eq "TCP: view B answer" 192.0.2.3 "$(q 127.0.0.11 tcp.example.com +tcp)"
assert_eq "TCP: only the views' own fakes asked" \
	"fa=1 fb=1 fc=0 fd=0 fdom=0 f6=0 fr0=0 fr1=0" "$(counts 'tcp\.example\.com\.')"
assert_eq "TCP cached: view A answer" 192.0.2.2 "$(q 127.0.0.10 tcp.example.com +tcp)"
out=$(pq 127.0.0.11 tcp.example.com A --tcp)
assert_eq "TCP cached (dnsq): view B answer" "NOERROR 192.0.2.3" "$(r_status "$out") $(r_ans "$out")"
assert_eq "TCP cached: no further upstream query" \
	"fa=1 fb=1 fc=0 fd=0 fdom=0 f6=0 fr0=0 fr1=0" "$(counts 'tcp\.example\.com\.')"

## vpndns_lookup / vpndns_list ---------------------------------------------

out=$(uctl vpndns_lookup 127.0.0.10 2>&1)
assert_match "vpndns_lookup 127.0.0.10 -> A" '^client 127\.0\.0\.10 view A ' "$out"
out=$(uctl vpndns_lookup 127.0.0.12 2>&1)
assert_match "vpndns_lookup 127.0.0.12 -> net_127_0_0_12_32" '^client 127\.0\.0\.12 view net_127_0_0_12_32 ' "$out"
out=$(uctl vpndns_lookup 127.0.0.17 2>&1)
assert_match "vpndns_lookup 127.0.0.17 -> B (longest prefix)" '^client 127\.0\.0\.17 view B ' "$out"
out=$(uctl vpndns_lookup 127.0.0.21 2>&1)
assert_match "vpndns_lookup 127.0.0.21 -> reflect_127_0_0_21_$REFLECT_PORT" \
	"^client 127\.0\.0\.21 view reflect_127_0_0_21_$REFLECT_PORT " "$out"
out=$(uctl vpndns_lookup 127.0.1.1 2>&1)
assert_match "vpndns_lookup 127.0.1.1 -> default" '^client 127\.0\.1\.1 view default ' "$out"
out=$(uctl vpndns_list 2>&1)
assert_match "vpndns_list shows view A" '^view A forwarders' "$out"

unbound_stop

## default: refuse -----------------------------------------------------------

write_vpndns_conf "$E2E_TMP/vpndns-refuse.conf" \
	"view: A $FA@$FAKE_PORT" \
	'client: 127.0.0.10/32 A' \
	'default: refuse'
write_vpndns_unbound_conf "$E2E_TMP/ub-refuse.conf" "$E2E_TMP/vpndns-refuse.conf"
unbound_start "$E2E_TMP/ub-refuse.conf" || exit 1
for f in "${ALL_FAKES[@]}"; do fake_log_clear "$f"; done

out=$(qfull 127.0.1.1 refused.example.com +time=1)
assert_match "default refuse: dig sees REFUSED" 'status: REFUSED' "$out"
assert_match "default refuse: dig sees EDE 18" 'EDE: 18' "$out"
out=$(pq 127.0.1.1 refused.example.com)
assert_eq "default refuse (dnsq): REFUSED with EDE 18" "REFUSED ede=18" "$(r_status "$out") ede=$(r_ede "$out")"
assert_eq "default refuse: reply ID matches the query" ok "$(r_id "$out")"
assert_eq "refuse config: mapped client still answered" 192.0.2.2 "$(q 127.0.0.10 ok.example.com)"
assert_eq "refused client's query reached no upstream" \
	"fa=0 fb=0 fc=0 fd=0 fdom=0 f6=0 fr0=0 fr1=0" "$(counts 'refused\.example\.com\.')"
assert_eq "refuse config: only fa asked, only for the mapped client" \
	"fa=1 fb=0 fc=0 fd=0 fdom=0 f6=0 fr0=0 fr1=0" "$(counts 'ok\.example\.com\.')"

e2e_finish

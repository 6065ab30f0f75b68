#!/usr/bin/env bash
# A global auth-zone: and the views.  With for-upstream: yes and
# for-downstream: no, the zone is only something the iterator may use
# instead of sending upstream: a view's query goes to the view's
# forwarder all the same, and the client gets the forwarder's answer.
# With for-downstream: yes (the default), the worker answers every
# client from the zone before vpndns sees the query, whatever its view,
# and nothing is sent upstream.
. "$(dirname "$0")/vpnlib.sh"

UB_PORT=5830
FP=5831
A=127.0.17.40        # client of view a

fake_start fa 127.0.17.7 "$FP"
for z in up down; do
	cat >"$E2E_TMP/$z.zone" <<EOF
\$ORIGIN $z.example.
@ 3600 IN SOA ns.$z.example. h.$z.example. 1 3600 600 86400 60
@ 3600 IN NS ns.$z.example.
ns 3600 IN A 192.0.2.201
www 3600 IN A 192.0.2.200
EOF
done
write_vpndns_conf "$E2E_TMP/vpndns.conf" "view: a 127.0.17.7@$FP" "client: $A/32 a"
write_vpndns_unbound_conf "$E2E_TMP/ub.conf" "$E2E_TMP/vpndns.conf" \
	"	interface: $A@$UB_PORT" \
	"auth-zone:" "	name: up.example" "	zonefile: \"$E2E_TMP/up.zone\"" \
	"	for-upstream: yes" "	for-downstream: no" \
	"auth-zone:" "	name: down.example" "	zonefile: \"$E2E_TMP/down.zone\"" \
	"	for-upstream: yes" "	for-downstream: yes"
unbound_start "$E2E_TMP/ub.conf" || { e2e_finish; exit 1; }

assert_eq "for-upstream only: the view's forwarder answers" "192.0.2.7" "$(q $A www.up.example)"
assert_eq "for-upstream only: the view's forwarder got the query" 1 "$(fake_log_count fa 'www\.up\.example\. A')"
assert_eq "for-upstream only: again, from the view's cache" "192.0.2.7" "$(q $A www.up.example)"
assert_eq "for-downstream: the zone answers the client" "192.0.2.200" "$(q $A www.down.example)"
assert_eq "for-downstream: nothing sent upstream" 0 "$(fake_log_count fa 'down\.example\.')"

e2e_finish

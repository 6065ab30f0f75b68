#!/usr/bin/env bash
# Edges of fail-closed forwarding: a dead domain-forward never falls back
# to the view's forwarders, QCLASS ANY is refused (its subqueries would be
# shared between views), a cached failure still carries EDE 22, and vpndns
# works inside Unbound's chroot with files named by their full paths.
. "$(dirname "$0")/vpnlib.sh"

UB_PORT=5480
FP=5481
DEAD=5489            # nothing listens here
C=127.0.3.10

fake_start view 127.0.3.2 "$FP"
cat > "$E2E_TMP/vpndns.conf" <<EOF2
view: a 127.0.3.2@$FP
client: $C/32 a
domain-forward: endpoint.example 127.0.3.9@$DEAD
blocklist: $E2E_TMP/list.txt
EOF2
echo "blocked.example" > "$E2E_TMP/list.txt"
write_vpndns_unbound_conf "$E2E_TMP/ub.conf" "$E2E_TMP/vpndns.conf" \
	'	infra-cache-max-rtt: 400'
unbound_start "$E2E_TMP/ub.conf" || { e2e_finish; exit 1; }

out=$(qfull $C vpn.endpoint.example)
assert_match "dead domain-forward: SERVFAIL" "status: SERVFAIL" "$out"
assert_match "dead domain-forward: EDE 22" "EDE: 22" "$out"
assert_eq "dead domain-forward: never sent to the view's forwarder" 0 \
	"$(fake_log_count view 'endpoint\.example')"
out=$(qfull $C vpn.endpoint.example)
assert_match "cached failure: SERVFAIL" "status: SERVFAIL" "$out"
assert_match "cached failure: EDE 22" "EDE: 22" "$out"
assert_eq "cached failure: still never at the view's forwarder" 0 \
	"$(fake_log_count view 'endpoint\.example')"

out=$(qfull $C www.example.com A -c ANY)
assert_match "QCLASS ANY refused" "status: REFUSED" "$out"
assert_match "QCLASS ANY: EDE 21" "EDE: 21" "$out"
assert_eq "QCLASS ANY never sent upstream" 0 "$(fake_log_count view 'www\.example\.com')"
assert_eq "class IN still answered" "192.0.2.2" "$(q $C www.example.com)"
unbound_stop

# the same inside a chroot: vpndns.conf and the list by full path
write_vpndns_unbound_conf "$E2E_TMP/ub.conf" "$E2E_TMP/vpndns.conf" \
	"	chroot: \"$E2E_TMP\""
# write_unbound_conf sets chroot: ""; the later line wins
unbound_start "$E2E_TMP/ub.conf" || { e2e_finish; exit 1; }
assert_eq "chroot: view answer" "192.0.2.2" "$(q $C www.example.com)"
assert_match "chroot: list loaded" "status: NXDOMAIN" "$(qfull $C blocked.example)"
echo "later.example" >> "$E2E_TMP/list.txt"
check "chroot: list reload starts" uctl vpndns_blocklist_reload
wait_until 10 sh -c "'$UNBOUND_CONTROL' -c '$UB_CONF' vpndns_status | grep -q 'last_reload=ok'"
assert_match "chroot: list reloaded" "last_reload=ok blocklist_reload" "$(uctl vpndns_status)"
assert_match "chroot: new entry in effect" "status: NXDOMAIN" "$(qfull $C later.example)"
check "chroot: checkconf accepts the config" "$UNBOUND_CHECKCONF" "$E2E_TMP/ub.conf"

# a broken vpndns.conf: unbound-checkconf and unbound both refuse it,
# naming the file and the line
cp "$E2E_TMP/vpndns.conf" "$E2E_TMP/good.conf"
printf 'view: z 127.0.3.2@%s\nforward: 10.0.0.0/8 not-an-address\n' "$FP" >> "$E2E_TMP/vpndns.conf"
out=$("$UNBOUND_CHECKCONF" "$E2E_TMP/ub.conf" 2>&1)
rc=$?
check "checkconf: broken vpndns.conf exits non-zero" test "$rc" -ne 0
assert_match "checkconf names file and line" "vpndns\.conf:6: server 'not-an-address': invalid server address" "$out"
unbound_stop
"$UNBOUND" -d -c "$E2E_TMP/ub.conf" > "$E2E_TMP/broken.log" 2>&1
rc=$?
check "unbound with a broken vpndns.conf exits non-zero" test "$rc" -ne 0
assert_match "unbound names file and line" "vpndns\.conf:6: server 'not-an-address'" "$(cat "$E2E_TMP/broken.log")"
cp "$E2E_TMP/good.conf" "$E2E_TMP/vpndns.conf"

e2e_finish

#!/bin/bash
# The exit check: every reply to a client of a view passes the policy,
# whichever Unbound path made it, and every query keeps the policy and the
# view lists it started with.
#
#  1. serve-expired: a stale CNAME chain into a name blocked after it was
#     cached is not served, neither from serve-expired's client timer (slow
#     forwarder) nor after a failure (SERVFAIL forwarder);
#  2. local-data: a CNAME from Unbound's own local data into a blocked name
#     (the worker answers it, no module runs) is blocked; the same for an
#     auth-zone for downstream; an RPZ local-data rewrite (an alias the
#     front hook checks) is answered for the name the client asked;
#  3. a live change while a query is in flight keeps the view's own list:
#     the answer is blocked and the blocked target is never sent upstream;
#  4. a reflect client that is one of the resolver's own addresses gets
#     SERVFAIL with EDE 22 at once, and nothing is sent;
#  5. a name at or below a domain-forward, DS at its apex included, is sent
#     only to the domain's servers, never to the view's forwarder.
#
# Each case has a negative control: the test-hooks build with the guard
# off lets the leak through.

UB_PORT=5950
FAKE_PORT=5951
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpnlib.sh"

FA=127.0.0.2      # view va, client 127.0.0.11
FB=127.0.0.3      # view vb, client 127.0.0.12 (view list)
FDF=127.0.0.4     # domain-forward corp.example
ALL_FAKES=(fa fb fdf)

if ! have_testhooks; then
	assert_eq "test-hooks build present for the negative controls" yes no
	e2e_finish
fi

# "fa=0 fb=0 fdf=0" for the queries matching ERE
counts() { fake_counts "$1"; }

# status and EDE of a pq result, "NXDOMAIN ede=15"
se() { echo "$(r_status "$1") ede=$(r_ede "$1")"; }

cat >"$E2E_TMP/fa.zone" <<'EOF'
cloak.example. 2 CNAME t.ads.example.
t.ads.example. 2 A 10.6.6.6
EOF
# answered after 600 ms (the control file switches the mode): the chain
# into the view list's name, with and without the target's address
cat >"$E2E_TMP/fb.zone" <<'EOF'
c1.example. 300 CNAME t1.tracker.example.
t1.tracker.example. 300 A 10.5.5.5
c2.example. 300 CNAME t2.tracker.example.
EOF
fake_start fa "$FA" "$FAKE_PORT" --zone "$E2E_TMP/fa.zone" || exit 1
fake_start fb "$FB" "$FAKE_PORT" --zone "$E2E_TMP/fb.zone" || exit 1
fake_start fdf "$FDF" "$FAKE_PORT" || exit 1

echo "other.example" >"$E2E_TMP/global.txt"
# answered by the worker from Unbound's own zones, before any module runs
cat >"$E2E_TMP/az.zone" <<'EOF'
az.example. 300 IN SOA ns.az.example. h.az.example. 1 3600 600 86400 300
az.example. 300 IN NS ns.az.example.
ns.az.example. 300 IN A 192.0.2.53
ok.az.example. 300 IN A 192.0.2.77
cn.az.example. 300 IN CNAME y.ads.example.
EOF
cat >"$E2E_TMP/rpz.zone" <<'EOF'
rpz.local. 300 IN SOA ns.rpz.local. h.rpz.local. 1 3600 600 86400 300
rpz.local. 300 IN NS ns.rpz.local.
rw.example.rpz.local. 300 IN CNAME z.ads.example.
EOF
echo "tracker.example" >"$E2E_TMP/vb.txt"
write_vpndns_conf "$E2E_TMP/vpndns.conf" \
	"view: va $FA@$FAKE_PORT" \
	"view: vb $FB@$FAKE_PORT" \
	'client: 127.0.0.11/32 va' \
	'client: 127.0.0.12/32 vb' \
	"reflect: 127.0.0.0/30 $FAKE_PORT" \
	"domain-forward: corp.example $FDF@$FAKE_PORT" \
	"blocklist: $E2E_TMP/global.txt" \
	"view-blocklist: vb $E2E_TMP/vb.txt" \
	'default: refuse'
write_vpndns_unbound_conf "$E2E_TMP/ub.conf" "$E2E_TMP/vpndns.conf" \
	'	serve-expired: yes' \
	'	serve-expired-ttl: 60' \
	'	serve-expired-client-timeout: 300' \
	'	ede-serve-expired: yes' \
	'	prefetch: no' \
	'	local-zone: "local.example." static' \
	'	local-data: "lc.local.example. 300 CNAME x.ads.example."' \
	'	local-data: "own.ads.example. 300 A 10.4.4.4"' \
	'	module-config: "vpndns respip iterator"' \
	'auth-zone:' \
	'	name: "az.example."' \
	"	zonefile: \"$E2E_TMP/az.zone\"" \
	'	for-downstream: yes' \
	'	for-upstream: no' \
	'rpz:' \
	'	name: "rpz.local."' \
	"	zonefile: \"$E2E_TMP/rpz.zone\""
# the other cases without serve-expired, whose client timer would answer
# a slow query before its forwarder does; a slow chain of two forwarder
# round trips with a retry may take longer than discard-timeout
# and an auth-zone whose primary is a host name: Unbound looks it up
# itself, without a client and outside every view
write_vpndns_unbound_conf "$E2E_TMP/ub2.conf" "$E2E_TMP/vpndns.conf" \
	'	discard-timeout: 0' \
	'auth-zone:' \
	'	name: "xfr.example."' \
	'	primary: "ns.xfr.example."' \
	'	for-downstream: no' \
	'	for-upstream: no'

## 1. serve-expired ---------------------------------------------------------------

# stale_case LABEL: cache the chain, block ads.example, let it expire, then
# ask again with the forwarder slow and with it failing; prints the two
# results as "STATUS ede=E answers | STATUS ede=E answers"
stale_case() {
	local out1 out2
	echo "other.example" >"$E2E_TMP/global.txt"
	uctl vpndns_blocklist_reload >/dev/null
	fake_mode fa
	pq 127.0.0.11 cloak.example >/dev/null
	echo "ads.example" >>"$E2E_TMP/global.txt"
	uctl vpndns_blocklist_reload >/dev/null
	# from here on the target is blocked: it must never be sent
	fake_log_clear fa
	sleep 3
	fake_mode fa slow:1000
	out1=$(pq 127.0.0.11 cloak.example --timeout 5)
	# the slow answer arrives and refreshes the entry; let it expire again
	sleep 3
	fake_mode fa servfail
	out2=$(pq 127.0.0.11 cloak.example --timeout 5)
	fake_mode fa
	echo "$(se "$out1") $(r_ans "$out1") | $(se "$out2") $(r_ans "$out2")"
}

unbound_start_as normal "" "$E2E_TMP/ub.conf" || exit 1
out=$(pq 127.0.0.11 cloak.example)
assert_match "serve-expired: the chain answers before the block" '10\.6\.6\.6' "$out"
res=$(stale_case)
assert_match "serve-expired, slow forwarder: stale chain blocked (NXDOMAIN, EDE 15)" \
	'^NXDOMAIN ede=15 [^|]*\|' "$res"
assert_match "serve-expired, forwarder SERVFAIL: stale chain blocked (NXDOMAIN, EDE 15)" \
	'\| NXDOMAIN ede=15' "$res"
assert_nomatch "serve-expired: 10.6.6.6 never handed out after the block" '10\.6\.6\.6' "$res"
assert_eq "serve-expired: the blocked target was never asked for" \
	"fa=0 fb=0 fdf=0" "$(counts 't\.ads\.example\.')"

## 2. local-data CNAME into a blocked name ------------------------------------------

out=$(pq 127.0.0.11 lc.local.example)
assert_eq "local-data CNAME into a blocked name: NXDOMAIN EDE 15" "NXDOMAIN ede=15" "$(se "$out")"
assert_nomatch "local-data: the CNAME is not handed out" 'x\.ads\.example' "$out"
# a blocked name with local data of its own: the early hook answers it
# before the local zones, as the exit check would have
out=$(pq 127.0.0.11 own.ads.example)
assert_eq "local-data for a blocked name itself: NXDOMAIN EDE 15" "NXDOMAIN ede=15" "$(se "$out")"
assert_nomatch "local-data for a blocked name: its address is not handed out" '10\.4\.4\.4' "$out"
out=$(pq 127.0.0.11 ok.az.example)
assert_match "auth-zone for downstream answers its own data" '192\.0\.2\.77' "$out"
out=$(pq 127.0.0.11 cn.az.example)
assert_eq "auth-zone CNAME into a blocked name: NXDOMAIN EDE 15" "NXDOMAIN ede=15" "$(se "$out")"
assert_nomatch "auth-zone: the CNAME is not handed out" 'y\.ads\.example' "$out"
out=$(pq 127.0.0.11 rw.example --timeout 5)
assert_eq "RPZ rewrite into a blocked name: NXDOMAIN EDE 15" "NXDOMAIN ede=15" "$(se "$out")"
assert_nomatch "RPZ: the rewrite is not handed out" 'z\.ads\.example' "$out"
assert_eq "worker answers: the blocked targets were never asked for" \
	"fa=0 fb=0 fdf=0" "$(counts '[xyz]\.ads\.example\.')"

unbound_stop

## 3. live change while a query is in flight ------------------------------------------

unbound_start_as normal "" "$E2E_TMP/ub2.conf" || exit 1

# inflight NAME: ask NAME from vb's client while vb's forwarder takes
# 1 s (with Unbound's retries about 2 s), and make a live change
# meanwhile (published before the answer arrives, even on a loaded host);
# prints the result
inflight() {
	local name=$1 pid
	fake_mode fb slow:1000
	"$E2E_PYTHON" "$DNSQ" --port "$UB_PORT" --src 127.0.0.12 --timeout 8 \
		"$name" >"$E2E_TMP/inflight.out" 2>&1 &
	pid=$!
	E2E_PIDS+=("$pid")
	wait_count fb "^[^ ]* [^ ]* [^ ]* $name\. A " 1 3 >/dev/null
	uctl vpndns_allow_add unrelated.example >/dev/null
	wait "$pid"
	_e2e_forget_pid "$pid"
	uctl vpndns_allow_remove unrelated.example >/dev/null
	fake_mode fb
	cat "$E2E_TMP/inflight.out"
}

out=$(inflight c1.example)
assert_eq "in flight across a live change: view list still blocks the answer" \
	"NXDOMAIN ede=15" "$(se "$out")"
assert_nomatch "in flight: 10.5.5.5 not handed out" '10\.5\.5\.5' "$out"
out=$(inflight c2.example)
assert_eq "in flight, target not in the answer: blocked" "NXDOMAIN ede=15" "$(se "$out")"
assert_eq "in flight: the blocked target was never sent upstream" \
	"fa=0 fb=0 fdf=0" "$(counts 't[12]\.tracker\.example\.')"

# the primary's address was looked up at start, by Unbound itself
out=$(uctl list_auth_zones)
assert_match "auth-zone with a host name as primary is loaded" 'xfr\.example\.' "$out"
assert_eq "internal lookup without a client: the primary's name was sent nowhere" \
	"fa=0 fb=0 fdf=0" "$(counts 'xfr\.example\.')"
assert_nomatch "internal lookup without a client: not even tried (no egress veto)" \
	'egress veto: [^ ]*xfr\.example' "$(cat "$UB_LOG")"

## 4. self-reflection ------------------------------------------------------------

# 127.0.0.1 is in the reflect netblock and is the resolver's own address
fake_start fself 127.0.0.1 "$FAKE_PORT" || exit 1
ALL_FAKES+=(fself)
out=$(pq 127.0.0.1 self.example --timeout 5)
assert_eq "self-reflection: SERVFAIL EDE 22" "SERVFAIL ede=22" "$(se "$out")"
assert_eq "self-reflection: nothing sent" "fa=0 fb=0 fdf=0 fself=0" "$(counts 'self\.example\.')"
assert_match "self-reflection: the load warned about the netblock" \
	'reflect netblock 127\.0\.0\.0/30 holds the resolver.s own address' "$(cat "$UB_LOG")"
out=$(pq 127.0.0.3 other-reflect.example --timeout 5)
assert_match "a reflect client that is not the resolver is reflected" '192\.0\.2\.3' "$out"

## 5. domain-forward privacy -----------------------------------------------------

out=$(pq 127.0.0.11 corp.example DS --timeout 5)
pq 127.0.0.11 www.corp.example >/dev/null
assert_eq "domain-forward: DS at the apex not sent to the view's forwarder" \
	0 "$(fake_log_count fa 'corp\.example\.')"
check "domain-forward: names below the apex go to the domain's server" \
	test "$(fake_log_count fdf 'www\.corp\.example\. A')" -ge 1
unbound_stop

## negative controls: the same cases with each guard off ---------------------------

fake_log_clear fa
fake_log_clear fb
unbound_start_as testhooks exit "$E2E_TMP/ub.conf" || exit 1
pq 127.0.0.11 cloak.example >/dev/null
res=$(stale_case)
assert_match "exit off (negative control): the stale chain IS served" '10\.6\.6\.6' "$res"
out=$(pq 127.0.0.11 lc.local.example)
assert_match "exit off (negative control): the local-data CNAME IS handed out" 'x\.ads\.example' "$out"
out=$(pq 127.0.0.11 cn.az.example)
assert_match "exit off (negative control): the auth-zone CNAME IS handed out" 'y\.ads\.example' "$out"
out=$(pq 127.0.0.11 own.ads.example)
assert_eq "exit off: the early hook alone blocks local data of a blocked name" "NXDOMAIN ede=15" "$(se "$out")"
unbound_start_as testhooks front,exit "$E2E_TMP/ub.conf" || exit 1
out=$(pq 127.0.0.11 own.ads.example)
assert_match "front and exit off (negative control): the local-data address IS handed out" '10\.4\.4\.4' "$out"

# the RPZ rewrite makes the client's name an alias of the blocked name
# before the front hook, which checks the alias target
unbound_start_as testhooks front "$E2E_TMP/ub.conf" || exit 1
out=$(pq 127.0.0.11 rw.example --timeout 5)
assert_match "front off (negative control): the RPZ rewrite IS handed out" 'z\.ads\.example' "$out"

# a query's own snapshot is the first guard, the lists kept by view name
# across configurations the second: either one holds alone
unbound_start_as testhooks snapref "$E2E_TMP/ub2.conf" || exit 1
out=$(inflight c1.example)
assert_eq "snapref off: the view lists by name still block" "NXDOMAIN ede=15" "$(se "$out")"
unbound_start_as testhooks viewlists "$E2E_TMP/ub2.conf" || exit 1
out=$(inflight c1.example)
assert_eq "viewlists off: the query's own snapshot still blocks" "NXDOMAIN ede=15" "$(se "$out")"
fake_log_clear fb
unbound_start_as testhooks snapref,viewlists "$E2E_TMP/ub2.conf" || exit 1
out=$(inflight c1.example)
assert_match "snapref,viewlists off (negative control): 10.5.5.5 IS handed out" '10\.5\.5\.5' "$out"
inflight c2.example >/dev/null
check "snapref,viewlists off (negative control): the blocked target IS sent upstream" \
	test "$(fake_log_count fb 't2\.tracker\.example\.')" -ge 1

unbound_start_as testhooks selfreflect "$E2E_TMP/ub2.conf" || exit 1
pq 127.0.0.1 self2.example --timeout 5 >/dev/null
check "selfreflect off (negative control): the query IS sent to the resolver's own address" \
	test "$(fake_log_count fself 'self2\.example\.')" -ge 1

unbound_start_as testhooks dfprivacy "$E2E_TMP/ub2.conf" || exit 1
pq 127.0.0.11 corp.example DS --timeout 5 >/dev/null
check "dfprivacy off (negative control): DS at the apex IS sent to the view's forwarder" \
	test "$(fake_log_count fa 'corp\.example\. DS')" -ge 1
unbound_stop

e2e_finish

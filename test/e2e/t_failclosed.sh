#!/bin/bash
# Fail closed: when a view's forwarders fail (nothing listening, silent,
# SERVFAIL) the view's clients get SERVFAIL with EDE 22 and their queries
# go nowhere else: not to a global forward-zone ".", not to the default
# view, not to another view. Other views keep working meanwhile.

UB_PORT=5421
FAKE_PORT=5422
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpnlib.sh"

FGLOB=127.0.0.2   # global forward-zone "." in unbound.conf
FDEF=127.0.0.3    # default view
FOK=127.0.0.4     # healthy view OK, client 127.0.0.11
FSIL=127.0.0.5    # view SIL, client 127.0.0.12: never answers
FSF=127.0.0.6     # view SF, client 127.0.0.13: answers SERVFAIL
FDOWN=127.0.0.7   # view DOWN, client 127.0.0.10: nothing listens here
ALL_FAKES=(fglob fdef fok fsil fsf)

fake_start fglob "$FGLOB" "$FAKE_PORT" || exit 1
fake_start fdef "$FDEF" "$FAKE_PORT" || exit 1
fake_start fok "$FOK" "$FAKE_PORT" || exit 1
fake_start fsil "$FSIL" "$FAKE_PORT" --mode silent || exit 1
fake_start fsf "$FSF" "$FAKE_PORT" --mode servfail || exit 1

write_vpndns_conf "$E2E_TMP/vpndns.conf" \
	"view: DOWN $FDOWN@$FAKE_PORT" \
	"view: OK $FOK@$FAKE_PORT" \
	"view: SIL $FSIL@$FAKE_PORT" \
	"view: SF $FSF@$FAKE_PORT" \
	'client: 127.0.0.10/32 DOWN' \
	'client: 127.0.0.11/32 OK' \
	'client: 127.0.0.12/32 SIL' \
	'client: 127.0.0.13/32 SF' \
	"default: $FDEF@$FAKE_PORT"
# short upstream timeouts: an unresponsive server is given up after ~1 s
write_vpndns_unbound_conf "$E2E_TMP/ub.conf" "$E2E_TMP/vpndns.conf" \
	'	infra-cache-max-rtt: 400' \
	'	infra-keep-probing: no' \
	'forward-zone:' \
	'	name: "."' \
	"	forward-addr: $FGLOB@$FAKE_PORT"
unbound_start "$E2E_TMP/ub.conf" || exit 1

# "fglob=0 fdef=0 ..." for the queries matching ERE
counts() { fake_counts "$1"; }

assert_eq "healthy view answers before the failures" 192.0.2.4 "$(q 127.0.0.11 before.ok.example)"
assert_eq "default view answers an unmatched client" 192.0.2.3 "$(q 127.0.1.1 dflt.ok.example)"

## forwarder down (port closed) ----------------------------------------------

out=$(qfull 127.0.0.10 x.down.fail.example +time=5)
assert_match "down forwarder: SERVFAIL" 'status: SERVFAIL' "$out"
assert_match "down forwarder: EDE 22" 'EDE: 22' "$out"
out=$(pq 127.0.0.10 y.down.fail.example --timeout 5)
assert_eq "down forwarder, again: SERVFAIL EDE 22" "SERVFAIL ede=22" "$(r_status "$out") ede=$(r_ede "$out")"
assert_eq "down forwarder: nobody else asked" \
	"fglob=0 fdef=0 fok=0 fsil=0 fsf=0" "$(counts 'down\.fail\.example\.')"

## silent forwarder; the healthy view answers meanwhile ------------------------

"$E2E_PYTHON" "$DNSQ" --port "$UB_PORT" --src 127.0.0.12 --timeout 8 \
	x.sil.fail.example >"$E2E_TMP/sil.out" 2>&1 &
sil_pid=$!
E2E_PIDS+=("$sil_pid")
wait_count fsil 'x\.sil\.fail\.example\.' 1 3 >/dev/null
assert_eq "healthy view answers while the silent view waits" 192.0.2.4 "$(q 127.0.0.11 during.ok.example)"
t1=$(date +%s%N)
wait "$sil_pid"
_e2e_forget_pid "$sil_pid"
# dnsq writes its result when the silent view's query ends: after the
# healthy view's answer (how fast each is, is for the benchmarks)
check "the silent view's query ended after the healthy view's answer" \
	test "$(date -r "$E2E_TMP/sil.out" +%s%N)" -gt "$t1"
out=$(cat "$E2E_TMP/sil.out")
assert_eq "silent forwarder: SERVFAIL EDE 22" "SERVFAIL ede=22" "$(r_status "$out") ede=$(r_ede "$out")"
check "silent forwarder was asked (and retried)" test "$(fake_log_count fsil 'x\.sil\.fail\.example\.')" -ge 1
out=$(qfull 127.0.0.12 y.sil.fail.example +time=5)
assert_match "silent forwarder, dig: SERVFAIL" 'status: SERVFAIL' "$out"
assert_match "silent forwarder, dig: EDE 22" 'EDE: 22' "$out"
assert_eq "silent forwarder: nobody else asked" \
	"fglob=0 fdef=0 fok=0 fsf=0" "$(counts 'sil\.fail\.example\.' | sed 's/ fsil=[0-9]*//')"

## SERVFAIL-answering forwarder --------------------------------------------------

out=$(qfull 127.0.0.13 x.sf.fail.example +time=5)
assert_match "servfail forwarder: SERVFAIL" 'status: SERVFAIL' "$out"
# it answered: reachable, so not "no reachable authority" (t_servfail.sh)
assert_nomatch "servfail forwarder: no EDE 22 (it answered)" 'EDE: 22' "$out"
check "servfail forwarder was asked" test "$(fake_log_count fsf 'x\.sf\.fail\.example\.')" -ge 1
assert_eq "servfail forwarder: nobody else asked" \
	"fglob=0 fdef=0 fok=0 fsil=0" "$(counts 'sf\.fail\.example\.' | sed 's/ fsf=[0-9]*//')"

## afterwards -------------------------------------------------------------------

assert_eq "healthy view still answers afterwards" 192.0.2.4 "$(q 127.0.0.11 after.ok.example)"
assert_eq "default view still answers afterwards" 192.0.2.3 "$(q 127.0.1.1 after2.ok.example)"
assert_eq "global forward-zone fake never asked anything" 0 "$(fake_log_count fglob)"
assert_eq "default view's fake asked only for its own client's names" \
	"1 0" "$(fake_log_count fdef 'dflt\.ok\.example\.') $(fake_log_count fdef 'fail\.example\.|before|during|after\.ok')"
assert_eq "healthy view's fake saw only its own names" 0 "$(fake_log_count fok 'fail\.example\.|dflt|after2')"
assert_eq "silent/servfail fakes saw only their own view's names" \
	"0 0" "$(fake_log_count fsil 'ok\.example\.|down|sf\.fail') $(fake_log_count fsf 'ok\.example\.|down|sil\.fail')"

## a SERVFAIL the forwarder sent passes as stock Unbound passes it ----------------

# stock_result FAKEADDR NAME: status and EDE stock Unbound (module-config
# "iterator", same build) gives when forwarding to that fake
stock_result() {
	local out
	write_unbound_conf "$E2E_TMP/stock.conf" \
		'	module-config: "iterator"' \
		'	infra-cache-max-rtt: 400' \
		'	infra-keep-probing: no' \
		'forward-zone:' \
		'	name: "."' \
		"	forward-addr: $1@$FAKE_PORT"
	unbound_start_as normal "" "$E2E_TMP/stock.conf" || return 1
	out=$(pq 127.0.0.13 "$2" --timeout 8)
	unbound_stop
	echo "$(r_status "$out") ede=$(r_ede "$out")"
}
vpn_sf=$(pq 127.0.0.13 cmp.sf.fail.example --timeout 8)
vpn_sil=$(pq 127.0.0.12 cmp.sil.fail.example --timeout 8)
unbound_stop
assert_eq "forwarder SERVFAIL: vpndns answers as stock Unbound does" \
	"$(stock_result "$FSF" cmp2.sf.fail.example)" "$(r_status "$vpn_sf") ede=$(r_ede "$vpn_sf")"
assert_eq "silent forwarder: vpndns says EDE 22, the dead tunnel" \
	"SERVFAIL ede=22" "$(r_status "$vpn_sil") ede=$(r_ede "$vpn_sil")"
assert_nomatch "the two cases are told apart" '(^| )22( |$)' "$(r_ede "$vpn_sf")"

if have_testhooks; then
	unbound_start_as testhooks ede22 "$E2E_TMP/ub.conf" || exit 1
	out=$(pq 127.0.0.13 nc.sf.fail.example --timeout 8)
	assert_eq "ede22 off (negative control): forwarder SERVFAIL IS labelled EDE 22" \
		"SERVFAIL ede=22" "$(r_status "$out") ede=$(r_ede "$out")"
	unbound_stop
else
	assert_eq "test-hooks build present for the negative control" yes no
fi

e2e_finish

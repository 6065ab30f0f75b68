#!/usr/bin/env bash
# Three quick reloads with queries in flight.  A reload lets a view of
# the new set take over an unchanged view's caches and counters; the
# queries that started before it keep using them through the old view.
# When a later reload changes that view, the set that owned the caches
# last is retired with no query of its own in flight; it must not free
# the caches while the oldest set's queries still run (they store their
# answers into them).  The forwarder answers slowly (3 s, below the
# retransmit and discard timeouts set here) so that the queries outlast
# the reloads.  Every query is answered from the forwarder it was
# sent to, unbound keeps serving, and under the sanitizer runs
# (test/sanitize.sh) the memory checkers see no use after free.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpnlib.sh"

UB_PORT=5810
FP=5811
A=127.0.17.20        # client of view a
N=${RC_N:-30}                 # queries in flight across the reloads

fake_start old 127.0.17.3 "$FP" --mode slow:3000
fake_start new 127.0.17.4 "$FP"
conf() { # FORWARDER
	write_vpndns_conf "$E2E_TMP/vpndns.conf" "view: a $1@$FP" "client: $A/32 a" \
		"view-fail-timeout: 0"
}
conf 127.0.17.3
# reload: start a full reload and wait until it is done (bounded)
reload() {
	uctl vpndns_reload | head -n 1
	wait_until 10 sh -c "'$UNBOUND_CONTROL' -c '$E2E_TMP/ub.conf' vpndns_status | grep -q '^reload=idle'"
}
write_vpndns_unbound_conf "$E2E_TMP/ub.conf" "$E2E_TMP/vpndns.conf" \
	"	interface: $A@$UB_PORT" "	num-threads: 2" \
	"	infra-cache-min-rtt: 5000" "	discard-timeout: 10000"
unbound_start "$E2E_TMP/ub.conf" || { e2e_finish; exit 1; }

pids=()
for ((i = 0; i < N; i++)); do
	dig +time=12 +tries=1 -b $A @$A -p $UB_PORT "q$i.example" A \
		>"$E2E_TMP/dig.$i" 2>&1 &
	pids+=($!)
done
n=$(wait_count old 'q[0-9]+\.example\.' $N 5)
assert_eq "all $N queries reached the slow forwarder" yes "$( ((n >= N)) && echo yes || echo "no, $n")"

# reload 1: unchanged, the new set takes over view a's caches and counters
assert_match "reload 1 (unchanged)" "^ok" "$(reload)"
# reload 2: view a changes, so the set of reload 1 owns the caches and is
# retired with no query of its own
conf 127.0.17.4
assert_match "reload 2 (view a changed)" "^ok" "$(reload)"
# reload 3: unchanged again, the set of reload 2 is retired as well
assert_match "reload 3 (unchanged)" "^ok" "$(reload)"

ok=0
for ((i = 0; i < N; i++)); do
	wait "${pids[$i]}"
	grep -q "status: NOERROR" "$E2E_TMP/dig.$i" &&
		grep -qE "^q$i\.example\..*A[[:space:]]+192\.0\.2\.3$" "$E2E_TMP/dig.$i" &&
		ok=$((ok + 1))
done
assert_eq "every query in flight answered by the forwarder it was sent to" "$N" "$ok"
check "unbound still running" kill -0 "$UB_PID"
assert_eq "a new query goes to the new forwarder" "192.0.2.4" "$(q $A after.example)"
assert_eq "the old forwarder never saw it" 0 "$(fake_log_count old 'after\.example\.')"
# a second round reuses the caches the reloads handed on
for ((i = 0; i < N; i++)); do
	dig +short +time=5 +tries=1 -b $A @$A -p $UB_PORT "q$i.example" A
done >"$E2E_TMP/round2"
assert_eq "second round: $N answers" "$N" "$(grep -c '^192\.0\.2\.[34]$' "$E2E_TMP/round2")"
check "unbound still running after the second round" kill -0 "$UB_PID"
assert_eq "no crash report in the log" 0 "$(ub_log_count 'AddressSanitizer|Invalid (read|write)|fatal')"

e2e_finish

#!/bin/bash
# Prefetch and serve-expired stay inside the view.
#
# prefetch: a name with TTL 10 is asked by a client of view A and of view
# B; asked again once >90% of the TTL has passed, each view refreshes it
# from its own forwarder (that fake sees a second query, the other view's
# fake does not), and the answers stay per view.
#
# serve-expired (serve-expired-client-timeout: 0): a name with TTL 2,
# asked again after it expired while the view's forwarder answers
# SERVFAIL, gives the client its own view's stale answer with EDE 3
# (ede-serve-expired: yes), never the other view's.

UB_PORT=5461
FAKE_PORT=5462
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpnlib.sh"

FA=127.0.0.2   # view A, client 127.0.0.10
FB=127.0.0.3   # view B, client 127.0.0.11
PF=pf.example.com   # TTL 10: prefetch
SE=se.example.com   # TTL 2: serve-expired

cat >"$E2E_TMP/za.txt" <<EOZ
$PF. 10 IN A 198.51.100.2
$SE.  2 IN A 198.51.100.12
EOZ
cat >"$E2E_TMP/zb.txt" <<EOZ
$PF. 10 IN A 198.51.100.3
$SE.  2 IN A 198.51.100.13
EOZ
fake_start fa "$FA" "$FAKE_PORT" --zone "$E2E_TMP/za.txt" || exit 1
fake_start fb "$FB" "$FAKE_PORT" --zone "$E2E_TMP/zb.txt" || exit 1

write_two_views_conf "$E2E_TMP/vpndns.conf"
write_vpndns_unbound_conf "$E2E_TMP/ub.conf" "$E2E_TMP/vpndns.conf" \
	'	prefetch: yes' \
	'	serve-expired: yes' \
	'	serve-expired-ttl: 60' \
	'	serve-expired-client-timeout: 0' \
	'	ede-serve-expired: yes' \
	'	infra-cache-max-rtt: 400'
unbound_start "$E2E_TMP/ub.conf" || exit 1

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# sleep_until MS: sleep until the epoch time MS (milliseconds)
sleep_until() {
	local d=$(($1 - $(now_ms)))
	((d > 0)) && sleep "$(printf '%d.%03d' $((d / 1000)) $((d % 1000)))"
	return 0
}
pf_counts() { echo "fa=$(fake_log_count fa " $PF\. A ") fb=$(fake_log_count fb " $PF\. A ")"; }
se_counts() { echo "fa=$(fake_log_count fa " $SE\. A ") fb=$(fake_log_count fb " $SE\. A ")"; }
both() { echo "$(r_status "$1") $(r_ans "$1")"; }

## first ask ------------------------------------------------------------------------

assert_eq "A: $PF first ask" 198.51.100.2 "$(q 127.0.0.10 $PF)"
T_A=$(now_ms)
assert_eq "B: $PF first ask" 198.51.100.3 "$(q 127.0.0.11 $PF)"
T_B=$(now_ms)
assert_eq "A: $SE first ask" 198.51.100.12 "$(q 127.0.0.10 $SE)"
S_A=$(now_ms)
assert_eq "B: $SE first ask" 198.51.100.13 "$(q 127.0.0.11 $SE)"
S_B=$(now_ms)
assert_eq "first ask: one query per view's fake ($PF)" "fa=1 fb=1" "$(pf_counts)"
assert_eq "first ask: one query per view's fake ($SE)" "fa=1 fb=1" "$(se_counts)"

## serve-expired: TTL 2 expired, forwarders fail -------------------------------------

fake_mode fa servfail
fake_mode fb servfail
sleep_until $((S_A + 3500))
out=$(pq 127.0.0.10 $SE)
assert_eq "serve-expired A: own stale answer" "NOERROR 198.51.100.12" "$(both "$out")"
assert_eq "serve-expired A: EDE 3 (stale answer)" 3 "$(r_ede "$out")"
assert_eq "serve-expired A: reply ID matches" ok "$(r_id "$out")"
n=$(wait_count fa " $SE\. A " 2 3)
check "serve-expired A: the refresh asked A's fake ($n queries, SERVFAIL retried)" test "$n" -ge 2
sleep 0.3
assert_eq "serve-expired A: B's fake saw no refresh" 1 "$(fake_log_count fb " $SE\. A ")"
NA=$(fake_log_count fa " $SE\. A ")
sleep_until $((S_B + 3500))
out=$(pq 127.0.0.11 $SE)
assert_eq "serve-expired B: own stale answer" "NOERROR 198.51.100.13" "$(both "$out")"
assert_eq "serve-expired B: EDE 3 (stale answer)" 3 "$(r_ede "$out")"
n=$(wait_count fb " $SE\. A " 2 3)
check "serve-expired B: the refresh asked B's fake ($n queries)" test "$n" -ge 2
sleep 0.3
assert_eq "serve-expired B: A's fake saw nothing more" "$NA" "$(fake_log_count fa " $SE\. A ")"
out=$(pq 127.0.0.10 $SE)
assert_eq "serve-expired A again (after failed refresh): still own stale answer" \
	"NOERROR 198.51.100.12" "$(both "$out")"
fake_mode fa
fake_mode fb
assert_eq "serve-expired: $PF not refreshed yet" "fa=1 fb=1" "$(pf_counts)"

## prefetch: >90% of TTL 10 passed ---------------------------------------------------

sleep_until $((T_A + 9300))
out=$(pq 127.0.0.10 $PF)
assert_eq "prefetch A: cached answer is A's" "NOERROR 198.51.100.2" "$(both "$out")"
assert_eq "prefetch A: reply ID matches" ok "$(r_id "$out")"
wait_count fa " $PF\. A " 2 3 >/dev/null
sleep 0.2
assert_eq "prefetch A: A's fake refreshed it, B's fake saw nothing" "fa=2 fb=1" "$(pf_counts)"
sleep_until $((T_B + 9300))
out=$(pq 127.0.0.11 $PF)
assert_eq "prefetch B: cached answer is B's" "NOERROR 198.51.100.3" "$(both "$out")"
wait_count fb " $PF\. A " 2 3 >/dev/null
sleep 0.2
assert_eq "prefetch B: B's fake refreshed it, A's fake saw nothing more" "fa=2 fb=2" "$(pf_counts)"

# after the refresh both views answer from their own refreshed entries
out=$(pq 127.0.0.10 $PF)
assert_eq "after prefetch A: own answer" "NOERROR 198.51.100.2" "$(both "$out")"
out=$(pq 127.0.0.11 $PF)
assert_eq "after prefetch B: own answer" "NOERROR 198.51.100.3" "$(both "$out")"
assert_eq "after prefetch: answered from the refreshed caches" "fa=2 fb=2" "$(pf_counts)"

e2e_finish

#!/bin/bash
# Concurrency: identical queries in flight from two views at once are never
# merged across views. 200 identical queries from a client of view A and
# 200 from a client of view B are sent back to back while the fakes delay
# their answers (slow:500), so every query overlaps every other; each
# client must get only its own view's answer, and every query an answer.
# Negative control: the test-hooks build with VPNDNS_TEST_GUARD_OFF=
# unique_mesh merges them, and wrong answers appear.

UB_PORT=5441
FAKE_PORT=5442
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpnlib.sh"

N=200
FA=127.0.0.2   # view A: answers 192.0.2.2 after 500 ms
FB=127.0.0.3   # view B: answers 192.0.2.3 after 500 ms

fake_start fa "$FA" "$FAKE_PORT" --mode slow:500 || exit 1
fake_start fb "$FB" "$FAKE_PORT" --mode slow:500 || exit 1

write_two_views_conf "$E2E_TMP/vpndns.conf"
write_vpndns_unbound_conf "$E2E_TMP/ub.conf" "$E2E_TMP/vpndns.conf" \
	'	so-rcvbuf: 4m' \
	'	num-queries-per-thread: 2048' \
	'	outgoing-range: 4096'

# burst NAME: N queries from each client at once; prints the total line
burst() {
	"$E2E_PYTHON" "$DNSQ" --port "$UB_PORT" --count "$N" --timeout 8 \
		"$1" --burst 127.0.0.10=192.0.2.2 127.0.0.11=192.0.2.3 \
		>"$E2E_TMP/burst-$1.out" 2>&1
	cat "$E2E_TMP/burst-$1.out" >&2
	sed -n 's/^total //p' "$E2E_TMP/burst-$1.out"
}
field() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" <<<"$2"; }

## vpndns -----------------------------------------------------------------------

unbound_start_as normal "" "$E2E_TMP/ub.conf" || exit 1
tot=$(burst same1.example.com)
assert_eq "vpndns: all $((2 * N)) queries sent" $((2 * N)) "$(field sent "$tot")"
assert_eq "vpndns: all $((2 * N)) queries answered" $((2 * N)) "$(field answered "$tot")"
assert_eq "vpndns: wrong (other view's / failed) answers" 0 "$(field wrong "$tot")"
assert_eq "vpndns: right answers" $((2 * N)) "$(field right "$tot")"
assert_eq "vpndns: replies with a mismatched ID" 0 "$(field idbad "$tot")"
na=$(fake_log_count fa ' same1\.example\.com\. A ')
nb=$(fake_log_count fb ' same1\.example\.com\. A ')
check "vpndns: view A's fake was asked ($na)" test "$na" -ge 1
check "vpndns: view B's fake was asked ($nb)" test "$nb" -ge 1
# the last client query was sent before the first upstream answer could
# come back (500 ms), so all of them were in flight together
check "vpndns: the burst overlapped (sent within $(field send_span_ms "$tot") ms < 500 ms)" \
	test "$(field send_span_ms "$tot")" -lt 500

## test-hooks build, guards on: same result -----------------------------------

if have_testhooks; then
	unbound_start_as testhooks "" "$E2E_TMP/ub.conf" || exit 1
	tot=$(burst same2.example.com)
	assert_eq "testhooks, guards on: all answered" $((2 * N)) "$(field answered "$tot")"
	assert_eq "testhooks, guards on: wrong answers" 0 "$(field wrong "$tot")"

## negative control: unique_mesh off -> cross-view merging ------------------

	unbound_start_as testhooks unique_mesh "$E2E_TMP/ub.conf" || exit 1
	tot=$(burst same3.example.com)
	assert_eq "unique_mesh off: all answered" $((2 * N)) "$(field answered "$tot")"
	check "unique_mesh off: the burst overlapped ($(field send_span_ms "$tot") ms)" \
		test "$(field send_span_ms "$tot")" -lt 500
	check "unique_mesh off (negative control): wrong answers > 0 ($(field wrong "$tot"))" \
		test "$(field wrong "$tot")" -gt 0
	unbound_stop
else
	assert_eq "test-hooks build present for the negative control" yes no
fi

e2e_finish

#!/bin/bash
# Self-test of the e2e harness against a stock iterator-only unbound: proves
# that fakedns answers and logs as specified and that lib.sh can start,
# query and stop everything. If this fails, no other e2e result means much.

. "$(dirname "$0")/lib.sh"

F1=127.0.0.2
F2=127.0.0.3
F3=127.0.0.4
F4=127.0.0.5

cat >"$E2E_TMP/zone.txt" <<'EOF'
; name TTL IN TYPE rdata
alias.zone.example.   60 IN CNAME mid.zone.example.
mid.zone.example.     60 IN CNAME target.zone.example.
target.zone.example.  60 IN A     198.51.100.7
txtonly.zone.example. 60 IN TXT   "only txt here"
bad.zone.example.      0 IN NXDOMAIN
EOF

fake_start f1 "$F1" "$FAKE_PORT" || exit 1
fake_start f2 "$F2" "$FAKE_PORT" || exit 1
fake_start f3 "$F3" "$FAKE_PORT" --zone "$E2E_TMP/zone.txt" || exit 1
fake_start f4 "$F4" "$FAKE_PORT" --mode servfail || exit 1

## fakedns on its own, queried directly ----------------------------------

out=$(dig +time=2 +tries=1 +norec @"$F1" -p "$FAKE_PORT" direct.example.com A)
assert_match "fake: AA+RA set, RD copied (off)" 'flags: qr aa ra;' "$out"
assert_match "fake: EDNS echoed" 'EDNS: version: 0' "$out"
out=$(dig +time=2 +tries=1 +noedns @"$F1" -p "$FAKE_PORT" direct.example.com A)
assert_nomatch "fake: no EDNS when query had none" 'OPT PSEUDOSECTION' "$out"
assert_eq "fake: TXT names the upstream" '"upstream=f1"' \
	"$(dig +short +time=2 +tries=1 @"$F1" -p "$FAKE_PORT" direct.example.com TXT)"
assert_eq "fake: default AAAA" "2001:db8::2" \
	"$(dig +short +time=2 +tries=1 @"$F1" -p "$FAKE_PORT" direct.example.com AAAA)"
out=$(dig +time=2 +tries=1 @"$F1" -p "$FAKE_PORT" direct.example.com MX)
assert_match "fake: other types are NODATA with SOA" 'IN[[:space:]]+SOA' "$out"
dig +short +tcp +time=2 +tries=1 @"$F2" -p "$FAKE_PORT" tcp.example.com A >/dev/null
assert_eq "fake: +tcp query logged as tcp" 1 \
	"$(fake_log_count f2 '^[0-9.]+ tcp 127\.0\.0\.1#[0-9]+ tcp\.example\.com\. A id=[0-9]+$')"
printf 'junk' >/dev/udp/"$F2"/"$FAKE_PORT"
assert_eq "fake: malformed input logged" 1 "$(wait_count f2 ' udp [0-9.]+#[0-9]+ MALFORMED$' 1)"
check "fake: still alive after malformed input" kill -0 "${FAKE_PID[f2]}"
fake_mode f1 wrongid
out=$(dig +time=1 +tries=1 @"$F1" -p "$FAKE_PORT" wrong.example.com A 2>&1)
assert_match "fake: wrongid mode" 'ID mismatch' "$out"
fake_mode f1
fake_log_clear f1
fake_log_clear f2
assert_eq "fake_log_clear empties the log" 0 "$(fake_log_count f1)"

## through unbound -----------------------------------------------------------

write_unbound_conf "$E2E_TMP/unbound.conf" \
	'	module-config: "iterator"' \
	'forward-zone:' \
	'	name: "zone.example."' \
	"	forward-addr: $F3@$FAKE_PORT" \
	'forward-zone:' \
	'	name: "fail.example."' \
	"	forward-addr: $F4@$FAKE_PORT" \
	'forward-zone:' \
	'	name: "."' \
	"	forward-addr: $F1@$FAKE_PORT"
unbound_start "$E2E_TMP/unbound.conf" || exit 1
assert_match "unbound-control works" 'is running' "$(uctl status 2>&1)"

assert_eq "answer comes from fake 1" 192.0.2.2 "$(q 127.0.0.1 www.example.com)"
assert_eq "fake 1 asked exactly once" 1 "$(fake_log_count f1 ' www\.example\.com\. A ')"
assert_eq "fake 2 never asked" 0 "$(fake_log_count f2)"
assert_eq "repeat query answered" 192.0.2.2 "$(q 127.0.0.10 www.example.com)"
assert_eq "repeat query served from cache" 1 "$(fake_log_count f1 ' www\.example\.com\. A ')"
assert_eq "query over IPv6 to unbound" 192.0.2.2 "$(q ::1 www.example.com A)"
assert_eq "client +tcp query" 192.0.2.2 "$(q 127.0.0.1 www.example.com A +tcp)"

fake_mode f1 truncate
assert_eq "truncated upstream: answer via TCP retry" 192.0.2.2 "$(q 127.0.0.1 tc.example.com)"
assert_eq "truncated upstream: udp then tcp logged" "udp tcp" \
	"$(awk '$4 == "tc.example.com." { printf "%s%s", sep, $2; sep = " " }' "$E2E_TMP/f1.log")"
fake_mode f1

assert_eq "zone: CNAME chain followed" \
	"mid.zone.example. target.zone.example. 198.51.100.7" \
	"$(q 127.0.0.1 alias.zone.example | tr '\n' ' ' | sed 's/ $//')"
assert_eq "zone: chain answered in one upstream query" 1 "$(fake_log_count f3 ' alias\.zone\.example\. ')"
assert_eq "zone: NXDOMAIN marker" NXDOMAIN "$(qstatus 127.0.0.1 bad.zone.example)"
assert_eq "zone: NXDOMAIN came from fake 3" 1 "$(fake_log_count f3 ' bad\.zone\.example\. ')"
out=$(qfull 127.0.0.1 txtonly.zone.example A)
assert_match "zone: NODATA status" 'status: NOERROR' "$out"
assert_match "zone: NODATA has no answer" 'ANSWER: 0,' "$out"
assert_eq "zone: names not in file get defaults" 192.0.2.4 "$(q 127.0.0.1 other.zone.example)"

assert_eq "--mode servfail gives SERVFAIL" SERVFAIL "$(qstatus 127.0.0.1 x.fail.example)"
check "servfail upstream was asked" test "$(fake_log_count f4 ' x\.fail\.example\. ')" -ge 1

fake_mode f1 servfail
assert_eq "control file switches mode at runtime" SERVFAIL "$(qstatus 127.0.0.1 ctl.example.com)"
fake_mode f1
uctl flush_infra all >/dev/null
uctl flush ctl.example.com >/dev/null
assert_eq "control file removed: normal again" 192.0.2.2 "$(q 127.0.0.1 ctl.example.com)"

unbound_stop
check "unbound_stop stopped unbound" test -z "$UB_PID"

e2e_finish

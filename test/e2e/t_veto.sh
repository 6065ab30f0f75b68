#!/bin/bash
# View environment and egress veto, with negative controls (test-hooks
# build). unbound.conf has a global forward-zone "." to a "global" fake
# that no vpndns client may ever reach.
#
#   normal build:               view A's answer; global fake: 0 queries
#   test-hooks, env off:        the query runs in the worker's global
#                               environment and would go to the global
#                               forwarder; the egress veto cancels it:
#                               SERVFAIL, global fake 0, "egress veto" logged
#   test-hooks, env,veto off:   the global fake DOES get the query (so the
#                               veto is what stopped it above)

UB_PORT=5471
FAKE_PORT=5472
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpnlib.sh"

FGLOB=127.0.0.2   # global forward-zone "." (192.0.2.2)
FA=127.0.0.3      # view A, client 127.0.0.10 (192.0.2.3)

fake_start fglob "$FGLOB" "$FAKE_PORT" || exit 1
fake_start fa "$FA" "$FAKE_PORT" || exit 1

write_vpndns_conf "$E2E_TMP/vpndns.conf" \
	"view: A $FA@$FAKE_PORT" \
	'client: 127.0.0.10/32 A' \
	'default: refuse'
write_vpndns_unbound_conf "$E2E_TMP/ub.conf" "$E2E_TMP/vpndns.conf" \
	'	infra-cache-max-rtt: 400' \
	'forward-zone:' \
	'	name: "."' \
	"	forward-addr: $FGLOB@$FAKE_PORT"

veto_lines() { ub_log_count 'vpndns: egress veto: '; }

## normal build ---------------------------------------------------------------------

unbound_start_as normal "" "$E2E_TMP/ub.conf" || exit 1
assert_eq "normal: view A's answer" 192.0.2.3 "$(q 127.0.0.10 n.example.com)"
assert_eq "normal: over TCP too" 192.0.2.3 "$(q 127.0.0.10 ntcp.example.com +tcp)"
assert_eq "normal: view A's fake asked" 2 "$(fake_log_count fa 'n(tcp)?\.example\.com\.')"
assert_eq "normal: global fake got nothing" 0 "$(fake_log_count fglob)"
assert_eq "normal: no egress veto needed" 0 "$(veto_lines)"

if ! have_testhooks; then
	assert_eq "test-hooks build present for the negative controls" yes no
	e2e_finish
fi

## test-hooks, guards on: same as normal --------------------------------------------

unbound_start_as testhooks "" "$E2E_TMP/ub.conf" || exit 1
assert_eq "testhooks, guards on: view A's answer" 192.0.2.3 "$(q 127.0.0.10 g.example.com)"
assert_eq "testhooks, guards on: global fake got nothing" 0 "$(fake_log_count fglob)"
assert_eq "testhooks, guards on: no egress veto" 0 "$(veto_lines)"

## env off: the veto catches the escape -------------------------------------------

fake_log_clear fa
unbound_start_as testhooks env "$E2E_TMP/ub.conf" || exit 1
out=$(qfull 127.0.0.10 e.example.com +time=5)
assert_match "env off: client gets SERVFAIL" 'status: SERVFAIL' "$out"
assert_nomatch "env off: no answer handed out" '^e\.example\.com\..*IN[[:space:]]+A' "$out"
assert_eq "env off: global fake got ZERO queries" 0 "$(fake_log_count fglob)"
assert_eq "env off: view A's fake not asked either (the query left the view)" 0 "$(fake_log_count fa)"
check "env off: unbound log shows the egress veto" test "$(veto_lines)" -ge 1
# the query runs in the global environment, so no view owns it
assert_match "env off: the veto names the global forwarder" \
	"egress veto: e\.example\.com\. to $FGLOB port $FAKE_PORT \(view [^)]*\): " \
	"$(grep 'egress veto' "$UB_LOG")"

## env and veto off: the global fake is reached (negative control) -------------------

unbound_start_as testhooks env,veto "$E2E_TMP/ub.conf" || exit 1
vetoes_before=$(veto_lines)
assert_eq "env,veto off: client gets the GLOBAL forwarder's answer (leak)" 192.0.2.2 "$(q 127.0.0.10 ev.example.com)"
check "env,veto off (negative control): global fake DID get the query" \
	test "$(fake_log_count fglob ' ev\.example\.com\. ')" -ge 1
assert_eq "env,veto off: no veto logged" "$vetoes_before" "$(veto_lines)"
unbound_stop

e2e_finish

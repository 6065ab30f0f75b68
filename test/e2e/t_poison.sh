#!/bin/bash
# Poisoned global cache: an entry loaded into Unbound's global cache with
# unbound-control load_cache must never reach a vpndns client; the front
# hook answers from the view's cache instead.
#
#   1. a stock unbound (module-config: "iterator") resolves the name from a
#      "poison" fake; its dump_cache is the poison.
#   2. the vpndns unbound loads it (positive control: its dump_cache lists
#      the poisoned entry), and a client of view A asks the name: view A's
#      answer, never the poison.
#   3. negative control: the test-hooks build with VPNDNS_TEST_GUARD_OFF=
#      front (the stock global cache stage runs) DOES hand out the poison,
#      so this test catches the bug it is meant to catch.

UB_PORT=5431
FAKE_PORT=5432
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpnlib.sh"

POISON=203.0.113.66
FPOIS=127.0.0.2   # the poison source, used only by the stock unbound
FA=127.0.0.3      # view A's forwarder: answers 192.0.2.3
NAME=victim.example.com

fake_start fpois "$FPOIS" "$FAKE_PORT" --a "$POISON" --ttl 3600 || exit 1
fake_start fa "$FA" "$FAKE_PORT" || exit 1

## 1. make the poison with a stock unbound -------------------------------------

write_unbound_conf "$E2E_TMP/stock.conf" \
	'	module-config: "iterator"' \
	'forward-zone:' \
	'	name: "."' \
	"	forward-addr: $FPOIS@$FAKE_PORT"
unbound_start "$E2E_TMP/stock.conf" || exit 1
assert_eq "stock unbound resolves the poison" "$POISON" "$(q 127.0.0.10 "$NAME")"
uctl dump_cache >"$E2E_TMP/poison.dump" 2>&1
unbound_stop
assert_match "poison dump holds the poisoned rrset" "^$NAME\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+$POISON" \
	"$(cat "$E2E_TMP/poison.dump")"
assert_match "poison dump holds the message entry" "^msg $NAME\. IN A " "$(cat "$E2E_TMP/poison.dump")"
fake_log_clear fpois

write_vpndns_conf "$E2E_TMP/vpndns.conf" \
	"view: A $FA@$FAKE_PORT" \
	'client: 127.0.0.10/32 A' \
	'default: refuse'
write_vpndns_unbound_conf "$E2E_TMP/ub.conf" "$E2E_TMP/vpndns.conf"

# load_poison: load the dump into the running unbound and show it is there
load_poison() { # LABEL
	local out
	out=$(uctl load_cache <"$E2E_TMP/poison.dump" 2>&1)
	assert_eq "$1: load_cache ok" ok "$out"
	out=$(uctl dump_cache 2>&1)
	assert_match "$1: positive control: global cache holds the poison" \
		"^$NAME\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+$POISON" "$out"
	assert_match "$1: positive control: global msg cache holds the entry" "^msg $NAME\. IN A " "$out"
}

## 2. vpndns: the poison never reaches a client --------------------------------

unbound_start_as normal "" "$E2E_TMP/ub.conf" || exit 1
load_poison "vpndns"
assert_eq "vpndns: client gets view A's answer, not the poison" 192.0.2.3 "$(q 127.0.0.10 "$NAME")"
assert_eq "vpndns: view A's forwarder was asked" 1 "$(fake_log_count fa " $NAME\. A ")"
out=$(pq 127.0.0.10 "$NAME")
assert_eq "vpndns: repeat (view cache) still view A's answer" "NOERROR 192.0.2.3" "$(r_status "$out") $(r_ans "$out")"
out=$(pq 127.0.0.10 "$NAME" A --tcp)
assert_eq "vpndns: over TCP too" "NOERROR 192.0.2.3" "$(r_status "$out") $(r_ans "$out")"
assert_eq "vpndns: unmapped client is refused, not served the poison" REFUSED \
	"$(r_status "$(pq 127.0.1.1 "$NAME")")"
assert_eq "vpndns: view A's forwarder asked once in all" 1 "$(fake_log_count fa " $NAME\. A ")"
assert_eq "vpndns: poison source never asked" 0 "$(fake_log_count fpois)"

## 2b. the test-hooks build with every guard on behaves the same -------------

if have_testhooks; then
	fake_log_clear fa
	unbound_start_as testhooks "" "$E2E_TMP/ub.conf" || exit 1
	load_poison "testhooks, guards on"
	assert_eq "testhooks, guards on: view A's answer" 192.0.2.3 "$(q 127.0.0.10 "$NAME")"
	assert_eq "testhooks, guards on: view A's forwarder asked" 1 "$(fake_log_count fa " $NAME\. A ")"

## 3. negative control: front guard off -> the poison gets through ----------

	fake_log_clear fa
	unbound_start_as testhooks front "$E2E_TMP/ub.conf" || exit 1
	load_poison "front off"
	assert_eq "front off (negative control): client gets the POISON" "$POISON" "$(q 127.0.0.10 "$NAME")"
	assert_eq "front off: view A's forwarder not asked (answer came from the global cache)" \
		0 "$(fake_log_count fa " $NAME\. A ")"
	assert_eq "front off: poison source never asked" 0 "$(fake_log_count fpois)"
	unbound_stop
else
	assert_eq "test-hooks build present for the negative control" yes no
fi

e2e_finish

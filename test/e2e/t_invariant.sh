#!/bin/bash
# Randomized invariant test: a random mix of identical concurrent queries
# from several views, short TTLs, forwarder faults, list edits, allow
# changes, reloads and flushes, with every answer and every query a
# forwarder received judged by an oracle (invariant.py: only the client's
# own view's data, no name blocked under every policy the query may have
# used, nothing of another view at a forwarder, domain-forward names only
# at the domain's server).
#
# Two phases, serve-expired on (with a client timeout, so stale answers
# are served) and off, share INVARIANT_SECONDS (default 60).
#
# Negative controls, on the test-hooks build: a short run
# (INVARIANT_NEG_SECONDS, default 10) with unique_mesh and dfprivacy off
# must report answers of another view and domain-forward names at a
# view's forwarder; with INVARIANT_NEG_BLOCK_SECONDS set (make
# check-invariant sets 60), a run with snapref and viewlists off must
# report a blocked name answered or sent upstream (the mix needs a live
# change while a query of a view list's name is in flight, too rare for
# a short run).

UB_PORT=5910
FAKE_PORT=5911
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpnlib.sh"

INVARIANT="$E2E_DIR/invariant.py"
SECONDS_TOTAL=${INVARIANT_SECONDS:-60}
NEG_SECONDS=${INVARIANT_NEG_SECONDS:-10}
NEG_BLOCK_SECONDS=${INVARIANT_NEG_BLOCK_SECONDS:-0}
SEED=${INVARIANT_SEED:-$(date +%s)}
echo "# seed $SEED (INVARIANT_SEED=$SEED repeats the random choices)"

if ! have_testhooks; then
	assert_eq "test-hooks build present for the negative control" yes no
	e2e_finish
fi

fakes=$("$E2E_PYTHON" "$INVARIANT" setup "$E2E_TMP" "$FAKE_PORT" --seed "$SEED") || exit 1
while read -r tag addr; do
	fake_start "$tag" "$addr" "$FAKE_PORT" --ttl 2 --zone "$E2E_TMP/$tag.zone" || exit 1
done <<<"$fakes"

common=('	num-threads: 2' '	prefetch: no')
write_vpndns_unbound_conf "$E2E_TMP/ub_se.conf" "$E2E_TMP/vpndns.conf" "${common[@]}" \
	'	serve-expired: yes' \
	'	serve-expired-ttl: 30' \
	'	serve-expired-client-timeout: 300' \
	'	ede-serve-expired: yes'
write_vpndns_unbound_conf "$E2E_TMP/ub_plain.conf" "$E2E_TMP/vpndns.conf" "${common[@]}" \
	'	serve-expired: no'

# phase NAME KIND GUARDS CONF SECONDS SEED: one run of the driver against a
# fresh unbound; sets RC and OUT (the driver's output)
phase() {
	local name=$1 kind=$2 guards=$3 conf=$4 secs=$5 seed=$6
	RC=0
	OUT=""
	unbound_start_as "$kind" "$guards" "$conf" || { RC=3; return; }
	OUT=$("$E2E_PYTHON" "$INVARIANT" run "$E2E_TMP" --ub-port "$UB_PORT" \
		--control "$UNBOUND_CONTROL" --conf "$conf" --seconds "$secs" \
		--seed "$seed" 2>&1) || RC=$?
	unbound_stop
	echo "# $name: $(grep '^invariant:' <<<"$OUT")"
}

# num KEY: a number from the driver's summary line (0 when absent)
num() {
	local n
	n=$(sed -n "s/^invariant:.* $1=\([0-9]*\).*/\1/p" <<<"$OUT")
	echo "${n:-0}"
}

# assert_phase NAME: a clean run that really exercised the mix
assert_phase() {
	local name=$1
	assert_eq "$name: no violation, control commands all succeeded (driver exit 0)" 0 "$RC"
	if ((RC != 0)); then
		grep -E '^(VIOLATION|CONTROL|\.\.\.)' <<<"$OUT" | head -n 20
	fi
	check "$name: at least 300 answers checked ($(num answers))" \
		test "$(num answers)" -ge 300
	check "$name: blocks answered ($(num blocked))" test "$(num blocked)" -ge 1
	check "$name: at least 100 upstream log lines checked ($(num upstream_lines))" \
		test "$(num upstream_lines)" -ge 100
	check "$name: at least 20 policy changes ($(num policies))" \
		test "$(num policies)" -ge 20
}

half=$((SECONDS_TOTAL / 2))
phase "serve-expired on" normal "" "$E2E_TMP/ub_se.conf" "$half" "$SEED"
assert_phase "serve-expired on"
phase "serve-expired off" normal "" "$E2E_TMP/ub_plain.conf" "$((SECONDS_TOTAL - half))" "$((SEED + 1))"
assert_phase "serve-expired off"

# violations KIND: how many violations of the last phase start with KIND
violations() {
	local n
	n=$(sed -n "s/^violations \([0-9]*\) $1.*/\1/p" <<<"$OUT" | awk '{ n += $1 } END { print n + 0 }')
	echo "${n:-0}"
}

# negative controls: the same mix, with guards off, must be caught
phase "unique_mesh,dfprivacy off" testhooks unique_mesh,dfprivacy "$E2E_TMP/ub_plain.conf" \
	"$NEG_SECONDS" "$((SEED + 2))"
check "unique_mesh off (negative control): answers with another view's data reported ($(violations "other view's"))" \
	test "$(violations "other view's")" -ge 1
check "dfprivacy off (negative control): domain-forward names at a view's forwarder reported ($(violations 'name foreign'))" \
	test "$(violations 'name foreign')" -ge 1
if ((NEG_BLOCK_SECONDS > 0)); then
	phase "snapref,viewlists off" testhooks snapref,viewlists "$E2E_TMP/ub_plain.conf" \
		"$NEG_BLOCK_SECONDS" "$((SEED + 3))"
	check "snapref,viewlists off (negative control): blocked names answered or sent upstream reported ($(violations 'blocked name'))" \
		test "$(violations 'blocked name')" -ge 1
	grep '^VIOLATION blocked' <<<"$OUT" | head -n 3 | sed 's/^/#   /'
fi

e2e_finish

# shellcheck shell=bash
# vpndns helpers for the e2e scripts; source it after lib.sh, or alone
# (it sources lib.sh when that is not loaded yet):
#
#   UB_PORT=5411 FAKE_PORT=5412
#   . "$(dirname "$0")/vpnlib.sh"
#
# Adds: a vpndns unbound.conf writer, a switch to the test-hooks build
# (with VPNDNS_TEST_GUARD_OFF), and pq, a client (dnsq.py) that reports the
# reply's rcode, EDE codes, answers and whether the reply ID matched.

# shellcheck source=lib.sh
[[ -n ${E2E_DIR:-} ]] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DNSQ="$E2E_DIR/dnsq.py"
UNBOUND_NORMAL=$UNBOUND
UNBOUND_CONTROL_NORMAL=$UNBOUND_CONTROL
UNBOUND_TH=${UNBOUND_TH:-$VPNDNS_BUILDDIR/unbound-testhooks/unbound}
UNBOUND_CONTROL_TH=${UNBOUND_CONTROL_TH:-$VPNDNS_BUILDDIR/unbound-testhooks/unbound-control}

# write_vpndns_conf FILE LINE...: vpndns.conf, one argument per line
write_vpndns_conf() {
	local file=$1
	shift
	printf '%s\n' "$@" >"$file"
}

# write_two_views_conf FILE [LINE...]: the two-view vpndns.conf most
# scripts start from: view A forwards to $FA, view B to $FB (both on
# $FAKE_PORT), client $CA (default 127.0.0.10) is in A, $CB (127.0.0.11) in
# B; then LINE..., or "default: refuse" when none is given.
write_two_views_conf() {
	local file=$1
	shift
	(($# > 0)) || set -- 'default: refuse'
	write_vpndns_conf "$file" \
		"view: A $FA@$FAKE_PORT" \
		"view: B $FB@$FAKE_PORT" \
		"client: ${CA:-127.0.0.10}/32 A" \
		"client: ${CB:-127.0.0.11}/32 B" \
		"$@"
}

# write_vpndns_unbound_conf FILE VPNDNS_CONF [extra server lines...]
write_vpndns_unbound_conf() {
	local file=$1 vconf=$2
	shift 2
	write_unbound_conf "$file" \
		'	module-config: "vpndns iterator"' \
		"	vpndns-config: \"$vconf\"" \
		"$@"
}

# instrumented: unbound runs under a sanitizer or valgrind, where RSS is
# mostly shadow memory and quarantine; the memory numbers are then
# reported but the RSS bounds are not checked
instrumented() {
	[[ -n ${ASAN_OPTIONS:-}${TSAN_OPTIONS:-} ]] && return 0
	[[ $(head -c 2 "$UNBOUND" 2>/dev/null) == '#!' ]] && return 0 # a wrapper
	ldd "$UNBOUND" 2>/dev/null | grep -qE 'lib[at]san'
}
# rss_kb: the running unbound's resident memory in kB
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$UB_PID/status"; }

# reload_idle: wait (at most 10 s) until no list reload is running
reload_idle() {
	wait_until 10 sh -c "'$UNBOUND_CONTROL' -c '$UB_CONF' vpndns_status | grep -q '^reload=idle'"
}

# have_testhooks: the test-hooks build exists
have_testhooks() {
	[[ -x $UNBOUND_TH && -x $UNBOUND_CONTROL_TH ]]
}

# unbound_start_as normal|testhooks GUARDS CONF: (re)start unbound with
# that build; GUARDS is the VPNDNS_TEST_GUARD_OFF value ("" for none).
unbound_start_as() {
	local kind=$1 guards=$2 conf=$3 rc=0
	unbound_stop
	if [[ $kind == testhooks ]]; then
		UNBOUND=$UNBOUND_TH
		UNBOUND_CONTROL=$UNBOUND_CONTROL_TH
	else
		UNBOUND=$UNBOUND_NORMAL
		UNBOUND_CONTROL=$UNBOUND_CONTROL_NORMAL
	fi
	echo "=== build $kind, VPNDNS_TEST_GUARD_OFF='$guards'" >>"$UB_LOG"
	if [[ -n $guards ]]; then
		VPNDNS_TEST_GUARD_OFF=$guards unbound_start "$conf" || rc=$?
	else
		unset VPNDNS_TEST_GUARD_OFF
		unbound_start "$conf" || rc=$?
	fi
	return $rc
}

# pq SRC NAME [TYPE] [dnsq options]: one query as client SRC (IPv6 SRC
# queries ::1). Prints "STATUS id=ok|bad ede=..|-" then the answers.
pq() {
	local src=$1 server=127.0.0.1
	shift
	[[ $src == *:* ]] && server=::1
	"$E2E_PYTHON" "$DNSQ" --server "$server" --port "$UB_PORT" --src "$src" "$@"
}

# Parts of a pq result
r_status() { sed -n '1s/ .*//p' <<<"$1"; }
r_id() { sed -n '1s/.* id=\([^ ]*\).*/\1/p' <<<"$1"; }
r_ede() { sed -n '1s/.* ede=\([^ ]*\).*/\1/p' <<<"$1"; }
r_ans() { sed -n '2,$p' <<<"$1" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'; }

# ub_log_count ERE: lines of the unbound log matching ERE
ub_log_count() {
	local n
	n=$(grep -cE -- "$1" "$UB_LOG" 2>/dev/null || true)
	echo "${n:-0}"
}

# fakes_total NAME...: sum of the queries the named fakes logged
fakes_total() {
	local n=0 f
	for f in "$@"; do
		n=$((n + $(fake_log_count "$f")))
	done
	echo "$n"
}

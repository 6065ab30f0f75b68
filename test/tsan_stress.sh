#!/usr/bin/env bash
# Thread stress for ThreadSanitizer: unbound with num-threads 2, two views
# with a fake upstream each, global and per-view blocklists, and dnsperf
# load from two client addresses (one per view) for 10 s, while a loop
# issues the vpndns_* control commands, stats and stats_noreset in turn,
# one every 100 ms. Checks that the load is answered, that every command
# succeeds, that unbound survives and exits cleanly on SIGTERM, and that no
# ThreadSanitizer report in the unbound log has a vpndns frame.
#
# Not part of test/e2e/ (the normal suite does not run it); test/sanitize.sh
# tsan runs it against the TSan build:
#
#   VPNDNS_BUILDDIR=sanitize/tsan bash test/tsan_stress.sh
#
# With TSAN_OPTIONS=log_path=... the reports go to those files instead of
# the unbound log, and the caller checks them (test/sanitize.sh does).
# Env: STRESS_SECONDS (dnsperf -l, default 10), STRESS_QPS (per dnsperf,
# default 400), STRESS_CONTROL (the unbound-control binary of the command
# loop, default $UNBOUND_CONTROL), plus lib.sh's.

UB_PORT=5700
FP=5701
. "$(dirname "$0")/e2e/lib.sh"

SECS=${STRESS_SECONDS:-10}
# the control client: not the daemon under test, so any build will do; an
# uninstrumented one keeps up with the 100 ms pace
CTL=${STRESS_CONTROL:-$UNBOUND_CONTROL}
QPS=${STRESS_QPS:-400}
FA=127.0.9.2   # view a's upstream
FB=127.0.9.3   # view b's upstream
A=127.0.9.10   # client of view a
B=127.0.9.11   # client of view b
N=127.0.9.12   # mapped and unmapped by the command loop

if ! command -v dnsperf >/dev/null 2>&1; then
	echo "dnsperf not installed"
	assert_eq "dnsperf installed" yes no
	e2e_finish
fi

fake_start fa "$FA" "$FP" || exit 1
fake_start fb "$FB" "$FP" || exit 1

# names: n1..n300.load.example (answered), b1..b50.blocked.example (global
# list), v1..v50.vblock.example (view b's list); the allow entries the loop
# adds and removes are among the blocked names
for i in $(seq 1 50); do echo "b$i.blocked.example"; done >"$E2E_TMP/list.txt"
for i in $(seq 1 50); do echo "v$i.vblock.example"; done >"$E2E_TMP/vlist.txt"
echo "198.18.0.7 printer.lan" >"$E2E_TMP/static.txt"
{
	for i in $(seq 1 300); do echo "n$i.load.example A"; done
	for i in $(seq 1 50); do echo "b$i.blocked.example A"; done
	for i in $(seq 1 50); do echo "v$i.vblock.example AAAA"; done
	echo "printer.lan A"
	echo "7.0.18.198.in-addr.arpa PTR"
} | shuf --random-source=<(yes) >"$E2E_TMP/q.txt"

cat >"$E2E_TMP/vpndns.conf" <<EOF
view: a $FA@$FP
view: b $FB@$FP
client: $A/32 a
client: $B/32 b
blocklist: $E2E_TMP/list.txt
view-blocklist: b $E2E_TMP/vlist.txt
static-records: $E2E_TMP/static.txt
EOF
write_unbound_conf "$E2E_TMP/ub.conf" \
	'	module-config: "vpndns iterator"' \
	"	vpndns-config: \"$E2E_TMP/vpndns.conf\"" \
	'	num-threads: 2' \
	'	so-reuseport: yes' \
	'	num-queries-per-thread: 1024' \
	'	outgoing-range: 2048'
# the last num-threads wins; make sure the daemon really got 2
sed -i '/^\tnum-threads: 1$/d' "$E2E_TMP/ub.conf"
unbound_start "$E2E_TMP/ub.conf" || { e2e_finish; exit 1; }
assert_eq "serves view a" 192.0.2.2 "$(q $A www.example.com)"
assert_eq "serves view b" 192.0.2.3 "$(q $B www.example.com)"

# the control commands, issued in turn, one every 100 ms
CMDS=(
	"vpndns_forward_add $N/32 $FB@$FP"
	"vpndns_lookup $N"
	"vpndns_forward_remove $N/32"
	"vpndns_reflect_add 127.0.9.20/32 $FP"
	"vpndns_reflect_remove 127.0.9.20/32"
	"vpndns_domain_forward_add df.example $FB@$FP"
	"vpndns_domain_forward_remove df.example"
	"vpndns_allow_add b1.blocked.example"
	"vpndns_allow_list"
	"vpndns_allow_remove b1.blocked.example"
	"vpndns_blocklist_reload"
	"vpndns_static_reload"
	"vpndns_reload"
	"vpndns_status"
	"vpndns_flush a"
	"vpndns_flush_name $B n1.load.example"
	"vpndns_dump_cache a"
	"vpndns_dump_cache b"
	"vpndns_list"
	"vpndns_lookup $A"
	"stats_noreset"
	"stats"
)

# ctl_one K CMD: run one command; writes "CMD<TAB>status" to cmd.K
# (status "ok", "busy" for a refused change while a reload runs, or the
# exit code and first line of the output)
ctl_one() {
	local k=$1 c=$2 out rc=0
	# shellcheck disable=SC2086 # a command and its arguments
	out=$(timeout 60 "$CTL" -c "$UB_CONF" $c 2>&1) || rc=$?
	if ((rc == 0)) && [[ $out != error* ]]; then
		printf '%s\tok\n' "$c"
	elif [[ $out == *"reload is running already"* ]]; then
		# vpndns_reload and vpndns_blocklist_reload return before the
		# reload ends; a change issued meanwhile is refused: expected
		printf '%s\tbusy\n' "$c"
	else
		printf '%s\texit %s: %s\n' "$c" "$rc" "$(head -n 1 <<<"$out")"
	fi >"$E2E_TMP/cmd.$k"
}

dnsperf -s 127.0.0.1 -p "$UB_PORT" -a "$A" -d "$E2E_TMP/q.txt" -l "$SECS" \
	-Q "$QPS" -c 4 -t 5 >"$E2E_TMP/perf-a.txt" 2>&1 &
pa=$!
dnsperf -s 127.0.0.1 -p "$UB_PORT" -a "$B" -d "$E2E_TMP/q.txt" -l "$SECS" \
	-Q "$QPS" -c 4 -t 5 >"$E2E_TMP/perf-b.txt" 2>&1 &
pb=$!
E2E_PIDS+=("$pa" "$pb")

# one command every 100 ms, in turn, without waiting for the previous one
# (at most 4 outstanding), for as long as dnsperf runs
k=0
cmd_pids=()
while kill -0 "$pa" 2>/dev/null || kill -0 "$pb" 2>/dev/null; do
	live=()
	for p in "${cmd_pids[@]}"; do
		kill -0 "$p" 2>/dev/null && live+=("$p")
	done
	cmd_pids=("${live[@]}")
	if ((${#cmd_pids[@]} < 4)); then
		ctl_one "$k" "${CMDS[k % ${#CMDS[@]}]}" &
		cmd_pids+=($!)
		k=$((k + 1))
	fi
	sleep 0.1
done
wait "$pa" "$pb"
_e2e_forget_pid "$pa"
_e2e_forget_pid "$pb"
((${#cmd_pids[@]})) && wait "${cmd_pids[@]}"
cat "$E2E_TMP"/cmd.* >"$E2E_TMP/cmds.txt" 2>/dev/null

rounds=$((k / ${#CMDS[@]}))
nok=$(grep -c $'\tok$' "$E2E_TMP/cmds.txt")
nbusy=$(grep -c $'\tbusy$' "$E2E_TMP/cmds.txt")
echo "control: $k commands issued ($rounds full rounds of ${#CMDS[@]}): $nok ok, $nbusy refused while a reload ran"
check "control: every command issued at least twice during the load ($rounds rounds)" test "$rounds" -ge 2
assert_eq "control: every command succeeded (or met a running reload)" "" \
	"$(grep -vE $'\t(ok|busy)$' "$E2E_TMP/cmds.txt" | sort | uniq -c | head -n 20)"

for f in perf-a perf-b; do
	sent=$(sed -n 's/.*Queries sent: *\([0-9]*\).*/\1/p' "$E2E_TMP/$f.txt")
	completed=$(sed -n 's/.*Queries completed: *\([0-9]*\).*/\1/p' "$E2E_TMP/$f.txt")
	echo "dnsperf $f: $(grep -E 'Queries (sent|completed|lost)|Response codes' "$E2E_TMP/$f.txt" | tr -s ' ' | tr '\n' ';')"
	check "$f: load was sent (${sent:-0} queries)" test "${sent:-0}" -ge $((SECS * 20))
	# the daemon runs under TSan (5-15x slower) while caches are flushed
	# and views rebuilt: most, not all, queries must be answered
	check "$f: at least 90% answered (${completed:-0}/${sent:-0})" \
		test $((${completed:-0} * 10)) -ge $((${sent:-1} * 9))
done

assert_eq "view a still served after the churn" 192.0.2.2 "$(q $A n2.load.example)"
assert_eq "view b still served after the churn" 192.0.2.3 "$(q $B n2.load.example)"

# stop by PID and check the exit status (0 after SIGTERM)
rc=0
kill -TERM "$UB_PID"
for ((i = 0; i < 300; i++)); do
	kill -0 "$UB_PID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$UB_PID" 2>/dev/null && kill -KILL "$UB_PID"
wait "$UB_PID" || rc=$?
_e2e_forget_pid "$UB_PID"
UB_PID=""
assert_eq "unbound exited cleanly on SIGTERM" 0 "$rc"
assert_match "two worker threads ran" "server stats for thread 1:" "$(cat "$UB_LOG")"

# reports in the log (when TSAN_OPTIONS has no log_path)
nrep=$(grep -c 'WARNING: ThreadSanitizer' "$UB_LOG" || true)
nvp=$(awk '/WARNING: ThreadSanitizer/ { r = 1; v = 0 }
	r && /[ \/](vpndns|module)\/[a-z_]+\.[ch]:| vpndns_/ { v = 1 }
	r && /^SUMMARY: ThreadSanitizer/ { n += v; r = 0 }
	END { print n + 0 }' "$UB_LOG")
echo "ThreadSanitizer reports in the unbound log: ${nrep:-0} (${nvp} with vpndns frames)"
assert_eq "no ThreadSanitizer report with a vpndns frame in the unbound log" 0 "$nvp"
if ((nrep > 0)); then
	awk '/WARNING: ThreadSanitizer/,/^SUMMARY: ThreadSanitizer/' "$UB_LOG" | head -n 200
fi

e2e_finish

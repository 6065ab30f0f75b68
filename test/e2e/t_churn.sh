#!/usr/bin/env bash
# Control churn under load: every 100 ms for 8 s a forward, a reflect rule
# and an allow entry are added and removed, and the lists and the whole
# configuration are reloaded, while dnsperf (from four client addresses)
# and a recording client (five addresses, every answer checked) query
# unbound. Each upstream answers with its own address, so an answer names
# the view that resolved it. Checks: no answer ever came from another
# view's forwarder, no query reached one, no query failed, none was lost
# other than by Unbound's own configured limits, unbound survived, and
# its memory went back to the baseline.

UB_PORT=5610
FP=5611
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpnlib.sh"

RECORDER="$E2E_DIR/recorder.py"
SUFFIX=churn.example
CHURN_S=8               # length of the churn, and of the load
RATE=25                 # recorder queries per second per client
QPS=100                 # dnsperf queries per second per client
# RSS may end this much above the baseline: allocator fragmentation and
# the regions Unbound keeps for reuse move RSS by a few hundred KiB; a
# view set leaked per command (3-4 views, ~70 KiB of empty caches each)
# would add over 16 MiB in 80 commands
RSS_TOL_KB=3072

FA=127.0.6.130; A=127.0.6.140      # view a
FB=127.0.6.131; B=127.0.6.141      # view b
FC=127.0.6.132; N=127.0.6.142      # N: forward_add'ed to FC, or default
FD=127.0.6.133; U=127.0.6.150      # default view; U is never mapped
R=127.0.6.160                      # reflect: to itself, or default when removed
# the answer of each upstream: 198.51.100.<last octet of its address>
ip() { echo "198.51.100.${1##*.}"; }
tag() { echo "${1//./-}"; }

for f in "fa $FA" "fb $FB" "fc $FC" "fd $FD" "fr $R"; do
	set -- $f
	fake_start "$1" "$2" "$FP" --a "$(ip "$2")" || exit 1
done
echo "blocked.$SUFFIX" >"$E2E_TMP/list.txt"
write_vpndns_conf "$E2E_TMP/vpndns.conf" \
	"view: a $FA@$FP" \
	"view: b $FB@$FP" \
	"client: $A/32 a" \
	"client: $B/32 b" \
	"reflect: $R/32 $FP" \
	"default: $FD@$FP" \
	"blocklist: $E2E_TMP/list.txt"
write_vpndns_unbound_conf "$E2E_TMP/ub.conf" "$E2E_TMP/vpndns.conf"
unbound_start "$E2E_TMP/ub.conf" || exit 1

# Which upstreams may see a client's names (ERE on the logged name; every
# name of this test carries its client's address as a tag).
own() { # FAKE
	local t
	case $1 in
	fa) t=$(tag $A) ;;
	fb) t=$(tag $B) ;;
	fc) t=$(tag $N) ;;
	fd) t="$(tag $N)|$(tag $R)|$(tag $U)" ;;
	fr) t=$(tag $R) ;;
	esac
	echo "^[a-z]+[0-9]+-($t)\\.$SUFFIX\\.$"
}
ALLOWED=("$A=$(ip $FA)" "$B=$(ip $FB)" "$N=$(ip $FC),$(ip $FD)" \
	"$R=$(ip $R),$(ip $FD)" "$U=$(ip $FD)")

# Unbound's count of replies it dropped: not sent after discard-timeout
# (1900 ms) or pushed out of a full request list
dropped() { uctl stats_noreset | sed -n 's/^total\.requestlist\.exceeded=//p'; }
# datagrams the kernel dropped at unbound's UDP socket (full receive buffer)
kdrops() {
	awk -v p="$(printf '0100007F:%04X' "$UB_PORT")" '$2 == p { n += $NF } END { print n + 0 }' /proc/net/udp
}
mod_mem() { uctl stats_noreset | sed -n 's/^mem\.mod\.vpndns=//p'; }

# settle: the configuration of the file, one query per client, every
# view's cache emptied, then a list reload (which returns freed memory
# to the system with malloc_trim); the same state before and after.
settle() {
	local v c i=$1
	reload_idle
	uctl vpndns_reload >/dev/null
	reload_idle
	for c in $A $B $N $R $U; do
		q $c "s$i-$(tag $c).$SUFFIX" >/dev/null
	done
	for v in $(uctl vpndns_list | awk '$1 == "view" { print $2 }'); do
		uctl vpndns_flush "$v" >/dev/null
	done
	uctl vpndns_blocklist_reload >/dev/null
	reload_idle
	sleep 1
}

# load SECONDS NAME: dnsperf from four clients and the recorder from all
# five, in the background; load_wait collects them
LOAD_PIDS=()
load() {
	local secs=$1 name=$2 c
	for c in $A $B $N $R; do
		for i in $(seq 1 300); do echo "d$i-$(tag $c).$SUFFIX A"; done >"$E2E_TMP/q-$c.txt"
		dnsperf -s 127.0.0.1 -p "$UB_PORT" -a "$c" -d "$E2E_TMP/q-$c.txt" \
			-l "$secs" -Q "$QPS" -q 50 -t 3 >"$E2E_TMP/$name-perf-$c.txt" 2>&1 &
		LOAD_PIDS+=($!)
	done
	"$E2E_PYTHON" "$RECORDER" --port "$UB_PORT" --duration "$secs" --rate "$RATE" \
		--pool 20 --timeout 3 --suffix "$SUFFIX" --log "$E2E_TMP/$name.rec" \
		"${ALLOWED[@]}" >"$E2E_TMP/$name.out" 2>&1 &
	LOAD_PIDS+=($!)
	E2E_PIDS+=("${LOAD_PIDS[@]}")
}
load_wait() {
	local p
	for p in "${LOAD_PIDS[@]}"; do
		wait "$p"
		_e2e_forget_pid "$p"
	done
	LOAD_PIDS=()
}

# churn SECONDS: one control command every 100 ms, in a fixed rotation;
# every reply goes to $E2E_TMP/churn.log as "COMMAND: REPLY (N ms)"
churn() {
	local t0 t1 end i cmd wait_ns reply
	t0=$(date +%s%N)
	end=$((t0 + $1 * 1000000000))
	for ((i = 0; i < $1 * 10 && $(date +%s%N) < end; i++)); do
		# command i starts at t0 + i * 100 ms (later if one runs long)
		wait_ns=$((t0 + i * 100000000 - $(date +%s%N)))
		((wait_ns > 0)) && sleep "$(printf '0.%09d' "$wait_ns")"
		case $((i % 8)) in
		0) cmd="vpndns_forward_add $N/32 $FC@$FP" ;;
		1) cmd="vpndns_reflect_remove $R/32" ;;
		2) cmd="vpndns_allow_add x$i.$SUFFIX" ;;
		3) cmd="vpndns_forward_remove $N/32" ;;
		4) cmd="vpndns_reflect_add $R/32 $FP" ;;
		5) cmd="vpndns_allow_remove x$((i - 3)).$SUFFIX" ;;
		6) cmd="vpndns_blocklist_reload" ;;
		7) cmd="vpndns_reload" ;;
		esac
		t1=$(date +%s%N)
		# shellcheck disable=SC2086 # cmd is words
		reply=$(uctl $cmd 2>&1 | head -n 1)
		echo "${cmd%% *}: $reply ($((($(date +%s%N) - t1) / 1000000)) ms)" >>"$E2E_TMP/churn.log"
	done
}

## who may change the configuration: the control socket's permissions
assert_eq "control socket: mode 0660, owner and group only" "660" "$(stat -c %a "$E2E_TMP/control.sock")"
if (($(id -u) == 0)) && command -v setpriv >/dev/null 2>&1; then
	chmod 0711 "$E2E_TMP" # let another user reach the socket (not list)
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$UNBOUND_CONTROL" -c "$UB_CONF" vpndns_forward_add "$U/32" "$FA@$FP" 2>&1)
	chmod 0700 "$E2E_TMP"
	assert_match "control socket: another user is refused" "Permission denied" "$out"
	assert_eq "control socket: ... and changed nothing" "$(ip $FD)" "$(q $U "s0-$(tag $U).$SUFFIX")"
else
	echo "skip: the control socket check by another user needs root and setpriv"
fi

## warm-up: the same load and churn, shorter, so that the baseline has the
## pools, tables and buffers a churn round leaves behind
assert_eq "sanity: view a" "$(ip $FA)" "$(q $A "s0-$(tag $A).$SUFFIX")"
assert_eq "sanity: reflect" "$(ip $R)" "$(q $R "s0-$(tag $R).$SUFFIX")"
rss_start=$(rss_kb)
load 3 warm
churn 3
load_wait
settle 1
rss0=$(rss_kb)
mem0=$(mod_mem)
echo "# RSS at start ${rss_start} kB; baseline after warm-up and settle ${rss0} kB; mem.mod.vpndns ${mem0}"
: >"$E2E_TMP/churn.log"
vetoes0=$(ub_log_count 'egress veto')
drop0=$(dropped)
kdrop0=$(kdrops)

## the churn ------------------------------------------------------------------
load "$CHURN_S" main
churn "$CHURN_S"
load_wait
check "unbound survived the churn" kill -0 "$UB_PID"
drop1=$(dropped)
kdrop1=$(kdrops)

# the commands: every one either worked or met an expected race (a reload
# still running, or an item a reload had already taken away)
n_cmd=$(wc -l <"$E2E_TMP/churn.log")
n_ok=$(grep -c ': ok' "$E2E_TMP/churn.log")
echo "# $n_cmd commands, $n_ok ok; replies: $(sed 's/: \(ok\|error\).*/: \1/' "$E2E_TMP/churn.log" | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
echo "# slowest command: $(sed -n 's/.*(\([0-9]*\) ms)$/\1 &/p' "$E2E_TMP/churn.log" | sort -n | tail -n 1 | cut -d' ' -f2-)"
# one every 100 ms makes 80; a loaded host runs them late and fewer fit,
# and a sanitizer slows each command several times over
min_cmd=$((CHURN_S * 3))
instrumented && min_cmd=$((CHURN_S * 2))
check "churn: commands run throughout the ${CHURN_S} s ($n_cmd >= $min_cmd)" test "$n_cmd" -ge "$min_cmd"
check "churn: most commands applied ($n_ok of $n_cmd)" test $((n_ok * 2)) -ge "$n_cmd"
assert_eq "churn: no error other than an expected race" "" \
	"$(grep -v ': ok' "$E2E_TMP/churn.log" | grep -vE ": error (a reload is running already|'[^']*' is not configured)")"
for k in forward_add forward_remove reflect_add reflect_remove allow_add allow_remove blocklist_reload reload; do
	check "churn: vpndns_$k applied at least once" grep -q "^vpndns_$k: ok" "$E2E_TMP/churn.log"
done

# dnsperf: everything answered NOERROR; a query may only be lost where
# Unbound itself dropped it under its configured limits (discard-timeout,
# request list) or the kernel did at its socket; that happens when the
# host starves unbound for seconds, and never on an idle host
lost_all=0
for c in $A $B $N $R; do
	f="$E2E_TMP/main-perf-$c.txt"
	sent=$(sed -n 's/.*Queries sent: *\([0-9]*\).*/\1/p' "$f")
	completed=$(sed -n 's/.*Queries completed: *\([0-9]*\).*/\1/p' "$f")
	lost=$(sed -n 's/.*Queries lost: *\([0-9]*\).*/\1/p' "$f")
	noerr=$(sed -n 's/.*NOERROR \([0-9]*\).*/\1/p' "$f")
	echo "# dnsperf from $c: sent=$sent completed=$completed lost=$lost noerror=$noerr"
	check "dnsperf $c: load was sent (${sent:-0} > $((CHURN_S * QPS / 2)))" test "${sent:-0}" -gt $((CHURN_S * QPS / 2))
	assert_eq "dnsperf $c: every answer NOERROR" "${completed:-x}" "${noerr:-y}"
	lost_all=$((lost_all + ${lost:-999999}))
done

# the recorder: every answer from the client's own view
sed 's/^/# /' "$E2E_TMP/main.out"
field() { sed -n "s/.* $1=\\([0-9]*\\).*/\\1/p" <<<"$2"; }
for spec in "${ALLOWED[@]}"; do
	c=${spec%%=*}
	l=$(grep "^src=$c " "$E2E_TMP/main.out")
	n=$((CHURN_S * RATE))
	assert_eq "recorder $c: $n sent, every answer from its own view" "$n $(field answered "$l")" \
		"$(field sent "$l") $(field right "$l")"
	assert_eq "recorder $c: no other view's answer, no SERVFAIL" "0 0" \
		"$(field wrong "$l") $(field servfail "$l")"
	lost_all=$((lost_all + $(field noreply "$l")))
done
echo "# lost: $lost_all (dnsperf and recorder); unbound dropped $((drop1 - drop0)) replies, the kernel $((kdrop1 - kdrop0)) datagrams at its socket"
check "every lost query was dropped by a configured limit ($lost_all <= $((drop1 - drop0)) + $((kdrop1 - kdrop0)))" \
	test "$lost_all" -le $((drop1 - drop0 + kdrop1 - kdrop0))
l=$(grep "^src=$N " "$E2E_TMP/main.out")
check "recorder $N: answered by the added forward at times" grep -q "$(ip $FC):" <<<"$l"
check "recorder $N: answered by the default view at times" grep -q "$(ip $FD):" <<<"$l"
l=$(grep "^src=$R " "$E2E_TMP/main.out")
check "recorder $R: answered by its reflect view at times" grep -q "$(ip $R):" <<<"$l"
check "recorder $R: answered by the default view at times" grep -q "$(ip $FD):" <<<"$l"

# the upstreams: each saw only its own clients' names
for f in fa fb fc fd fr; do
	stray=$(RE=$(own $f) awk '$4 !~ ENVIRON["RE"]' "$E2E_TMP/$f.log" | head -n 5)
	assert_eq "upstream $f: zero queries of other views ($(fake_log_count $f) in its log)" "" "$stray"
done
assert_eq "no egress veto during the churn" "$vetoes0" "$(ub_log_count 'egress veto')"

## afterwards ----------------------------------------------------------------------
settle 2
rss1=$(rss_kb)
mem1=$(mod_mem)
echo "# RSS after churn and settle ${rss1} kB (baseline ${rss0} kB, $((rss1 - rss0)) kB); mem.mod.vpndns ${mem1} (baseline ${mem0})"
if instrumented; then
	echo "skip: RSS bound under a sanitizer or valgrind"
else
	check "RSS back to baseline: ${rss1} kB <= ${rss0} + ${RSS_TOL_KB} kB" test "$rss1" -le $((rss0 + RSS_TOL_KB))
fi
check "module memory back to baseline: ${mem1} <= ${mem0} + 10%" test "$mem1" -le $((mem0 + mem0 / 10))
assert_match "status: reloads idle and the last one ok" "^last_reload=ok" "$(uctl vpndns_status)"
assert_eq "answers after the churn: view a" "$(ip $FA)" "$(q $A "z1-$(tag $A).$SUFFIX")"
assert_eq "answers after the churn: reflect" "$(ip $R)" "$(q $R "z1-$(tag $R).$SUFFIX")"
assert_eq "answers after the churn: N back on the default view" "$(ip $FD)" "$(q $N "z1-$(tag $N).$SUFFIX")"
check "unbound still running" kill -0 "$UB_PID"

e2e_finish

#!/usr/bin/env bash
# bench/fairness.sh - one dead tunnel must not starve the other views.
#
#   bench/fairness.sh [--out DIR] [--rates "R ..."] [--seconds S]
#
# View A's forwarder is silent (a tunnel that is down: a socket that
# takes queries and never answers); view B's is a fast upstream.  A's
# client floods unique names at each rate in turn, and while it does, B's
# client asks 200 names of its own (cache misses, 50 a second, one at a
# time).  Rate 0 is the quiet run.  The rates are multiples of Unbound's
# threshold, num-queries-per-thread / jostle-timeout (1024 / 0.2 s =
# 5,120 q/s at the defaults, which this run keeps): at the threshold a
# view with no bound of its own fills the request list.  Target: at ten
# times the threshold B loses nothing and its median latency stays
# within 1.5 times the quiet run's.
#
# Writes DIR/fairness.csv (default bench/results) and prints a table.
# Loopback only, in a private network namespace when it can make one;
# every load is bounded in time; every process is stopped by its PID.
# Needs the built tree ($VPNDNS_BUILDDIR, or UNBOUND=path), dnsperf,
# gcc and python3.
set -u

BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$BENCH_SRC/.." && pwd)
BUILD=${VPNDNS_BUILDDIR:-$TOP}
UNBOUND=${UNBOUND:-$BUILD/unbound/unbound}
OUT=$TOP/bench/results
THRESHOLD=5120
RATES="0 0.3 1 3 10"
FLOOD_S=8
ARGS=("$@")
while [[ $# -gt 0 ]]; do
	case $1 in
	--out) OUT=$2; shift ;;
	--rates) RATES=$2; shift ;;
	--seconds) FLOOD_S=$2; shift ;;
	-h|--help) sed -n '2,/^set -u/p' "${BASH_SOURCE[0]}" | sed '$d;s/^# \{0,1\}//'; exit 0 ;;
	*) echo "fairness.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
# shellcheck source=../test/e2e/common.sh
. "$TOP/test/e2e/common.sh"

if [[ -z ${FAIRNESS_IN_NETNS:-} && $(id -u) == 0 ]] && unshare -n true 2>/dev/null; then
	FAIRNESS_IN_NETNS=1 exec unshare -n "$BASH" "${BASH_SOURCE[0]}" "${ARGS[@]}"
fi
[[ ${FAIRNESS_IN_NETNS:-} == 1 ]] && ip link set lo up

SRV=127.0.0.1
PORT=5463
UP_B=127.0.0.12
SINK_A=127.0.0.11
UP_PORT=5464
CLIENT_A=127.0.1.1
CLIENT_B=127.0.1.2
WORK=$(mktemp -d /tmp/vpndns-fairness.XXXXXX) || exit 1
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	rm -rf -- "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[[ -x $UNBOUND ]] || { echo "fairness.sh: no $UNBOUND; build first" >&2; exit 1; }
mkdir -p "$OUT" || exit 1
gcc -O2 -o "$WORK/fastdns" "$BENCH_SRC/fastdns.c" || exit 1
taskset -c 1 "$WORK/fastdns" -a $UP_B -p $UP_PORT -T 3600 </dev/null \
	2>"$WORK/fastdns.err" &
PIDS+=($!)
# the dead tunnel: a socket that never reads; the kernel drops what does
# not fit its buffer, and no error goes back
python3 -c "import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('$SINK_A', $UP_PORT))
time.sleep(3600)" &
PIDS+=($!)

cat >"$WORK/vpndns.conf" <<EOF
view: a $SINK_A@$UP_PORT
view: b $UP_B@$UP_PORT
client: $CLIENT_A/32 a
client: $CLIENT_B/32 b
default: refuse
EOF
{ echo 'server:'
  ub_server_basics "$WORK"
  printf '\t%s\n' "interface: $SRV@$PORT" "port: $PORT" \
	'module-config: "vpndns iterator"' "vpndns-config: \"$WORK/vpndns.conf\"" \
	'so-rcvbuf: 8m' 'so-sndbuf: 8m'
} >"$WORK/unbound.conf"
taskset -c 0 "$UNBOUND" -d -c "$WORK/unbound.conf" 2>"$WORK/unbound.log" &
UB_PID=$!
PIDS+=("$UB_PID")
for ((i = 0; i < 50; i++)); do
	dig +time=1 +tries=1 -b $CLIENT_B @$SRV -p $PORT probe.b.example A 2>/dev/null |
		grep -q 'status: NOERROR' && break
	sleep 0.2
done
[[ $i -lt 50 ]] || { echo "fairness.sh: unbound did not answer" >&2; cat "$WORK/unbound.log" >&2; exit 1; }

# b_run TAG: B's 200 names, one at a time, 50 a second; prints
# "sent lost median_ms p95_ms"
b_run() {
	awk -v t="$1" 'BEGIN { for (i = 0; i < 200; i++) printf "b%d-%s.b.example A\n", i, t }' \
		>"$WORK/b-$1.txt"
	taskset -c 1 dnsperf -s $SRV -p $PORT -a $CLIENT_B -d "$WORK/b-$1.txt" -n 1 \
		-q 1 -Q 50 -t 2 -v >"$WORK/b-$1.out" 2>&1
	awk '$1 == ">" && NF >= 5 { print $NF * 1000 }' "$WORK/b-$1.out" |
		sort -n >"$WORK/b-$1.lat"
	awk -v sent="$(awk '/Queries sent:/ { print $3 }' "$WORK/b-$1.out")" \
		-v lost="$(awk '/Queries lost:/ { print $3 }' "$WORK/b-$1.out")" \
		'{ l[NR] = $1 } END { m = NR ? l[int((NR + 1) / 2)] : -1
			p = NR ? l[int(NR * 0.95 + 0.5)] : -1
			printf "%d %d %.3f %.3f\n", sent, lost, m, p }' "$WORK/b-$1.lat"
}

# flood RATE TAG: A's unique names at RATE for FLOOD_S seconds, in the
# background; sets FLOOD_PID
flood() {
	awk -v n="$(awk -v r="$1" -v s="$FLOOD_S" 'BEGIN { printf "%d", r * s + 1000 }')" -v t="$2" \
		'BEGIN { for (i = 0; i < n; i++) printf "f%d-%s.a.example A\n", i, t }' >"$WORK/f-$2.txt"
	taskset -c 1 dnsperf -s $SRV -p $PORT -a $CLIENT_A -d "$WORK/f-$2.txt" -n 1 \
		-q 4000 -Q "$1" -l "$FLOOD_S" -t 3 >"$WORK/f-$2.out" 2>&1 &
	FLOOD_PID=$!
	PIDS+=("$FLOOD_PID")
}

CSV=$OUT/fairness.csv
echo "multiple,flood_rate,flood_sent,flood_completed,b_sent,b_lost,b_median_ms,b_p95_ms,median_vs_quiet" >"$CSV"
quiet=""
pass=0
fail=0
for m in $RATES; do
	rate=$(awk -v m="$m" -v t=$THRESHOLD 'BEGIN { printf "%d", m * t }')
	tag=r$m
	fsent=0 fdone=0
	if [[ $rate -gt 0 ]]; then
		flood "$rate" "$tag"
		sleep 2   # the view's bound fills, its first queries time out
	fi
	read -r bsent blost bmed bp95 < <(b_run "$tag")
	if [[ $rate -gt 0 ]]; then
		wait "$FLOOD_PID" 2>/dev/null
		fsent=$(awk '/Queries sent:/ { print $3 }' "$WORK/f-$tag.out")
		fdone=$(awk '/Queries completed:/ { print $3 }' "$WORK/f-$tag.out")
	fi
	[[ -z $quiet ]] && quiet=$bmed
	ratio=$(awk -v a="$bmed" -v q="$quiet" 'BEGIN { printf "%.2f", (q > 0 ? a / q : 0) }')
	echo "$m,$rate,${fsent:-0},${fdone:-0},$bsent,$blost,$bmed,$bp95,$ratio" >>"$CSV"
	printf 'flood %5sx %6d q/s (sent %s, answered %s): B sent %s, lost %s, median %s ms (%sx quiet), p95 %s ms\n' \
		"$m" "$rate" "${fsent:-0}" "${fdone:-0}" "$bsent" "$blost" "$bmed" "$ratio" "$bp95"
	if [[ $m == 10 ]]; then
		if [[ $blost -eq 0 ]] && awk -v r="$ratio" 'BEGIN { exit !(r <= 1.5) }'; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
		fi
	fi
done
"$UNBOUND" -V 2>/dev/null | head -n 1 | sed 's/^/# /' >>"$CSV"
echo "target (10x: 0 lost, median <= 1.5x quiet): $pass passed, $fail failed"
[[ $fail -eq 0 ]]

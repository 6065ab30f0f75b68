#!/usr/bin/env bash
# bench/run.sh - the vpndns benchmark: CPU per query, memory, blocklist load
# and callgrind instruction counts, vpndns against stock Unbound.
#
#   bench/run.sh            full run (about 8-12 minutes on 2 cores); writes
#                           bench/results/*.csv, docs/performance.md and
#                           docs/performance.png
#   bench/run.sh --smoke    every step once with tiny sizes (under ~30 s);
#                           writes into a temporary folder, touches nothing
#                           in the repository, ends with "smoke: N passed,
#                           N failed" and exits non-zero on a failure
#
# Options: --runs N (3), --duration S (5 s per load run), --no-others (skip
# dnsdist and Knot Resolver), --no-callgrind, --no-install, --keep (keep
# the work folder), --out DIR (results folder; the report is not written
# into docs/ then), --callgrind-only (with --out: only the instruction
# counts, callgrind.csv and the profiles, in a few minutes; no load runs
# and no report).
#
# Packages (installed by this script when missing, as root, from Debian):
#   required: dnsperf valgrind gnuplot-nox bind9-dnsutils gcc libc6-dev
#             util-linux (taskset, unshare) iproute2 procps python3
#   optional: dnsdist knot-resolver (compared when they install and run;
#             skipped with a note otherwise; --smoke never installs them)
#
# Needs the built tree: $VPNDNS_BUILDDIR/unbound/unbound (default: the
# repository), with vpndns linked in.
#
# Isolation: the whole run re-executes itself in a new network namespace
# (unshare -n) that has only the loopback interface, so no packet can leave
# the machine; without unshare it runs on the host's loopback.  Every
# address used is in 127.0.0.0/8.  Every process it starts is stopped by its
# PID on exit; every load is bounded by a query count and a time limit, and
# the fast upstream exits by itself after its lifetime.
#
# CPU is read from /proc/PID/stat (utime+stime) before and after each load
# run, with the server pinned to core 0 and the load generator and the fast
# upstream to core 1.  Loads are offered at a fixed rate (the same for
# every system, below every system's capacity), so the CPU time per answered
# query compares like with like.
set -u

BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$BENCH_SRC/.." && pwd)
# stop_pid and ub_server_basics, shared with the e2e tests
. "$TOP/test/e2e/common.sh"
BUILD=${VPNDNS_BUILDDIR:-$TOP}
UNBOUND=${UNBOUND:-$BUILD/unbound/unbound}
UBDIR=$(dirname "$UNBOUND")
PY=/usr/bin/python3

MODE=full
RUNS=""
DURATION=""
OTHERS=1
CALLGRIND=1
CG_ONLY=0
INSTALL=1
KEEP=${BENCH_KEEP:-0}
OUT=""
ARGS=("$@")
while [[ $# -gt 0 ]]; do
	case $1 in
	--smoke) MODE=smoke ;;
	--runs) RUNS=$2; shift ;;
	--duration) DURATION=$2; shift ;;
	--no-others) OTHERS=0 ;;
	--no-callgrind) CALLGRIND=0 ;;
	--callgrind-only) CG_ONLY=1 ;;
	--no-install) INSTALL=0 ;;
	--keep) KEEP=1 ;;
	--out) OUT=$2; shift ;;
	-h|--help) sed -n '2,/^set -u/p' "${BASH_SOURCE[0]}" | sed '$d;s/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if [[ $CG_ONLY == 1 && ( -z $OUT || $CALLGRIND != 1 ) ]]; then
	echo "run.sh: --callgrind-only needs --out DIR and callgrind" >&2
	exit 2
fi

## ---- packages -------------------------------------------------------------

# need_pkgs PKG...: install the missing ones; return non-zero if any is
# still missing afterwards
need_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing+=("$p")
	done
	[[ ${#missing[@]} -eq 0 ]] && return 0
	if [[ $INSTALL != 1 || $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
		echo "run.sh: missing packages: ${missing[*]}" >&2
		return 1
	fi
	echo "run.sh: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	if ! timeout 600 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
		timeout 300 apt-get update -qq >/dev/null 2>&1
		timeout 600 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || return 1
	fi
	return 0
}

if [[ -z ${BENCH_IN_NETNS:-} ]]; then
	need_pkgs dnsperf valgrind gnuplot-nox bind9-dnsutils gcc libc6-dev \
		util-linux iproute2 procps python3 || exit 1
	if [[ $MODE == full && $OTHERS == 1 ]]; then
		need_pkgs dnsdist || echo "run.sh: dnsdist not installable; skipped" >&2
		need_pkgs knot-resolver || echo "run.sh: knot-resolver not installable; skipped" >&2
	fi
	# run everything in a private network namespace with only loopback
	if [[ $(id -u) == 0 ]] && unshare -n true 2>/dev/null; then
		BENCH_IN_NETNS=1 exec unshare -n "$BASH" "${BASH_SOURCE[0]}" "${ARGS[@]}"
	fi
	BENCH_IN_NETNS=no
	echo "run.sh: no network namespace (unshare -n failed); using the host's loopback" >&2
fi
if [[ $BENCH_IN_NETNS == 1 ]]; then
	ip link set lo up || { echo "run.sh: cannot bring lo up" >&2; exit 1; }
fi

## ---- settings -------------------------------------------------------------

# every setting's smoke and full value side by side; RUNS and DURATION
# only where no option gave them
while IFS='|' read -r var smoke full; do
	[[ $MODE == smoke ]] && printf -v "$var" '%s' "$smoke" ||
		printf -v "$var" '%s' "$full"
done <<'EOF'
DEF_RUNS|1|3
DEF_DURATION|1|5
NHIT|200|1000
NBLOCK|20000|1000000
NBSAMPLE|2000|50000
RATE_HIT|3000|15000
RATE_MISS|1500|5000
RATE_BLOCK|3000|15000
RATE_MIX|3000|10000
CG_SMALL|20|200
CG_BIG|120|2200
SYSTEMS|stock vpndns2 reflect|stock vpndns2 vpndns3 reflect dnsdist kresd
WORKLOADS|hit block mix miss|hit block mix miss
DAEMON_LOAD_REPS|1|3
UP_LIFETIME|120|1500
CG_VARIANTS|vpndns|stock vpndns vpndns-nolist
EOF
# NHIT: cached names; NBLOCK: blocklist names; NBSAMPLE: blocked names
# queried
RUNS=${RUNS:-$DEF_RUNS}
DURATION=${DURATION:-$DEF_DURATION}
SYSTEMS=${BENCH_SYSTEMS:-$SYSTEMS}
CG_VARIANTS=${BENCH_CG_VARIANTS:-$CG_VARIANTS}
[[ $OTHERS == 1 ]] || SYSTEMS=$(echo "$SYSTEMS" | sed 's/dnsdist//;s/kresd//')
SRV_PORT=5453          # server under test
UP_PORT=5454           # fast upstream
SRV_ADDR=127.0.0.1
UP_ADDRS=(127.0.0.11 127.0.0.12 127.0.0.13)   # view upstreams
CLIENTS=(127.0.1.1 127.0.1.2 127.0.1.3)        # one source per view
REFLECT_CLIENTS=(127.0.2.1 127.0.2.2)          # reflect: upstream = client
CLK_TCK=$(getconf CLK_TCK)
SERVER_CPU=0
LOAD_CPU=1
[[ $(nproc) -ge 2 ]] || LOAD_CPU=0

WORK=$(mktemp -d /tmp/vpndns-bench.XXXXXX) || exit 1
if [[ -n $OUT ]]; then
	RESULTS=$OUT DOCS=$OUT
elif [[ $MODE == smoke ]]; then
	RESULTS=$WORK/results DOCS=$WORK/results
else
	RESULTS=$TOP/bench/results DOCS=$TOP/docs
fi
mkdir -p "$RESULTS" "$DOCS" || exit 1
RESULTS=$(cd "$RESULTS" && pwd) DOCS=$(cd "$DOCS" && pwd)
cd "$WORK" || exit 1
T_START=$SECONDS
PASS=0
FAIL=0
NOTES=()
PIDS=()
declare -A LOSSY

## ---- process handling -------------------------------------------------------

log() { printf '[%4ds] %s\n' $((SECONDS - T_START)) "$*" >&2; }

check() { # check DESCRIPTION CONDITION-COMMAND...
	local what=$1
	shift
	if "$@"; then
		PASS=$((PASS + 1))
	else
		FAIL=$((FAIL + 1))
		log "FAILED: $what"
	fi
}

note() { NOTES+=("$*"); log "note: $*"; }

# stop one process by PID: TERM, then KILL after 10 s (a daemon under
# load may take a while to drain), and forget it
kill_pid() {
	local pid=$1
	[[ -n $pid ]] || return 0
	stop_pid "$pid" 100
	local keep=() p
	for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
	PIDS=("${keep[@]}")
	return 0
}

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do kill_pid "$pid"; done
	if [[ $KEEP == 1 ]]; then
		echo "run.sh: kept $WORK" >&2
	else
		rm -rf -- "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

## ---- build ------------------------------------------------------------------

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "mode $MODE: runs $RUNS x ${DURATION}s, systems: $SYSTEMS; work in $WORK; load average $LOAD_BEFORE"
[[ -x $UNBOUND ]] || { echo "run.sh: no $UNBOUND; build first (make)" >&2; exit 1; }
"$UNBOUND" -V 2>/dev/null | grep -q vpndns || { echo "run.sh: $UNBOUND has no vpndns module" >&2; exit 1; }

gcc -O2 -Wall -o "$WORK/fastdns" "$BENCH_SRC/fastdns.c" 2>"$WORK/build.log"
check "build fastdns" test -x "$WORK/fastdns"
# the blocklist engine as linked into this unbound build
gcc -O2 -g -I"$UBDIR" -DUSE_VPNDNS -o "$WORK/blockset_bench" \
	"$BENCH_SRC/blockset_bench.c" "$UBDIR/vpndns/blockset.c" \
	"$UBDIR/vpndns/listparse.c" "$UBDIR/log.o" "$UBDIR/locks.o" \
	>>"$WORK/build.log" 2>&1
check "build blockset_bench" test -x "$WORK/blockset_bench"
[[ -x $WORK/fastdns ]] || { cat "$WORK/build.log" >&2; exit 1; }

## ---- name lists -------------------------------------------------------------

log "name lists and blocklist engine benchmark ($NBLOCK names)"
awk -v n=$NHIT 'BEGIN { for (i = 1; i <= n; i++) printf "h%d.hit.bench.example A\n", i }' >"$WORK/hit.txt"
BLOCKLIST=$WORK/blocklist.txt
if [[ -x $WORK/blockset_bench ]]; then
	# generates the list, times its load (median of 3) and lookups
	"$WORK/blockset_bench" -n $NBLOCK -f "$BLOCKLIST" -r 3 \
		-q $((NBLOCK < 1000000 ? NBLOCK : 1000000)) >"$RESULTS/blockset_bench.txt" 2>&1
	check "blockset_bench" grep -q '^load: median' "$RESULTS/blockset_bench.txt"
else
	awk -v n=$NBLOCK 'BEGIN { srand(1); for (i = 1; i <= n; i++) printf "b%d-%d.list%d.example\n", i, int(rand()*1e6), i % 97 }' >"$BLOCKLIST"
fi
# listed names to query, and the stock comparison's names under the
# always_nxdomain local zone
shuf -n $NBSAMPLE --random-source=<(yes) "$BLOCKLIST" | awk '{ print $1 " A" }' >"$WORK/block-vpndns.txt"
awk -v n=$NBSAMPLE 'BEGIN { for (i = 1; i <= n; i++) printf "b%d.blocked.example A\n", i }' >"$WORK/block-zone.txt"
check "name lists" test "$(wc -l <"$WORK/block-vpndns.txt")" -eq $NBSAMPLE

## ---- fast upstream ----------------------------------------------------------

UP_STATS=$WORK/upstream.count
up_args=()
for a in "${UP_ADDRS[@]}" "${REFLECT_CLIENTS[@]}"; do up_args+=(-a "$a"); done
taskset -c $LOAD_CPU "$WORK/fastdns" "${up_args[@]}" -p $UP_PORT -t 300 \
	-T $UP_LIFETIME -s "$UP_STATS" ${BENCH_UPSTREAM_LOG:+-l "$BENCH_UPSTREAM_LOG"} \
	</dev/null 2>"$WORK/fastdns.err" &
UP_PID=$!
PIDS+=("$UP_PID")
sleep 0.3
check "fast upstream answers" bash -c "dig +time=1 +tries=1 +short @${UP_ADDRS[0]} -p $UP_PORT x.example A | grep -q 192.0.2.1"

# the fast upstream's count, once it has stopped changing for 0.1 s (it
# writes it within 40 ms of a change); bounded: 3 s
upstream_count() {
	local a b i
	a=$(cat "$UP_STATS" 2>/dev/null || echo 0)
	for ((i = 0; i < 30; i++)); do
		sleep 0.1
		b=$(cat "$UP_STATS" 2>/dev/null || echo 0)
		[[ $a == "$b" ]] && break
		a=$b
	done
	echo "$a"
}

## ---- configurations -----------------------------------------------------------

ub_server_common() { # ub_server_common DIR
	printf 'server:\n\tinterface: %s\n\tport: %s\n' "$SRV_ADDR@$SRV_PORT" "$SRV_PORT"
	ub_server_basics "$1"
	printf '\t%s\n' 'so-rcvbuf: 8m' 'so-sndbuf: 8m'
}

# write_system_conf SYSTEM DIR [nolist]: the server's configuration in DIR
write_system_conf() {
	local sys=$1 dir=$2 nolist=${3:-} i n
	mkdir -p "$dir"
	case $sys in
	stock)
		{ ub_server_common "$dir"
		  echo '	module-config: "iterator"'
		  echo '	local-zone: "blocked.example." always_nxdomain'
		  echo 'forward-zone:'
		  echo '	name: "."'
		  echo "	forward-addr: ${UP_ADDRS[0]}@$UP_PORT"
		} >"$dir/unbound.conf" ;;
	vpndns2|vpndns3|reflect)
		n=${sys#vpndns}
		{ if [[ $sys == reflect ]]; then
			echo "reflect: 127.0.2.0/24 $UP_PORT"
		  else
			for ((i = 0; i < n; i++)); do
				echo "view: v$((i + 1)) ${UP_ADDRS[i]}@$UP_PORT"
				echo "client: ${CLIENTS[i]}/32 v$((i + 1))"
			done
		  fi
		  echo "default: refuse"
		  [[ $nolist == nolist ]] || echo "blocklist: $BLOCKLIST"
		  echo "block-action: nxdomain"
		} >"$dir/vpndns.conf"
		# the same unbound.conf as stock's but for the module: stock's
		# blocking local zone too, so both walk the same local zone tree
		{ ub_server_common "$dir"
		  echo '	module-config: "vpndns iterator"'
		  echo '	local-zone: "blocked.example." always_nxdomain'
		  echo "	vpndns-config: \"$dir/vpndns.conf\""
		} >"$dir/unbound.conf" ;;
	dnsdist)
		{ echo "setUDPSocketBufferSizes(8388608, 8388608)"
		  echo "setLocal('$SRV_ADDR:$SRV_PORT')"
		  echo "setACL({'127.0.0.0/8'})"
		  echo "controlSocket('127.0.0.1:5455')"
		  echo "local smn = newSuffixMatchNode()"
		  echo "smn:add(newDNSName('blocked.example.'))"
		  echo "addAction(SuffixMatchNodeRule(smn), RCodeAction(DNSRCode.NXDOMAIN))"
		  for ((i = 0; i < 2; i++)); do
			echo "newServer({address='${UP_ADDRS[i]}:$UP_PORT', pool='v$((i + 1))', checkInterval=60})"
			echo "getPool('v$((i + 1))'):setCache(newPacketCache(100000, {maxTTL=86400}))"
			echo "local nmg$i = newNMG()"
			echo "nmg$i:addMask('${CLIENTS[i]}/32')"
			echo "addAction(NetmaskGroupRule(nmg$i), PoolAction('v$((i + 1))'))"
		  done
		  echo "addAction(AllRule(), RCodeAction(DNSRCode.REFUSED))"
		} >"$dir/dnsdist.conf" ;;
	kresd)
		{ echo "net.listen('$SRV_ADDR', $SRV_PORT, { kind = 'dns' })"
		  echo "net.ipv6 = false"
		  echo "for _, m in ipairs({'priming', 'detect_time_skew', 'detect_time_jump', 'ta_signal_query', 'ta_sentinel', 'ta_update'}) do pcall(modules.unload, m) end"
		  echo "trust_anchors.remove('.')"
		  echo "cache.open(100 * MB, 'lmdb://$dir/cache')"
		  echo "modules.load('view')"
		  for ((i = 0; i < 2; i++)); do
			echo "view:addr('${CLIENTS[i]}/32', policy.suffix(policy.DENY, {todname('blocked.example.')}))"
			echo "view:addr('${CLIENTS[i]}/32', policy.all(policy.FORWARD('${UP_ADDRS[i]}@$UP_PORT')))"
		  done
		  echo "view:addr('0.0.0.0/0', policy.all(policy.REFUSE))"
		} >"$dir/kresd.conf" ;;
	esac
}

# sources and blocked-name file of a system
sys_sources() {
	case $1 in
	vpndns3) echo "${CLIENTS[@]:0:3}" ;;
	reflect) echo "${REFLECT_CLIENTS[@]}" ;;
	*) echo "${CLIENTS[@]:0:2}" ;;
	esac
}
sys_blockfile() {
	case $1 in
	vpndns*|reflect) echo "$WORK/block-vpndns.txt" ;;
	*) echo "$WORK/block-zone.txt" ;;
	esac
}
sys_available() {
	case $1 in
	dnsdist) command -v dnsdist >/dev/null ;;
	kresd) command -v kresd >/dev/null ;;
	*) return 0 ;;
	esac
}

## ---- server start and stop ----------------------------------------------------

SRV_PID=""
SRV_START_S=""

probe() { # probe SOURCE: the server answers
	dig +time=1 +tries=1 -b "$1" @$SRV_ADDR -p $SRV_PORT probe.bench.example A 2>/dev/null |
		grep -q 'status: NOERROR'
}

# start_server SYSTEM DIR [valgrind-args...]: start pinned to the server
# core, wait (bounded) until it answers from SYSTEM's first source; sets
# SRV_PID and SRV_START_S (seconds until it answered)
start_server() {
	local sys=$1 dir=$2 src limit=30 i t0
	shift 2
	src=$(sys_sources "$sys" | awk '{ print $1 }')
	local cmd=()
	case $sys in
	dnsdist) cmd=(dnsdist --supervised --disable-syslog -C "$dir/dnsdist.conf") ;;
	kresd) cmd=(kresd -n -c "$dir/kresd.conf" "$dir") ;;
	*) cmd=("$UNBOUND" -d -c "$dir/unbound.conf") ;;
	esac
	if [[ $# -gt 0 ]]; then
		cmd=(valgrind "$@" "${cmd[@]}")
		limit=300
	fi
	t0=$(date +%s.%N)
	taskset -c $SERVER_CPU "${cmd[@]}" </dev/null >"$dir/server.log" 2>&1 &
	SRV_PID=$!
	PIDS+=("$SRV_PID")
	for ((i = 0; i < limit * 50; i++)); do
		kill -0 "$SRV_PID" 2>/dev/null || break
		if probe "$src"; then
			SRV_START_S=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')
			return 0
		fi
		sleep 0.02
		(( $(date +%s) - ${t0%.*} > limit )) && break
	done
	log "server $sys did not start; log:"
	tail -n 15 "$dir/server.log" >&2
	stop_server
	return 1
}

stop_server() { kill_pid "$SRV_PID"; SRV_PID=""; }

# utime and stime of a process (all its threads), in clock ticks
cpu_ticks() { awk '{ print $14, $15 }' "/proc/$1/stat" 2>/dev/null || echo 0 0; }
cpu_ns() { # on-CPU nanoseconds of all threads, from schedstat
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
}
rss_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }

## ---- load runs ----------------------------------------------------------------

# dnsperf_out FILE: "sent completed lost noerror nxdomain other"
dnsperf_out() {
	awk '
	/Queries sent:/ { sent = $3 }
	/Queries completed:/ { done = $3 }
	/Queries lost:/ { lost = $3 }
	/Response codes:/ {
		sub(/.*Response codes: */, "")
		n = split($0, parts, ",")
		for (i = 1; i <= n; i++) {
			split(parts[i], f, " ")
			if (f[1] == "NOERROR") noerr += f[2]
			else if (f[1] == "NXDOMAIN") nx += f[2]
			else other += f[2]
		}
	}
	END { printf "%d %d %d %d %d %d\n", sent, done, lost, noerr, nx, other }' "$1"
}

# make_file WORKLOAD SYSTEM RUN SOURCE-INDEX RATE-PER-SOURCE: a query file;
# prints "FILE LOOP" where LOOP says whether dnsperf may repeat it
make_file() {
	local w=$1 sys=$2 run=$3 s=$4 rate=$5 n f
	n=$(( rate * DURATION * 12 / 10 + 100 ))
	f=$WORK/q-$w-$sys-$run-$s.txt
	case $w in
	hit) echo "$WORK/hit.txt 1"; return ;;
	block) echo "$(sys_blockfile "$sys") 1"; return ;;
	miss)
		awk -v n=$n -v p="m$run-$s" 'BEGIN { for (i = 1; i <= n; i++) printf "%s-%d.miss.bench.example A\n", p, i }' >"$f" ;;
	mix)
		# 70% cached names, 20% unique names, 10% blocked names
		awk -v n=$n -v p="x$run-$s" -v seed=$((run * 10 + s)) -v bf="$(sys_blockfile "$sys")" -v nh=$NHIT '
		BEGIN {
			while ((getline line < bf) > 0) blk[nb++] = line
			srand(seed)
			for (i = 1; i <= n; i++) {
				r = rand()
				if (r < 0.7) printf "h%d.hit.bench.example A\n", 1 + int(rand() * nh)
				else if (r < 0.9) printf "%s-%d.mix.bench.example A\n", p, i
				else print blk[int(rand() * nb)]
			}
		}' >"$f" ;;
	esac
	echo "$f 0"
}

# send_all SYSTEM FILE-FOR-EACH-SOURCE... with options: one bounded dnsperf
# per source, concurrently, pinned to the load core
# usage: send_all SYSTEM RATE LIMIT_S LOOP OUTPREFIX FILE...
send_all() {
	local sys=$1 rate=$2 lim=$3 loop=$4 outp=$5 i=0 src pids=()
	shift 5
	local files=("$@")
	for src in $(sys_sources "$sys"); do
		local nopt=(-n 1)
		[[ $loop == 1 ]] && nopt=()
		taskset -c $LOAD_CPU timeout $((lim + 30)) dnsperf -s $SRV_ADDR -p $SRV_PORT \
			-a "$src" -d "${files[i]}" "${nopt[@]}" -l "$lim" -Q "$rate" -q 1000 -t 2 \
			>"$outp.$i.out" 2>&1 &
		pids+=($!)
		PIDS+=($!)
		i=$((i + 1))
	done
	for i in "${pids[@]}"; do wait "$i"; kill_pid "$i"; done
}

# sum of the dnsperf results of a send_all
sum_out() { # sum_out OUTPREFIX
	local f
	for f in "$1".*.out; do dnsperf_out "$f"; done |
		awk '{ for (i = 1; i <= 6; i++) s[i] += $i } END { printf "%d %d %d %d %d %d\n", s[1], s[2], s[3], s[4], s[5], s[6] }'
}

# warm SYSTEM: every cached name from every source, in passes, until a
# pass reaches the upstream no more (at most 5 passes)
warm() {
	local sys=$1 files=() src pass u0 u1
	for src in $(sys_sources "$sys"); do files+=("$WORK/hit.txt"); done
	u1=$(upstream_count)
	for ((pass = 1; pass <= 5; pass++)); do
		u0=$u1
		send_all "$sys" 2000 20 0 "$WORK/warm-$sys" "${files[@]}"
		u1=$(upstream_count)
		(( pass > 1 && u1 == u0 )) && break
	done
	log "  warm-up: $pass passes, the last reached the upstream $((u1 - u0)) times"
	check "$sys warm-up" test $((u1 - u0)) -eq 0
}

LOAD_CSV=$RESULTS/load.csv
echo "system,workload,run,offered_qps,duration_s,sources,sent,completed,lost,noerror,nxdomain,other_rcode,cpu_ticks,cpu_us_per_query,user_us_per_query,sys_us_per_query,schedstat_us_per_query,upstream_queries,achieved_qps,rss_kb" >"$LOAD_CSV"
RSS_CSV=$RESULTS/rss.csv
echo "system,rss_start_kb,rss_end_kb,hwm_end_kb,start_s" >"$RSS_CSV"

# load_run SYSTEM WORKLOAD RUN RATE
load_run() {
	local sys=$1 w=$2 run=$3 rate=$4 nsrc per s=0 files=() loop=0 src fl
	nsrc=$(sys_sources "$sys" | wc -w)
	per=$(( rate / nsrc ))
	for src in $(sys_sources "$sys"); do
		read -r fl loop < <(make_file "$w" "$sys" "$run" $s $per)
		files+=("$fl")
		s=$((s + 1))
	done
	local ut0 st0 ut1 st1 c0 c1 n0 n1 u0 u1 outp=$WORK/run-$sys-$w-$run
	u0=$(upstream_count)
	read -r ut0 st0 < <(cpu_ticks "$SRV_PID")
	n0=$(cpu_ns "$SRV_PID")
	send_all "$sys" $per "$DURATION" $loop "$outp" "${files[@]}"
	read -r ut1 st1 < <(cpu_ticks "$SRV_PID")
	n1=$(cpu_ns "$SRV_PID")
	c0=$((ut0 + st0))
	c1=$((ut1 + st1))
	u1=$(upstream_count)
	local sent done lost noerr nx other
	read -r sent done lost noerr nx other < <(sum_out "$outp")
	local us uus sys_us sus qps
	us=$(awk -v c=$((c1 - c0)) -v d="$done" -v hz="$CLK_TCK" 'BEGIN { printf "%.3f", (d > 0 ? c * 1e6 / hz / d : 0) }')
	uus=$(awk -v c=$((ut1 - ut0)) -v d="$done" -v hz="$CLK_TCK" 'BEGIN { printf "%.3f", (d > 0 ? c * 1e6 / hz / d : 0) }')
	sys_us=$(awk -v c=$((st1 - st0)) -v d="$done" -v hz="$CLK_TCK" 'BEGIN { printf "%.3f", (d > 0 ? c * 1e6 / hz / d : 0) }')
	sus=$(awk -v c=$((n1 - n0)) -v d="$done" 'BEGIN { printf "%.3f", (d > 0 ? c / 1e3 / d : 0) }')
	qps=$(awk -v d="$done" -v t="$DURATION" 'BEGIN { printf "%.0f", d / t }')
	echo "$sys,$w,$run,$rate,$DURATION,$nsrc,$sent,$done,$lost,$noerr,$nx,$other,$((c1 - c0)),$us,$uus,$sys_us,$sus,$((u1 - u0)),$qps,$(rss_kb "$SRV_PID" VmRSS)" >>"$LOAD_CSV"
	log "  $sys $w run $run: $done answered ($noerr NOERROR, $nx NXDOMAIN, $other other, $lost lost), $us us/query CPU ($uus user), upstream $((u1 - u0))"
	# the workload is what it claims to be
	local ok=1
	if (( lost * 100 > sent * 2 )); then
		case $sys in
		dnsdist|kresd) # a property of the system compared, not a harness fault
			LOSSY[$sys]="${LOSSY[$sys]:-} $w:$lost/$sent" ;;
		*) ok=0 ;;
		esac
	fi
	(( done > 0 )) || ok=0
	case $w in
	hit) (( noerr * 100 >= done * 99 && (u1 - u0) * 100 <= done )) || ok=0 ;;
	block) (( nx * 100 >= done * 99 )) || ok=0 ;;
	miss) (( noerr * 100 >= done * 99 && (u1 - u0) * 100 >= done * 95 )) || ok=0 ;;
	mix) (( nx * 100 >= done * 5 && nx * 100 <= done * 15 )) || ok=0 ;;
	esac
	check "$sys $w run $run" test $ok = 1
	rm -f "$WORK"/q-"$w"-"$sys"-"$run"-*.txt
}

workload_rate() {
	case $1 in hit) echo $RATE_HIT ;; miss) echo $RATE_MISS ;; block) echo $RATE_BLOCK ;; mix) echo $RATE_MIX ;; esac
}

## ---- daemon blocklist load: start time and RSS with and without the list ----

[[ $CG_ONLY == 1 ]] && DAEMON_LOAD_REPS=0 SYSTEMS=""
log "daemon start with and without the $NBLOCK-name blocklist ($DAEMON_LOAD_REPS each)"
DLOAD_CSV=$RESULTS/daemon_blocklist.csv
echo "rep,list,start_s,rss_kb" >"$DLOAD_CSV"
for ((r = 1; r <= DAEMON_LOAD_REPS; r++)); do
	for l in nolist list; do
		d=$WORK/dl-$l
		write_system_conf vpndns2 "$d" "$l"
		if start_server vpndns2 "$d"; then
			echo "$r,$l,$SRV_START_S,$(rss_kb "$SRV_PID" VmRSS)" >>"$DLOAD_CSV"
			[[ $l == list ]] && grep -m1 'blocklists:' "$d/server.log" >"$RESULTS/daemon_blocklist.log"
			stop_server
			check "daemon start ($l)" true
		else
			check "daemon start ($l)" false
		fi
	done
done

## ---- systems ------------------------------------------------------------------

for sys in $SYSTEMS; do
	if ! sys_available "$sys"; then
		note "$sys: not installed (apt-get install $( [[ $sys == kresd ]] && echo knot-resolver || echo dnsdist) failed or was skipped); not compared"
		continue
	fi
	wls=$WORKLOADS
	if [[ $MODE == smoke ]]; then
		# the other systems and the reflect variant: two workloads only
		case $sys in dnsdist|kresd|reflect) wls=hit ;; esac
	fi
	d=$WORK/sys-$sys
	write_system_conf "$sys" "$d"
	log "system $sys"
	if ! start_server "$sys" "$d"; then
		if [[ $sys == dnsdist || $sys == kresd ]]; then
			note "$sys: installed but did not start here; not compared (see its log in the work folder)"
		else
			check "start $sys" false
		fi
		continue
	fi
	rss0=$(rss_kb "$SRV_PID" VmRSS)
	start_s=$SRV_START_S
	warm "$sys"
	for w in $wls; do
		# the miss runs push the cached names out of an LRU cache: warm
		# them again before each workload that needs them
		[[ $w == mix && $MODE == full ]] && warm "$sys"
		for ((r = 1; r <= RUNS; r++)); do
			load_run "$sys" "$w" $r "$(workload_rate "$w")"
		done
	done
	echo "$sys,$rss0,$(rss_kb "$SRV_PID" VmRSS),$(rss_kb "$SRV_PID" VmHWM),$start_s" >>"$RSS_CSV"
	[[ -n ${LOSSY[$sys]:-} ]] && note "$sys lost more than 2% of the queries in some runs (workload:lost/sent):${LOSSY[$sys]}; its socket buffers are its defaults"
	stop_server
done

## ---- callgrind ------------------------------------------------------------------

CG_CSV=$RESULTS/callgrind.csv
rm -f "$RESULTS"/callgrind-*.txt
echo "variant,workload,queries_small,ir_small,queries_big,ir_big,ir_per_query,ir_per_query_no_loop" >"$CG_CSV"

cg_total() { awk '/^(summary|totals):/ { print $2; exit }' "$1" 2>/dev/null; }

# cg_strip_running FILE: the dump without the frames that were running
# when it was taken: it records them as "calls=0" with their whole cost,
# which a self listing would charge to their callers
cg_strip_running() {
	awk '/^calls=0 / { skip = 1; next } skip { skip = 0; next } { print }' "$1"
}

# cg_loop FILE: instructions spent in libevent's own code.  How many
# packets one wakeup of the event loop reads depends on timing, not on
# the server, and moves a run's count by up to 2%; the column without it
# compares the server's code alone.
cg_loop() {
	cg_strip_running "$1" >"$1.loop"
	callgrind_annotate --inclusive=no --auto=no --threshold=100 "$1.loop" 2>/dev/null |
		awk '/libevent-/ { gsub(",", "", $1); s += $1 } END { printf "%d\n", s }'
}

# cg_send FILE COUNT OUT: COUNT queries from FILE (cycled), one source,
# bounded rate and time
cg_send() {
	local f=$1 count=$2 out=$3
	awk -v n="$count" '{ l[NR] = $0 } END { for (i = 0; i < n; i++) print l[i % NR + 1] }' "$f" >"$out.q"
	taskset -c $LOAD_CPU timeout 300 dnsperf -s $SRV_ADDR -p $SRV_PORT -a "${CLIENTS[0]}" \
		-d "$out.q" -n 1 -Q 1000 -q 10 -t 20 >"$out" 2>&1
}

# cg_dump PID BASE: dump the counts since the last dump into the next
# BASE.N; sets CG_FILE to it
CG_PART=0
CG_FILE=""
cg_dump() {
	local pid=$1 base=$2 i
	CG_PART=$((CG_PART + 1))
	CG_FILE=$base.$CG_PART
	timeout 60 callgrind_control -d "$pid" >/dev/null 2>&1
	for ((i = 0; i < 100; i++)); do
		[[ -s $CG_FILE ]] && grep -q '^totals:' "$CG_FILE" && break
		sleep 0.1
	done
}

if [[ $CALLGRIND == 1 ]]; then
	for v in $CG_VARIANTS; do
		case $v in
		stock) sys=stock; lst="" ;;
		vpndns) sys=vpndns2; lst="" ;;
		vpndns-nolist) sys=vpndns2; lst=nolist ;;
		esac
		d=$WORK/cg-$v
		write_system_conf "$sys" "$d" "$lst"
		base=$d/callgrind.out
		log "callgrind $v (valgrind start)"
		if ! start_server "$sys" "$d" --tool=callgrind \
			--compress-strings=no --compress-pos=no --callgrind-out-file="$base"; then
			check "callgrind start $v" false
			continue
		fi
		CG_PART=0
		cg_send "$WORK/hit.txt" $NHIT "$d/warm.out"
		cg_dump "$SRV_PID" "$base"
		wls="hit miss block"
		[[ $lst == nolist ]] && wls="hit miss"
		[[ $MODE == smoke ]] && wls=hit
		for w in $wls; do
			case $w in
			hit) qf=$WORK/hit.txt ;;
			block) qf=$(sys_blockfile "$sys") ;;
			miss) awk -v n=$((CG_SMALL + CG_BIG)) 'BEGIN { for (i = 1; i <= n; i++) printf "cg%d.miss.bench.example A\n", i }' >"$d/miss.txt"
			      qf=$d/miss.txt ;;
			esac
			cg_send "$qf" $CG_SMALL "$d/$w-small.out"
			cg_dump "$SRV_PID" "$base"
			fs=$CG_FILE
			if [[ $w == miss ]]; then
				tail -n +$((CG_SMALL + 1)) "$qf" >"$d/miss2.txt"
				qf=$d/miss2.txt
			fi
			cg_send "$qf" $CG_BIG "$d/$w-big.out"
			cg_dump "$SRV_PID" "$base"
			fb=$CG_FILE
			read -r _ ds _ < <(dnsperf_out "$d/$w-small.out")
			read -r _ db _ < <(dnsperf_out "$d/$w-big.out")
			is=$(cg_total "$fs")
			ib=$(cg_total "$fb")
			per=$(awk -v a="${is:-0}" -v b="${ib:-0}" -v x="$ds" -v y="$db" 'BEGIN { printf "%.0f", (y > x ? (b - a) / (y - x) : 0) }')
			perapp=$(awk -v a="${is:-0}" -v b="${ib:-0}" -v la="$(cg_loop "$fs")" -v lb="$(cg_loop "$fb")" -v x="$ds" -v y="$db" 'BEGIN { printf "%.0f", (y > x ? ((b - lb) - (a - la)) / (y - x) : 0) }')
			echo "$v,$w,$ds,${is:-0},$db,${ib:-0},$per,$perapp" >>"$CG_CSV"
			log "  callgrind $v $w: $per Ir/query ($ds and $db queries answered)"
			check "callgrind $v $w" test "$per" -gt 0 -a "$ds" -eq $CG_SMALL -a "$db" -eq $CG_BIG
			if [[ $v != vpndns-reflect ]]; then
				callgrind_annotate --inclusive=yes --threshold=100 "$fb" \
					>"$WORK/cg-$v-$w.annotate" 2>/dev/null
				cg_strip_running "$fb" >"$fb.self"
				callgrind_annotate --inclusive=no --threshold=99 "$fb.self" \
					>"$WORK/cg-$v-$w.self" 2>/dev/null
				# keep the head of it (it is large) and every vpndns line
				{ echo "# $v, workload $w: $db queries after warm-up ($ds before, subtracted in callgrind.csv)"
				  echo "# callgrind_annotate --inclusive=yes"
				  grep -v '=>' "$WORK/cg-$v-$w.annotate" | grep -m 60 -E '^ *[0-9,]+ ' 
				  echo
				  echo "# vpndns functions, inclusive"
				  grep -v '=>' "$WORK/cg-$v-$w.annotate" | grep -E '^ *[0-9,]+ .*/vpndns/' | head -n 40
				  echo
				  echo "# callgrind_annotate --inclusive=no (self cost)"
				  grep -v '=>' "$WORK/cg-$v-$w.self" | grep -m 40 -E '^ *[0-9,]+ ' 
				} >"$RESULTS/callgrind-$v-$w.txt"
			fi
		done
		stop_server
	done
fi

## ---- report -----------------------------------------------------------------------

if [[ $CG_ONLY == 1 ]]; then
	cat "$CG_CSV"
	# ratios to stock, per workload: all instructions, and without the
	# event loop's
	awk -F, 'NR > 1 { ir[$1 "," $2] = $7; app[$1 "," $2] = $8; v[$1] = 1 }
		END { for(x in v) if(x != "stock") for(w in ir) {
			split(w, k, ","); if(k[1] != x || !(("stock," k[2]) in ir)) continue
			printf "ratio %s %s: %.3f (without the event loop %.3f)\n", x, k[2],
				ir[w] / ir["stock," k[2]], app[w] / app["stock," k[2]] } }' "$CG_CSV" | sort
	echo "callgrind: $PASS passed, $FAIL failed"
	exit $((FAIL > 0))
fi

{
	echo "key,value"
	echo "date,$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "mode,$MODE"
	echo "runs,$RUNS"
	echo "duration_s,$DURATION"
	echo "rate_hit,$RATE_HIT"
	echo "rate_miss,$RATE_MISS"
	echo "rate_block,$RATE_BLOCK"
	echo "rate_mix,$RATE_MIX"
	echo "blocklist_names,$NBLOCK"
	echo "hit_names,$NHIT"
	echo "cg_small,$CG_SMALL"
	echo "cg_big,$CG_BIG"
	echo "git,$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null)$(git -C "$TOP" diff --quiet HEAD -- module 2>/dev/null || echo '+module-changes')"
	echo "unbound,$("$UNBOUND" -V 2>/dev/null | head -n 1)"
	echo "unbound_built,$(date -u -r "$UNBOUND" '+%Y-%m-%d %H:%M UTC')"
	echo "cpu,$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo | tr ',' ' ')"
	echo "cores,$(nproc)"
	echo "kernel,$(uname -r)"
	echo "netns,$BENCH_IN_NETNS"
	echo "dnsperf,$(dnsperf -h 2>&1 | awk '/^Version/ { print $2; exit }')"
	echo "dnsdist,$(command -v dnsdist >/dev/null && dnsdist --version 2>/dev/null | awk '{ print $2; exit }')"
	echo "kresd,$(command -v kresd >/dev/null && kresd --version 2>/dev/null | awk '{ print $NF; exit }')"
	echo "valgrind,$(valgrind --version 2>/dev/null)"
	echo "elapsed_s,$((SECONDS - T_START))"
	echo "loadavg_start,$LOAD_BEFORE"
	echo "loadavg_end,$(cut -d' ' -f1-3 /proc/loadavg)"
	for n in "${NOTES[@]}"; do echo "note,\"${n//\"/\'}\""; done
} >"$RESULTS/meta.csv"

log "report"
if "$PY" "$BENCH_SRC/report.py" --results "$RESULTS" --docs "$DOCS" \
	--notes "$BENCH_SRC/profile-notes.md" >"$WORK/report.log" 2>&1; then
	check "report" test -s "$DOCS/performance.md" -a -s "$DOCS/performance.png"
else
	cat "$WORK/report.log" >&2
	check "report" false
fi
log "done in $((SECONDS - T_START)) s: results in $RESULTS, report in $DOCS/performance.md"
if [[ $MODE == smoke ]]; then
	echo "smoke: $PASS passed, $FAIL failed"
else
	echo "bench: $PASS passed, $FAIL failed"
fi
[[ $FAIL -eq 0 ]]

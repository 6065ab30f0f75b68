# shellcheck shell=bash
# Library for the vpndns end-to-end tests; source it from a t_*.sh script:
#
#   . "$(dirname "$0")/lib.sh"
#   fake_start f1 127.0.0.2 "$FAKE_PORT"
#   write_unbound_conf "$E2E_TMP/ub.conf" 'forward-zone:' ' name: "."' ...
#   unbound_start "$E2E_TMP/ub.conf"
#   assert_eq "answer" 192.0.2.2 "$(q 127.0.0.1 www.example.com)"
#   e2e_finish
#
# Every process started here is recorded by PID and stopped by that PID on
# exit. Only loopback addresses are used. Every wait is bounded.

set -u

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_PYTHON=${E2E_PYTHON:-/usr/bin/python3}
FAKEDNS="$E2E_DIR/fakedns.py"

VPNDNS_BUILDDIR=${VPNDNS_BUILDDIR:-$(cd "$E2E_DIR/../.." && pwd)}
UNBOUND=${UNBOUND:-$VPNDNS_BUILDDIR/unbound/unbound}
UNBOUND_CONTROL=${UNBOUND_CONTROL:-$VPNDNS_BUILDDIR/unbound/unbound-control}
UNBOUND_CHECKCONF=${UNBOUND_CHECKCONF:-$VPNDNS_BUILDDIR/unbound/unbound-checkconf}

UB_PORT=${UB_PORT:-5390}
FAKE_PORT=${FAKE_PORT:-5300}
# Probe used to detect that unbound is serving; answered by the worker
# itself (chaos class), so it never reaches an upstream and never shows up
# in the fakes' logs.
UB_PROBE=${UB_PROBE:-id.server CH TXT}
# The release of the unbound under test, for the few checks where stock
# Unbound itself behaves differently between the supported releases.
UB_VERSION=$("$UNBOUND" -V 2>/dev/null | sed -n 's/^Version //p')

# ub_version_ge X.Y.Z: is the unbound under test release X.Y.Z or newer?
ub_version_ge() {
	local have want
	have=$(echo "${UB_VERSION:-0.0.0}" | awk -F. '{ printf "%d", $1*10000 + $2*100 + $3 }')
	want=$(echo "$1" | awk -F. '{ printf "%d", $1*10000 + $2*100 + $3 }')
	((have >= want))
}

E2E_TMP=$(mktemp -d /tmp/vpndns-e2e.XXXXXX) || { echo "mktemp failed" >&2; exit 1; }
E2E_PASS=0
E2E_FAIL=0
E2E_PIDS=()          # every background process we started
declare -A FAKE_PID  # fake name -> pid
UB_PID=""
UB_CONF=""
UB_LOG="$E2E_TMP/unbound.log"

# stop_pid (TERM, then KILL, bounded to ~5 s) and ub_server_basics,
# shared with the benchmark
. "$E2E_DIR/common.sh"

# EXIT trap: never leave processes or temp dirs behind, even on a crash.
_e2e_cleanup() {
	local pid
	for pid in "${E2E_PIDS[@]}"; do
		stop_pid "$pid"
	done
	E2E_PIDS=()
	if [[ ${E2E_KEEP:-0} == 1 ]]; then
		echo "E2E_KEEP=1: kept $E2E_TMP" >&2
	else
		rm -rf -- "$E2E_TMP"
	fi
}
trap _e2e_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

_e2e_forget_pid() {
	local keep=() p
	for p in "${E2E_PIDS[@]}"; do
		[[ $p == "$1" ]] || keep+=("$p")
	done
	E2E_PIDS=("${keep[@]}")
}

# Poll CMD every 0.1 s until it succeeds or TIMEOUT seconds pass; tests use
# it for effects that happen asynchronously (background upstream queries).
wait_until() { # TIMEOUT CMD...
	local tries=$(( $(printf '%.0f' "$1") * 10 )) i
	shift
	((tries < 1)) && tries=1
	for ((i = 0; i < tries; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

## ---- fake upstreams -------------------------------------------------------

# fake_start NAME ADDR PORT [fakedns options...]
# Logs to $E2E_TMP/NAME.log; runtime mode switching via fake_mode uses the
# control file $E2E_TMP/NAME.ctl (options given here may override both).
fake_start() {
	local name=$1 addr=$2 port=$3 pid i
	shift 3
	local pidfile="$E2E_TMP/$name.pid"
	rm -f -- "$pidfile"
	"$E2E_PYTHON" "$FAKEDNS" --name "$name" --addr "$addr" --port "$port" \
		--log "$E2E_TMP/$name.log" --pidfile "$pidfile" \
		--control-file "$E2E_TMP/$name.ctl" "$@" \
		</dev/null >"$E2E_TMP/$name.err" 2>&1 &
	pid=$!
	E2E_PIDS+=("$pid")
	FAKE_PID[$name]=$pid
	: >>"$E2E_TMP/$name.log"
	for ((i = 0; i < 50; i++)); do
		[[ -s $pidfile ]] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "fake_start $name ($addr#$port) failed:" >&2
	cat "$E2E_TMP/$name.err" >&2
	stop_pid "$pid"
	_e2e_forget_pid "$pid"
	unset "FAKE_PID[$name]"
	return 1
}

# fake_stop NAME
fake_stop() {
	local pid=${FAKE_PID[$1]:-}
	[[ -n $pid ]] || return 0
	stop_pid "$pid"
	_e2e_forget_pid "$pid"
	unset "FAKE_PID[$1]"
}

# fake_mode NAME [MODE]: switch a running fake's behaviour; no MODE returns
# it to the mode it was started with.
fake_mode() {
	if [[ -n ${2:-} ]]; then
		echo "$2" >"$E2E_TMP/$1.ctl"
	else
		rm -f -- "$E2E_TMP/$1.ctl"
	fi
}

# fake_log_count NAME [ERE]: queries the fake received (lines matching ERE
# if given; MALFORMED lines are only counted when ERE asks for them).
fake_log_count() {
	local f="$E2E_TMP/$1.log" n
	[[ -f $f ]] || { echo 0; return 0; }
	if [[ $# -ge 2 ]]; then
		n=$(grep -cE -- "$2" "$f" || true)
	else
		n=$(grep -cv ' MALFORMED$' "$f" || true)
	fi
	echo "${n:-0}"
}

# fake_log_clear NAME (the fake appends, so truncating in place is safe)
# fake_log_names NAME ERE: how many different strings matching ERE the
# fake's log holds (a name retried by Unbound counts once)
fake_log_names() {
	local f="$E2E_TMP/$1.log"
	[[ -f $f ]] || { echo 0; return 0; }
	grep -oE -- "$2" "$f" | sort -u | wc -l
}

# fake_counts ERE [NAME...]: "fa=1 fb=0 ..." how many queries matching ERE
# each fake (default: those of ALL_FAKES) received, in that order
fake_counts() {
	local ere=$1 f out=""
	shift
	(($# > 0)) || set -- "${ALL_FAKES[@]}"
	for f in "$@"; do
		out+="$f=$(fake_log_count "$f" "$ere") "
	done
	echo "${out% }"
}

fake_log_clear() {
	: >"$E2E_TMP/$1.log"
}

# fake_log NAME: the raw log, for diagnostics
fake_log() {
	cat -- "$E2E_TMP/$1.log" 2>/dev/null
}

# wait_count NAME ERE N [TIMEOUT]: wait until the fake logged at least N
# matching queries; prints the final count.
wait_count() {
	local name=$1 ere=$2 n=$3 t=${4:-5}
	wait_until "$t" _e2e_count_ge "$name" "$ere" "$n"
	fake_log_count "$name" "$ere"
}
_e2e_count_ge() { (( $(fake_log_count "$1" "$2") >= $3 )); }

## ---- unbound ----------------------------------------------------------------

_e2e_have_ipv6() {
	"$E2E_PYTHON" -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null
}

# write_unbound_conf FILE [extra lines...]
# Extra lines land inside the server: clause (so "module-config: ..." works
# as is); start a new clause (forward-zone:, view:, ...) to leave it.
write_unbound_conf() {
	local file=$1
	shift
	{
		echo "remote-control:"
		echo "	control-enable: yes"
		echo "	control-interface: \"$E2E_TMP/control.sock\""
		echo "	control-use-cert: no"
		echo "server:"
		echo "	interface: 127.0.0.1@$UB_PORT"
		_e2e_have_ipv6 && echo "	interface: ::1@$UB_PORT"
		echo "	port: $UB_PORT"
		ub_server_basics "$E2E_TMP" "${E2E_VERBOSITY:-1}"
		echo "	access-control: ::1 allow"
		[[ $# -gt 0 ]] && printf '%s\n' "$@"
	} >"$file"
}

_e2e_ub_probe() {
	# shellcheck disable=SC2086 # UB_PROBE is "name [class] [type]"
	dig +time=1 +tries=1 @127.0.0.1 -p "$UB_PORT" $UB_PROBE >/dev/null 2>&1
}

# unbound_start CONFFILE: start in the foreground mode (-d) in the
# background, and return once it answers on $UB_PORT (≤15 s).
unbound_start() {
	local conf=$1 i
	if [[ -n $UB_PID ]] && kill -0 "$UB_PID" 2>/dev/null; then
		echo "unbound_start: unbound already running (pid $UB_PID)" >&2
		return 1
	fi
	UB_CONF=$conf
	echo "=== unbound_start $conf $(date +%T)" >>"$UB_LOG"
	"$UNBOUND" -d -c "$conf" </dev/null >>"$UB_LOG" 2>&1 &
	UB_PID=$!
	E2E_PIDS+=("$UB_PID")
	local deadline=$((SECONDS + 15))
	for ((i = 0; i < 100 && SECONDS < deadline; i++)); do
		kill -0 "$UB_PID" 2>/dev/null || break
		_e2e_ub_probe && return 0
		sleep 0.1
	done
	echo "unbound_start: unbound not serving on port $UB_PORT" >&2
	tail -n 20 "$UB_LOG" >&2
	unbound_stop
	return 1
}

# unbound_stop: stop the unbound started by unbound_start, by its PID.
unbound_stop() {
	[[ -n $UB_PID ]] || return 0
	stop_pid "$UB_PID"
	_e2e_forget_pid "$UB_PID"
	UB_PID=""
}

# uctl ARGS...: unbound-control against the running instance.
uctl() {
	"$UNBOUND_CONTROL" -c "$UB_CONF" "$@"
}

## ---- queries ----------------------------------------------------------------

# Split "SRC NAME [TYPE] [dig options...]" into dig arguments; an IPv6
# source queries unbound over ::1.
_e2e_dig_args() {
	local src=$1 name=$2 type=A server=127.0.0.1
	shift 2
	if [[ $# -gt 0 && $1 != [+-]* ]]; then
		type=$1
		shift
	fi
	[[ $src == *:* ]] && server=::1
	E2E_DIG_ARGS=(+time=2 +tries=1 -b "$src" "@$server" -p "$UB_PORT" "$name" "$type" "$@")
}

# q SRC NAME [TYPE] [dig options...]: short answer as seen by client SRC.
q() {
	_e2e_dig_args "$@"
	dig +short "${E2E_DIG_ARGS[@]}"
}

# qfull SRC NAME [TYPE] [dig options...]: full dig output (status, EDE,
# flags).
qfull() {
	_e2e_dig_args "$@"
	dig "${E2E_DIG_ARGS[@]}"
}

# qstatus SRC NAME [TYPE] [opts]: just the rcode (NOERROR, SERVFAIL, ...),
# or NOREPLY.
qstatus() {
	local out
	out=$(qfull "$@")
	if [[ $out =~ status:\ ([A-Z]+) ]]; then
		echo "${BASH_REMATCH[1]}"
	else
		echo NOREPLY
	fi
}

## ---- assertions -------------------------------------------------------------

_e2e_ok() {
	E2E_PASS=$((E2E_PASS + 1))
	echo "ok   - $1"
}

_e2e_fail() { # DESC EXPECTED ACTUAL
	E2E_FAIL=$((E2E_FAIL + 1))
	echo "FAIL - $1"
	echo "       expected: $2"
	echo "       actual:   $(printf '%s' "$3" | sed '2,$s/^/                 /')"
	if [[ -s $UB_LOG ]]; then
		echo "       --- last 20 lines of unbound log ---"
		tail -n 20 "$UB_LOG" | sed 's/^/       | /'
	fi
}

# assert_eq DESC EXPECTED ACTUAL
assert_eq() {
	if [[ $2 == "$3" ]]; then _e2e_ok "$1"; else _e2e_fail "$1" "$2" "$3"; fi
}

# assert_match DESC ERE TEXT: some line of TEXT matches ERE
assert_match() {
	if grep -qE -- "$2" <<<"$3"; then
		_e2e_ok "$1"
	else
		_e2e_fail "$1" "match /$2/" "$3"
	fi
}

# assert_nomatch DESC ERE TEXT: no line of TEXT matches ERE
assert_nomatch() {
	if grep -qE -- "$2" <<<"$3"; then
		_e2e_fail "$1" "no match for /$2/" "$3"
	else
		_e2e_ok "$1"
	fi
}

# check DESC CMD...: CMD exits 0
check() {
	local desc=$1 rc=0
	shift
	"$@" || rc=$?
	if ((rc == 0)); then
		_e2e_ok "$desc"
	else
		_e2e_fail "$desc" "exit 0 from: $*" "exit $rc"
	fi
}

# e2e_finish: summary line parsed by run.sh; exit status reflects failures.
e2e_finish() {
	echo "$E2E_PASS passed, $E2E_FAIL failed"
	((E2E_FAIL == 0))
	exit $?
}

#!/bin/bash
# Scale-out behind a load balancer: dnsdist on 127.0.9.1:5690 in front of
# two vpndns instances (two unbound processes, each with a PROXYv2 port),
# with useProxyProtocol=true on both backends.  Through the balancer,
# clients 127.0.9.10 (view A) and 127.0.9.11 (view B) get their own views'
# answers over UDP and TCP, the other view's fake upstream logs none of
# their names, both instances serve, and an unmapped client is refused.
# Then why docs/scale-out.md forbids dnsdist's packet cache (with one, a
# client gets the other view's cached answer), and the client-sticky
# policy it suggests.
#
# Needs dnsdist: installed with apt-get when missing (as root); when it
# can't be installed or run here, the script prints a skip line and ends
# with "0 passed, 0 failed".
#
# Addresses and ports: 127.0.9.1 (dnsdist 5690, 5696 and 5697, vpndns
# 5691/5692 with PROXYv2, 5693/5694 plain), fakes 127.0.9.2/.3 on 5695.

UB_PORT=5693
FAKE_PORT=5695
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpnlib.sh"

LB=127.0.9.1
LB_PORT=5690
LB_CACHE_PORT=5696
LB_STICKY_PORT=5697
P1=5691 P2=5692        # PROXYv2 ports of the two instances
Q1=5693 Q2=5694        # their plain ports, for probes and controls
FA=127.0.9.2           # view A's upstream: answers 192.0.2.2
FB=127.0.9.3           # view B's upstream: answers 192.0.2.3
CA=127.0.9.10          # client of view A
CB=127.0.9.11          # client of view B
CX=127.0.9.12          # unmapped client

skip_all() {
	echo "skip - $*"
	e2e_finish
}

DNSDIST=${DNSDIST:-$(command -v dnsdist)}
if [[ -z $DNSDIST ]] && [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
	echo "# dnsdist missing: apt-get install -y dnsdist"
	DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq dnsdist \
		>"$E2E_TMP/apt.log" 2>&1 || true
	DNSDIST=$(command -v dnsdist)
fi
if [[ -z $DNSDIST ]] || ! "$DNSDIST" --version >/dev/null 2>&1; then
	skip_all "dnsdist is not installed and could not be installed here"
fi
echo "# $("$DNSDIST" --version 2>&1 | head -n 1)"

## two vpndns instances ----------------------------------------------------------

fake_start fa "$FA" "$FAKE_PORT" || exit 1
fake_start fb "$FB" "$FAKE_PORT" || exit 1

write_two_views_conf "$E2E_TMP/vpndns.conf"

# ub_conf N PROXYPORT PLAINPORT
ub_conf() {
	{ cat <<EOF
server:
	interface: $LB@$2
	interface: $LB@$3
	port: $3
	proxy-protocol-port: $2
EOF
	ub_server_basics "$E2E_TMP"
	cat <<EOF
	module-config: "vpndns iterator"
	vpndns-config: "$E2E_TMP/vpndns.conf"
remote-control:
	control-enable: yes
	control-interface: "$E2E_TMP/ub$1.ctl"
	control-use-cert: no
EOF
	} >"$E2E_TMP/ub$1.conf"
}

# ub_run N PLAINPORT: start instance N, wait until it answers
declare -A UBPID
ub_run() {
	local n=$1 port=$2 i
	"$UNBOUND" -d -c "$E2E_TMP/ub$n.conf" </dev/null >>"$E2E_TMP/ub$n.log" 2>&1 &
	UBPID[$n]=$!
	E2E_PIDS+=("$!")
	for ((i = 0; i < 100; i++)); do
		kill -0 "${UBPID[$n]}" 2>/dev/null || break
		dig +time=1 +tries=1 @"$LB" -p "$port" id.server CH TXT >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "vpndns instance $n did not start:" >&2
	tail -n 20 "$E2E_TMP/ub$n.log" >&2
	return 1
}

ub_conf 1 $P1 $Q1
ub_conf 2 $P2 $Q2
check "unbound-checkconf accepts instance 1" "$UNBOUND_CHECKCONF" "$E2E_TMP/ub1.conf"
ub_run 1 $Q1 || exit 1
ub_run 2 $Q2 || exit 1

## dnsdist -------------------------------------------------------------------------

# dd_conf FILE PORT [extra Lua lines...]
dd_conf() {
	local file=$1 port=$2
	shift 2
	{
		echo "setLocal('$LB:$port')"
		echo "setACL({'127.0.0.0/8'})"
		echo "setSecurityPollSuffix('')"
		echo "newServer({address='$LB:$P1', name='vpndns1', useProxyProtocol=true})"
		echo "newServer({address='$LB:$P2', name='vpndns2', useProxyProtocol=true})"
		echo "setServerPolicy(roundrobin)"
		printf '%s\n' "$@"
	} >"$file"
}

# dd_run NAME CONF PORT: start dnsdist, wait until it forwards
dd_run() {
	local name=$1 conf=$2 port=$3 pid i
	"$DNSDIST" --supervised --disable-syslog -C "$conf" \
		</dev/null >"$E2E_TMP/$name.log" 2>&1 &
	pid=$!
	E2E_PIDS+=("$pid")
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		dig +time=1 +tries=1 -b "$CA" @"$LB" -p "$port" id.server CH TXT >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

dd_conf "$E2E_TMP/dnsdist.conf" $LB_PORT
out=$("$DNSDIST" --check-config -C "$E2E_TMP/dnsdist.conf" 2>&1)
assert_match "dnsdist --check-config accepts the configuration" 'Configuration .* OK' "$out"
if ! dd_run dnsdist "$E2E_TMP/dnsdist.conf" $LB_PORT; then
	echo "# dnsdist log:"
	sed 's/^/#   /' "$E2E_TMP/dnsdist.log" | tail -n 20
	E2E_PASS=0 E2E_FAIL=0
	skip_all "dnsdist could not be run here"
fi

# lq SRC NAME [dig options]: short answer through the balancer
lq() {
	local src=$1 name=$2
	shift 2
	dig +short +time=2 +tries=1 -b "$src" @"$LB" -p "$LB_PORT" "$name" A "$@"
}
lstatus() {
	local out
	out=$(dig +time=2 +tries=1 -b "$1" @"$LB" -p "$LB_PORT" "$2" A "${@:3}")
	if [[ $out =~ status:\ ([A-Z]+) ]]; then echo "${BASH_REMATCH[1]}"; else echo NOREPLY; fi
}

## per-client forwarding through the balancer --------------------------------------

# Each client asks a run of names: with round robin, each client's
# queries go to both instances.
wrong=0
for i in 1 2 3 4 5 6; do
	a=$(lq "$CA" "a$i.example.com")
	[[ $a == 192.0.2.2 ]] || { wrong=$((wrong + 1)); echo "# a$i: $a"; }
done
for i in 1 2 3 4 5 6; do
	b=$(lq "$CB" "b$i.example.com")
	[[ $b == 192.0.2.3 ]] || { wrong=$((wrong + 1)); echo "# b$i: $b"; }
done
assert_eq "UDP via dnsdist: 6 names each, every answer from the client's own view" 0 "$wrong"

wrong=0
for i in 1 2 3 4; do
	a=$(lq "$CA" shared.example.com)
	b=$(lq "$CB" shared.example.com)
	[[ $a == 192.0.2.2 && $b == 192.0.2.3 ]] || { wrong=$((wrong + 1)); echo "# shared: $a / $b"; }
done
assert_eq "UDP via dnsdist: the same name, asked 4 times by each in turn, answered per view" 0 "$wrong"

assert_eq "TCP via dnsdist: client .10 gets view A's answer" 192.0.2.2 "$(lq "$CA" tcp-a.example.com +tcp)"
assert_eq "TCP via dnsdist: client .11 gets view B's answer" 192.0.2.3 "$(lq "$CB" tcp-b.example.com +tcp)"

## isolation: what each upstream saw --------------------------------------------

assert_eq "view B's fake logged none of client .10's names" 0 "$(fake_log_count fb ' (a[0-9]|tcp-a)\.example\.com\. ')"
assert_eq "view A's fake logged none of client .11's names" 0 "$(fake_log_count fa ' (b[0-9]|tcp-b)\.example\.com\. ')"
assert_eq "view A's fake logged client .10's 7 names" 7 "$(fake_log_count fa ' (a[0-9]|tcp-a)\.example\.com\. ')"
assert_eq "view B's fake logged client .11's 7 names" 7 "$(fake_log_count fb ' (b[0-9]|tcp-b)\.example\.com\. ')"
na=$(fake_log_count fa ' shared\.example\.com\. ')
nb=$(fake_log_count fb ' shared\.example\.com\. ')
if ((na >= 1 && na <= 2 && nb >= 1 && nb <= 2)); then
	_e2e_ok "the shared name reached each view's fake once per instance at most (A: $na, B: $nb)"
else
	_e2e_fail "the shared name reached each view's fake once per instance at most" "1..2 each" "A: $na, B: $nb"
fi

## both instances served, and classified by the proxied address -------------------

# view_q N VIEW: queries of VIEW counted by instance N
view_q() {
	"$UNBOUND_CONTROL" -c "$E2E_TMP/ub$1.conf" stats_noreset |
		sed -n "s/^vpndns\.view\.$2\.queries=//p"
}
a1=$(view_q 1 A) a2=$(view_q 2 A) b1=$(view_q 1 B) b2=$(view_q 2 B)
if ((${a1:-0} > 0 && ${a2:-0} > 0 && ${b1:-0} > 0 && ${b2:-0} > 0)); then
	_e2e_ok "round robin: both instances served both views (A: $a1+$a2, B: $b1+$b2 queries)"
else
	_e2e_fail "round robin: both instances served both views" "> 0 each" \
		"A: ${a1:-?}+${a2:-?}, B: ${b1:-?}+${b2:-?}"
fi
for n in 1 2; do
	assert_match "vpndns_lookup on instance $n: client .11 is in view B" \
		"^client $CB view B forwarders $FB@$FAKE_PORT\$" \
		"$("$UNBOUND_CONTROL" -c "$E2E_TMP/ub$n.conf" vpndns_lookup "$CB")"
done
assert_eq "an unmapped client through dnsdist is REFUSED (by its own address, not dnsdist's)" \
	REFUSED "$(lstatus "$CX" unmapped.example.com)"
assert_eq "no fake saw the unmapped client's name" "0 0" \
	"$(fake_log_count fa unmapped) $(fake_log_count fb unmapped)"

## why the balancer must not cache -----------------------------------------------

dd_conf "$E2E_TMP/dnsdist-cache.conf" $LB_CACHE_PORT \
	"pc = newPacketCache(1000)" "getPool(''):setCache(pc)"
if dd_run dnsdist-cache "$E2E_TMP/dnsdist-cache.conf" $LB_CACHE_PORT; then
	a=$(dig +short +time=2 +tries=1 -b "$CA" @"$LB" -p "$LB_CACHE_PORT" cached.example.com A)
	b=$(dig +short +time=2 +tries=1 -b "$CB" @"$LB" -p "$LB_CACHE_PORT" cached.example.com A)
	assert_eq "with a dnsdist packet cache, client .11 gets view A's answer cached for .10 (so: no cache in the balancer)" \
		"192.0.2.2 192.0.2.2" "$a $b"
else
	_e2e_fail "dnsdist with a packet cache starts" "serving" "$(tail -n 5 "$E2E_TMP/dnsdist-cache.log")"
fi

## a client-sticky policy (docs/scale-out.md) --------------------------------------

# Each client address always goes to the same instance, so each view's
# cache is filled on one instance only.
dd_conf "$E2E_TMP/dnsdist-sticky.conf" $LB_STICKY_PORT \
	"function byClient(servers, dq)" \
	"  local a, h = dq.remoteaddr:toString(), 0" \
	"  for i = 1, #a do h = (h * 31 + a:byte(i)) % 1000003 end" \
	"  return servers[1 + (h % #servers)]" \
	"end" \
	"setServerPolicyLua('byclient', byClient)"
out=$("$DNSDIST" --check-config -C "$E2E_TMP/dnsdist-sticky.conf" 2>&1)
assert_match "dnsdist --check-config accepts the client-sticky policy" 'Configuration .* OK' "$out"
if dd_run dnsdist-sticky "$E2E_TMP/dnsdist-sticky.conf" $LB_STICKY_PORT; then
	a1=$(view_q 1 A) a2=$(view_q 2 A) b1=$(view_q 1 B) b2=$(view_q 2 B)
	wrong=0
	for i in 1 2 3 4 5 6; do
		a=$(dig +short +time=2 +tries=1 -b "$CA" @"$LB" -p "$LB_STICKY_PORT" "s$i.example.com" A)
		b=$(dig +short +time=2 +tries=1 -b "$CB" @"$LB" -p "$LB_STICKY_PORT" "t$i.example.com" A)
		[[ $a == 192.0.2.2 && $b == 192.0.2.3 ]] || wrong=$((wrong + 1))
	done
	assert_eq "client-sticky policy: every answer from the client's own view" 0 "$wrong"
	da="$(($(view_q 1 A) - a1)) $(($(view_q 2 A) - a2))"
	db="$(($(view_q 1 B) - b1)) $(($(view_q 2 B) - b2))"
	if [[ $da == "6 0" || $da == "0 6" ]] && [[ $db == "6 0" || $db == "0 6" ]]; then
		_e2e_ok "client-sticky policy: each client's 6 queries went to one instance (A: $da, B: $db)"
	else
		_e2e_fail "client-sticky policy: each client's queries go to one instance" "6 0 or 0 6" "A: $da, B: $db"
	fi
else
	_e2e_fail "dnsdist with the client-sticky policy starts" "serving" "$(tail -n 5 "$E2E_TMP/dnsdist-sticky.log")"
fi

e2e_finish

#!/usr/bin/env bash
# Fault matrix: one view per upstream misbehaviour (down, silent, slow
# under and over the timeout, SERVFAIL, REFUSED, FORMERR, truncation,
# garbage, wrong ID, replies from a wrong source port or address, and a
# forwarder flapping under load). Each case checks what the client gets:
# SERVFAIL with EDE 22 when the view's forwarder fails, the right answer
# where Unbound recovers. At the end every upstream's log must show only
# its own view's names: zero queries reached a forwarder of another view,
# the default view's forwarder or the global forward-zone.
#
# Timeouts are explicit: a forwarder Unbound knows nothing about, or one
# that answers fast, gets 400 ms per UDP send (unknown-server-time-limit
# and infra-cache-min-rtt), and each forwarder one try per query
# (outbound-msg-retry: 1); on a timeout Unbound 1.17 sends it twice (EDNS,
# then the smaller EDNS size), 1.26 once. A failed send doubles the
# forwarder's timeout.

UB_PORT=5600
FAKE_PORT=5601
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpnlib.sh"

RECORDER="$E2E_DIR/recorder.py"
TMO=400                 # the per-send timeout, ms
MARGIN=150              # the slow fakes answer this much before or after it
SUFFIX=faults.example
# A send that times out: Unbound 1.17 tries the forwarder again with a
# smaller EDNS size before it gives up; 1.26 does not.
if ub_version_ge 1.26.0; then
	TSENDS="udp"
else
	TSENDS="udp udp"
fi
NSENDS=$(wc -w <<<"$TSENDS")

FGLOB=127.0.6.2         # global forward-zone "." in unbound.conf
FDEF=127.0.6.3          # default view; its client: 127.0.6.126 (unmapped)
FOTHER=127.0.6.4        # view other, client 127.0.6.50
C_DEF=127.0.6.126
C_OTHER=127.0.6.50
SPOOF_ADDR=127.0.6.40   # where the wrong-address replies come from

# case tag, forwarder address, client address, fake mode ("" = no fake)
CASES=(
	"down      127.0.6.10 127.0.6.60 -"
	"silent    127.0.6.11 127.0.6.61 silent"
	"slowunder 127.0.6.12 127.0.6.62 slow:$((TMO - MARGIN))"
	"slowover  127.0.6.13 127.0.6.63 slow:$((TMO + MARGIN))"
	"servfail  127.0.6.14 127.0.6.64 servfail"
	"refused   127.0.6.15 127.0.6.65 refused"
	"formerr   127.0.6.16 127.0.6.66 formerr"
	"truncate  127.0.6.17 127.0.6.67 truncate"
	"garbage   127.0.6.18 127.0.6.68 garbage"
	"wrongid   127.0.6.19 127.0.6.69 wrongid"
	"fromport  127.0.6.20 127.0.6.70 from:127.0.6.20"
	"fromaddr  127.0.6.21 127.0.6.71 from:$SPOOF_ADDR@$FAKE_PORT"
	"flap      127.0.6.22 127.0.6.72 normal"
)
declare -A FWD CLI MODE
TAGS=()
for c in "${CASES[@]}"; do
	read -r tag fwd cli mode <<<"$c"
	TAGS+=("$tag")
	FWD[$tag]=$fwd
	CLI[$tag]=$cli
	MODE[$tag]=$mode
done

# The names each fake may see (ERE on the logged query name): its own
# case's tag, and the recorder's names for its view's client.
declare -A OWN
OWN[fglob]='^$'                                  # nothing at all
OWN[fdef]="^(dflt-|u[0-9]+-${C_DEF//./-}\\.)"
OWN[fother]="^(other-|u[0-9]+-${C_OTHER//./-}\\.)"
FAKES=(fglob fdef fother)

fake_start fglob "$FGLOB" "$FAKE_PORT" || exit 1
fake_start fdef "$FDEF" "$FAKE_PORT" || exit 1
fake_start fother "$FOTHER" "$FAKE_PORT" || exit 1
vconf=("view: other $FOTHER@$FAKE_PORT" "client: $C_OTHER/32 other")
for tag in "${TAGS[@]}"; do
	vconf+=("view: $tag ${FWD[$tag]}@$FAKE_PORT" "client: ${CLI[$tag]}/32 $tag")
	[[ ${MODE[$tag]} == - ]] && continue
	fake_start "$tag" "${FWD[$tag]}" "$FAKE_PORT" --mode "${MODE[$tag]}" || exit 1
	FAKES+=("$tag")
	OWN[$tag]="^$tag-"
done
OWN[flap]="^(flap-|u[0-9]+-${CLI[flap]//./-}\\.)"
vconf+=("default: $FDEF@$FAKE_PORT")
write_vpndns_conf "$E2E_TMP/vpndns.conf" "${vconf[@]}"

# ub_conf FILE [extra server lines]
ub_conf() {
	local f=$1
	shift
	write_vpndns_unbound_conf "$f" "$E2E_TMP/vpndns.conf" \
		"	unknown-server-time-limit: $TMO" \
		"	infra-cache-min-rtt: $TMO" \
		'	outbound-msg-retry: 1' \
		"$@" \
		'forward-zone:' \
		'	name: "."' \
		"	forward-addr: $FGLOB@$FAKE_PORT"
}
ub_conf "$E2E_TMP/ub.conf"
unbound_start "$E2E_TMP/ub.conf" || exit 1

# res SRC NAME: "STATUS ede=E ANSWERS" as the client saw it; the query's
# wall time (ms, including the client's start-up) goes to $E2E_TMP/ms
res() {
	local out t0 t1
	t0=$(date +%s%N)
	out=$(pq "$1" "$2" --timeout 5)
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000)) >"$E2E_TMP/ms"
	echo "$(r_status "$out") ede=$(r_ede "$out") $(r_ans "$out")"
}
ms() { cat "$E2E_TMP/ms"; }
# protos TAG NAME: the protocols of the fake's log lines for NAME
protos() {
	awk -v n="$2." '$4 == n { printf "%s%s", sep, $2; sep = " " }' "$E2E_TMP/$1.log"
}
sf22="SERVFAIL ede=22 "
ans() { echo "NOERROR ede=- 192.0.2.${1##*.}"; }   # a fake's default A

assert_eq "sanity: view other answers" "$(ans $FOTHER)" "$(res $C_OTHER other-1.$SUFFIX)"
assert_eq "sanity: default view answers an unmapped client" "$(ans $FDEF)" "$(res $C_DEF dflt-1.$SUFFIX)"

## down: nothing listens on the forwarder's port ---------------------------------
assert_eq "down: SERVFAIL, EDE 22" "$sf22" "$(res ${CLI[down]} down-1.$SUFFIX)"
assert_eq "down, again: SERVFAIL, EDE 22" "$sf22" "$(res ${CLI[down]} down-2.$SUFFIX)"

## silent ------------------------------------------------------------------------
assert_eq "silent: SERVFAIL, EDE 22" "$sf22" "$(res ${CLI[silent]} silent-1.$SUFFIX)"
check "silent: the client waited out $NSENDS ${TMO} ms send(s) ($(ms) ms)" test "$(ms)" -ge $((NSENDS * TMO - 20))
assert_eq "silent: $NSENDS UDP send(s), no other retry" "$TSENDS" "$(protos silent silent-1.$SUFFIX)"
assert_eq "silent, asked again: the failure cached in the view, still EDE 22" "$sf22" \
	"$(res ${CLI[silent]} silent-1.$SUFFIX)"
assert_eq "silent, asked again: answered from the cache, nothing sent" "$TSENDS" \
	"$(protos silent silent-1.$SUFFIX)"
fake_mode silent normal
assert_eq "silent, fixed: the view answers again" "$(ans ${FWD[silent]})" "$(res ${CLI[silent]} silent-2.$SUFFIX)"

## slow, just under the timeout ----------------------------------------------------
assert_eq "slow $((TMO - MARGIN)) ms (< $TMO): answered" "$(ans ${FWD[slowunder]})" \
	"$(res ${CLI[slowunder]} slowunder-1.$SUFFIX)"
check "slow under: the answer took the fake's delay ($(ms) ms)" test "$(ms)" -ge $((TMO - MARGIN))
assert_eq "slow under: one UDP send, no retry" "udp" "$(protos slowunder slowunder-1.$SUFFIX)"

## slow, just over the timeout -----------------------------------------------------
assert_eq "slow $((TMO + MARGIN)) ms (> $TMO): SERVFAIL, EDE 22" "$sf22" \
	"$(res ${CLI[slowover]} slowover-1.$SUFFIX)"
check "slow over: the client waited out $NSENDS send(s) ($(ms) ms)" test "$(ms)" -ge $((NSENDS * TMO - 20))
assert_eq "slow over: $NSENDS UDP send(s)" "$TSENDS" "$(protos slowover slowover-1.$SUFFIX)"
# the late replies reached closed ports; the failure doubled the timeout
# to $((2 * TMO)) ms, so the next query waits long enough
assert_eq "slow over, next query: Unbound's backoff recovers the answer" \
	"$(ans ${FWD[slowover]})" "$(res ${CLI[slowover]} slowover-2.$SUFFIX)"
check "slow over, next query: one send, answered after the delay ($(ms) ms)" \
	test "$(protos slowover slowover-2.$SUFFIX)" = udp -a "$(ms)" -ge $((TMO + MARGIN))

## error rcodes --------------------------------------------------------------------
# the forwarder answered (with an error): reachable, so no EDE 22; the
# SERVFAIL is passed on as stock Unbound passes it (t_servfail.sh compares)
for tag in servfail refused formerr; do
	assert_eq "$tag: SERVFAIL, no EDE 22 (the forwarder answered)" \
		"SERVFAIL ede=- " "$(res ${CLI[$tag]} $tag-1.$SUFFIX)"
	check "$tag: the forwarder was asked" test "$(fake_log_count $tag "^.* $tag-1\\.")" -ge 1
	fake_mode $tag normal
	assert_eq "$tag, fixed: the view answers again" "$(ans ${FWD[$tag]})" "$(res ${CLI[$tag]} $tag-2.$SUFFIX)"
done
assert_eq "formerr: retried without EDNS, then gave up" "udp udp" "$(protos formerr formerr-1.$SUFFIX)"

## truncation: TC over UDP, the answer over TCP -----------------------------------
assert_eq "truncate: answered through the TCP retry" "$(ans ${FWD[truncate]})" \
	"$(res ${CLI[truncate]} truncate-1.$SUFFIX)"
assert_eq "truncate: UDP, then TCP" "udp tcp" "$(protos truncate truncate-1.$SUFFIX)"

## garbage, wrong ID, wrong source port, wrong source address ------------------------

# from_probe TAG: the source address#port of the fake's reply, seen by an
# unconnected socket (which accepts a reply from anywhere)
from_probe() {
	"$E2E_PYTHON" - "${FWD[$1]}" "$FAKE_PORT" "$1-probe.$SUFFIX" <<'EOF'
import socket, sys, dns.message
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(2)
q = dns.message.make_query(sys.argv[3], "A")
s.sendto(q.to_wire(), (sys.argv[1], int(sys.argv[2])))
try:
    wire, src = s.recvfrom(65535)
    r = dns.message.from_wire(wire)
    print("%s#%d %s" % (src[0], src[1], r.answer[0][0].to_text()))
except Exception as exc:
    print("none %s" % exc.__class__.__name__)
EOF
}
out=$(from_probe fromport)
check "fromport: control: the fake replies from its address, another port ($out)" \
	grep -qE "^${FWD[fromport]//./\\.}#[0-9]+ 192\\.0\\.2\\.20$" <<<"$out"
check "fromport: control: not from the queried port" test "${out%% *}" != "${FWD[fromport]}#$FAKE_PORT"
assert_eq "fromaddr: control: the fake replies from $SPOOF_ADDR#$FAKE_PORT" \
	"$SPOOF_ADDR#$FAKE_PORT 192.0.2.21" "$(from_probe fromaddr)"

# phase NAME: the four bad-reply cases, for unbound as configured now
bad_replies() {
	local p=$1 tag
	for tag in garbage wrongid fromport fromaddr; do
		fake_mode $tag
		assert_eq "$p: $tag: SERVFAIL, EDE 22" "$sf22" "$(res ${CLI[$tag]} $tag-$p-1.$SUFFIX)"
		assert_eq "$p: $tag: every send reached the fake, no reply was taken" \
			"$TSENDS" "$(protos $tag $tag-$p-1.$SUFFIX)"
		fake_mode $tag normal
		assert_eq "$p: $tag, fixed: the view answers again" "$(ans ${FWD[$tag]})" \
			"$(res ${CLI[$tag]} $tag-$p-2.$SUFFIX)"
	done
}
bad_replies udpconnect

## flapping under load ------------------------------------------------------------
# The flapping forwarder switches between silent and normal every 200 ms
# while the recorder sends 25 queries a second from each of three clients
# for 3 s; the other views must not notice.
st_exceeded() { uctl stats_noreset | sed -n 's/^total\.requestlist\.exceeded=//p'; }
ex0=$(st_exceeded)
"$E2E_PYTHON" "$RECORDER" --port "$UB_PORT" --duration 3 --rate 25 --timeout 5 \
	--suffix "$SUFFIX" --log "$E2E_TMP/flap.rec" \
	"${CLI[flap]}=192.0.2.22" "$C_OTHER=192.0.2.4" "$C_DEF=192.0.2.3" \
	>"$E2E_TMP/flap.out" 2>&1 &
rec=$!
E2E_PIDS+=("$rec")
for ((i = 0; i < 16; i++)); do
	if ((i % 2 == 0)); then fake_mode flap silent; else fake_mode flap normal; fi
	sleep 0.2
done
fake_mode flap normal
wait "$rec"
_e2e_forget_pid "$rec"
ex1=$(st_exceeded)
line() { grep "^src=$1 " "$E2E_TMP/flap.out"; }
field() { sed -n "s/.* $1=\\([0-9]*\\).*/\\1/p" <<<"$2"; }
fl=$(line "${CLI[flap]}")
echo "# flap: $fl"
check "flap: queries sent (75)" test "$(field sent "$fl")" -eq 75
assert_eq "flap: no wrong answer (other rcode, other view's data)" 0 "$(field wrong "$fl")"
check "flap: answered right while up ($(field right "$fl"))" test "$(field right "$fl")" -ge 1
check "flap: SERVFAIL while down ($(field servfail "$fl"))" test "$(field servfail "$fl")" -ge 1
assert_eq "flap: every SERVFAIL carries EDE 22" "$(field servfail "$fl")" "$(field servfail_ede22 "$fl")"
assert_eq "flap: every query accounted for" "$(field sent "$fl")" \
	"$(($(field right "$fl") + $(field servfail "$fl") + $(field noreply "$fl")))"
for c in "$C_OTHER" "$C_DEF"; do
	l=$(line "$c")
	assert_eq "flap: client $c of another view: every answer right, no SERVFAIL" \
		"75 $(field answered "$l") 0 0" \
		"$(field sent "$l") $(field right "$l") $(field wrong "$l") $(field servfail "$l")"
done
# a reply ready after discard-timeout (1900 ms: two sends at a doubled
# timeout) is not sent; anything else unanswered would be a loss
tl=$(grep '^total ' "$E2E_TMP/flap.out")
assert_eq "flap: unanswered = replies Unbound dropped after discard-timeout" \
	"$((ex1 - ex0))" "$(field noreply "$tl")"
assert_eq "flap over: the view answers" "$(ans ${FWD[flap]})" "$(res ${CLI[flap]} flap-after.$SUFFIX)"

## the same bad replies with udp-connect: no ---------------------------------------
# Unconnected UDP sockets accept datagrams from anyone; now Unbound's own
# checks (source address and port, then ID) must drop the bad replies.
unbound_stop
ub_conf "$E2E_TMP/ub2.conf" '	udp-connect: no'
unbound_start "$E2E_TMP/ub2.conf" || exit 1
assert_eq "udp-connect is off" "no" "$(uctl get_option udp-connect)"
assert_eq "udp-connect off: view other answers" "$(ans $FOTHER)" "$(res $C_OTHER other-2.$SUFFIX)"
bad_replies noconnect

## nothing went anywhere else -----------------------------------------------------
for f in "${FAKES[@]}"; do
	stray=$(RE=${OWN[$f]} awk '$4 !~ ENVIRON["RE"]' "$E2E_TMP/$f.log" | head -n 5)
	assert_eq "upstream $f: zero queries of other views ($(fake_log_count "$f") in its log)" "" "$stray"
done
assert_eq "global forward-zone fake: empty log" 0 "$(wc -l <"$E2E_TMP/fglob.log")"
assert_eq "unbound log: no egress veto (nothing even tried another server)" 0 "$(ub_log_count 'egress veto')"
check "unbound still running" kill -0 "$UB_PID"

e2e_finish

#!/usr/bin/env bash
# Fairness between views: view a's forwarder is silent (a tunnel that is
# down) and a's clients flood it with unique names, at a bounded rate for
# a bounded time, while view b's client asks 20 names one at a time.
# With num-queries-per-thread 64 the silent view's queries would fill the
# request list that all views share, and b's queries would be dropped.
# view-max-inflight (default 25%: 16 here) answers a's misses beyond the
# bound SERVFAIL with EDE 22 at once: every one of b's queries is
# answered by b's forwarder, the flood gets SERVFAIL with EDE 22, the
# view's stats count it, and no name crosses to the other view's
# forwarder.  The first query to the silent view is answered SERVFAIL
# with EDE 22 after view-fail-timeout, while it goes on asking the
# forwarder; once the forwarder answers again, so does the view.
# Negative controls: with view-max-inflight: 0 (no bound) b's queries are
# lost again; with the failtimer guard off the first query gets no reply.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpnlib.sh"

UB_PORT=5820
FP=5821
A=127.0.17.30        # client of view a (silent forwarder)
B=127.0.17.31        # client of view b (healthy forwarder)
RATE=${FAIR_RATE:-800}   # flood queries per second
SECS=${FAIR_SECS:-5}     # flood duration

fake_start fa 127.0.17.5 "$FP" --mode silent
fake_start fb 127.0.17.6 "$FP"
conf() { # [EXTRA LINE]
	write_vpndns_conf "$E2E_TMP/vpndns.conf" \
		"view: a 127.0.17.5@$FP" "view: b 127.0.17.6@$FP" \
		"client: $A/32 a" "client: $B/32 b" "$@"
}
write_vpndns_unbound_conf "$E2E_TMP/ub.conf" "$E2E_TMP/vpndns.conf" \
	"	interface: $A@$UB_PORT" "	num-queries-per-thread: 64"

# flood TAG: RATE q/s of unique names from $A for SECS seconds, without
# waiting; prints "sent N servfail_ede22 N other N" for the replies seen
flood() {
	"$E2E_PYTHON" - "$A" "$UB_PORT" "$RATE" "$SECS" "$1" <<'PYEOF'
import select, socket, sys, time
import dns.message, dns.rcode
src, port, rate, secs, tag = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
s.setblocking(False)
sent = sf22 = other = 0
start = time.monotonic()
end = start + secs
def drain(until):
    global sf22, other
    while True:
        wait = until - time.monotonic()
        r, _, _ = select.select([s], [], [], max(0.0, wait))
        if not r:
            return
        try:
            m = dns.message.from_wire(s.recv(4096))
        except Exception:
            other += 1
            continue
        ede = [o.code for o in m.options if o.otype == 15]
        if m.rcode() == dns.rcode.SERVFAIL and 22 in ede:
            sf22 += 1
        else:
            other += 1
while time.monotonic() < end:
    q = dns.message.make_query("f%d.%s.flood.example" % (sent, tag), "A", use_edns=True)
    s.sendto(q.to_wire(), (src, port))
    sent += 1
    drain(start + sent / rate)
# the last queries in flight are answered at view-fail-timeout
drain(time.monotonic() + 2.5)
print("sent %d servfail_ede22 %d other %d" % (sent, sf22, other))
PYEOF
}

# run TAG: the flood in the background, b's 20 queries one at a time
# during it; sets ANSWERED (b's answers) and FLOOD (the flood's counts)
run() {
	local tag=$1 i out
	flood "$tag" >"$E2E_TMP/flood.$tag" &
	local fpid=$!
	sleep 1.5
	ANSWERED=0
	for ((i = 0; i < 20; i++)); do
		out=$(dig +time=2 +tries=1 -b $B @$A -p $UB_PORT "b$i.$tag.example" A)
		grep -qE "^b$i\.$tag\.example\..*A[[:space:]]+192\.0\.2\.6$" <<<"$out" &&
			ANSWERED=$((ANSWERED + 1))
	done
	wait "$fpid"
	FLOOD=$(cat "$E2E_TMP/flood.$tag")
}

stat() { uctl stats_noreset | sed -n "s/^vpndns\\.view\\.$1=//p"; }
# silent NAME: pq as a's client, timing it; sets R and MS
silent() {
	local t0=$(date +%s%N)
	R=$(pq $A "$1" A --timeout 4)
	MS=$((($(date +%s%N) - t0) / 1000000))
}

conf
unbound_start "$E2E_TMP/ub.conf" || { e2e_finish; exit 1; }
# the first query to the silent view: view-fail-timeout (by default 100 ms
# below discard-timeout, 1800 ms) answers
# it, and the query goes on probing the forwarder
silent first.silent.example
assert_eq "fail timeout: first query to the silent view gets SERVFAIL, EDE 22" "SERVFAIL 22" "$(r_status "$R") $(r_ede "$R")"
check "fail timeout: after view-fail-timeout, well before 4 s ($MS ms)" test "$MS" -ge 1700 -a "$MS" -lt 3000
n=$(fake_log_count fa 'first\.silent\.example\.')
sleep 1.5
assert_eq "fail timeout: the query goes on, a's forwarder keeps being asked" yes \
	"$( (($(fake_log_count fa 'first\.silent\.example\.') > n)) && echo yes || echo "no, $n")"
assert_eq "fail timeout: counted in vpndns.view.a.fail_timeouts" 1 "$(stat a.fail_timeouts)"
fake_mode fa normal
assert_eq "fail timeout: the tunnel is back, the view answers" "NOERROR 192.0.2.5" \
	"$(r_status "$(pq $A back.silent.example)") $(r_ans "$(pq $A back.silent.example)")"
fake_mode fa
fake_log_clear fa

run bounded
echo "# bounded: b answered $ANSWERED of 20; flood: $FLOOD"
assert_eq "bounded: b's 20 queries all answered during the flood" 20 "$ANSWERED"
# each name once at least (a send may be retried under the load)
assert_eq "bounded: b's forwarder saw b's 20 names" 20 \
	"$(fake_log fb | grep -oE ' b[0-9]+\.bounded\.example\. A ' | sort -u | wc -l)"
n=$(sed -n 's/.*servfail_ede22 \([0-9]*\).*/\1/p' <<<"$FLOOD")
assert_eq "bounded: the flood got SERVFAIL with EDE 22 at once" yes "$( ((n > 0)) && echo yes || echo "no: $FLOOD")"
lim=$(stat a.inflight_limited)
ft=$(stat a.fail_timeouts)
# every SERVFAIL of the flood: at the bound, or after view-fail-timeout
# (the first query of the script had one of those too)
sent=$(sed -n 's/^sent \([0-9]*\).*/\1/p' <<<"$FLOOD")
assert_eq "bounded: inflight_limited and fail_timeouts count them" yes \
	"$( ((lim > 0 && lim + ft - 1 >= n && lim + ft - 1 <= sent)) && echo yes ||
		echo "no: $lim + $ft - 1 vs $n of $sent")"
assert_eq "bounded: view b never limited" 0 "$(stat b.inflight_limited)"
assert_eq "bounded: b's names never reached a's forwarder" 0 "$(fake_log_count fa 'bounded\.example\. A' )"
assert_eq "bounded: the flood never reached b's forwarder" 0 "$(fake_log_count fb 'flood\.example\.')"
n=$(stat a.inflight)
assert_eq "bounded: view a holds at most its bound, 16, in flight ($n)" yes "$( ((n <= 16)) && echo yes || echo no)"
assert_match "bounded: Unbound's request list never held more than 17" \
	"requestlist max (1[0-7]|[0-9]) " "$(uctl stats_noreset | sed -n 's/^total\.requestlist\.max=\(.*\)/requestlist max \1 /p')"

# a bad value is refused with file:line, the old configuration serves
conf "view-max-inflight: 150%"
out=$(uctl vpndns_reload)
assert_match "view-max-inflight: 150% refused with file:line" "vpndns.conf:5: .*1 to 100" "$out"

# negative control of the fail timeout: its guard off, no reply at all
conf
if have_testhooks; then
	unbound_start_as testhooks "" "$E2E_TMP/ub.conf"
	silent on.silent.example
	assert_eq "test-hooks build, guards on: SERVFAIL, EDE 22 in time" "SERVFAIL 22" \
		"$(r_status "$R") $(r_ede "$R")"
	unbound_start_as testhooks failtimer "$E2E_TMP/ub.conf"
	silent nf.silent.example
	assert_eq "negative control (failtimer off): the first query gets no reply in 4 s" \
		"NOREPLY" "$(r_status "$R")"
	unbound_stop
else
	assert_eq "test-hooks build present for the negative control" yes no
fi

# negative control: no bound
conf "view-max-inflight: 0"
unbound_stop
unbound_start "$E2E_TMP/ub.conf" || { e2e_finish; exit 1; }
run unbounded
echo "# unbounded: b answered $ANSWERED of 20; flood: $FLOOD"
assert_eq "negative control (view-max-inflight: 0): b loses queries" yes "$( ((ANSWERED < 20)) && echo yes || echo "no, $ANSWERED of 20 answered")"
assert_eq "negative control: nothing limited" 0 "$(stat a.inflight_limited)"
assert_match "negative control: unbound's request list overflowed" "^total\.requestlist\.exceeded=[1-9]" "$(uctl stats_noreset)"

e2e_finish

#!/usr/bin/env bash
# Scale: 256 reflect clients, each with a view of its own, all answered by
# their own address; no client sees another view's cache, even with
# non-recursive queries; the memory a reflect view costs (reported, and
# checked against a bound); a view's cache stays within its configured
# size; and the 257th client, past max-reflect-views, gets SERVFAIL with
# EDE 0 and nothing is sent for it.
#
# One multifake process serves 127.0.7.1-127.0.8.1 (257 addresses, one
# port) and answers an A query that arrives on 127.B.C.D with 10.B.C.D.

UB_PORT=5620
FP=5621
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpnlib.sh"

MULTIFAKE="$E2E_DIR/multifake.py"
RECORDER="$E2E_DIR/recorder.py"
SUFFIX=scale.example
NVIEWS=256
FIRST=127.0.7.1           # clients 127.0.7.1 ... 127.0.8.0
EXTRA=127.0.8.1           # the 257th
WARM_FWD=127.0.8.250      # a fixed view for warming up; client 127.0.8.251
WARM=127.0.8.251
CACHE=256k
PER_VIEW_MAX_KB=160       # fixed cost of an idle reflect view must stay below

mapfile -t CLIENTS < <("$E2E_PYTHON" -c '
import ipaddress, sys
a = ipaddress.IPv4Address(sys.argv[1])
for i in range(int(sys.argv[2])):
    print(a + i)' "$FIRST" "$NVIEWS")
ans() { local o=${1#127.}; echo "10.$o"; }   # the multifake's answer for a client

# multifake, like fake_start: logged, stopped by PID on exit
"$E2E_PYTHON" "$MULTIFAKE" --first "$FIRST" --count $((NVIEWS + 1)) --port "$FP" \
	--log "$E2E_TMP/multi.log" --pidfile "$E2E_TMP/multi.pid" \
	</dev/null >"$E2E_TMP/multi.err" 2>&1 &
E2E_PIDS+=($!)
wait_until 10 test -s "$E2E_TMP/multi.pid" || { cat "$E2E_TMP/multi.err"; exit 1; }
fake_start warm "$WARM_FWD" "$FP" || exit 1

write_vpndns_conf "$E2E_TMP/vpndns.conf" \
	"msg-cache-size: $CACHE" \
	"rrset-cache-size: $CACHE" \
	"max-reflect-views: $NVIEWS" \
	"reflect: 127.0.7.0/24 $FP" \
	"reflect: 127.0.8.0/24 $FP" \
	"view: warm $WARM_FWD@$FP" \
	"client: $WARM/32 warm"
write_vpndns_unbound_conf "$E2E_TMP/ub.conf" "$E2E_TMP/vpndns.conf" \
	'	num-queries-per-thread: 1024' \
	"	access-control: ${CLIENTS[10]}/32 allow_snoop" \
	"	access-control: ${CLIENTS[11]}/32 allow_snoop"
unbound_start "$E2E_TMP/ub.conf" || exit 1

stat_of() { uctl stats_noreset | sed -n "s/^$1=//p"; }
# trim: a list reload keeps the views and ends with malloc_trim, so RSS
# shows memory in use rather than what the allocator kept
trim() {
	uctl vpndns_blocklist_reload >/dev/null
	reload_idle
	sleep 0.5
}
field() { sed -n "s/.* $1=\\([0-9]*\\).*/\\1/p" <<<"$2"; }

## baseline: the query path warmed up by the fixed view, which is then emptied
"$E2E_PYTHON" "$DNSQ" --port "$UB_PORT" --burst "$WARM=192.0.2.250" --count $NVIEWS \
	--timeout 10 warm.$SUFFIX >/dev/null
"$E2E_PYTHON" "$RECORDER" --port "$UB_PORT" --duration 2 --rate 100 --timeout 3 \
	--suffix "$SUFFIX" "$WARM=192.0.2.250" >/dev/null
uctl vpndns_flush warm >/dev/null
trim
assert_eq "no reflect view yet" 0 "$(stat_of vpndns.reflect_views)"
rss0=$(rss_kb)
mem0=$(stat_of mem.mod.vpndns)

## 256 clients at once, each creating its view ---------------------------------
specs=()
for c in "${CLIENTS[@]}"; do specs+=("$c=$(ans "$c")"); done
out=$("$E2E_PYTHON" "$DNSQ" --port "$UB_PORT" --burst "${specs[@]}" --count 1 \
	--timeout 10 first.$SUFFIX)
tot=$(grep '^total ' <<<"$out")
echo "# burst: $tot"
assert_eq "256 clients: every one answered with its own address's answer" \
	"$NVIEWS $NVIEWS 0 0" "$(field sent "$tot") $(field right "$tot") $(field wrong "$tot") $(field noreply "$tot")"
assert_eq "stats: vpndns.reflect_views=$NVIEWS" "$NVIEWS" "$(stat_of vpndns.reflect_views)"
# each address got exactly its own client's query
per_addr=$(awk '$5 == "first.'"$SUFFIX"'." { n[$3]++ } END { for (a in n) print a, n[a] }' "$E2E_TMP/multi.log" | sort)
assert_eq "each of the $NVIEWS forwarder addresses asked exactly once" \
	"$NVIEWS 1" "$(awk '{ c++; if ($2 != 1) bad++ } END { print c, bad ? "bad" : 1 }' <<<"$per_addr")"
assert_eq "the queries went to the clients' own addresses" "" \
	"$(comm -3 <(awk '{print $1}' <<<"$per_addr") <(printf '%s\n' "${CLIENTS[@]}" | sort))"
assert_match "view name of a client" "^client ${CLIENTS[99]} view reflect_${CLIENTS[99]//./_}_$FP " \
	"$(uctl vpndns_lookup "${CLIENTS[99]}")"

## no snooping into another view's cache ------------------------------------------
# X and Y may send non-recursive queries (allow_snoop); Z has the default
# access, under which Unbound refuses them before vpndns sees them
X=${CLIENTS[10]}
Y=${CLIENTS[11]}
Z=${CLIENTS[12]}
re_a() { ans "$1" | sed 's/\./\\./g'; }
assert_eq "snoop: client $X caches a name in its view" "$(ans "$X")" "$(q "$X" snoop.$SUFFIX)"
out=$(qfull "$X" snoop.$SUFFIX +norecurse)
assert_match "snoop, control: $X sees its own view's cache without recursion" \
	"^snoop\.$SUFFIX\..*IN[[:space:]]+A[[:space:]]+$(re_a "$X")$" "$out"
out=$(qfull "$Y" snoop.$SUFFIX +norecurse)
assert_nomatch "snoop: $Y, without recursion, sees no answer of $X's cache" \
	"^snoop.*IN[[:space:]]+A[[:space:]]+[0-9]" "$out"
assert_match "snoop: ... and no success ($(sed -n 's/.*status: \([A-Z]*\).*/\1/p' <<<"$out"))" \
	"status: (SERVFAIL|REFUSED)" "$out"
assert_eq "snoop: $Y's forwarder not asked by the non-recursive query" 0 \
	"$(awk -v a="$Y" '$3 == a && $5 == "snoop.'"$SUFFIX"'."' "$E2E_TMP/multi.log" | wc -l)"
out=$(qfull "$Z" snoop.$SUFFIX +norecurse)
assert_match "snoop: default access refuses non-recursive queries (REFUSED)" "status: REFUSED" "$out"
assert_match "snoop: ... with EDE 20" "EDE: 20" "$out"
out=$(qfull "$Y" snoop.$SUFFIX)
assert_match "snoop: $Y's own query: its own forwarder's answer, full TTL (not cached elsewhere)" \
	"^snoop\.$SUFFIX\.[[:space:]]+300[[:space:]]+IN[[:space:]]+A[[:space:]]+$(re_a "$Y")$" "$out"
assert_nomatch "snoop: dump_cache of $Y's view lacks $X's data" "$(re_a "$X")" \
	"$(uctl vpndns_dump_cache "$Y")"

## memory of 256 idle views -----------------------------------------------------
for c in "${CLIENTS[@]}"; do uctl vpndns_flush "$c" >/dev/null; done
trim
rss1=$(rss_kb)
mem1=$(stat_of mem.mod.vpndns)
per_rss=$(((rss1 - rss0) * 1024 / NVIEWS))
per_mem=$(((mem1 - mem0) / NVIEWS))
echo "# RSS: ${rss0} kB before, ${rss1} kB with $NVIEWS empty reflect views: $per_rss bytes per view"
echo "# mem.mod.vpndns: $mem0 before, $mem1 after: $per_mem bytes per view (caches and view struct)"
if instrumented; then
	echo "skip: RSS bound under a sanitizer or valgrind"
else
	check "fixed cost per reflect view: $per_rss bytes RSS < $PER_VIEW_MAX_KB KiB" \
		test "$per_rss" -lt $((PER_VIEW_MAX_KB * 1024))
fi
v=$(uctl vpndns_list | grep "^view reflect_${CLIENTS[0]//./_}_$FP ")
echo "# an empty view: $v"
assert_match "an emptied view holds no entries" "msg_cache_count=0 rrset_cache_count=0 " "$v"

## the 257th client ---------------------------------------------------------------
before=$(grep -c " $EXTRA " "$E2E_TMP/multi.log")
out=$(pq "$EXTRA" first.$SUFFIX --timeout 5)
assert_eq "257th client: SERVFAIL, EDE 0" "SERVFAIL ede=0" "$(r_status "$out") ede=$(r_ede "$out")"
out=$(qfull "$EXTRA" second.$SUFFIX)
assert_match "257th client, dig: EDE text" 'EDE: 0 \(Other\): \(vpndns: no view for client\)' "$out"
check "257th client: a warning in the log" \
	grep -q "vpndns: max-reflect-views ($NVIEWS) reached" "$UB_LOG"
sleep 0.5
assert_eq "257th client: nothing sent to its address" "0 0" \
	"$before $(grep -c " $EXTRA " "$E2E_TMP/multi.log")"
assert_eq "still $NVIEWS reflect views" "$NVIEWS" "$(stat_of vpndns.reflect_views)"
assert_eq "an existing client still answered" "$(ans "${CLIENTS[200]}")" "$(q "${CLIENTS[200]}" again.$SUFFIX)"

## fill 32 views' caches ------------------------------------------------------------
fill=()
for ((i = 0; i < 32; i++)); do c=${CLIENTS[i * 8]}; fill+=("$c=$(ans "$c")"); done
out=$("$E2E_PYTHON" "$RECORDER" --port "$UB_PORT" --duration 4 --rate 50 --timeout 3 \
	--suffix "$SUFFIX" "${fill[@]}")
tot=$(grep '^total ' <<<"$out")
assert_eq "fill: 32 x 200 queries, every answer the client's own" "6400 6400 0" \
	"$(field sent "$tot") $(field right "$tot") $(field wrong "$tot")"
trim
rss2=$(rss_kb)
mem2=$(stat_of mem.mod.vpndns)
ents=$(uctl vpndns_list | awk '$1 == "view" { for (i = 3; i <= NF; i++) if ($i ~ /^msg_cache_count=/) { split($i, a, "="); n += a[2] } } END { print n + 0 }')
echo "# filled: $ents cached messages in all; RSS ${rss2} kB (+$((rss2 - rss1)) kB); mem.mod.vpndns $mem2 (+$((mem2 - mem1)), $(((mem2 - mem1) / 32)) per filled view)"
check "fill: about 200 messages cached in each of 32 views ($ents)" test "$ents" -ge 6000

## one view past its cache size -----------------------------------------------------
big=${CLIENTS[1]}
"$E2E_PYTHON" "$RECORDER" --port "$UB_PORT" --duration 6 --rate 500 --timeout 3 \
	--suffix "big.$SUFFIX" "$big=$(ans "$big")" >"$E2E_TMP/big.out"
tot=$(grep '^total ' "$E2E_TMP/big.out")
assert_eq "big: 3000 queries, every answer its own" "3000 3000" "$(field sent "$tot") $(field right "$tot")"
v=$(uctl vpndns_list | grep "^view reflect_${big//./_}_$FP ")
echo "# after 3000 names: $v"
msgmem=$(sed -n 's/.* msg_cache_mem=\([0-9]*\).*/\1/p' <<<"$v")
rrmem=$(sed -n 's/.* rrset_cache_mem=\([0-9]*\).*/\1/p' <<<"$v")
msgn=$(sed -n 's/.* msg_cache_count=\([0-9]*\).*/\1/p' <<<"$v")
# the limit counts the entries; each slab's hash table comes on top (the
# rrset cache starts with 1024 bins of 16 bytes in each of 4 slabs,
# 64 KiB; the message cache grows from 64 bins per slab)
check "big: message cache within $CACHE + 80 KiB of tables ($msgmem)" test "$msgmem" -le $(((256 + 80) * 1024))
check "big: rrset cache within $CACHE + 80 KiB of tables ($rrmem)" test "$rrmem" -le $(((256 + 80) * 1024))
check "big: the cache evicted (holds $msgn of 3000 names)" test "$msgn" -lt 3000
trim
rss3=$(rss_kb)
echo "# RSS after filling one view past its size: ${rss3} kB"
check "unbound still running" kill -0 "$UB_PID"
assert_eq "stats: still $NVIEWS reflect views" "$NVIEWS" "$(stat_of vpndns.reflect_views)"

e2e_finish

#!/usr/bin/env bash
# Forwarder health for people: vpndns_status and vpndns_list print a
# verdict per view (healthy, degraded, down) with the age of the last good
# answer and of the last failure, and the state of each forwarder, while a
# real fake upstream answers, goes silent and comes back.  Also the
# per-view stats: cache entries and bytes, names of the view's own lists,
# reflect views in use against max-reflect-views.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpnlib.sh"

UB_PORT=5850
FP=5851
A=127.0.58.10
B=127.0.58.11
R=127.0.58.12          # a reflect client, its own upstream on $FP

fake_start fa 127.0.58.2 "$FP"
fake_start fb 127.0.58.3 "$FP"
fake_start fr "$R" "$FP"
echo "ads.example" > "$E2E_TMP/alist.txt"
printf 'x1.example\nx2.example\n' > "$E2E_TMP/blist.txt"
cat > "$E2E_TMP/vpndns.conf" <<CONF
view: a 127.0.58.2@$FP
view: b 127.0.58.3@$FP
client: $A/32 a
client: $B/32 b
reflect: $R/32 $FP
max-reflect-views: 4
health-down-after: 5
view-blocklist: a $E2E_TMP/alist.txt
view-blocklist: b $E2E_TMP/blist.txt
CONF
# short upstream timeouts: a silent server is given up after ~1 s
write_vpndns_unbound_conf "$E2E_TMP/ub.conf" "$E2E_TMP/vpndns.conf" \
	'	infra-cache-max-rtt: 400' '	infra-keep-probing: no'
unbound_start "$E2E_TMP/ub.conf" || { e2e_finish; exit 1; }

# --- before any query: an idle view is not down ---------------------------
st=$(uctl vpndns_status)
assert_match "status: idle view is healthy" '^health a healthy last_ok_age=none last_fail_age=none \(last good answer never, last failure never\)$' "$st"
assert_match "status: down-after from vpndns.conf" '^health_down_after=5$' "$st"
assert_match "status: no reflect view yet" '^reflect_views=0$' "$st"
assert_match "status: reflect cap" '^max_reflect_views=4$' "$st"

# --- answers: healthy, age in seconds, forwarder up ----------------------
assert_eq "a answers" "192.0.2.2" "$(q $A www.example.com)"
assert_eq "b answers" "192.0.2.3" "$(q $B www.example.com)"
assert_eq "reflect client answers" "192.0.2.12" "$(q $R www.example.com)"
assert_eq "upstream a saw the query of a" 1 "$(fake_log_count fa 'www\.example\.com')"
assert_eq "upstream b saw the query of b" 1 "$(fake_log_count fb 'www\.example\.com')"
assert_eq "reflect upstream saw its client's query" 1 "$(fake_log_count fr 'www\.example\.com')"
st=$(uctl vpndns_status)
assert_match "status: a healthy, answer seconds ago" '^health a healthy last_ok_age=[0-9] last_fail_age=none \(last good answer [0-9] s ago, last failure never\)$' "$st"
assert_match "status: forwarder of a up" "^forwarder a 127\.0\.58\.2@$FP state=up rto_ms=[0-9]+ timeouts=0 \(answering\)$" "$st"
assert_match "status: reflect views in use" '^reflect_views=1$' "$st"
assert_match "status: reflect view health" "^health reflect_127_0_58_12_$FP healthy " "$st"
ls=$(uctl vpndns_list)
assert_match "list: machine fields kept" "^view a forwarders 127\.0\.58\.2@$FP last_ok=[1-9][0-9]* last_fail=0 msg_cache_count=1 " "$ls"
assert_match "list: health line beside them" '^health a healthy last_ok_age=[0-9] last_fail_age=none \(last good answer [0-9] s ago, last failure never\)$' "$ls"

# --- per-view stats: cache entries and bytes, own list names, reflect cap -
sx=$(uctl stats_noreset)
assert_match "stats: a msg cache entries" '^vpndns\.view\.a\.msg_cache_count=1$' "$sx"
assert_match "stats: a rrset cache entries" '^vpndns\.view\.a\.rrset_cache_count=1$' "$sx"
assert_match "stats: a msg cache bytes" '^vpndns\.view\.a\.msg_cache_mem=[1-9][0-9]*$' "$sx"
assert_match "stats: a list names" '^vpndns\.view\.a\.list_names=1$' "$sx"
assert_match "stats: b list names" '^vpndns\.view\.b\.list_names=2$' "$sx"
assert_match "stats: reflect views" '^vpndns\.reflect_views=1$' "$sx"
assert_match "stats: reflect cap" '^vpndns\.reflect_views_max=4$' "$sx"

# --- a goes silent: degraded at the failure, down once no answer came for
# health-down-after (5 s) ---------------------------------------------------
fake_mode fa silent
assert_eq "a silent: SERVFAIL" SERVFAIL "$(qstatus $A silent1.example A +time=8)"
st=$(uctl vpndns_status)
assert_match "status: a failed just now" '^health a degraded last_ok_age=[0-9] last_fail_age=[0-9] \(last good answer [0-9] s ago, last failure [0-9] s ago\)$' "$st"
assert_match "status: forwarder of a timing out" "^forwarder a 127\.0\.58\.2@$FP state=(failing|down) " "$st"
assert_match "status: b untouched" '^health b healthy ' "$st"
sleep 5.2
assert_eq "a still silent: SERVFAIL" SERVFAIL "$(qstatus $A silent2.example A +time=8)"
st=$(uctl vpndns_status)
assert_match "status: a down after down-after seconds" '^health a down last_ok_age=([5-9]|[1-9][0-9]) last_fail_age=[0-9] \(last good answer ([5-9]|[1-9][0-9]) s ago, last failure [0-9] s ago\)$' "$st"
assert_match "list: a down too" '^health a down ' "$(uctl vpndns_list)"
assert_match "status: b still healthy" '^health b healthy ' "$st"
assert_eq "upstream b saw no query of a" 0 "$(fake_log_count fb 'silent')"

# --- a answers again: degraded while the failure is recent, then healthy --
fake_mode fa
# Unbound stops sending to a server at the top timeout (only probing);
# forget that, as a restarted tunnel would after its probe
uctl flush_infra all >/dev/null
ok=""
for i in 1 2 3 4 5 6 7 8 9 10; do
	[[ $(q $A back$i.example) == 192.0.2.2 ]] && { ok=1; break; }
	sleep 1
done
assert_eq "a answers again" 1 "$ok"
st=$(uctl vpndns_status)
assert_match "status: a degraded while the failure is recent" '^health a degraded last_ok_age=[0-9] last_fail_age=[0-9] ' "$st"
sleep 5.2
q $A back-later.example >/dev/null
assert_match "status: a healthy once the failure is old" '^health a healthy ' "$(uctl vpndns_status)"

# --- a dry run with the same file still names the reflect view it drops --
out=$(uctl vpndns_reload check)
assert_match "check: the reflect view would start afresh" '^reflect views: 1 now, all start afresh \(fresh cache\)$' "$out"
assert_match "check: counted as a change" '^ok check: 1 changes; nothing applied' "$out"
assert_match "check: the reflect view still there" '^reflect_views=1$' "$(uctl vpndns_status)"

# --- a bad health-down-after is a file:line error, old value kept --------
echo "health-down-after: 0" >> "$E2E_TMP/vpndns.conf"
out=$(uctl vpndns_reload 2>&1)
assert_match "reload: bad health-down-after rejected with file:line" 'vpndns\.conf:10: .*expected a number from 1 to 86400' "$out"
assert_match "status: old down-after kept" '^health_down_after=5$' "$(uctl vpndns_status)"

e2e_finish

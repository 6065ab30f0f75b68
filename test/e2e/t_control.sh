#!/usr/bin/env bash
# unbound-control vpndns_* commands: every command's happy path and its
# argument errors (which change nothing), stats that match the queries
# sent, caches kept or renewed as forwarders change, and live changes
# under load from dnsperf with no failed query.
. "$(dirname "$0")/lib.sh"

UB_PORT=5490
FP=5491
A=127.0.4.10
B=127.0.4.11
N=127.0.4.12           # not mapped at first

fake_start fa 127.0.4.2 "$FP"
fake_start fb 127.0.4.3 "$FP"
echo "ads.example" > "$E2E_TMP/list.txt"
cat > "$E2E_TMP/static.txt" <<'EOF'
198.18.0.7 printer.lan
EOF
cat > "$E2E_TMP/vpndns.conf" <<EOF
view: a 127.0.4.2@$FP
view: b 127.0.4.3@$FP
client: $A/32 a
client: $B/32 b
blocklist: $E2E_TMP/list.txt
static-records: $E2E_TMP/static.txt
EOF
write_unbound_conf "$E2E_TMP/ub.conf" \
	'	module-config: "vpndns iterator"' \
	"	vpndns-config: \"$E2E_TMP/vpndns.conf\""
unbound_start "$E2E_TMP/ub.conf" || { e2e_finish; exit 1; }

# error: the output starts with "error" and the state is unchanged
cmd_error() { # DESC CMD...
	local desc=$1 out
	shift
	out=$(uctl "$@" 2>&1)
	assert_match "$desc: error" "^error" "$out"
}

# --- stats match what was sent -------------------------------------------
for i in 1 2 3; do q $A www.example.com >/dev/null; done
q $B www.example.com >/dev/null
q $A ads.example >/dev/null
st=$(uctl stats_noreset)
assert_match "stats: view a queries" "^vpndns\.view\.a\.queries=4$" "$st"
assert_match "stats: view a cache hits" "^vpndns\.view\.a\.cachehits=2$" "$st"
assert_match "stats: view a blocked" "^vpndns\.view\.a\.blocked=1$" "$st"
assert_match "stats: view b queries" "^vpndns\.view\.b\.queries=1$" "$st"
assert_match "stats: list names" "^vpndns\.blocklist\.names=1$" "$st"
assert_match "stats: module memory" "^mem\.mod\.vpndns=[1-9][0-9]*$" "$st"
assert_nomatch "stats: strictly key=value" "^vpndns[^=]*$" "$(echo "$st" | grep '^vpndns')"
st=$(uctl stats)
assert_match "stats: still 4 before reset" "^vpndns\.view\.a\.queries=4$" "$st"
assert_match "stats: reset by stats" "^vpndns\.view\.a\.queries=0$" "$(uctl stats_noreset)"
q $A www.example.com >/dev/null
assert_match "stats: counts again after reset" "^vpndns\.view\.a\.queries=1$" "$(uctl stats_noreset)"

# --- list, lookup, status -------------------------------------------------
out=$(uctl vpndns_list)
assert_match "list: view a with its forwarder" "^view a forwarders 127\.0\.4\.2@$FP " "$out"
assert_match "list: cache entry counts" "view a .*msg_cache_count=[1-9]" "$out"
assert_match "list: forwarder health" "view a .*last_ok=[1-9]" "$out"
assert_match "list: client rule" "^client $A/32 view a$" "$out"
assert_match "lookup: view of a client" "client $A view a forwarders 127\.0\.4\.2@$FP" "$(uctl vpndns_lookup $A)"
assert_match "lookup: unmapped client" "refused" "$(uctl vpndns_lookup $N)"
out=$(uctl vpndns_lookup $A ads.example)
assert_match "lookup explains a block" "name ads\.example\.: blocked by .*list\.txt, action nxdomain" "$out"
assert_match "lookup names the rule" "client $A rule $A/32 \(line 3\)" "$out"
assert_match "lookup: not blocked" "name www\.example\.com\.: not blocked" "$(uctl vpndns_lookup $A www.example.com)"
assert_match "lookup: static" "static record" "$(uctl vpndns_lookup $A printer.lan)"
cmd_error "lookup: bad name" vpndns_lookup $A 'bad..name'
cmd_error "lookup: not an address" vpndns_lookup not-an-ip
cmd_error "lookup: no argument" vpndns_lookup
cmd_error "list: extra argument" vpndns_list extra
assert_match "status" "^reload=idle" "$(uctl vpndns_status)"
cmd_error "unknown command" vpndns_frobnicate

# --- forward_add / forward_remove -----------------------------------------
assert_eq "unmapped client refused at first" "REFUSED" "$(qstatus $N www.example.com)"
assert_match "forward_add" "^ok" "$(uctl vpndns_forward_add $N/32 127.0.4.3@$FP)"
assert_eq "forward_add applies to the next query" "192.0.2.3" "$(q $N www.example.com)"
cmd_error "forward_add: bad address" vpndns_forward_add $N/32 300.1.2.3
cmd_error "forward_add: bad netblock" vpndns_forward_add 10.0.0.0/40 127.0.4.3@$FP
cmd_error "forward_add: no server" vpndns_forward_add $N/32
assert_eq "failed forward_add changed nothing" "192.0.2.3" "$(q $N www.example.com)"
assert_match "forward_remove" "^ok" "$(uctl vpndns_forward_remove $N/32)"
assert_eq "forward_remove applies" "REFUSED" "$(qstatus $N www.example.com)"
cmd_error "forward_remove: not configured" vpndns_forward_remove 10.9.9.0/24

# a view whose forwarders change starts with a fresh cache; others keep it
fake_log_clear fa
q $A cached.example >/dev/null
assert_eq "view a cached the name" 1 "$(fake_log_count fa 'cached\.example')"
uctl vpndns_forward_add $B/32 127.0.4.2@$FP >/dev/null
q $A cached.example >/dev/null
assert_eq "unchanged view kept its cache" 1 "$(fake_log_count fa 'cached\.example')"
q $B cached.example >/dev/null
assert_eq "changed client asks its new forwarder" 2 "$(fake_log_count fa 'cached\.example')"
uctl vpndns_forward_remove $B/32 >/dev/null
uctl vpndns_forward_add $B/32 127.0.4.3@$FP >/dev/null

# --- reflect_add / reflect_remove -----------------------------------------
fake_start fr 127.0.4.20 "$FP"
assert_match "reflect_add" "^ok" "$(uctl vpndns_reflect_add 127.0.4.20/32 $FP)"
assert_match "lookup does not create a reflect view" "no view yet" "$(uctl vpndns_lookup 127.0.4.20)"
assert_match "stats: no reflect view from the lookup" "^vpndns\.reflect_views=0$" "$(uctl stats_noreset)"
assert_eq "reflected to the client's own address" "192.0.2.20" "$(q 127.0.4.20 www.example.com)"
cmd_error "reflect_add: bad port" vpndns_reflect_add 127.0.4.20/32 99999
assert_match "reflect_remove" "^ok" "$(uctl vpndns_reflect_remove 127.0.4.20/32)"
assert_eq "reflect removed" "REFUSED" "$(qstatus 127.0.4.20 www.example.com)"
cmd_error "reflect_remove: not configured" vpndns_reflect_remove 127.0.4.20/32

# --- domain_forward_add / remove ------------------------------------------
fake_start fd 127.0.4.9 "$FP"
assert_match "domain_forward_add" "^ok" "$(uctl vpndns_domain_forward_add vpn.example 127.0.4.9@$FP)"
assert_eq "domain forward in effect" "192.0.2.9" "$(q $A host.vpn.example)"
cmd_error "domain_forward_add: root" vpndns_domain_forward_add . 127.0.4.9@$FP
assert_match "domain_forward_remove" "^ok" "$(uctl vpndns_domain_forward_remove vpn.example)"
assert_eq "domain forward removed" "192.0.2.2" "$(q $A other.vpn.example)"
cmd_error "domain_forward_remove: not configured" vpndns_domain_forward_remove vpn.example

# --- allow_add / remove / list --------------------------------------------
assert_eq "blocked before allow" "NXDOMAIN" "$(qstatus $A ads.example)"
assert_match "allow_add" "^ok" "$(uctl vpndns_allow_add ads.example)"
assert_eq "allowed after allow_add" "192.0.2.2" "$(q $A ads.example)"
assert_match "allow_list" "^ads\.example$" "$(uctl vpndns_allow_list)"
cmd_error "allow_add: bad name" vpndns_allow_add 'bad..name'
assert_match "allow_remove" "^ok" "$(uctl vpndns_allow_remove ads.example)"
assert_eq "blocked again after allow_remove" "NXDOMAIN" "$(qstatus $A ads.example)"
cmd_error "allow_remove: not there" vpndns_allow_remove ads.example

# --- static_reload, flush, flush_name, dump_cache -------------------------
echo "198.18.0.8 scanner.lan" >> "$E2E_TMP/static.txt"
assert_match "static_reload" "^ok" "$(uctl vpndns_static_reload)"
assert_eq "new static record" "198.18.0.8" "$(q $A scanner.lan)"
q $A flushme.example >/dev/null
assert_match "dump_cache shows the view's data" "flushme\.example\..*192\.0\.2\.2" "$(uctl vpndns_dump_cache a)"
assert_nomatch "dump_cache of b lacks a's data" "flushme\.example" "$(uctl vpndns_dump_cache b)"
assert_match "flush_name by client address" "^ok" "$(uctl vpndns_flush_name $A flushme.example)"
assert_nomatch "flush_name removed it" "flushme\.example" "$(uctl vpndns_dump_cache a)"
q $A www.example.com >/dev/null
fake_log_clear fa
q $A www.example.com >/dev/null
assert_eq "answered from the view's cache" 0 "$(fake_log_count fa 'www\.example\.com')"
assert_match "flush a view" "^ok flushed view a" "$(uctl vpndns_flush a)"
q $A www.example.com >/dev/null
assert_eq "flushed view asks again" 1 "$(fake_log_count fa 'www\.example\.com')"
cmd_error "flush: no such view" vpndns_flush nosuchview
cmd_error "flush_name: bad name" vpndns_flush_name a 'bad..name'
cmd_error "dump_cache: no argument" vpndns_dump_cache

# --- long outputs are not cut (many views) ---------------------------------
for i in $(seq 1 40); do
	uctl vpndns_forward_add 127.0.5.$i/32 127.0.4.3@$FP >/dev/null
done
out=$(uctl vpndns_list)
nviews=$(echo "$out" | grep -c '^view ')
check "list shows the 40 new views and the others" test "$nviews" -ge 42
assert_eq "list shows every view, none cut off" 40 "$(echo "$out" | grep -c '^view net_127_0_5_')"
assert_match "list ends with the default line" "default refuse$" "$(echo "$out" | tail -n 1)"
st=$(uctl stats_noreset)
assert_eq "stats: a queries line for every view" "$nviews" "$(echo "$st" | grep -c '^vpndns\.view\..*\.queries=')"
assert_match "stats: unbound's own lines follow intact" "^time\.now=" "$st"
for i in $(seq 1 40); do
	uctl vpndns_forward_remove 127.0.5.$i/32 >/dev/null
done

# --- vpndns_reload keeps unchanged views' caches --------------------------
fake_log_clear fa
q $A keep.example >/dev/null
uctl vpndns_reload >/dev/null
wait_until 10 sh -c "'$UNBOUND_CONTROL' -c '$UB_CONF' vpndns_status | grep -q 'last_reload=ok reload'"
q $A keep.example >/dev/null
assert_eq "reload kept the unchanged view's cache" 1 "$(fake_log_count fa 'keep\.example')"

# --- changes under load ------------------------------------------------------
if command -v dnsperf >/dev/null 2>&1; then
	for i in $(seq 1 200); do echo "n$i.load.example A"; done > "$E2E_TMP/q.txt"
	dnsperf -s 127.0.0.1 -p $UB_PORT -a $A -d "$E2E_TMP/q.txt" -l 6 -Q 300 \
		-t 3 > "$E2E_TMP/perf-a.txt" 2>&1 &
	pa=$!
	dnsperf -s 127.0.0.1 -p $UB_PORT -a $B -d "$E2E_TMP/q.txt" -l 6 -Q 300 \
		-t 3 > "$E2E_TMP/perf-b.txt" 2>&1 &
	pb=$!
	E2E_PIDS+=("$pa" "$pb")
	for i in $(seq 1 20); do
		uctl vpndns_forward_add $N/32 127.0.4.3@$FP >/dev/null
		uctl vpndns_allow_add x$i.example >/dev/null
		uctl vpndns_forward_remove $N/32 >/dev/null
		sleep 0.1
	done
	uctl vpndns_blocklist_reload >/dev/null
	wait "$pa" "$pb"
	for f in perf-a perf-b; do
		sent=$(sed -n 's/.*Queries sent: *\([0-9]*\).*/\1/p' "$E2E_TMP/$f.txt")
		lost=$(sed -n 's/.*Queries lost: *\([0-9]*\).*/\1/p' "$E2E_TMP/$f.txt")
		noerr=$(sed -n 's/.*NOERROR \([0-9]*\).*/\1/p' "$E2E_TMP/$f.txt")
		completed=$(sed -n 's/.*Queries completed: *\([0-9]*\).*/\1/p' "$E2E_TMP/$f.txt")
		check "$f: load was sent" test "${sent:-0}" -gt 500
		assert_eq "$f: no query lost during changes" 0 "${lost:-x}"
		assert_eq "$f: every answer NOERROR" "${completed:-x}" "${noerr:-y}"
	done
	assert_match "server still serving after churn" "192.0.2.2" "$(q $A www.example.com)"
else
	echo "skip: dnsperf not installed"
fi

e2e_finish

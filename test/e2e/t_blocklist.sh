#!/usr/bin/env bash
# Blocklist engine end to end: list formats, subdomains, allow, exempt
# clients, every block action with EDE 15, CNAME cloaking (the upstream
# never sees the blocked target, and the cached chain is blocked too),
# NXDOMAIN regexes, static records with PTR, TTL overrides, and blocking of
# a name cached before a reload blocked it.
. "$(dirname "$0")/lib.sh"

UB_PORT=5460
FP=5461
A=127.0.2.10         # client of view a (block action nxdomain)
B=127.0.2.11         # client of view b (block action ip)
X=127.0.2.12         # exempt client, view a
N=127.0.2.13         # client of view n (null)
D=127.0.2.14         # client of view d (nodata)
R=127.0.2.15         # client of view r (refuse)

mkdir -p "$E2E_TMP/lists/sub"
cat > "$E2E_TMP/lists/plain.txt" <<'EOF'
# plain domains, CRLF, upper case, trailing dot
Ads.Example.
cdn.tracker.example
EOF
printf 'crlf.example\r\n' >> "$E2E_TMP/lists/plain.txt"
cat > "$E2E_TMP/lists/sub/hosts.txt" <<'EOF'
127.0.0.1 localhost
0.0.0.0 hosts1.example hosts2.example  # two names
EOF
cat > "$E2E_TMP/lists/adblock.txt" <<'EOF'
! adblock style
||adblock.example^
@@||good.adblock.example^
example.org##.banner
*.wild.example
EOF
cat > "$E2E_TMP/exact.txt" <<'EOF'
exact.example
EOF
cat > "$E2E_TMP/static.txt" <<'EOF'
198.18.0.55 printer.lan printer
2001:2::55 printer.lan
EOF
cat > "$E2E_TMP/zone.txt" <<'EOF'
cloak.example. 300 IN CNAME cdn.tracker.example.
cdn.tracker.example. 300 IN A 192.0.2.99
later.example. 300 IN A 192.0.2.98
EOF
fake_start up 127.0.2.2 "$FP" --zone "$E2E_TMP/zone.txt"

write_vpndns() {
	cat > "$E2E_TMP/vpndns.conf" <<EOF
view: a 127.0.2.2@$FP
view: b 127.0.2.2@$FP
view: n 127.0.2.2@$FP
view: d 127.0.2.2@$FP
view: r 127.0.2.2@$FP
client: $A/32 a
client: $X/32 a
client: $B/32 b
client: $N/32 n
client: $D/32 d
client: $R/32 r
blocklist: $E2E_TMP/lists
blocklist: $E2E_TMP/exact.txt exact
allow: fine.ads.example
exempt: $X/32
nxdomain-regex: "\\.(lan|localdomain|home)\$"
view-block-action: b ip 127.0.0.1 ::1
view-block-action: n null
view-block-action: d nodata
view-block-action: r refuse
static-records: $E2E_TMP/static.txt
ttl-override: ttl.example 1234
$1
EOF
}
write_vpndns ""
write_unbound_conf "$E2E_TMP/ub.conf" \
	'	interface: 127.0.2.1@'"$UB_PORT" \
	'	access-control: 127.0.0.0/8 allow' \
	'	module-config: "vpndns iterator"' \
	"	vpndns-config: \"$E2E_TMP/vpndns.conf\""
unbound_start "$E2E_TMP/ub.conf" || { e2e_finish; exit 1; }

# blocked: status and EDE 15 naming the list
blocked() { # DESC CLIENT NAME STATUS [TYPE]
	local out
	out=$(qfull "$2" "$3" "${5:-A}")
	assert_match "$1: status $4" "status: $4" "$out"
	assert_match "$1: EDE 15" "EDE: 15 \\(Blocked\\)" "$out"
}

blocked "plain entry" $A ads.example NXDOMAIN
blocked "subdomain of plain entry" $A deep.sub.ads.example NXDOMAIN
blocked "CRLF line" $A crlf.example NXDOMAIN
blocked "hosts line, second name" $A hosts2.example NXDOMAIN
blocked "directory read recursively" $A hosts1.example NXDOMAIN
blocked "adblock rule" $A x.adblock.example NXDOMAIN
blocked "wildcard below" $A a.wild.example NXDOMAIN
assert_match "EDE text names the list" "blocked by $E2E_TMP/lists" "$(qfull $A ads.example)"
assert_eq "wildcard does not block its base" "192.0.2.2" "$(q $A wild.example)"
blocked "exact-only list" $A exact.example NXDOMAIN
assert_eq "exact-only list does not block below" "192.0.2.2" "$(q $A www.exact.example)"
assert_eq "allow: beats the block" "192.0.2.2" "$(q $A fine.ads.example)"
assert_eq "@@ exception beats the block" "192.0.2.2" "$(q $A good.adblock.example)"
assert_eq "localhost in a hosts file is not an entry" "NOERROR" "$(qstatus $A localhost.example)"
assert_eq "exempt client is not blocked" "192.0.2.2" "$(q $X ads.example)"
assert_eq "upstream saw the exempt query only" 1 "$(fake_log_count up ' ads\.example\. ')"
for n in deep.sub.ads.example crlf.example hosts2.example x.adblock.example a.wild.example exact.example; do
	assert_eq "upstream never saw $n" 0 "$(fake_log_count up " $n\\. ")"
done

# block actions per view
action_is() { # ACTION CLIENT STATUS A AAAA; "-" skips an answer check
	blocked "action $1" "$2" ads.example "$3"
	[[ $4 == - ]] || assert_eq "action $1: A is '$4'" "$4" "$(q "$2" ads.example)"
	[[ $5 == - ]] || assert_eq "action $1: AAAA is '$5'" "$5" "$(q "$2" ads.example AAAA)"
}
action_is ip $B NOERROR 127.0.0.1 ::1
action_is null $N NOERROR 0.0.0.0 ::
action_is nodata $D NOERROR "" -
action_is refuse $R REFUSED - -
blocked "action nxdomain, other type" $A ads.example NXDOMAIN MX

# CNAME cloaking: the chain reaches a blocked name
fake_log_clear up
blocked "CNAME to a blocked name" $A cloak.example NXDOMAIN
assert_eq "upstream saw the alias" 1 "$(fake_log_count up ' cloak\.example\. ')"
assert_eq "upstream never saw the blocked target" 0 "$(fake_log_count up ' cdn\.tracker\.example\. ')"
blocked "CNAME to a blocked name, again (cached chain)" $A cloak.example NXDOMAIN
blocked "CNAME cloaking for another view's action" $B cloak.example NOERROR
assert_eq "CNAME cloaking answer uses the view's action" "127.0.0.1" "$(q $B cloak.example)"
assert_match "exempt client follows the chain" "192.0.2.99" "$(q $X cloak.example)"

# NXDOMAIN regex
blocked "nxdomain-regex" $A foo.lan NXDOMAIN
assert_match "nxdomain-regex EDE names the rule" "nxdomain-regex" "$(qfull $A foo.lan)"
assert_eq "upstream never saw the regex name" 0 "$(fake_log_count up ' foo\.lan\. ')"

# static records win over everything, PTR automatic (addresses outside
# Unbound's default AS112 reverse zones, which answer before any module)
assert_eq "static A" "198.18.0.55" "$(q $A printer.lan)"
assert_eq "static AAAA" "2001:2::55" "$(q $A printer.lan AAAA)"
assert_eq "static short name" "198.18.0.55" "$(q $A printer)"
# another type of the reverse name first: the per-thread memo of passed
# names must not hide the static PTR afterwards
q $A 55.0.18.198.in-addr.arpa TXT >/dev/null
assert_eq "static PTR" "printer.lan." "$(q $A 55.0.18.198.in-addr.arpa PTR)"
assert_eq "static IPv6 PTR" "printer.lan." \
	"$(q $A 5.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.0.0.1.0.0.2.ip6.arpa PTR)"
assert_match "static TTL" "printer\\.lan\\.[[:space:]]+60[[:space:]]" "$(qfull $A printer.lan)"
assert_eq "upstream never saw static names" 0 "$(fake_log_count up 'printer')"

# TTL override, first answer and cached
assert_match "ttl-override first answer" "www\\.ttl\\.example\\.[[:space:]]+1234[[:space:]]" "$(qfull $A www.ttl.example)"
assert_match "ttl-override cached answer" "www\\.ttl\\.example\\.[[:space:]]+1234[[:space:]]" "$(qfull $A www.ttl.example)"
assert_match "no override elsewhere" "later\\.example\\.[[:space:]]+300[[:space:]]" "$(qfull $A later.example)"

# a name cached before a reload blocked it is not served from the cache
assert_eq "later.example cached" "192.0.2.98" "$(q $A later.example)"
echo "later.example" >> "$E2E_TMP/exact.txt"
check "reload the policy" uctl vpndns_reload
# the lists load on the reload thread; wait for the result (bounded)
wait_until 10 sh -c "'$UNBOUND_CONTROL' -c '$UB_CONF' vpndns_status | grep -q 'last_reload=ok reload'"
assert_match "reload reported" "last_reload=ok reload" "$(uctl vpndns_status)"
blocked "blocked after reload, not from cache" $A later.example NXDOMAIN

# a broken vpndns.conf is rejected whole with file:line, the old one serves
echo "frobnicate: yes" >> "$E2E_TMP/vpndns.conf"
out=$(uctl vpndns_reload)
assert_match "broken reload names file and line" "vpndns.conf:[0-9]+: unknown keyword 'frobnicate:'" "$out"
assert_match "broken reload is rejected" "old configuration keeps serving" "$out"
blocked "old policy still serving" $A ads.example NXDOMAIN
assert_eq "old views still serving" "192.0.2.2" "$(q $A www.example.com)"

# a list that can't be read fails the list reload; the old lists serve
mv "$E2E_TMP/exact.txt" "$E2E_TMP/exact.gone"
sed -i '$d' "$E2E_TMP/vpndns.conf"
check "blocklist reload starts" uctl vpndns_blocklist_reload
wait_until 10 sh -c "'$UNBOUND_CONTROL' -c '$UB_CONF' vpndns_status | grep -q 'last_reload=failed'"
assert_match "missing list fails the reload" "last_reload=failed blocklist_reload" "$(uctl vpndns_status)"
assert_match "the log names the list" "exact.txt" "$(grep 'could not be loaded' "$UB_LOG")"
blocked "old lists still serving" $A later.example NXDOMAIN
mv "$E2E_TMP/exact.gone" "$E2E_TMP/exact.txt"

e2e_finish

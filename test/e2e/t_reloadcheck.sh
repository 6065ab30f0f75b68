#!/usr/bin/env bash
# vpndns_reload check: the dry run of a reload.  It prints the views
# added, removed and changed with their forwarders, client rule and
# default changes, list sets whose names changed with counts, and which
# views would start with a fresh cache; and it applies nothing (views,
# routing, caches and last_reload stay as they were).  Then the real
# vpndns_reload must do what the check said: the views it called
# "cache kept" answer from cache, the "fresh cache" ones ask upstream.
# Parse errors come with file:line; unreadable lists and bad arguments are
# errors.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpnlib.sh"

UB_PORT=5860
FP=5861
A=127.0.58.40          # view a
B=127.0.58.41          # view b
C=127.0.58.42          # view c, removed later
N=127.0.58.43          # no rule at first
FA=127.0.58.50 FB=127.0.58.51 FB2=127.0.58.52 FC=127.0.58.53 FD=127.0.58.54

for f in fa:$FA fb:$FB fb2:$FB2 fc:$FC fd:$FD; do
	fake_start "${f%%:*}" "${f#*:}" "$FP"
done
printf 'g1.example\ng2.example\n' > "$E2E_TMP/global.txt"
echo "a1.example" > "$E2E_TMP/alist.txt"
write_conf() { # the current or the changed configuration: view b moves
	# to another server, view c gives way to d, and N becomes a client
	local b=$FB v=c vs=$FC extra=""
	if [[ $1 != old ]]; then
		b=$FB2 v=d vs=$FD extra="client: $N/32 d"$'\n'
	fi
	cat <<CONF
view: a $FA@$FP
view: b $b@$FP
view: $v $vs@$FP
client: $A/32 a
client: $B/32 b
client: $C/32 $v
${extra}default: refuse
blocklist: $E2E_TMP/global.txt
view-blocklist: a $E2E_TMP/alist.txt
CONF
}
write_conf old > "$E2E_TMP/vpndns.conf"
write_vpndns_unbound_conf "$E2E_TMP/ub.conf" "$E2E_TMP/vpndns.conf"
unbound_start "$E2E_TMP/ub.conf" || { e2e_finish; exit 1; }

for c in $A $B $C; do q $c www.example.com >/dev/null; done
assert_eq "setup: a asked its upstream" 1 "$(fake_log_count fa 'www\.example\.com')"

# --- an unchanged file: nothing to do -------------------------------------
out=$(uctl vpndns_reload check)
assert_match "check, same file: nothing would change" '^ok check: a reload would change nothing; nothing applied$' "$out"
assert_match "check, same file: a keeps its cache" '^view unchanged a \(cache kept\)$' "$out"
assert_match "check, same file: lists counted" '^lists unchanged global names=2$' "$out"

# --- a changed file: the differences, nothing applied ---------------------
write_conf new > "$E2E_TMP/vpndns.conf"
printf 'a1.example\na2.example\na3.example\n' > "$E2E_TMP/alist.txt"
out=$(uctl vpndns_reload check)
assert_match "check: a unchanged, cache kept" '^view unchanged a \(cache kept\)$' "$out"
assert_match "check: b's forwarder changed, fresh cache" "^view changed b forwarders $FB@$FP -> $FB2@$FP \(fresh cache\)$" "$out"
assert_match "check: d added with its forwarder" "^view added d forwarders $FD@$FP \(fresh cache\)$" "$out"
assert_match "check: c removed with its forwarder" "^view removed c forwarders $FC@$FP$" "$out"
assert_match "check: client moved to another view" "^client changed $C/32 view c -> view d$" "$out"
assert_match "check: client added" "^client added $N/32 view d$" "$out"
assert_nomatch "check: unchanged clients not listed" "^client .*$A/32" "$out"
assert_match "check: a's list count changed" '^lists changed view a names=1 -> 3 \(\+2\)$' "$out"
assert_match "check: global list unchanged" '^lists unchanged global names=2$' "$out"
assert_match "check: summary" '^ok check: [0-9]+ changes; nothing applied, vpndns_reload applies them$' "$out"

ls=$(uctl vpndns_list)
assert_match "nothing applied: c still a view" "^view c forwarders $FC@$FP " "$ls"
assert_nomatch "nothing applied: no view d" "^view d " "$ls"
assert_match "nothing applied: status has no reload" '^last_reload=none$' "$(uctl vpndns_status)"
assert_eq "nothing applied: b still asks its old upstream" 1 "$(fake_log_count fb 'www\.example\.com')"
q $B new1.example >/dev/null
assert_eq "nothing applied: b's new query went to the old upstream" 1 "$(fake_log_count fb 'new1\.example')"
assert_eq "nothing applied: the new upstream of b saw nothing" 0 "$(fake_log_count fb2 '.')"
assert_eq "nothing applied: a2 not blocked yet" NOERROR "$(qstatus $A a2.example)"

# --- the reload does what the check said ----------------------------------
uctl vpndns_reload >/dev/null
wait_until 10 sh -c "'$UNBOUND_CONTROL' -c '$UB_CONF' vpndns_status | grep -q '^last_reload=ok reload'"
assert_match "reload: done" '^last_reload=ok reload$' "$(uctl vpndns_status)"
q $A www.example.com >/dev/null
assert_eq "reload: a answered from its kept cache" 1 "$(fake_log_count fa 'www\.example\.com')"
q $B www.example.com >/dev/null
assert_eq "reload: b's fresh cache asked its new upstream" 1 "$(fake_log_count fb2 'www\.example\.com')"
q $C www.example.com >/dev/null
assert_eq "reload: the moved client asks d's upstream" 1 "$(fake_log_count fd 'www\.example\.com')"
assert_eq "reload: a2 now blocked" NXDOMAIN "$(qstatus $A a2.example)"
assert_match "after the reload: nothing to do" '^ok check: a reload would change nothing' "$(uctl vpndns_reload check)"

# --- errors: parse errors with file:line, unreadable lists, arguments ----
cp "$E2E_TMP/vpndns.conf" "$E2E_TMP/good.conf"
printf 'view: e 127.0.58.55@%s\nclient: 127.0.58.44/32 nosuchview\n' "$FP" >> "$E2E_TMP/vpndns.conf"
out=$(uctl vpndns_reload check)
assert_match "parse error: file:line and reason" 'vpndns\.conf:12: .*nosuchview' "$out"
assert_match "parse error: said to be rejected" '^error vpndns\.conf has errors, a reload would be rejected; nothing changed$' "$out"
assert_nomatch "parse error: no diff printed" '^view added e' "$out"
cp "$E2E_TMP/good.conf" "$E2E_TMP/vpndns.conf"
rm -f "$E2E_TMP/alist.txt"
out=$(uctl vpndns_reload check)
assert_match "missing list: a reload would fail" "^error the lists can't be read, a reload would fail" "$out"
assert_match "missing list: nothing applied" '^last_reload=ok reload$' "$(uctl vpndns_status)"
assert_eq "missing list: a2 still blocked" NXDOMAIN "$(qstatus $A a2.example)"
assert_match "argument: unknown word" '^error usage: vpndns_reload \[check\]$' "$(uctl vpndns_reload chek)"
assert_match "argument: too many" '^error usage: vpndns_reload \[check\]$' "$(uctl vpndns_reload check now)"

e2e_finish

#!/usr/bin/env bash
# Names of every legal length through every check that turns a name into
# text: an nxdomain-regex anchored at the end, the log-blocked line and
# vpndns_lookup, at 253, 254 and 255 wire bytes (the longest names are
# what tunnelling tools send); a suffix blocklist at 255 bytes; the
# rendering of a dot inside a label and of a control byte.  Negative
# control: the test-hooks build with the "nametext" guard off goes back to
# Unbound's dname_str(): on 1.17 the 255-byte name gets through to the
# forwarder (1.26's dname_str writes every label of a legal name), and on
# both a control byte becomes an ambiguous '?'.
. "$(dirname "$0")/vpnlib.sh"

UB_PORT=5800
FP=5801
A=127.0.17.10        # client of view a

fake_start up 127.0.17.2 "$FP"
echo "suffix.example" > "$E2E_TMP/block.txt"
write_vpndns_conf "$E2E_TMP/vpndns.conf" \
	"view: a 127.0.17.2@$FP" \
	"client: $A/32 a" \
	'nxdomain-regex: "(^|\.)tunnel\.example$"' \
	'nxdomain-regex: "\\[0-9]{3}"' \
	"blocklist: $E2E_TMP/block.txt" \
	"log-blocked: yes"
write_vpndns_unbound_conf "$E2E_TMP/ub.conf" "$E2E_TMP/vpndns.conf" \
	"	interface: $A@$UB_PORT"
unbound_start "$E2E_TMP/ub.conf" || { e2e_finish; exit 1; }

# padded BYTES SUFFIX: a name of BYTES wire bytes, labels of 63, 63, 63
# bytes and one shorter, then SUFFIX (text, without the trailing dot)
padded() {
	local bytes=$1 suffix=$2 last
	last=$((bytes - 3 * 64 - 1 - ${#suffix} - 2))
	printf '%s.%s.%s.%s.%s' "$(printf 'a%.0s' {1..63})" \
		"$(printf 'b%.0s' {1..63})" "$(printf 'c%.0s' {1..63})" \
		"$(printf 'd%.0s' $(seq "$last"))" "$suffix"
}
# wirelen NAME: wire bytes of a plain-text name
wirelen() { echo $(( ${#1} + 2 )); }

for n in 253 254 255; do
	name=$(padded $n tunnel.example)
	assert_eq "regex name of $n bytes has $n bytes" "$n" "$(wirelen "$name")"
	r=$(pq $A "$name")
	assert_eq "regex, $n bytes: NXDOMAIN" NXDOMAIN "$(r_status "$r")"
	assert_eq "regex, $n bytes: EDE 15" 15 "$(r_ede "$r")"
	assert_eq "regex, $n bytes: the forwarder never saw it" 0 \
		"$(fake_log_count up "tunnel\\.example\\. ")"
	assert_eq "regex, $n bytes: log-blocked writes the whole name" 1 \
		"$(ub_log_count "vpndns: blocked ${name//./\\.}\\. from $A view a: nxdomain-regex")"
	assert_match "regex, $n bytes: vpndns_lookup prints the whole name and the rule" \
		"^name ${name//./\\.}\\.: nxdomain-regex " "$(uctl vpndns_lookup $A "$name")"

	name=$(padded $n suffix.example)
	r=$(pq $A "$name")
	assert_eq "suffix list, $n bytes: NXDOMAIN, EDE 15" "NXDOMAIN 15" \
		"$(r_status "$r") $(r_ede "$r")"
	assert_eq "suffix list, $n bytes: log-blocked writes the whole name" 1 \
		"$(ub_log_count "vpndns: blocked ${name//./\\.}\\. from $A view a: $E2E_TMP/block.txt")"
	assert_match "suffix list, $n bytes: vpndns_lookup" \
		"^name ${name//./\\.}\\.: blocked by $E2E_TMP/block.txt" \
		"$(uctl vpndns_lookup $A "$name")"
	assert_eq "suffix list, $n bytes: the forwarder never saw it" 0 \
		"$(fake_log_count up "suffix\\.example\\. ")"

	# the same length under another name is answered by the forwarder
	name=$(padded $n tunnel.example.net)
	r=$(pq $A "$name")
	assert_eq "other name, $n bytes: answered" "NOERROR 192.0.2.2" \
		"$(r_status "$r") $(r_ans "$r")"
	assert_match "other name, $n bytes: vpndns_lookup says not blocked" \
		"^name ${name//./\\.}\\.: not blocked" "$(uctl vpndns_lookup $A "$name")"
done
assert_eq "the forwarder saw the three names not blocked" 3 \
	"$(fake_log_count up "tunnel\\.example\\.net\\.")"

# a dot inside a label is "\.": the pattern's "\." matches its dot, so
# label "x.tunnel" under "example" is blocked too (the safe side)
r=$(pq $A 'x\.tunnel.example')
assert_eq "dot inside a label: blocked" "NXDOMAIN 15" "$(r_status "$r") $(r_ede "$r")"
assert_eq "dot inside a label: log shows it escaped" 1 \
	"$(ub_log_count 'vpndns: blocked x\\\.tunnel\.example\. from')"
# a control byte is "\DDD": never raw in a log line
r=$(pq $A 'a\010b.tunnel.example')
assert_eq "control byte: blocked" "NXDOMAIN 15" "$(r_status "$r") $(r_ede "$r")"
assert_eq "control byte: log shows \\010" 1 \
	"$(ub_log_count 'vpndns: blocked a\\010b\.tunnel\.example\. from')"
assert_match "control byte: vpndns_lookup prints \\010" \
	'^name a\\010b\.tunnel\.example\.: nxdomain-regex' \
	"$(uctl vpndns_lookup $A 'a\010b.tunnel.example')"

# a pattern for escaped bytes: a space anywhere in the name
r=$(pq $A 'a\032b.other.example')
assert_eq "pattern for \\DDD: a space in a label is blocked" "NXDOMAIN 15" \
	"$(r_status "$r") $(r_ede "$r")"
r=$(pq $A 'a-b.other.example')
assert_eq "pattern for \\DDD: a plain name is answered" "NOERROR" "$(r_status "$r")"

# negative control: Unbound 1.17.1's dname_str() writes '&' for the last labels
# of the 255-byte name, so the anchored pattern misses it
if have_testhooks; then
	name=$(padded 255 tunnel.example)
	unbound_start_as testhooks "" "$E2E_TMP/ub.conf"
	r=$(pq $A "$name")
	assert_eq "test-hooks build, guards on: 255 bytes blocked" "NXDOMAIN 15" \
		"$(r_status "$r") $(r_ede "$r")"
	unbound_start_as testhooks nametext "$E2E_TMP/ub.conf"
	r=$(pq $A "$(padded 254 tunnel.example)")
	assert_eq "negative control (nametext off): 254 bytes still blocked" \
		"NXDOMAIN 15" "$(r_status "$r") $(r_ede "$r")"
	r=$(pq $A "$name")
	if ub_version_ge 1.26.0; then
		# 1.26's dname_str writes every label of a legal name; its
		# '?' for unusual bytes is what remains
		assert_eq "test-hooks build, nametext off, 1.26: 255 bytes blocked" \
			"NXDOMAIN 15" "$(r_status "$r") $(r_ede "$r")"
	else
		assert_eq "negative control (nametext off): 255 bytes answered" \
			"NOERROR 192.0.2.2" "$(r_status "$r") $(r_ans "$r")"
		assert_eq "negative control (nametext off): the forwarder saw it" 1 \
			"$(fake_log_count up "ddd\\.tunnel\\.example\\. ")"
	fi
	assert_match "negative control (nametext off): vpndns_lookup turns a control byte into '?'" \
		'^name a\?b\.tunnel\.example\.: nxdomain-regex' \
		"$(uctl vpndns_lookup $A 'a\010b.tunnel.example')"
	unbound_stop
else
	assert_eq "test-hooks build present for the negative control" yes no
fi

e2e_finish

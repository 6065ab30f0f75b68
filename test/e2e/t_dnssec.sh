#!/bin/bash
# DNSSEC validation per view, with module-config "vpndns validator iterator".
#
# One signed hierarchy (example. with KSK+ZSK, children sec.example. and
# conc.example. with a CSK each; keys made at test time by
# dnssec/mkzones.sh) is served by one fake per view; the fakes differ only
# in what they do to DNSSEC:
#
#   view H  honest     fake fh  127.0.0.2  client 127.0.0.10
#   view T  tampering  fake ft  127.0.0.3  client 127.0.0.11  (A data changed, RRSIG kept)
#   view S  stripping  fake fs  127.0.0.4  client 127.0.0.12  (no RRSIG/DNSKEY/DS/NSEC)
#   view U  tampering, then stripping, with view-validate: U no
#                      fake fu  127.0.0.5  client 127.0.0.13
#   view R  honest until its keys are cached, then stripping
#                      fake fr  127.0.0.7  client 127.0.0.14
#   global forward-zone "." in unbound.conf: fake fg 127.0.0.6 (honest)
#
# Asserts: H gets AD (first ask and cached), T SERVFAIL + EDE 6, S SERVFAIL
# + EDE 9, R SERVFAIL + EDE 12, U the forged data without AD; the bad views
# never spoil H (asked first, and interleaved); every DNSKEY, DS and key tag
# query goes to the asking view's own fake only, each view fetches the keys
# itself (own key cache), and nothing reaches another view's fake or fg;
# 50+50+50 concurrent queries of H, T and S for the same fresh name are each
# judged on their own view's data.

UB_PORT=5520
FAKE_PORT=5521
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpnlib.sh"

FH=127.0.0.2 FT=127.0.0.3 FS=127.0.0.4 FU=127.0.0.5 FG=127.0.0.6 FR=127.0.0.7
CH=127.0.0.10 CT=127.0.0.11 CS=127.0.0.12 CU=127.0.0.13 CR=127.0.0.14
ALL_FAKES=(fh ft fs fu fr fg)
FORGED=198.51.100.66 # what the tampering fakes put in A records

## keys and signed zones, made now ---------------------------------------------

for tool in ldns-keygen ldns-signzone; do
	command -v "$tool" >/dev/null || { echo "FAIL - $tool not installed"; exit 1; }
done
ZD="$E2E_TMP/zones"
if ! bash "$E2E_DIR/dnssec/mkzones.sh" "$ZD" >"$E2E_TMP/mkzones.log" 2>&1; then
	echo "FAIL - dnssec/mkzones.sh failed:"
	cat "$E2E_TMP/mkzones.log"
	exit 1
fi
# parent first: the child zones' apex records replace the parent's
# delegation NS/NSEC at sec.example. and conc.example.; the DS stays
SZ=(--signed-zone "$ZD/example.signed" --signed-zone "$ZD/sec.example.signed"
	--signed-zone "$ZD/conc.example.signed")

fake_start fh "$FH" "$FAKE_PORT" "${SZ[@]}" || exit 1
fake_start ft "$FT" "$FAKE_PORT" "${SZ[@]}" --dnssec-mode tamper --tamper-a "$FORGED" || exit 1
fake_start fs "$FS" "$FAKE_PORT" "${SZ[@]}" --dnssec-mode strip || exit 1
fake_start fu "$FU" "$FAKE_PORT" "${SZ[@]}" --dnssec-mode tamper --tamper-a "$FORGED" || exit 1
fake_start fr "$FR" "$FAKE_PORT" "${SZ[@]}" || exit 1
fake_start fg "$FG" "$FAKE_PORT" "${SZ[@]}" || exit 1

write_vpndns_conf "$E2E_TMP/vpndns.conf" \
	"view: H $FH@$FAKE_PORT" \
	"view: T $FT@$FAKE_PORT" \
	"view: S $FS@$FAKE_PORT" \
	"view: U $FU@$FAKE_PORT" \
	"view: R $FR@$FAKE_PORT" \
	"client: $CH/32 H" \
	"client: $CT/32 T" \
	"client: $CS/32 S" \
	"client: $CU/32 U" \
	"client: $CR/32 R" \
	'view-validate: U no' \
	'default: refuse'
# val-log-level 2: the EDE text carries the validation failure reason.
# discard-timeout: a bogus answer costs the validator 1 + 5 restarts, each
# a query to the (in step 7 slow, 300 ms) forwarder; past the default
# 1900 ms Unbound drops the client's reply ("drop reply, it is older than
# discard-timeout") instead of sending the SERVFAIL.
write_unbound_conf "$E2E_TMP/ub.conf" \
	'	module-config: "vpndns validator iterator"' \
	"	vpndns-config: \"$E2E_TMP/vpndns.conf\"" \
	"	trust-anchor: \"$(cat "$ZD/anchor.ds")\"" \
	'	val-log-level: 2' \
	'	discard-timeout: 8000' \
	'forward-zone:' \
	'	name: "."' \
	"	forward-addr: $FG@$FAKE_PORT"

out=$("$UNBOUND_CHECKCONF" "$E2E_TMP/ub.conf" 2>&1)
assert_match 'unbound-checkconf accepts "vpndns validator iterator"' '^unbound-checkconf: no errors' "$out"
unbound_start "$E2E_TMP/ub.conf" || exit 1

## helpers -----------------------------------------------------------------------

# dsum SRC NAME [TYPE] [dig opts]: "RCODE AD|- EDE[,EDE]|- A[,A]|-" of one
# query with DO (dig also sets AD in queries by default)
dsum() {
	local out st=NOREPLY ad=- ede ans
	out=$(qfull "$@" +dnssec)
	[[ $out =~ status:\ ([A-Z]+) ]] && st=${BASH_REMATCH[1]}
	if [[ $out =~ $'\n'";; flags: "([a-z ]*)";" ]] && [[ " ${BASH_REMATCH[1]} " == *" ad "* ]]; then
		ad=AD
	fi
	ede=$(grep -oE '^; EDE: [0-9]+' <<<"$out" | awk '{print $3}' | paste -sd, -)
	ans=$(sed -n '/ANSWER SECTION/,/^$/p' <<<"$out" | awk '$4 == "A" {print $5}' | sort | paste -sd, -)
	echo "$st $ad ${ede:--} ${ans:--}"
}

# dede SRC NAME: the EDE line of a reply (code and text)
dede() {
	qfull "$1" "$2" +dnssec | grep -E '^; EDE: ' | head -n 1
}

# Log positions: mark_all remembers every fake's log length; since NAME
# [ERE] counts the lines (matching ERE) logged after the mark.
declare -A MARK
mark_all() {
	local f
	for f in "${ALL_FAKES[@]}"; do
		MARK[$f]=$(wc -l <"$E2E_TMP/$f.log")
	done
}
since() {
	local n
	if [[ $# -ge 2 ]]; then
		n=$(tail -n +"$((MARK[$1] + 1))" "$E2E_TMP/$1.log" | grep -cE -- "$2")
	else
		n=$(tail -n +"$((MARK[$1] + 1))" "$E2E_TMP/$1.log" | grep -c .)
	fi
	echo "${n:-0}"
}
# lines since the mark in every fake, as "fh=0 ft=3 ..."
since_all() {
	local f out=""
	for f in "${ALL_FAKES[@]}"; do
		out+="$f=$(since "$f") "
	done
	echo "${out% }"
}
# since_all with the fakes of the given views' names replaced by "*",
# for "nobody else" checks: since_others ft fs
since_others() {
	local f out="" skip=" $* "
	for f in "${ALL_FAKES[@]}"; do
		if [[ $skip == *" $f "* ]]; then
			out+="$f=* "
		else
			out+="$f=$(since "$f") "
		fi
	done
	echo "${out% }"
}
# key fetches of one fake since the mark: "dnskey(example.) ds(sec) dnskey(sec) keytag"
KEYQ_ERE=(' example\. DNSKEY ' ' sec\.example\. DS ' ' sec\.example\. DNSKEY ' ' _ta-[0-9a-f-]+\.example\. NULL ')
keyq() {
	local e out=""
	for e in "${KEYQ_ERE[@]}"; do
		out+="$(since "$1" "$e") "
	done
	echo "${out% }"
}
# any DNSSEC key query (DNSKEY, DS, key tag NULL)
KEY_ANY=' (DNSKEY|DS|NULL) '

## 1. the tampering view asks first ---------------------------------------------

mark_all
# T's forged A data fails the signature check under keys T fetched itself:
# the validator's reason is "signature crypto failed" (val_secalgo.c),
# for which Unbound 1.17 keeps the default reason, LDNS_EDE_DNSSEC_BOGUS:
# EDE 6.
assert_eq "T (tampering): SERVFAIL, no AD, EDE 6 (DNSSEC Bogus)" \
	"SERVFAIL - 6 -" "$(dsum "$CT" www.sec.example)"
assert_eq "T: fetched DNSKEY example., DS and DNSKEY sec.example. and a key tag query, once each, from its own fake" \
	"1 1 1 1" "$(keyq ft)"
check "T: its fake was asked for the name (and re-asked by the validator)" \
	test "$(since ft ' www\.sec\.example\. A ')" -ge 1
assert_eq "T: no other fake was asked anything" \
	"fh=0 ft=* fs=0 fu=0 fr=0 fg=0" "$(since_others ft)"
out=$(dede "$CT" www.sec.example)
assert_match "T, again: EDE 6 says the signature from T's fake failed" \
	"^; EDE: 6 \(DNSSEC Bogus\).*signature crypto failed from $FT" "$out"
assert_eq "T, again: no new key queries (T's key cache)" "1 1 1 1" "$(keyq ft)"

## 2. the stripping view --------------------------------------------------------

mark_all
# Without DNSKEY records the trust anchor example. can't be primed: "no
# DNSKEY rrset ... for trust anchor example. while building chain of
# trust", LDNS_EDE_DNSKEY_MISSING, EDE 9 (validator.c, primeResponseToKE,
# with the default harden-dnssec-stripped: yes).
# The answer's missing RRSIGs are never looked at; step 6 strips only
# after the keys are cached.
assert_eq "S (stripping): SERVFAIL, no AD, EDE 9 (DNSKEY Missing)" \
	"SERVFAIL - 9 -" "$(dsum "$CS" www.sec.example)"
check "S: its own fake was asked for DNSKEY example. (priming the anchor)" \
	test "$(since fs ' example\. DNSKEY ')" -ge 1
assert_eq "S: no DS or child DNSKEY asked (the chain broke at the anchor)" \
	"0 0" "$(since fs ' sec\.example\. DS ') $(since fs ' sec\.example\. DNSKEY ')"
assert_eq "S: no other fake was asked anything" \
	"fh=0 ft=0 fs=* fu=0 fr=0 fg=0" "$(since_others fs)"
out=$(dede "$CS" www.sec.example)
# 1.26 answers the repeat from the failed key it cached, without the source
if ub_version_ge 1.26.0; then
	assert_match "S, again: EDE 9 from the failed key cached in S's view" \
		"^; EDE: 9 \(DNSKEY Missing\).*previous no DNSKEY rrset" "$out"
else
	assert_match "S, again: EDE 9 names S's fake as the source" \
		"^; EDE: 9 \(DNSKEY Missing\).*no DNSKEY rrset from $FS" "$out"
fi

## 3. the honest view, after both bad ones ----------------------------------------

mark_all
assert_eq "H (honest): NOERROR with AD and the signed data, first ask" \
	"NOERROR AD - 192.0.2.81" "$(dsum "$CH" www.sec.example)"
assert_eq "H: fetched DNSKEY example., DS and DNSKEY sec.example. and a key tag query itself, once each (T's keys not shared)" \
	"1 1 1 1" "$(keyq fh)"
assert_eq "H: its fake was asked for the name once" 1 "$(since fh ' www\.sec\.example\. A ')"
assert_eq "H: no other fake was asked anything" \
	"fh=* ft=0 fs=0 fu=0 fr=0 fg=0" "$(since_others fh)"
mark_all
assert_eq "H, cached: NOERROR with AD" "NOERROR AD - 192.0.2.81" "$(dsum "$CH" www.sec.example)"
assert_eq "H, cached over TCP: NOERROR with AD" "NOERROR AD - 192.0.2.81" "$(dsum "$CH" www.sec.example A +tcp)"
assert_eq "H, signed by the anchor's own zone: NOERROR with AD" \
	"NOERROR AD - 192.0.2.80" "$(dsum "$CH" www.example)"
assert_eq "H, cached: only www.example. went upstream, no key queries" \
	"fh=1 ft=0 fs=0 fu=0 fr=0 fg=0" "$(since_all)"
out=$(pq "$CH" www.sec.example)
assert_eq "H, client without DO (dnsq): NOERROR, validated data" \
	"NOERROR ede=- 192.0.2.81" "$(r_status "$out") ede=$(r_ede "$out") $(r_ans "$out")"

## 4. interleaved: bad, good, bad, good on the same names ----------------------------

mark_all
assert_eq "interleave a: T SERVFAIL EDE 6" "SERVFAIL - 6 -" "$(dsum "$CT" a.sec.example)"
assert_eq "interleave a: H AD" "NOERROR AD - 192.0.2.82" "$(dsum "$CH" a.sec.example)"
assert_eq "interleave a: S SERVFAIL EDE 9" "SERVFAIL - 9 -" "$(dsum "$CS" a.sec.example)"
assert_eq "interleave a: H AD (cached)" "NOERROR AD - 192.0.2.82" "$(dsum "$CH" a.sec.example)"
assert_eq "interleave b: H AD first" "NOERROR AD - 192.0.2.83" "$(dsum "$CH" b.sec.example)"
assert_eq "interleave b: T SERVFAIL EDE 6 after H cached it" "SERVFAIL - 6 -" "$(dsum "$CT" b.sec.example)"
assert_eq "interleave b: S SERVFAIL EDE 9 after H cached it" "SERVFAIL - 9 -" "$(dsum "$CS" b.sec.example)"
assert_eq "interleave b: H AD (cached)" "NOERROR AD - 192.0.2.83" "$(dsum "$CH" b.sec.example)"
assert_eq "interleave a: T still SERVFAIL" "SERVFAIL - 6 -" "$(dsum "$CT" a.sec.example)"
assert_eq "interleave: H and T asked no key queries (kept in their key caches)" \
	"0 0" "$(since fh "$KEY_ANY") $(since ft "$KEY_ANY")"
assert_eq "interleave: H's fake asked once per name" \
	"1 1" "$(since fh ' a\.sec\.example\. A ') $(since fh ' b\.sec\.example\. A ')"
assert_eq "interleave: the unvalidated, R and global fakes asked nothing" \
	"fu=0 fr=0 fg=0" "$(since_all | grep -oE 'fu=.*')"

## 5. validation off for view U ---------------------------------------------------

mark_all
assert_eq "U (view-validate no), tampering fake: the forged data, NOERROR, no AD" \
	"NOERROR - - $FORGED" "$(dsum "$CU" www.sec.example)"
assert_eq "U, cached: same, no AD" "NOERROR - - $FORGED" "$(dsum "$CU" www.sec.example)"
assert_eq "U: its fake was asked once (the repeat came from U's cache)" \
	1 "$(since fu ' www\.sec\.example\. A ')"
fake_mode fu dnssec:strip
assert_eq "U, stripping fake: the unsigned data, NOERROR, no AD" \
	"NOERROR - - 192.0.2.84" "$(dsum "$CU" c.sec.example)"
assert_eq "H, same name after U: AD (U's unvalidated entry not used)" \
	"NOERROR AD - 192.0.2.84" "$(dsum "$CH" c.sec.example)"
assert_eq "T, same name after U: SERVFAIL EDE 6" "SERVFAIL - 6 -" "$(dsum "$CT" c.sec.example)"
assert_eq "U, again after H and T: still its own unvalidated answer" \
	"NOERROR - - 192.0.2.84" "$(dsum "$CU" c.sec.example)"
fake_mode fu
assert_eq "U: its fake never got a DNSKEY, DS or key tag query" 0 "$(since fu "$KEY_ANY")"
assert_eq "U: fu asked once per name" "1 1" \
	"$(since fu ' www\.sec\.example\. A ') $(since fu ' c\.sec\.example\. A ')"
assert_eq "U step: fs, fr and fg asked nothing" \
	"0 0 0" "$(since fs) $(since fr) $(since fg)"

## 6. RRSIGs stripped once the keys are cached (view R) -------------------------------

mark_all
assert_eq "R, honest at first: AD" "NOERROR AD - 192.0.2.80" "$(dsum "$CR" www.example)"
assert_eq "R: fetched DNSKEY example. itself" 1 "$(since fr ' example\. DNSKEY ')"
fake_mode fr dnssec:strip
# The anchor's keys are cached, so the validator gets to the answer. It
# has no RRSIG, so the validator looks for a DS at ns.example. to see
# whether the name is in an unsigned zone; the stripped reply has no DS
# and no NSEC proving its absence: "no DNSSEC records from 127.0.0.7 for
# DS ns.example. while building chain of trust", which Unbound 1.17
# reports as LDNS_EDE_NSEC_MISSING, EDE 12 (validator.c, ds_response_to_ke),
# not EDE 10 (RRSIGs Missing).
assert_eq "R, RRSIGs now stripped: SERVFAIL, EDE 12 (NSEC Missing)" \
	"SERVFAIL - 12 -" "$(dsum "$CR" ns.example)"
out=$(dede "$CR" ns.example)
if ub_version_ge 1.26.0; then
	assert_match "R, again: EDE 12 from the failed key cached in R's view" \
		"^; EDE: 12 \(NSEC Missing\).*previous no DNSSEC records" "$out"
else
	assert_match "R, again: EDE 12 names R's fake as the source" \
		"^; EDE: 12 \(NSEC Missing\).*no DNSSEC records from $FR for DS ns\.example\." "$out"
fi
fake_mode fr
assert_eq "R step: only fr asked" "fh=0 ft=0 fs=0 fu=0 fr=* fg=0" "$(since_others fr)"
assert_eq "H, same name after R: AD" "NOERROR AD - 192.0.2.53" "$(dsum "$CH" ns.example)"

## 6b. negative answers: each view's own NSEC proofs ---------------------------------

mark_all
assert_eq "H, NODATA (AAAA): NOERROR with AD, proven by the signed NSEC" \
	"NOERROR AD - -" "$(dsum "$CH" www.sec.example AAAA)"
# aggressive-nsec (default yes): the NSEC at www.sec.example. also proves
# there is no TXT, so H answers from its own negative cache
assert_eq "H, NODATA (TXT) from H's own NSEC: AD" "NOERROR AD - -" "$(dsum "$CH" www.sec.example TXT)"
assert_eq "H: its fake asked for AAAA once, never for TXT" \
	"1 0" "$(since fh ' www\.sec\.example\. AAAA ') $(since fh ' www\.sec\.example\. TXT ')"
assert_eq "R, same TXT: AD, from its own forwarder (H's NSEC not shared)" \
	"NOERROR AD - -" "$(dsum "$CR" www.sec.example TXT)"
assert_eq "R: its fake was asked for TXT, DS and DNSKEY sec.example. once each" \
	"1 1 1" "$(since fr ' www\.sec\.example\. TXT ') $(since fr ' sec\.example\. DS ') $(since fr ' sec\.example\. DNSKEY ')"
assert_eq "T, same TXT (its fake only forges A data): AD" "NOERROR AD - -" "$(dsum "$CT" www.sec.example TXT)"
assert_eq "negative step: fs, fu and fg asked nothing" "0 0 0" "$(since fs) $(since fu) $(since fg)"

## 7. concurrent: H, T and S ask the same fresh name at once ------------------------

# conc.example.'s DS and DNSKEY are in no key cache yet: every view's
# validator must fetch them while the others do the same. The slow fakes
# keep all 150 client queries and the key fetches in flight together.
mark_all
fake_mode fh slow:300
fake_mode ft slow:300
fake_mode fs slow:300
out=$("$E2E_PYTHON" "$E2E_DIR/dnssec/dburst.py" --port "$UB_PORT" --count 50 \
	--timeout 15 www.conc.example "$CH=192.0.2.90" "$CT=192.0.2.90" "$CS=192.0.2.90" 2>&1)
fake_mode fh
fake_mode ft
fake_mode fs
sed 's/^/#    /' <<<"$out"
assert_match "concurrent: H all 50 NOERROR with AD" \
	"^src=$CH sent=50 answered=50 secure=50 insecure=0 servfail=0 other=0 idbad=0 noreply=0 ede=-$" "$out"
assert_match "concurrent: T all 50 SERVFAIL with EDE 6" \
	"^src=$CT sent=50 answered=50 secure=0 insecure=0 servfail=50 other=0 idbad=0 noreply=0 ede=6:50$" "$out"
assert_match "concurrent: S all 50 SERVFAIL with EDE 9" \
	"^src=$CS sent=50 answered=50 secure=0 insecure=0 servfail=50 other=0 idbad=0 noreply=0 ede=9:50$" "$out"
check "concurrent: H's fake was asked DS and DNSKEY conc.example. itself" \
	test "$(since fh ' conc\.example\. DS ')" -ge 1 -a "$(since fh ' conc\.example\. DNSKEY ')" -ge 1
check "concurrent: T's fake was asked DS and DNSKEY conc.example. itself" \
	test "$(since ft ' conc\.example\. DS ')" -ge 1 -a "$(since ft ' conc\.example\. DNSKEY ')" -ge 1
assert_eq "concurrent: U, R and global fakes asked nothing" \
	"0 0 0" "$(since fu) $(since fr) $(since fg)"
assert_eq "after the burst: H cached AD" "NOERROR AD - 192.0.2.90" "$(dsum "$CH" www.conc.example)"
assert_eq "after the burst: T SERVFAIL EDE 6" "SERVFAIL - 6 -" "$(dsum "$CT" www.conc.example)"

## 8. whole run ------------------------------------------------------------------------

assert_eq "global forward-zone fake never asked anything" 0 "$(fake_log_count fg)"
# every key query a fake ever saw came from its own view's validator: the
# fakes of views that validate saw their own, U's none
assert_eq "whole run: key queries per fake (fu and fg none)" "0 0" \
	"$(fake_log_count fu "$KEY_ANY") $(fake_log_count fg "$KEY_ANY")"
assert_eq "whole run: H fetched the example. and sec.example. keys exactly once" \
	"1 1 1" "$(fake_log_count fh ' example\. DNSKEY ') $(fake_log_count fh ' sec\.example\. DS ') $(fake_log_count fh ' sec\.example\. DNSKEY ')"
out=$(grep -E 'validation failure' "$UB_LOG")
assert_nomatch "unbound log: no validation failure blames H's fake" "from $FH( |$)" "$out"
check "unbound is still running" kill -0 "$UB_PID"

## 9. operating a validating view ------------------------------------------------------

# the unvalidated view answers repeats from its cache in the front hook
uctl stats >/dev/null
for i in 1 2 3; do dsum "$CU" www.sec.example >/dev/null; done
assert_match "U: repeats are front-path cache hits" "^vpndns\.view\.U\.cachehits=[23]$" "$(uctl stats_noreset)"

# a stripping forwarder that gets fixed: after vpndns_flush the view
# validates again at once (its keys marked bad are flushed too)
fake_mode fs "dnssec:normal"
uctl vpndns_flush S >/dev/null
assert_eq "S after the fix and vpndns_flush: secure" "NOERROR AD - 192.0.2.81" "$(dsum "$CS" www.sec.example)"

e2e_finish

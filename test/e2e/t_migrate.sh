#!/usr/bin/env bash
# Migration end to end: a configuration in the first vpndns's YAML is
# converted with contrib/migrate/vpndns-migrate.py, Unbound runs the
# converted vpndns.conf, and clients get what the first vpndns sent them:
#
# - a blocked A query: 127.0.0.1 with TTL 1 (86400 in its releases before
#   2024-02-15, converted with --local-ttl 86400); a blocked AAAA query:
#   NOERROR, AA, no records (vpndns.pl, server::dns_query, with the
#   default blocklist_only_a of server::session_start);
# - a static A record and its PTR, made by default (static_records_auto_ptr
#   defaults to 1), with the same TTL (static_records::load);
# - a vpn_jail client inside a longer nameservers netblock: reflected, its
#   query sent back to its own address, because lookup_ns checked vpn_jail
#   first; a nameserver_regex name from that client goes to the regex's
#   server (the regexes overrode vpn_jail too);
# - clients of a nameservers netblock and unmapped clients: their
#   nameserver and nameserver_default.
#
# Every check looks at the answer and at what each fake upstream saw.  The
# YAML has a tab before a comment inside a list, as the first vpndns's
# sample had.  Negative control: the naive conversion (a forward: rule for
# the longer netblock) sends the vpn_jail client's query to that netblock's
# nameserver instead, and the checks tell.
UB_PORT=${UB_PORT:-5640}
FAKE_PORT=${FAKE_PORT:-5641}
. "$(dirname "$0")/lib.sh"

FP=$FAKE_PORT
MIGRATE="$E2E_DIR/../../contrib/migrate/vpndns-migrate.py"

NSJ=127.0.18.1      # nameserver of 127.0.16.16/28, inside vpn_jail 127.0.16.0/24
NSL=127.0.18.2      # nameserver of 127.0.17.0/24
DEF=127.0.18.3      # nameserver_default
RX=127.0.18.4       # nameserver_regex server for corp.example
JC=127.0.16.20      # vpn_jail client inside the longer 127.0.16.16/28
LC=127.0.17.10      # client of 127.0.17.0/24
OC=127.0.19.9       # client of no netblock

# The fakes answer A queries with 192.0.2.<last byte of their address>.
fake_start nsj "$NSJ" "$FP"
fake_start nsl "$NSL" "$FP"
fake_start def "$DEF" "$FP"
fake_start rx "$RX" "$FP"
fake_start jc "$JC" "$FP"       # the vpn_jail client's own DNS service

mkdir -p "$E2E_TMP/blocklists"
printf '# ads\nads.example\n' > "$E2E_TMP/blocklists/ads.txt"
# the first vpndns's static format: "name address"
printf 'printer.lan 198.18.0.55\n' > "$E2E_TMP/static.txt"

# The first vpndns's YAML.  Unset on purpose: blocklist_only_a,
# static_records_auto_ptr, static_records_ttl, print_blocklist_read_progress
# (their defaults are what is checked).  The nameserver ports are the
# fakes'; the first vpndns always used port 53.
printf '%s\n' \
	"dns_listeners:" \
	"    - [ '127.0.0.1', $UB_PORT ]" \
	"nameservers:" \
	"    127.0.16.16/28: $NSJ:$FP" \
	"    127.0.17.0/24: $NSL:$FP" \
	"nameserver_default: $DEF:$FP" \
	"nameserver_regex:" \
	"    '.+corp\\.example\$': $RX:$FP" \
	"vpn_jail:" \
	"    - 127.0.16.0/24" \
	"blocklist_dir: '$E2E_TMP/blocklists/'" \
	"nxdomain_regex:" \
	"	# local names never leave" \
	"    - '.+\\.(lan|home)\$'" \
	"static_records: '$E2E_TMP/static.txt'" > "$E2E_TMP/vpndns.yaml"

# convert [OPTIONS...]: vpndns.conf from the YAML, with the reflect port
# moved from the first vpndns's 53 to the fakes' port.
convert() {
	"$E2E_PYTHON" "$MIGRATE" "$E2E_TMP/vpndns.yaml" -o "$E2E_TMP/conv.conf" "$@" \
		2>"$E2E_TMP/migrate.err" || return 1
	sed -E "s/^(reflect: [^ ]+) 53\$/\\1 $FP/" "$E2E_TMP/conv.conf" > "$E2E_TMP/vpndns.conf"
}

check "the converter reads the file (a tab before a comment)" convert
assert_match "the converter noted the tab line" "NOTE: line 13: tabs before a comment" \
	"$(cat "$E2E_TMP/migrate.err")"
conf=$(cat "$E2E_TMP/vpndns.conf")
assert_match "vpn_jail kept for the longer netblock" "^reflect: 127\\.0\\.16\\.16/28 $FP\$" "$conf"
assert_nomatch "no forward rule for the longer netblock" "^forward: 127\\.0\\.16\\.16/28" "$conf"

write_unbound_conf "$E2E_TMP/ub.conf" \
	'	module-config: "vpndns iterator"' \
	"	vpndns-config: \"$E2E_TMP/vpndns.conf\""
check "unbound-checkconf accepts the converted file" "$UNBOUND_CHECKCONF" "$E2E_TMP/ub.conf"
unbound_start "$E2E_TMP/ub.conf" || { e2e_finish; exit 1; }

# answer SRC NAME TYPE: the answer section, "name ttl class type data"
answer() {
	qfull "$1" "$2" "$3" +noall +answer | awk '{ print $1, $2, $3, $4, $5 }'
}

# seen NAME: how many queries for NAME every fake saw, "nsj nsl def rx jc"
seen() {
	local f out=""
	for f in nsj nsl def rx jc; do
		out="$out $(fake_log_count "$f" " ${1//./\\.}\\. ")"
	done
	echo "${out# }"
}

# --- forwarding: vpn_jail first, then nameservers, regexes, default -------
assert_eq "vpn_jail client inside the longer netblock: answered by its own address" \
	"192.0.2.20" "$(q $JC www.example.com)"
assert_eq "upstreams: only the client's own address saw it (nsj nsl def rx jc)" \
	"0 0 0 0 1" "$(seen www.example.com)"
assert_eq "nameservers client: its nameserver" "192.0.2.2" "$(q $LC www.example.com)"
assert_eq "upstreams: nsl saw it, the vpn_jail client not again" \
	"0 1 0 0 1" "$(seen www.example.com)"
assert_eq "unmapped client: nameserver_default" "192.0.2.3" "$(q $OC www.example.com)"
assert_eq "upstreams: def saw it" "0 1 1 0 1" "$(seen www.example.com)"
assert_eq "nameserver_regex name from the vpn_jail client: the regex's server" \
	"192.0.2.4" "$(q $JC host.corp.example)"
assert_eq "upstreams: only rx saw host.corp.example" "0 0 0 1 0" "$(seen host.corp.example)"

# --- blocking, with the default blocklist_only_a ---------------------------
# The first vpndns: blocked A -> 127.0.0.1, TTL 1; other types -> NOERROR,
# AA, no records; blocking applied to every client, vpn_jail included.
assert_eq "blocked A: 127.0.0.1 with TTL 1" "ads.example. 1 IN A 127.0.0.1" "$(answer $LC ads.example A)"
out=$(qfull $LC ads.example AAAA)
assert_match "blocked AAAA: NOERROR" "status: NOERROR" "$out"
assert_match "blocked AAAA: no records" "ANSWER: 0," "$out"
assert_match "blocked AAAA: AA flag" "flags: qr aa" "$out"
assert_eq "blocked A, vpn_jail client: 127.0.0.1" "127.0.0.1" "$(q $JC ads.example)"
assert_eq "upstreams never saw the blocked name" "0 0 0 0 0" "$(seen ads.example)"
assert_eq "exact list: a name below an entry is not blocked" "192.0.2.2" "$(q $LC www.ads.example)"
assert_eq "upstreams: nsl saw www.ads.example" "0 1 0 0 0" "$(seen www.ads.example)"

# --- static records, before the nxdomain_regex -----------------------------
assert_eq "static A: TTL 1" "printer.lan. 1 IN A 198.18.0.55" "$(answer $LC printer.lan A)"
assert_eq "static PTR made by default: TTL 1" \
	"55.0.18.198.in-addr.arpa. 1 IN PTR printer.lan." "$(answer $LC 55.0.18.198.in-addr.arpa PTR)"
assert_eq "static A for the vpn_jail client" "198.18.0.55" "$(q $JC printer.lan)"
assert_eq "nxdomain_regex: other .lan names" "NXDOMAIN" "$(qstatus $LC other.lan)"
assert_eq "upstreams never saw the static or .lan names" "0 0 0 0 0 | 0 0 0 0 0 | 0 0 0 0 0" \
	"$(seen printer.lan) | $(seen 55.0.18.198.in-addr.arpa) | $(seen other.lan)"

# --- the releases before 2024-02-15: TTL 86400 ------------------------------
unbound_stop
check "convert with --local-ttl 86400" convert --local-ttl 86400
unbound_start "$E2E_TMP/ub.conf" || { e2e_finish; exit 1; }
assert_eq "--local-ttl 86400: blocked A" "ads.example. 86400 IN A 127.0.0.1" "$(answer $LC ads.example A)"
assert_eq "--local-ttl 86400: static A" "printer.lan. 86400 IN A 198.18.0.55" "$(answer $LC printer.lan A)"
assert_eq "--local-ttl 86400: static PTR" \
	"55.0.18.198.in-addr.arpa. 86400 IN PTR printer.lan." "$(answer $LC 55.0.18.198.in-addr.arpa PTR)"
assert_eq "--local-ttl 86400: upstreams saw none of them" "0 0 0 0 0 | 0 0 0 0 0" \
	"$(seen ads.example) | $(seen printer.lan)"

# --- negative control: the netblock converted as written -------------------
unbound_stop
sed -E "s|^reflect: 127\\.0\\.16\\.16/28 $FP\$|forward: 127.0.16.16/28 $NSJ@$FP|" \
	"$E2E_TMP/vpndns.conf" > "$E2E_TMP/naive.conf"
check "negative control: the naive file differs in that line only" \
	test "$(diff "$E2E_TMP/vpndns.conf" "$E2E_TMP/naive.conf" | grep -c '^[<>]')" = 2
cp "$E2E_TMP/naive.conf" "$E2E_TMP/vpndns.conf"
unbound_start "$E2E_TMP/ub.conf" || { e2e_finish; exit 1; }
assert_eq "negative control: the vpn_jail client goes to the longer netblock's nameserver" \
	"192.0.2.1" "$(q $JC www2.example.com)"
assert_eq "negative control: nsj saw it, the client's own address did not" \
	"1 0 0 0 0" "$(seen www2.example.com)"

e2e_finish

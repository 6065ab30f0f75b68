#!/bin/bash
# Generate DNSSEC keys and signed zones for t_dnssec.sh, at test time
# (nothing secret or expiring is committed).
#
#   mkzones.sh OUTDIR
#
# Zones (unsigned templates *.zone.in next to this script):
#   example.        example.zone.in, signed with its own KSK+ZSK; holds the
#                   DS records of both children
#   sec.example.    sec.example.zone.in, one CSK (flags 257)
#   conc.example.   conc.example.zone.in, one CSK; used only by the
#                   concurrency step, so its keys are never cached before
#
# Writes to OUTDIR:
#   example.signed, sec.example.signed, conc.example.signed   signed zones
#   anchor.ds        DS of the example. KSK (a trust-anchor: line's text)
#   anchor.dnskey    the example. KSK DNSKEY
# Algorithm ECDSAP256SHA256 (13); RRSIGs valid from a day ago to ten
# years ahead.

set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
cd "$out"

alg=ECDSAP256SHA256
incep=$(date -u -d '1 day ago' +%Y%m%d%H%M%S)
expir=$(date -u -d '10 years' +%Y%m%d%H%M%S)

# keygen ZONE [-k]: prints the key's base name
keygen() {
	ldns-keygen -a "$alg" "${@:2}" "$1"
}

sign() { # ZONE TEMPLATE OUT KEY...
	local zone=$1 tmpl=$2 outf=$3
	shift 3
	cp "$tmpl" "$zone.zone"
	ldns-signzone -i "$incep" -e "$expir" -o "$zone" -f "$outf" \
		"$zone.zone" "$@"
}

# children first: their DS records go into the parent
sec=$(keygen sec.example. -k)
conc=$(keygen conc.example. -k)
cat "$here/example.zone.in" "$sec.ds" "$conc.ds" >example.zone.tmpl
ksk=$(keygen example. -k)
zsk=$(keygen example.)

sign sec.example. "$here/sec.example.zone.in" sec.example.signed "$sec"
sign conc.example. "$here/conc.example.zone.in" conc.example.signed "$conc"
sign example. example.zone.tmpl example.signed "$ksk" "$zsk"

# the trust anchor: one DS line, and the KSK itself
tr -s ' \t' ' ' <"$ksk.ds" | sed 's/ *$//' >anchor.ds
grep -v '^;' "$ksk.key" | sed 's/;.*//' | tr -s ' \t' ' ' | sed 's/ *$//' >anchor.dnskey

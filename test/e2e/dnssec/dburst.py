#!/usr/bin/python3
"""DNSSEC burst client for t_dnssec.sh.

Sends N identical queries (DO and AD bits set, like a validating-aware
stub) from each source address, all built first and sent back to back,
interleaving the sources, each on its own UDP socket; then reads every
reply and classifies it.  One line per source:

    src=127.0.0.10 sent=50 answered=50 secure=50 insecure=0 servfail=0 other=0 idbad=0 noreply=0 ede=-
    total sent=100 ... send_span_ms=3

secure:   NOERROR, AD set, A records exactly EXPECT (the SRC=EXPECT value;
          comma-separated addresses)
insecure: NOERROR without AD (whatever the data)
servfail: SERVFAIL
other:    anything else (NOERROR+AD with other data, other rcodes,
          malformed)
ede:      the EDE codes seen on the source's replies, code:count,... or -
"""

import os
import sys

import dns.edns
import dns.flags
import dns.message
import dns.rcode

# the burst itself is dnsq.py's, one directory up
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import dnsq  # noqa: E402


def main():
    p = dnsq.client_args(__doc__, 5.0)
    p.add_argument("--count", type=int, default=50)
    p.add_argument("--type", default="A")
    p.add_argument("name")
    p.add_argument("specs", nargs="+", metavar="SRC=EXPECT")
    args = p.parse_args()

    specs = dnsq.parse_specs(args.specs)
    edes = {src: {} for src, _ in specs}

    def query():
        q = dns.message.make_query(args.name, args.type, use_edns=0,
                                   payload=1232, want_dnssec=True)
        q.flags |= dns.flags.AD
        return q

    def classify(src, expect, r):
        if r is None:
            return "other"
        for opt in r.options:
            if opt.otype == dns.edns.OptionType.EDE:
                c = int(opt.code)
                edes[src][c] = edes[src].get(c, 0) + 1
        rc = r.rcode()
        if rc == dns.rcode.SERVFAIL:
            return "servfail"
        if rc == dns.rcode.NOERROR and not r.flags & dns.flags.AD:
            return "insecure"
        if rc == dns.rcode.NOERROR and dnsq.a_records(r) == expect:
            return "secure"
        return "other"

    stats, span_ms = dnsq.burst_run(args.server, args.port, specs, args.count,
                                    args.timeout, query,
                                    ("secure", "insecure", "servfail", "other"),
                                    classify)
    dnsq.burst_print(stats, span_ms, lambda src: " ede=%s" % (
        ",".join("%d:%d" % kv for kv in sorted(edes[src].items())) or "-"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

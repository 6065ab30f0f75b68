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

import argparse
import selectors
import socket
import sys
import time

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--server", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--timeout", type=float, default=5.0)
    p.add_argument("--count", type=int, default=50)
    p.add_argument("--type", default="A")
    p.add_argument("name")
    p.add_argument("specs", nargs="+", metavar="SRC=EXPECT")
    args = p.parse_args()

    specs = []
    for item in args.specs:
        src, _, expect = item.partition("=")
        specs.append((src, set(expect.split(",")) if expect else set()))
    keys = ("sent", "answered", "secure", "insecure", "servfail", "other",
            "idbad", "noreply")
    stats = {src: dict.fromkeys(keys, 0) for src, _ in specs}
    edes = {src: {} for src, _ in specs}
    fam = socket.AF_INET6 if ":" in args.server else socket.AF_INET
    socks = []
    for _ in range(args.count):
        for src, expect in specs:
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.bind((src, 0))
            s.connect((args.server, args.port))
            s.setblocking(False)
            q = dns.message.make_query(args.name, args.type, use_edns=0,
                                       payload=1232, want_dnssec=True)
            q.flags |= dns.flags.AD
            socks.append((s, src, expect, q, q.to_wire()))
    sel = selectors.DefaultSelector()
    t_first = time.monotonic()
    for s, src, expect, q, wire in socks:
        try:
            s.send(wire)
            stats[src]["sent"] += 1
        except OSError:
            pass
        sel.register(s, selectors.EVENT_READ, (src, expect, q))
    span_ms = (time.monotonic() - t_first) * 1000.0
    pending = len(socks)
    deadline = time.monotonic() + args.timeout
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=max(0.0, deadline - time.monotonic())):
            src, expect, q = key.data
            try:
                wire = key.fileobj.recv(65535)
            except OSError:
                continue
            sel.unregister(key.fileobj)
            pending -= 1
            st = stats[src]
            st["answered"] += 1
            try:
                r = dns.message.from_wire(wire)
            except Exception:  # a broken reply is a result
                st["other"] += 1
                continue
            if r.id != q.id:
                st["idbad"] += 1
            for opt in r.options:
                if opt.otype == dns.edns.OptionType.EDE:
                    c = int(opt.code)
                    edes[src][c] = edes[src].get(c, 0) + 1
            got = set()
            for rrset in r.answer:
                if rrset.rdtype == dns.rdatatype.A:
                    got.update(rd.to_text() for rd in rrset)
            rc = r.rcode()
            if rc == dns.rcode.SERVFAIL:
                st["servfail"] += 1
            elif rc == dns.rcode.NOERROR and not r.flags & dns.flags.AD:
                st["insecure"] += 1
            elif rc == dns.rcode.NOERROR and got == expect:
                st["secure"] += 1
            else:
                st["other"] += 1
    for s, *_ in socks:
        s.close()
    total = dict.fromkeys(keys, 0)
    for src, _ in specs:
        st = stats[src]
        st["noreply"] = st["sent"] - st["answered"]
        for k in keys:
            total[k] += st[k]
        ede = ",".join("%d:%d" % kv for kv in sorted(edes[src].items())) or "-"
        print("src=%s %s ede=%s" % (src, " ".join("%s=%d" % (k, st[k]) for k in keys), ede))
    print("total %s send_span_ms=%d" % (" ".join("%s=%d" % (k, total[k]) for k in keys),
                                        int(span_ms + 0.999)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Paced DNS client that records every answer, for the vpndns e2e tests.

Sends A queries to unbound from several source addresses at a fixed rate
for a bounded time, matches each reply to its query (ID and name, one
socket per source) and checks the answer against the addresses allowed
for that source:

    recorder.py --port 5610 --duration 8 --rate 40 \\
        127.0.6.140=198.51.100.130 127.0.6.142=198.51.100.132,198.51.100.133

Query names carry the source (u17-127-0-6-140.churn.example), so an
upstream's log shows whose query reached it.  With --pool N every second
query asks one of N names again, so the view's cache answers part of the
load.  Output, one line per source and a total:

    src=127.0.6.140 sent=320 answered=320 right=320 wrong=0 servfail=0 \\
        servfail_ede22=0 noreply=0 unmatched=0 maxlat_ms=41 \\
        seen=198.51.100.130:320

"right": NOERROR whose A records are all in the source's allowed set
(non-empty); "servfail": SERVFAIL (servfail_ede22 of them with EDE 22);
"wrong": anything else (another address, empty answer, other rcode);
"noreply": no reply within --timeout; "unmatched": replies that matched
no outstanding query.  --log writes one line per query.
"""

import random
import selectors
import socket
import sys
import time

import dns.edns
import dns.message
import dns.rcode
import dns.rdatatype

import dnsq  # the query clients' common options


class Source:
    def __init__(self, spec, args):
        src, _, allowed = spec.partition("=")
        self.src = src
        self.allowed = set(a for a in allowed.split(",") if a)
        self.tag = src.replace(".", "-").replace(":", "-")
        fam = socket.AF_INET6 if ":" in src else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_DGRAM)
        self.sock.bind((src, 0))
        self.sock.connect((args.server, args.port))
        self.sock.setblocking(False)
        self.pending = {}  # (id, name) -> send time
        self.seq = 0
        self.st = dict(sent=0, answered=0, right=0, wrong=0, servfail=0,
                       servfail_ede22=0, noreply=0, unmatched=0)
        self.seen = {}
        self.maxlat = 0.0

    def name(self, pool, suffix):
        i = self.seq
        self.seq += 1
        if pool and i % 2 == 1:
            return "p%d-%s.%s" % ((i // 2) % pool, self.tag, suffix)
        return "u%d-%s.%s" % (i, self.tag, suffix)


def classify(src, reply, logf, name, lat_ms):
    ede = [opt.code for opt in reply.options
           if opt.otype == dns.edns.OptionType.EDE]
    got = set()
    for rrset in reply.answer:
        if rrset.rdtype == dns.rdatatype.A:
            got.update(rd.to_text() for rd in rrset)
    rcode = reply.rcode()
    st = src.st
    if rcode == dns.rcode.NOERROR and got and got <= src.allowed:
        st["right"] += 1
        for a in got:
            src.seen[a] = src.seen.get(a, 0) + 1
    elif rcode == dns.rcode.SERVFAIL:
        st["servfail"] += 1
        if 22 in ede:
            st["servfail_ede22"] += 1
    else:
        st["wrong"] += 1
        for a in got:
            src.seen[a] = src.seen.get(a, 0) + 1
    if logf:
        logf.write("%s %s %s ede=%s %s %.1f\n" % (
            src.src, name, dns.rcode.to_text(rcode),
            ",".join(str(int(c)) for c in ede) or "-",
            ",".join(sorted(got)) or "-", lat_ms))


def main():
    p = dnsq.client_args(__doc__, 3.0)
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--rate", type=float, default=20.0,
                   help="queries per second per source")
    p.add_argument("--pool", type=int, default=0)
    p.add_argument("--suffix", default="rec.example")
    p.add_argument("--log")
    p.add_argument("sources", nargs="+", metavar="SRC=ALLOWED[,ALLOWED]")
    args = p.parse_args()
    if args.duration > 600 or args.rate > 5000 or args.timeout > 60:
        sys.exit("recorder: duration, rate or timeout out of bounds")

    logf = open(args.log, "w", encoding="utf-8") if args.log else None
    sel = selectors.DefaultSelector()
    sources = [Source(s, args) for s in args.sources]
    for s in sources:
        sel.register(s.sock, selectors.EVENT_READ, s)
    interval = 1.0 / args.rate
    per_source = int(args.duration * args.rate)
    start = time.monotonic()
    next_send = start
    sent_rounds = 0
    hard_end = start + args.duration + args.timeout + 2.0

    while time.monotonic() < hard_end:
        now = time.monotonic()
        if sent_rounds < per_source and now >= next_send:
            for s in sources:
                name = s.name(args.pool, args.suffix)
                q = dns.message.make_query(name, "A", use_edns=0,
                                           payload=1232)
                while (q.id, name) in s.pending:
                    q.id = random.randint(0, 65535)
                try:
                    s.sock.send(q.to_wire())
                    s.pending[(q.id, name)] = now
                    s.st["sent"] += 1
                except OSError:
                    pass
            sent_rounds += 1
            next_send = start + sent_rounds * interval
        # expire
        for s in sources:
            for key, t0 in list(s.pending.items()):
                if now - t0 > args.timeout:
                    del s.pending[key]
                    s.st["noreply"] += 1
                    if logf:
                        logf.write("%s %s NOREPLY ede=- - %.1f\n" % (
                            s.src, key[1], (now - t0) * 1000))
        if sent_rounds >= per_source and not any(s.pending for s in sources):
            break
        wait = max(0.0, min(next_send - time.monotonic(), 0.05)) \
            if sent_rounds < per_source else 0.05
        for key, _ in sel.select(timeout=wait):
            s = key.data
            while True:
                try:
                    wire = s.sock.recv(65535)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break
                t = time.monotonic()
                try:
                    r = dns.message.from_wire(wire)
                    name = r.question[0].name.to_text(omit_final_dot=True)
                except Exception:
                    s.st["unmatched"] += 1
                    continue
                t0 = s.pending.pop((r.id, name), None)
                if t0 is None:
                    s.st["unmatched"] += 1
                    continue
                s.st["answered"] += 1
                lat = (t - t0) * 1000.0
                s.maxlat = max(s.maxlat, lat)
                classify(s, r, logf, name, lat)
    for s in sources:
        s.st["noreply"] += len(s.pending)
        s.pending.clear()

    total = dict((k, 0) for k in sources[0].st)
    maxlat = 0.0
    for s in sources:
        for k, v in s.st.items():
            total[k] += v
        maxlat = max(maxlat, s.maxlat)
        print("src=%s %s maxlat_ms=%d seen=%s" % (
            s.src, " ".join("%s=%d" % kv for kv in s.st.items()),
            int(s.maxlat + 0.999),
            ",".join("%s:%d" % kv for kv in sorted(s.seen.items())) or "-"))
        s.sock.close()
    print("total %s maxlat_ms=%d" % (
        " ".join("%s=%d" % kv for kv in total.items()), int(maxlat + 0.999)))
    if logf:
        logf.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

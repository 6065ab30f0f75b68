#!/usr/bin/python3
"""Small DNS client for the vpndns end-to-end tests.

Unlike dig it binds any loopback source address, can prepend a PROXYv2
header (UDP and TCP), reports whether the reply ID matched instead of
discarding a mismatching reply, and can fire many identical queries from
two sources at once (--burst) to exercise concurrent, overlapping queries.

Single query output (always exactly one status line, then the answers):

    STATUS id=ok|bad ede=CODE[,CODE...]|-
    <rdata of each answer record, like dig +short>

STATUS is the rcode text, or NOREPLY.  A reply on the query's own socket
is accepted even when its ID does not match (then id=bad), so a test can
see what a client got and, separately, whether a real client would have
taken it.

--burst SRC=EXPECT [SRC=EXPECT ...] --count N: N queries from every SRC,
all sent before any reply is read, each on its own socket; prints one
line per SRC and a total:

    src=127.0.0.10 sent=200 answered=200 right=200 wrong=0 idbad=0 noreply=0
    total sent=400 answered=400 right=400 wrong=0 idbad=0 noreply=0 send_span_ms=12

send_span_ms is the time from the first send to the last one; when it is
shorter than the upstream's delay, every query was in flight at once.

"right" means the answer's A records are exactly EXPECT; "wrong" is any
other reply (other address, SERVFAIL, empty).
"""

import argparse
import ipaddress
import selectors
import socket
import struct
import sys
import time

import dns.edns
import dns.message
import dns.rcode
import dns.rdatatype

PROXY_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def proxy_v2_header(src, src_port, dst, dst_port, tcp):
    """A PROXYv2 'PROXY' header claiming the connection came from src."""
    s = ipaddress.ip_address(src)
    d = ipaddress.ip_address(dst)
    if s.version != d.version:
        raise ValueError("proxy source and destination families differ")
    proto = 0x1 if tcp else 0x2
    fam = (0x10 if s.version == 4 else 0x20) | proto
    body = s.packed + d.packed + struct.pack("!HH", src_port, dst_port)
    return PROXY_SIG + bytes([0x21, fam]) + struct.pack("!H", len(body)) + body


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def sockaddr(addr, port):
    """Socket address of ADDR, with the scope of "fe80::2%vs1" kept (a
    plain (addr, port) tuple loses it in bind and connect)."""
    return socket.getaddrinfo(addr, port, family(addr), socket.SOCK_DGRAM,
                              0, socket.AI_NUMERICHOST)[0][4]


def make_query(name, rdtype):
    return dns.message.make_query(name, rdtype, use_edns=0, payload=1232)


def describe(q, wire):
    """Status line and answer lines for a reply (ID mismatch tolerated)."""
    try:
        r = dns.message.from_wire(wire)
    except Exception as exc:  # a broken reply is a result, not a crash
        return "MALFORMED id=bad ede=- (%s)" % exc.__class__.__name__, []
    ede = []
    for opt in r.options:
        if opt.otype == dns.edns.OptionType.EDE:
            ede.append(str(opt.code))
    status = "%s id=%s ede=%s" % (dns.rcode.to_text(r.rcode()),
                                  "ok" if r.id == q.id else "bad",
                                  ",".join(ede) if ede else "-")
    lines = []
    for rrset in r.answer:
        for rd in rrset:
            lines.append(rd.to_text())
    return status, lines


def recv_exact(sock, n, deadline):
    buf = b""
    while len(buf) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout()
        sock.settimeout(left)
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def one_query(args):
    q = make_query(args.name, args.type)
    wire = q.to_wire()
    fam = family(args.server)
    deadline = time.monotonic() + args.timeout
    sock = socket.socket(fam, socket.SOCK_STREAM if args.tcp else socket.SOCK_DGRAM)
    try:
        if args.src:
            sock.bind(sockaddr(args.src, 0))
        sock.settimeout(args.timeout)
        sock.connect(sockaddr(args.server, args.port))
        hdr = b""
        if args.proxy_src:
            psrc, _, pport = args.proxy_src.partition("#")
            hdr = proxy_v2_header(psrc, int(pport or 40000), args.server,
                                  args.port, args.tcp)
        if args.tcp:
            sock.sendall(hdr + struct.pack("!H", len(wire)) + wire)
            n = struct.unpack("!H", recv_exact(sock, 2, deadline))[0]
            reply = recv_exact(sock, n, deadline)
        else:
            sock.send(hdr + wire)
            reply = sock.recv(65535)
    except (socket.timeout, ConnectionError, OSError):
        print("NOREPLY id=- ede=-")
        return 0
    finally:
        sock.close()
    status, lines = describe(q, reply)
    print(status)
    for line in lines:
        print(line)
    return 0


def a_records(r):
    """The set of A record addresses in a reply's answer section."""
    got = set()
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.A:
            got.update(rd.to_text() for rd in rrset)
    return got


def parse_specs(items):
    """SRC=EXPECT arguments as (src, set of expected A addresses)."""
    specs = []
    for item in items:
        src, _, expect = item.partition("=")
        specs.append((src, set(expect.split(",")) if expect else set()))
    return specs


def burst_run(server, port, specs, count, timeout, query, keys, classify):
    """COUNT queries from each source of SPECS, all in flight at once.

    query() builds one query message; classify(src, expect, reply)
    names the counter of KEYS a reply goes to (reply is None when it does
    not parse).  Returns the per-source counters, each with sent,
    answered, KEYS, idbad and noreply, and the time the sends took in ms.
    """
    keys = ("sent", "answered") + tuple(keys) + ("idbad", "noreply")
    sel = selectors.DefaultSelector()
    stats = {src: dict.fromkeys(keys, 0) for src, _ in specs}
    socks = []
    # build every socket and query first, then send them back to back,
    # interleaving the sources, so the bursts really overlap
    for _ in range(count):
        for src, expect in specs:
            s = socket.socket(family(server), socket.SOCK_DGRAM)
            s.bind(sockaddr(src, 0))
            s.connect(sockaddr(server, port))
            s.setblocking(False)
            q = query()
            socks.append((s, src, expect, q, q.to_wire()))
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
    deadline = time.monotonic() + timeout
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
            except Exception:  # a broken reply is a result, not a crash
                st[classify(src, expect, None)] += 1
                continue
            if r.id != q.id:
                st["idbad"] += 1
            st[classify(src, expect, r)] += 1
    for s, *_ in socks:
        s.close()
    for st in stats.values():
        st["noreply"] = st["sent"] - st["answered"]
    return stats, span_ms


def burst_print(stats, span_ms, extra=lambda src: ""):
    """One line per source (with extra(src) appended) and a total line."""
    total = None
    for src, st in stats.items():
        if total is None:
            total = dict.fromkeys(st, 0)
        for k in st:
            total[k] += st[k]
        print("src=%s %s%s" % (src, " ".join("%s=%d" % kv for kv in st.items()),
                               extra(src)))
    print("total %s send_span_ms=%d" % (" ".join("%s=%d" % kv for kv in total.items()),
                                        int(span_ms + 0.999)))


def burst(args):
    """N identical queries from each source, all in flight at once."""
    def classify(src, expect, r):
        if r is not None and r.rcode() == dns.rcode.NOERROR and a_records(r) == expect:
            return "right"
        return "wrong"
    stats, span_ms = burst_run(args.server, args.port, parse_specs(args.burst),
                               args.count, args.timeout,
                               lambda: make_query(args.name, args.type),
                               ("right", "wrong"), classify)
    burst_print(stats, span_ms)
    return 0


def client_args(doc, timeout):
    """An argument parser with the options of every query client here:
    the server, its port and the reply timeout in seconds (default
    TIMEOUT); DOC, the script's docstring, is its help."""
    p = argparse.ArgumentParser(description=doc,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--server", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--timeout", type=float, default=timeout)
    return p


def main():
    p = client_args(__doc__, 2.0)
    p.add_argument("--src", help="source address to bind")
    p.add_argument("--tcp", action="store_true")
    p.add_argument("--proxy-src", help="PROXYv2 claimed source addr[#port]")
    p.add_argument("--burst", nargs="+", metavar="SRC=EXPECT")
    p.add_argument("--count", type=int, default=200)
    p.add_argument("name")
    p.add_argument("type", nargs="?", default="A")
    args = p.parse_args()
    if args.burst:
        return burst(args)
    return one_query(args)


if __name__ == "__main__":
    sys.exit(main())

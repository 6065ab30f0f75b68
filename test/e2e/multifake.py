#!/usr/bin/python3
"""Fake upstream on many consecutive addresses, for the vpndns e2e tests.

One process serves UDP on COUNT consecutive IPv4 addresses from FIRST, all
on one port, so a test can give each of hundreds of reflect clients a
forwarder of its own (its own address) without hundreds of processes.
An A query that arrives on address 127.B.C.D is answered 10.B.C.D, so the
answer names the address that answered; other types get NODATA.  Every
query is logged as

    <time> udp <local address> <src>#<port> <qname> <type> id=<id>

Stops on SIGTERM or SIGINT.
"""

import argparse
import ipaddress
import selectors
import signal
import socket
import struct
import sys
import time

import pidfile

TYPES = {1: "A", 28: "AAAA", 16: "TXT", 6: "SOA", 2: "NS"}


def parse_query(wire):
    """(id, flags, qname text, qtype, qclass, end of question, has OPT) of
    a one-question query, or None.  Parsed by hand: dnspython is too slow
    for hundreds of queries a second."""
    if len(wire) < 12:
        return None
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", wire[:12])
    if flags & 0x8000 or qd != 1:
        return None
    pos, labels = 12, []
    while True:
        if pos >= len(wire):
            return None
        n = wire[pos]
        if n == 0:
            pos += 1
            break
        if n & 0xC0 or pos + 1 + n > len(wire):
            return None
        labels.append(wire[pos + 1:pos + 1 + n].decode("ascii", "replace"))
        pos += 1 + n
    if pos + 4 > len(wire):
        return None
    qtype, qclass = struct.unpack("!HH", wire[pos:pos + 4])
    name = ".".join(labels).lower() + "."
    return qid, flags, name, qtype, qclass, pos + 4, ar > 0


def answer(wire, local):
    """Reply bytes and log text for a query that arrived on address
    local; (None, None) for malformed input."""
    q = parse_query(wire)
    if q is None:
        return None, None
    qid, flags, name, qtype, qclass, qend, edns = q
    a = qtype == 1 and qclass == 1
    # QR AA RA, RD copied, NOERROR
    rflags = 0x8000 | 0x0400 | 0x0080 | (flags & 0x0100)
    out = struct.pack("!HHHHHH", qid, rflags, 1, 1 if a else 0, 0,
                      1 if edns else 0) + wire[12:qend]
    if a:
        b, c, d = (int(x) for x in local.split(".")[1:])
        out += struct.pack("!HHHIH4B", 0xC00C, 1, 1, 300, 4, 10, b, c, d)
    if edns:
        out += struct.pack("!BHHIH", 0, 41, 1232, 0, 0)
    return out, "%s %s id=%d" % (name, TYPES.get(qtype, "TYPE%d" % qtype),
                                  qid)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--first", required=True, help="first IPv4 address")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--log")
    p.add_argument("--pidfile")
    args = p.parse_args()
    if not 1 <= args.count <= 4096:
        sys.exit("multifake: --count must be 1..4096")
    first = ipaddress.IPv4Address(args.first)
    if not (first + (args.count - 1)).is_loopback or not first.is_loopback:
        sys.exit("multifake: loopback addresses only")

    sel = selectors.DefaultSelector()
    socks = []
    for i in range(args.count):
        addr = str(first + i)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, args.port))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, addr)
        socks.append(s)
    logfh = open(args.log, "a", encoding="utf-8") if args.log else None

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    pidfile.write(args.pidfile)

    while not stop:
        try:
            events = sel.select(timeout=0.2)
        except InterruptedError:
            continue
        for key, _ in events:
            for _ in range(64):  # bounded per socket, then the others
                try:
                    wire, src = key.fileobj.recvfrom(65535)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break
                out, text = answer(wire, key.data)
                if logfh:
                    logfh.write("%.3f udp %s %s#%d %s\n" % (
                        time.time(), key.data, src[0], src[1],
                        text or "MALFORMED"))
                if out is not None:
                    try:
                        key.fileobj.sendto(out, src)
                    except OSError:
                        pass
        if logfh:
            logfh.flush()  # after each batch: the log is current when idle
    for s in socks:
        s.close()
    pidfile.remove(args.pidfile)
    return 0


if __name__ == "__main__":
    sys.exit(main())

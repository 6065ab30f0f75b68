#!/usr/bin/python3
"""Fake upstream DNS server for the vpndns end-to-end tests.

Serves UDP and TCP on one address/port, logs every query it receives and
answers with predictable data, so a test can tell which upstream answered
and how often an upstream was asked.  Behaviour can be degraded (--mode) to
exercise the resolver's error paths, and switched at runtime through
--control-file.
"""

import argparse
import asyncio
import ipaddress
import os
import signal
import ssl
import struct
import sys
import time

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

MODES = ("normal", "silent", "servfail", "refused", "formerr", "truncate",
         "garbage", "wrongid")
MAX_CNAME_CHAIN = 8
NXDOMAIN_MARK = "NXDOMAIN"


def mode_arg(text):
    """argparse type: a known mode or slow:<ms>."""
    if text in MODES:
        return text
    if text.startswith("slow:") and text[5:].isdigit():
        return text
    raise argparse.ArgumentTypeError("bad mode %r" % text)


def load_zone(path):
    """Parse 'name [TTL] [IN] TYPE rdata' lines into {name: {rdtype: rrset}}.

    A name whose type is NXDOMAIN maps to its TTL (an int) instead: the
    server answers NXDOMAIN with that TTL on the SOA (the negative TTL).
    """
    zone = {}
    with open(path, encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, 1):
            line = raw.strip()
            if not line or line.startswith(";") or line.startswith("#"):
                continue
            tok = line.split()
            name = dns.name.from_text(tok[0])
            i, ttl = 1, 300
            if i < len(tok) and tok[i].isdigit():
                ttl, i = int(tok[i]), i + 1
            if i < len(tok) and tok[i].upper() == "IN":
                i += 1
            if i >= len(tok):
                sys.exit("%s:%d: missing type" % (path, lineno))
            rtype = tok[i].upper()
            if rtype == NXDOMAIN_MARK:
                zone[name] = ttl
                continue
            rdata = line.split(None, i + 1)[i + 1] if len(tok) > i + 1 else ""
            try:
                rrset = dns.rrset.from_text(name, ttl, "IN", rtype, rdata)
            except (dns.exception.DNSException, ValueError) as exc:
                sys.exit("%s:%d: %s" % (path, lineno, exc))
            types = zone.setdefault(name, {})
            if isinstance(types, int):
                sys.exit("%s:%d: %s is also NXDOMAIN" % (path, lineno, name))
            if rrset.rdtype in types:
                types[rrset.rdtype].union_update(rrset)
            else:
                types[rrset.rdtype] = rrset
    return zone


class FakeServer:
    def __init__(self, args):
        self.args = args
        self.zone = load_zone(args.zone) if args.zone else {}
        self.logfh = open(args.log, "a", encoding="utf-8") if args.log else None
        self.a_ip, self.aaaa_ip = self.default_addresses()

    def default_addresses(self):
        """Derive per-instance A/AAAA values from the listen address."""
        addr = ipaddress.ip_address(self.args.addr)
        x = int(str(addr).split(".")[-1]) if addr.version == 4 else 1
        return (self.args.a or "192.0.2.%d" % x,
                self.args.aaaa or "2001:db8::%x" % x)

    def log(self, proto, src, text):
        if self.logfh:
            self.logfh.write("%.3f %s %s#%d %s\n"
                             % (time.time(), proto, src[0], src[1], text))
            self.logfh.flush()

    def current_mode(self):
        """The control file, when present and non-empty, overrides --mode."""
        cf = self.args.control_file
        if cf:
            try:
                with open(cf, encoding="utf-8") as fh:
                    words = fh.read().split()
                if words:
                    return words[0]
            except OSError:
                pass
        return self.args.mode

    async def handle(self, wire, proto, src):
        """Return the reply bytes for one received message, or None."""
        try:
            query = dns.message.from_wire(wire)
            if query.flags & dns.flags.QR or len(query.question) != 1:
                raise dns.exception.FormError("not a single-question query")
        except Exception:  # malformed input of any kind must not kill us
            self.log(proto, src, "MALFORMED")
            return None
        q = query.question[0]
        self.log(proto, src, "%s %s id=%d" % (
            q.name.to_text().lower(), dns.rdatatype.to_text(q.rdtype), query.id))

        mode = self.current_mode()
        if mode.startswith("slow:"):
            try:
                await asyncio.sleep(int(mode[5:]) / 1000.0)
            except ValueError:
                pass
            mode = "normal"
        if mode == "silent":
            return None
        if mode == "garbage":
            return os.urandom(20)

        resp = dns.message.make_response(query, our_payload=1232)
        resp.flags |= dns.flags.AA | dns.flags.RA
        if mode in ("servfail", "refused", "formerr"):
            resp.set_rcode({"servfail": dns.rcode.SERVFAIL,
                            "refused": dns.rcode.REFUSED,
                            "formerr": dns.rcode.FORMERR}[mode])
        elif mode == "truncate" and proto == "udp":
            resp.flags |= dns.flags.TC
        else:
            self.answer(resp, q.name, q.rdtype)
        if mode == "wrongid":
            resp.id = (query.id + 1) & 0xFFFF
        return resp.to_wire()

    def soa(self, qname, ttl=None):
        """SOA for negative answers; owned by the qname unless --soa-zone,
        so it is always inside whatever zone the resolver forwards."""
        owner = dns.name.from_text(self.args.soa_zone) if self.args.soa_zone else qname
        ttl = self.args.ttl if ttl is None else ttl
        return dns.rrset.from_text(
            owner, ttl, "IN", "SOA",
            "ns.fake. hostmaster.fake. 1 3600 600 86400 %d" % ttl)

    def answer(self, resp, qname, qtype):
        """Fill a NOERROR response: from the zone file if the name is there,
        else the built-in default data."""
        if qname in self.zone:
            return self.answer_zone(resp, qname, qtype)
        ttl = self.args.ttl
        rdata = {dns.rdatatype.A: self.a_ip,
                 dns.rdatatype.AAAA: self.aaaa_ip,
                 dns.rdatatype.TXT: '"upstream=%s"' % self.args.name}.get(qtype)
        if rdata is None:
            resp.authority.append(self.soa(qname))
        else:
            resp.answer.append(dns.rrset.from_text(qname, ttl, "IN", qtype, rdata))

    def answer_zone(self, resp, qname, qtype):
        name = qname
        for _ in range(MAX_CNAME_CHAIN + 1):
            types = self.zone[name]
            if isinstance(types, int):
                resp.set_rcode(dns.rcode.NXDOMAIN)
                resp.authority.append(self.soa(name, types))
                return
            if qtype in types:
                resp.answer.append(types[qtype])
                return
            cname = types.get(dns.rdatatype.CNAME)
            if cname is None:
                resp.authority.append(self.soa(name))
                return
            resp.answer.append(cname)
            name = cname[0].target
            if name not in self.zone:
                return


class UDPProtocol(asyncio.DatagramProtocol):
    def __init__(self, server):
        self.server = server
        self.transport = None
        self.tasks = set()  # strong refs so pending (slow) replies survive

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        task = asyncio.ensure_future(self.reply(data, addr))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def reply(self, data, addr):
        out = await self.server.handle(data, "udp", addr)
        if out is not None and not self.transport.is_closing():
            self.transport.sendto(out, addr)

    def error_received(self, exc):
        pass


async def tcp_client(server, reader, writer, proto="tcp"):
    """Serve length-prefixed queries on one connection; replies may be sent
    out of order, as pipelining resolvers allow."""
    src = writer.get_extra_info("peername")[:2]
    lock = asyncio.Lock()
    tasks = set()

    async def one(wire):
        out = await server.handle(wire, proto, src)
        if out is None:
            return
        async with lock:
            try:
                writer.write(struct.pack("!H", len(out)) + out)
                await writer.drain()
            except (ConnectionError, OSError):
                pass

    try:
        while True:
            hdr = await reader.readexactly(2)
            wire = await reader.readexactly(struct.unpack("!H", hdr)[0])
            task = asyncio.ensure_future(one(wire))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    except (asyncio.IncompleteReadError, ConnectionError, OSError):
        pass
    if tasks:
        await asyncio.wait(tasks)
    try:
        writer.close()
    except (ConnectionError, OSError):
        pass


async def main(args):
    server = FakeServer(args)
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: UDPProtocol(server), local_addr=(args.addr, args.port))
    tcp = await asyncio.start_server(
        lambda r, w: tcp_client(server, r, w), args.addr, args.port,
        reuse_address=True)
    tls = None
    if args.tls_port:
        # DNS over TLS on its own port, logged as "tls"
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        tls = await asyncio.start_server(
            lambda r, w: tcp_client(server, r, w, "tls"), args.addr,
            args.tls_port, reuse_address=True, ssl=ctx)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # Quiet: a client closing mid-answer is not worth a traceback.
    loop.set_exception_handler(lambda _loop, _ctx: None)

    if args.pidfile:
        tmp = args.pidfile + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write("%d\n" % os.getpid())
        os.rename(tmp, args.pidfile)  # atomic: waiters never see it empty

    await stop.wait()
    transport.close()
    tcp.close()
    if tls:
        tls.close()
    if args.pidfile:
        try:
            os.unlink(args.pidfile)
        except OSError:
            pass


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="fake upstream DNS server")
    p.add_argument("--addr", default="127.0.0.2")
    p.add_argument("--port", type=int, default=5300)
    p.add_argument("--name", default="fake")
    p.add_argument("--log")
    p.add_argument("--pidfile")
    p.add_argument("--a", help="A answer (default 192.0.2.<last octet>)")
    p.add_argument("--aaaa", help="AAAA answer (default 2001:db8::<last octet>)")
    p.add_argument("--ttl", type=int, default=300)
    p.add_argument("--zone", help="extra records, one RR per line")
    p.add_argument("--soa-zone", help="owner of SOA in negative answers")
    p.add_argument("--mode", type=mode_arg, default="normal")
    p.add_argument("--control-file", help="first word overrides --mode")
    p.add_argument("--tls-port", type=int, help="also serve DNS over TLS here")
    p.add_argument("--tls-cert", help="certificate chain (PEM) for --tls-port")
    p.add_argument("--tls-key", help="private key (PEM) for --tls-port")
    return p.parse_args(argv)


if __name__ == "__main__":
    try:
        asyncio.run(main(parse_args()))
    except OSError as exc:
        sys.exit("fakedns: %s" % exc)

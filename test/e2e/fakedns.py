#!/usr/bin/python3
"""Fake upstream DNS server for the vpndns end-to-end tests.

Serves UDP and TCP on one address/port, logs every query it receives and
answers with predictable data, so a test can tell which upstream answered
and how often an upstream was asked.  Behaviour can be degraded (--mode) to
exercise the resolver's error paths, and switched at runtime through
--control-file.

Mode from:ADDR[@PORT] answers UDP queries normally but sends each reply
from another socket, bound to ADDR and PORT (0 or no PORT: any free
port), as a misrouted or spoofing server would.  TCP replies are normal.

DNSSEC: --signed-zone FILE (repeatable) serves signed zones as
ldns-signzone writes them (one RR per line); their records answer like
--zone records, DNSKEY and DS queries included.  A query with the DO bit
gets, after every rrset returned, the RRSIGs covering it (same owner and
type covered); a NODATA answer for a signed name carries the zone's SOA
and the name's NSEC, signed.  --dnssec-mode changes that: strip never
sends RRSIG, DNSKEY, DS, NSEC or NSEC3 records (a DNSKEY or DS query gets
an empty NOERROR), as a DNSSEC-stripping resolver does; tamper replaces
the data of A records in the answer (--tamper-a) and keeps the original
RRSIGs.  A control-file word dnssec:MODE overrides --dnssec-mode (words
starting dnssec: are not modes).  The query log is the same in every mode.
"""

import argparse
import asyncio
import ipaddress
import os
import signal
import socket
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

import pidfile

MODES = ("normal", "silent", "servfail", "refused", "formerr", "truncate",
         "garbage", "wrongid")
MAX_CNAME_CHAIN = 8
DNSSEC_MODES = ("normal", "strip", "tamper")
DNSSEC_WORD = "dnssec:"  # control-file prefix of a --dnssec-mode override
DNSSEC_TYPES = (dns.rdatatype.RRSIG, dns.rdatatype.DNSKEY, dns.rdatatype.DS,
                dns.rdatatype.NSEC, dns.rdatatype.NSEC3)
NXDOMAIN_MARK = "NXDOMAIN"


def mode_arg(text):
    """argparse type: a known mode or slow:<ms>."""
    if text in MODES:
        return text
    if text.startswith("slow:") and text[5:].isdigit():
        return text
    if text.startswith("from:") and parse_from(text) is not None:
        return text
    raise argparse.ArgumentTypeError("bad mode %r" % text)


def parse_from(mode):
    """(addr, port) of a from:ADDR[@PORT] mode, or None if malformed."""
    addr, _, port = mode[5:].partition("@")
    try:
        ipaddress.ip_address(addr)
    except ValueError:
        return None
    if port and not port.isdigit():
        return None
    port = int(port or 0)
    return (addr, port) if port <= 65535 else None


def zone_records(path, comment_marks, default_ttl):
    """Yield (lineno, line, tokens, i, ttl) for every record line of the
    zone file PATH: blank lines and lines starting with one of
    COMMENT_MARKS skipped, the optional TTL (else DEFAULT_TTL) and class
    IN read, so tokens[i] is the type."""
    with open(path, encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, 1):
            line = raw.strip()
            if not line or line.startswith(comment_marks):
                continue
            tok = line.split()
            i, ttl = 1, default_ttl
            if i < len(tok) and tok[i].isdigit():
                ttl, i = int(tok[i]), i + 1
            if i < len(tok) and tok[i].upper() == "IN":
                i += 1
            yield lineno, line, tok, i, ttl


def record_rrset(path, lineno, name, ttl, rtype, rdata):
    """The rrset of one zone file line; a bad line ends the server with
    its file and line, as a fake that serves the wrong data would only
    make a test fail later and further from the cause."""
    try:
        return dns.rrset.from_text(name, ttl, "IN", rtype, rdata)
    except (dns.exception.DNSException, ValueError) as exc:
        sys.exit("%s:%d: %s" % (path, lineno, exc))


def merge_rrset(table, key, rrset):
    """Add RRSET to TABLE[KEY], or make it the entry."""
    if key in table:
        table[key].union_update(rrset)
    else:
        table[key] = rrset


def load_zone(path):
    """Parse 'name [TTL] [IN] TYPE rdata' lines into {name: {rdtype: rrset}}.

    A name whose type is NXDOMAIN maps to its TTL (an int) instead: the
    server answers NXDOMAIN with that TTL on the SOA (the negative TTL).
    """
    zone = {}
    for lineno, line, tok, i, ttl in zone_records(path, (";", "#"), 300):
        name = dns.name.from_text(tok[0])
        if i >= len(tok):
            sys.exit("%s:%d: missing type" % (path, lineno))
        rtype = tok[i].upper()
        if rtype == NXDOMAIN_MARK:
            zone[name] = ttl
            continue
        rdata = line.split(None, i + 1)[i + 1] if len(tok) > i + 1 else ""
        rrset = record_rrset(path, lineno, name, ttl, rtype, rdata)
        types = zone.setdefault(name, {})
        if isinstance(types, int):
            sys.exit("%s:%d: %s is also NXDOMAIN" % (path, lineno, name))
        merge_rrset(types, rrset.rdtype, rrset)
    return zone


def load_signed_zone(path):
    """Parse a signed zone, 'name TTL [IN] TYPE rdata' per line (comments
    allowed), into ({name: {rdtype: rrset}}, {(name, covered): rrsig})."""
    zone, sigs = {}, {}
    for lineno, line, tok, i, ttl in zone_records(path, (";", "$"), 3600):
        if len(tok) <= i + 1:
            sys.exit("%s:%d: missing type or data" % (path, lineno))
        rrset = record_rrset(path, lineno, tok[0], ttl, tok[i],
                             line.split(None, i + 1)[i + 1])
        if rrset.rdtype == dns.rdatatype.RRSIG:
            merge_rrset(sigs, (rrset.name, rrset.covers), rrset)
        else:
            merge_rrset(zone.setdefault(rrset.name, {}), rrset.rdtype, rrset)
    return zone, sigs


class FakeServer:
    def __init__(self, args):
        self.args = args
        self.zone = load_zone(args.zone) if args.zone else {}
        self.sigs = {}         # (owner, type covered) -> RRSIG rrset
        self.signed = set()    # names from --signed-zone files
        self.apexes = set()    # their names with an SOA
        for path in args.signed_zone or ():
            # a later file replaces earlier rrsets with the same owner
            # and type, so a child's apex records win over the parent's
            # delegation (NS, NSEC); the parent's DS stays
            zone, sigs = load_signed_zone(path)
            for name, types in zone.items():
                if not isinstance(self.zone.get(name), dict):
                    self.zone[name] = {}
                self.zone[name].update(types)
                self.signed.add(name)
                if dns.rdatatype.SOA in types:
                    self.apexes.add(name)
            self.sigs.update(sigs)
        self.logfh = open(args.log, "a", encoding="utf-8") if args.log else None
        self.a_ip, self.aaaa_ip = self.default_addresses()
        self.from_socks = {}  # from:ADDR@PORT -> socket the replies leave by

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

    def send_from(self, mode, wire, dst):
        """Send a UDP reply from the socket of a from: mode; errors (a bad
        or busy address) drop the reply, as a lost packet would."""
        sock = self.from_socks.get(mode)
        try:
            if sock is None:
                addr, port = parse_from(mode)
                fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
                sock = socket.socket(fam, socket.SOCK_DGRAM)
                sock.setblocking(False)
                sock.bind((addr, port))
                self.from_socks[mode] = sock
            sock.sendto(wire, dst)
        except (OSError, TypeError):
            if sock is not None and mode not in self.from_socks:
                sock.close()

    def current_mode(self):
        """The control file, when present and non-empty, overrides --mode."""
        cf = self.args.control_file
        if cf:
            try:
                with open(cf, encoding="utf-8") as fh:
                    words = [w for w in fh.read().split()
                             if not w.startswith(DNSSEC_WORD)]
                if words:
                    return words[0]
            except OSError:
                pass
        return self.args.mode

    def current_dnssec_mode(self):
        """A dnssec:MODE word in the control file overrides --dnssec-mode."""
        cf = self.args.control_file
        if cf:
            try:
                with open(cf, encoding="utf-8") as fh:
                    for word in fh.read().split():
                        if (word.startswith(DNSSEC_WORD) and
                                word[len(DNSSEC_WORD):] in DNSSEC_MODES):
                            return word[len(DNSSEC_WORD):]
            except OSError:
                pass
        return self.args.dnssec_mode

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
            self.dnssec(resp, query)
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
                resp.authority.extend(self.nodata(name))
                return
            resp.answer.append(cname)
            name = cname[0].target
            if name not in self.zone:
                return

    def signed_apex(self, name):
        """The closest enclosing apex of a --signed-zone, or None."""
        while True:
            if name in self.apexes:
                return name
            if name == dns.name.root:
                return None
            name = name.parent()

    def nodata(self, name):
        """Authority of a NODATA answer: for a signed name the zone's SOA
        and the name's NSEC (their RRSIGs are added later), else the
        fake SOA."""
        apex = self.signed_apex(name) if name in self.signed else None
        if apex is None:
            return [self.soa(name)]
        out = [self.zone[apex][dns.rdatatype.SOA]]
        nsec = self.zone[name].get(dns.rdatatype.NSEC)
        return out + [nsec] if nsec is not None else out

    def dnssec(self, resp, query):
        """Apply --dnssec-mode to a filled NOERROR/NXDOMAIN response."""
        mode = self.current_dnssec_mode()
        if mode == "strip":
            for section in (resp.answer, resp.authority, resp.additional):
                section[:] = [r for r in section if r.rdtype not in DNSSEC_TYPES]
            if not resp.answer and not resp.authority:
                q = query.question[0]
                apex = self.signed_apex(q.name)
                resp.authority.append(
                    self.zone[apex][dns.rdatatype.SOA] if apex is not None
                    else self.soa(q.name))
            return
        if mode == "tamper":
            ip = self.args.tamper_a
            resp.answer[:] = [
                dns.rrset.from_text(r.name, r.ttl, "IN", "A", ip)
                if r.rdtype == dns.rdatatype.A else r for r in resp.answer]
        if not query.ednsflags & dns.flags.DO or not self.sigs:
            return
        resp.ednsflags |= dns.flags.DO
        for section in (resp.answer, resp.authority):
            out = []
            for rrset in section:
                out.append(rrset)
                sig = self.sigs.get((rrset.name, rrset.rdtype))
                if sig is not None and rrset.rdtype != dns.rdatatype.RRSIG:
                    out.append(sig)
            section[:] = out


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
        if out is None or self.transport.is_closing():
            return
        mode = self.server.current_mode()
        if mode.startswith("from:"):
            self.server.send_from(mode, out, addr)
        else:
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

    pidfile.write(args.pidfile)

    await stop.wait()
    transport.close()
    tcp.close()
    if tls:
        tls.close()
    pidfile.remove(args.pidfile)


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
    p.add_argument("--control-file", help="first word overrides --mode; "
                   "a word dnssec:MODE overrides --dnssec-mode")
    p.add_argument("--signed-zone", action="append", metavar="FILE",
                   help="signed zone (ldns-signzone output); RRSIGs go "
                   "to DO queries; repeatable, later files win per rrset")
    p.add_argument("--dnssec-mode", choices=DNSSEC_MODES, default="normal",
                   help="strip: never send DNSSEC records; tamper: change "
                   "A data, keep the RRSIGs")
    p.add_argument("--tamper-a", default="198.51.100.66",
                   help="A data sent by --dnssec-mode tamper")
    p.add_argument("--tls-port", type=int, help="also serve DNS over TLS here")
    p.add_argument("--tls-cert", help="certificate chain (PEM) for --tls-port")
    p.add_argument("--tls-key", help="private key (PEM) for --tls-port")
    return p.parse_args(argv)


if __name__ == "__main__":
    try:
        asyncio.run(main(parse_args()))
    except OSError as exc:
        sys.exit("fakedns: %s" % exc)

#!/usr/bin/env python3
"""Convert the YAML configuration of the first vpndns to vpndns.conf.

usage: vpndns-migrate.py [options] CONFIG.yaml

Writes vpndns.conf (to stdout, or to -o FILE) and reports on stderr what
was converted with a change of meaning, what could not be converted and
why, and what now belongs in unbound.conf.  Items that can't be converted
are also left as comments in the output.  See docs/migration.md.

Options:
  -o FILE               write vpndns.conf to FILE instead of stdout
  --subdomains          let blocklist entries block the names below them
                        too (vpndns's default); without it the list is
                        marked "exact", as the first vpndns matched
  --unbound-conf FILE   also write a starting unbound.conf for vpndns
  --vpndns-conf-path P  the vpndns-config: path written in that
                        unbound.conf (default: the -o file, made absolute,
                        or /usr/local/etc/unbound/vpndns.conf)
  --local-ttl N         the TTL of the static records and block answers
                        (default 1, what the first vpndns sent from its
                        release of 2024-02-15 on; 86400 before)

Tabs that only precede a comment, end a line or sit on an empty line are
read as blanks, as the first vpndns's YAML reader read most of them; a
file that still can't be read gets an error naming the line and what to
change.

Exit status: 0 when the file was converted, whatever the reports say; 1
when CONFIG.yaml can't be read or is not valid YAML (a mapping); 2 for
usage errors.
"""

import argparse
import ctypes
import ctypes.util
import ipaddress
import os
import re
import sys

PROG = "vpndns-migrate"

# the keys of the first vpndns, in the order they are converted
KNOWN_KEYS = (
    "nameservers", "vpn_jail", "nameserver_default", "nameserver_regex",
    "blocklist_dir", "blocklist_only_a", "client_exemptions",
    "nxdomain_regex", "static_records", "static_records_auto_ptr",
    "static_records_ttl", "ttl_override", "dns_listeners",
    "interface_listen", "print_blocklist_read_progress",
)

# the HTTP API of the first vpndns and the commands that replace it
API_MAP = (
    ("POST /blocklist/add_exception/D", "unbound-control vpndns_allow_add D"),
    ("POST /blocklist/del_exception/D", "unbound-control vpndns_allow_remove D"),
    ("GET /blocklist/list_exceptions", "unbound-control vpndns_allow_list"),
    ("POST /blocklist/reload", "unbound-control vpndns_blocklist_reload"),
    ("POST /static_records/reload", "unbound-control vpndns_static_reload"),
    ("GET /cache/list, GET /cache/show",
     "unbound-control vpndns_dump_cache VIEW (caches are per view now)"),
    ("POST /cache/del/TYPEDOMAIN",
     "unbound-control vpndns_flush_name VIEW DOMAIN"),
    ("POST /cache/flush",
     "unbound-control vpndns_flush VIEW (one view), or reload (all)"),
)

# The TTL of the answers the first vpndns made itself: static A and PTR
# records (vpndns.pl, static_records::load) and the 127.0.0.1 of a blocked
# A query (server::dns_query).  1 from its release of 2024-02-15 on, 86400
# in the releases before.
LOCAL_TTL = 1
OLD_LOCAL_TTL = 86400

LABEL = r"[A-Za-z0-9_-]+"


class Converter:
    """Builds vpndns.conf lines and the reports from the YAML data."""

    def __init__(self, data, source, subdomains, local_ttl=LOCAL_TTL,
                 untabbed=()):
        self.data = data
        self.source = source
        self.subdomains = subdomains
        self.local_ttl = local_ttl
        self.untabbed = list(untabbed)  # lines whose tabs were made blanks
        self.ttl_noted = False
        self.lines = []
        self.reports = []       # (kind, text)
        self.unbound = []       # lines for the server: clause
        self.listeners = []
        self.netblocks = []     # (network, written, key, servers or None
                                # for a reflect rule) of client rules
        self.jails = []         # (network, written) of vpn_jail
        self.servers = []       # ip_address of every forwarder
        self.counts = {"converted": 0, "note": 0, "not converted": 0}

    # -- reporting --------------------------------------------------------

    def report(self, kind, text):
        self.reports.append((kind, text))
        if kind in self.counts:
            self.counts[kind] += 1

    def note(self, text):
        self.report("note", text)

    def skip(self, text):
        """Not converted: reported, and kept as a comment in the output."""
        self.report("not converted", text)
        self.lines.append("# NOT CONVERTED: " + one_line(text))

    def emit(self, line):
        self.lines.append(line)
        self.counts["converted"] += 1

    def comment(self, text):
        for line in text.splitlines():
            self.lines.append(("# " + line).rstrip())

    # -- values -----------------------------------------------------------

    def server(self, key, value):
        """A nameserver value as vpndns server words, or None (reported)."""
        values = value if isinstance(value, list) else [value]
        out = []
        for v in values:
            text = str(v).strip()
            m = re.fullmatch(r"(\d+\.\d+\.\d+\.\d+)[:@#](\d+)", text)
            addr, port = (m.group(1), int(m.group(2))) if m else (text, None)
            try:
                ip = ipaddress.ip_address(addr)
            except ValueError:
                self.skip("%s: nameserver '%s' is not an IP address" % (key, v))
                return None
            if port is not None and not 1 <= port <= 65535:
                self.skip("%s: nameserver '%s' has an invalid port" % (key, v))
                return None
            self.servers.append(ip)
            out.append("%s@%d" % (ip, port) if port else str(ip))
        if not out:
            self.skip("%s: no nameserver given" % key)
            return None
        return " ".join(out)

    def netblock(self, key, value):
        """A client netblock as written, or None (reported)."""
        text = str(value).strip()
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError:
            self.skip("%s: '%s' is not a netblock" % (key, value))
            return None, None
        return net, text

    def claim(self, key, net, text, servers=None):
        """Record a client rule (servers None: a reflect rule); False when
        its netblock is taken."""
        for other, otext, okey, _ in self.netblocks:
            if other == net:
                self.skip("%s: netblock %s is already mapped by %s (%s); "
                          "vpndns allows one rule per netblock, keeping the "
                          "%s one" % (key, text, okey, otext, okey))
                return False
        for other, otext, okey, osrv in self.netblocks:
            if other.version != net.version or not (
                    net.subnet_of(other) or other.subnet_of(net)):
                continue
            if net.subnet_of(other):
                inner, outer = (text, key, servers), (otext, okey, osrv)
            else:
                inner, outer = (otext, okey, osrv), (text, key, servers)
            if outer[2] is None or (inner[2] is None and
                                    inner[1] != "vpn_jail"):
                # inside a vpn_jail netblock: reflected either way; or a
                # nameservers netblock written as reflect:, noted already
                continue
            if inner[2] is None:
                self.note("%s %s is inside %s %s: vpndns picks the longest "
                          "matching prefix, so %s's clients are reflected, "
                          "as in the first vpndns (it checked vpn_jail "
                          "before nameservers)" % (inner[1], inner[0],
                                                   outer[1], outer[0],
                                                   inner[0]))
            elif inner[2] == outer[2]:
                self.note("nameservers: %s is inside %s; both go to %s, so "
                          "the overlap changes nothing" %
                          (inner[0], outer[0], inner[2]))
            else:
                self.note("nameservers: %s (%s) is inside %s (%s): for the "
                          "clients of %s the first vpndns's choice was "
                          "arbitrary (it tried the netblocks in Perl hash "
                          "order and the last match won, an order that can "
                          "change from one start to the next); vpndns picks "
                          "the longest matching prefix, so they go to %s" %
                          (inner[0], inner[2], outer[0], outer[2], inner[0],
                           inner[2]))
        self.netblocks.append((net, text, key, servers))
        return True

    def jail_of(self, net):
        """The vpn_jail netblock that holds net, or None."""
        for jail, jtext in self.jails:
            if jail.version == net.version and net.subnet_of(jail):
                return jail, jtext
        return None

    def local_ttl_note(self):
        if self.ttl_noted:
            return
        self.ttl_noted = True
        if self.local_ttl == LOCAL_TTL:
            self.note("static-ttl: %d, block-ttl: %d: the TTL the first "
                      "vpndns put on the answers it made itself (static "
                      "records, the 127.0.0.1 of a blocked A query) from "
                      "its release of 2024-02-15 on; releases before sent "
                      "%d: convert with --local-ttl %d for those" %
                      (LOCAL_TTL, LOCAL_TTL, OLD_LOCAL_TTL, OLD_LOCAL_TTL))
        else:
            self.note("static-ttl: %d, block-ttl: %d (--local-ttl); the "
                      "first vpndns sent %d from its release of 2024-02-15 "
                      "on, %d before" % (self.local_ttl, self.local_ttl,
                                         LOCAL_TTL, OLD_LOCAL_TTL))

    # -- the keys ---------------------------------------------------------

    def convert(self):
        d = self.data
        self.comment("vpndns.conf converted from %s by %s.\n"
                     "Check it with unbound-checkconf before use; see "
                     "docs/migration.md." % (self.source, PROG))
        self.lines.append("")
        if self.untabbed:
            self.note("line%s %s: tabs before a comment, at the end of a "
                      "line or between items were read as blanks (YAML "
                      "allows only spaces there)" % (
                          "s" if len(self.untabbed) > 1 else "",
                          ", ".join(str(n) for n in self.untabbed)))
        self.comment("--- Forwarding " + "-" * 58)
        self.jails = jail_list(d.get("vpn_jail"))
        self.nameservers(d.get("nameservers"))
        self.vpn_jail(d.get("vpn_jail"))
        self.default(d)
        self.nameserver_regex(d.get("nameserver_regex"))
        self.lines.append("")
        self.comment("--- Policy " + "-" * 62)
        self.blocklist(d)
        self.exemptions(d.get("client_exemptions"))
        self.nxdomain(d.get("nxdomain_regex"))
        self.static(d)
        self.ttl_override(d.get("ttl_override"))
        self.listeners_(d.get("dns_listeners"))
        self.interface_listen(d)
        progress = d.get("print_blocklist_read_progress")
        if progress is not None or d.get("blocklist_dir") is not None:
            self.report("no equivalent", "print_blocklist_read_progress%s: "
                        "vpndns has no progress output; Unbound logs one "
                        "summary line per list load at verbosity 1 or more "
                        "(\"vpndns: blocklists: N names, ...\"), and "
                        "unbound-control vpndns_status shows blocklist_names"
                        % (" is not set (the first vpndns's default was "
                           "true: a dot for every 1000 entries read)"
                           if progress is None else ""))
        for key in d:
            if key not in KNOWN_KEYS:
                self.report("unknown key", "%s: not a key of the first vpndns "
                            "that this converter knows; not converted" % key)
                self.lines.append("# NOT CONVERTED: unknown key %s" % key)
        while self.lines and self.lines[-1] == "":
            self.lines.pop()
        return "\n".join(self.lines) + "\n"

    def nameservers(self, ns):
        if ns is None:
            return
        if not isinstance(ns, dict):
            self.skip("nameservers: expected a mapping of netblock to "
                      "nameserver, got %s" % type(ns).__name__)
            return
        self.comment("nameservers: each client netblock forwards to its "
                     "nameserver.")
        for nb, server in ns.items():
            net, text = self.netblock("nameservers", nb)
            if net is None:
                continue
            srv = self.server("nameservers %s" % text, server)
            if srv is None:
                continue
            jail = self.jail_of(net)
            if jail is None:
                if self.claim("nameservers", net, text, srv):
                    self.emit("forward: %s %s" % (text, srv))
                continue
            # The first vpndns checked vpn_jail before nameservers: these
            # clients were reflected and this rule was never used.
            if jail[0] == net:
                self.note("nameservers: %s -> %s is also in vpn_jail; the "
                          "first vpndns checked vpn_jail first and reflected "
                          "these clients, never sending them to %s: only "
                          "the vpn_jail rule is written" % (text, srv, srv))
                self.lines.append("# nameservers %s -> %s: left out, the "
                                  "vpn_jail rule below reflects these "
                                  "clients" % (text, srv))
                continue
            if not self.claim("nameservers", net, text):
                continue
            self.note("nameservers: %s -> %s is inside vpn_jail %s; the "
                      "first vpndns checked vpn_jail first and reflected "
                      "these clients, never sending them to %s; in vpndns "
                      "the longer prefix would win, so it is written as "
                      "reflect: %s 53" % (text, srv, jail[1], srv, text))
            self.comment("nameservers %s -> %s: inside vpn_jail %s;\n"
                         "the first version reflected these clients, and so "
                         "does this rule." % (text, srv, jail[1]))
            self.emit("reflect: %s 53" % text)

    def vpn_jail(self, jails):
        if jails is None:
            return
        if isinstance(jails, (str, int)):
            jails = [jails]
        if not isinstance(jails, list):
            self.skip("vpn_jail: expected a list of netblocks")
            return
        self.comment("vpn_jail: each client's queries go back to the "
                     "address they came from, port 53.")
        for nb in jails:
            net, text = self.netblock("vpn_jail", nb)
            if net is None or not self.claim("vpn_jail", net, text):
                continue
            self.emit("reflect: %s 53" % text)

    def default(self, d):
        if "nameserver_default" not in d or d["nameserver_default"] in (None, ""):
            self.note("nameserver_default is not set: clients matching no "
                      "netblock get REFUSED (default: refuse)")
            self.lines.append("default: refuse")
            return
        srv = self.server("nameserver_default", d["nameserver_default"])
        if srv is None:
            return
        self.comment("nameserver_default: clients matching nothing above.")
        self.emit("default: %s" % srv)

    def nameserver_regex(self, rx):
        if rx is None:
            return
        if not isinstance(rx, dict):
            self.skip("nameserver_regex: expected a mapping of regex to "
                      "nameserver")
            return
        self.comment("nameserver_regex: names under these domains go to "
                     "these servers, in every view,\n"
                     "reflect views included: the first version's regexes "
                     "overrode the netblocks\n"
                     "and vpn_jail too.  Of several matching patterns it "
                     "used an arbitrary one\n"
                     "(Perl hash order); vpndns uses the deepest domain.")
        seen = []   # (domain, pattern, servers)
        for pattern, server in rx.items():
            pattern = str(pattern)
            domain, notes = regex_to_domain(pattern)
            if domain is None:
                self.skip("nameserver_regex '%s': %s; add a domain-forward: "
                          "line by hand if a domain suffix is meant" %
                          (pattern, notes))
                continue
            srv = self.server("nameserver_regex '%s'" % pattern, server)
            if srv is None:
                continue
            dup = [(p, s) for dom, p, s in seen if dom == domain]
            if dup and dup[0][1] == srv:
                self.note("nameserver_regex '%s': same domain %s and server "
                          "as the earlier pattern '%s'; written once" %
                          (pattern, domain, dup[0][0]))
                continue
            if dup:
                self.skip("nameserver_regex '%s': same domain %s as the "
                          "earlier pattern '%s' (%s); the first vpndns used "
                          "either for these names, in Perl hash order, which "
                          "can change from one start to the next; vpndns "
                          "forwards a domain to one list of servers: kept "
                          "the earlier pattern, %s -> %s" %
                          (pattern, domain, dup[0][0], dup[0][1], domain,
                           dup[0][1]))
                continue
            for dom, p, s in seen:
                if s == srv:
                    continue
                if domain.endswith("." + dom):
                    deep, shallow = (domain, pattern, srv), (dom, p, s)
                elif dom.endswith("." + domain):
                    deep, shallow = (dom, p, s), (domain, pattern, srv)
                else:
                    continue
                self.note("nameserver_regex '%s': %s is below %s of the "
                          "pattern '%s'; names under %s matched both, and "
                          "the first vpndns sent them by either (Perl hash "
                          "order, which can change from one start to the "
                          "next); vpndns sends them by the deeper domain, "
                          "to %s" % (deep[1], deep[0], shallow[0],
                                     shallow[1], deep[0], deep[2]))
            seen.append((domain, pattern, srv))
            if notes:
                self.note("nameserver_regex '%s' -> domain-forward: %s: %s" %
                          (pattern, domain, "; ".join(notes)))
            self.emit("domain-forward: %s %s" % (domain, srv))

    def blocklist(self, d):
        path = d.get("blocklist_dir")
        if path is not None:
            word = conf_word(str(path))
            if word is None:
                self.skip("blocklist_dir '%s': a path with a double quote "
                          "can't be written in vpndns.conf" % path)
            elif self.subdomains:
                self.comment("blocklist_dir: every file below it, one domain "
                             "per line.  Each entry also blocks the\n"
                             "names below it (--subdomains); the first "
                             "version blocked only the names listed.")
                self.emit("blocklist: %s" % word)
            else:
                self.comment("blocklist_dir: every file below it, one domain "
                             "per line.  \"exact\" keeps the first\n"
                             "version's matching: an entry blocks that name "
                             "only, not the names below it.\n"
                             "Drop \"exact\" (or convert with --subdomains) "
                             "to block whole domains, vpndns's default.")
                self.emit("blocklist: %s exact" % word)
        only_a = d.get("blocklist_only_a")
        if path is None and only_a is None:
            return
        if only_a is None:
            self.note("blocklist_only_a is not set: the first vpndns's "
                      "default was true, so blocked A queries got 127.0.0.1 "
                      "and other types an empty answer (NOERROR, no "
                      "records): written as block-action: ip 127.0.0.1")
        elif perl_true(only_a):
            self.note("blocklist_only_a: %s -> block-action: ip 127.0.0.1: "
                      "A gets 127.0.0.1, AAAA and other types get NODATA "
                      "(NOERROR without records), as in the first version; "
                      "block answers now carry EDE 15 with ede: yes" %
                      yaml_text(only_a))
        else:
            self.note("blocklist_only_a: %s: the first vpndns answered a "
                      "blocked query of any type with the A record "
                      "127.0.0.1, also to AAAA, MX and other questions, "
                      "which vpndns doesn't send; written as block-action: "
                      "ip 127.0.0.1: A gets 127.0.0.1 as before, other types "
                      "NOERROR without records" % yaml_text(only_a))
        self.comment("blocklist_only_a: blocked A queries get 127.0.0.1; "
                     "AAAA and every other type get an\n"
                     "empty answer (NOERROR, no records), as before.")
        self.emit("block-action: ip 127.0.0.1")
        self.comment("The TTL of that 127.0.0.1, as the first version sent "
                     "it.")
        self.emit("block-ttl: %d" % self.local_ttl)
        self.local_ttl_note()

    def exemptions(self, ex):
        if ex is None:
            return
        if isinstance(ex, (str, int)):
            ex = [ex]
        if not isinstance(ex, list):
            self.skip("client_exemptions: expected a list of addresses")
            return
        self.comment("client_exemptions: these clients are never blocked.")
        seen = set()
        for e in ex:
            net, text = self.netblock("client_exemptions", e)
            if net is None:
                continue
            if net in seen:
                self.note("client_exemptions: %s is listed twice; written "
                          "once" % text)
                continue
            seen.add(net)
            self.emit("exempt: %s" % text)

    def nxdomain(self, rx):
        if rx is None:
            return
        if isinstance(rx, str):
            rx = [rx]
        if not isinstance(rx, list):
            self.skip("nxdomain_regex: expected a list of regexes")
            return
        self.comment("nxdomain_regex: names matching these are answered "
                     "NXDOMAIN (POSIX extended regexes,\n"
                     "matched without case).")
        for pattern in rx:
            pattern = str(pattern)
            ere, why = perl_to_ere(pattern)
            if ere is None:
                self.skip("nxdomain_regex '%s': %s" % (pattern, why))
                continue
            bad = regcomp_error(ere)
            if bad:
                self.skip("nxdomain_regex '%s': not a valid POSIX extended "
                          "regex: %s" % (pattern, bad))
                continue
            if '"' in ere:
                if re.search(r"[\s]", ere) or ere.startswith("#"):
                    self.skip("nxdomain_regex '%s': holds both a double quote "
                              "and a space or leading '#', which vpndns.conf "
                              "can't write" % pattern)
                    continue
                line = "nxdomain-regex: %s" % ere
            else:
                line = 'nxdomain-regex: "%s"' % ere
            if ere != pattern:
                self.note("nxdomain_regex '%s' written as '%s' (POSIX extended "
                          "syntax)" % (pattern, ere))
            self.emit(line)

    def static(self, d):
        path = d.get("static_records")
        if path is not None:
            word = conf_word(str(path))
            if word is None:
                self.skip("static_records '%s': a path with a double quote "
                          "can't be written in vpndns.conf" % path)
            else:
                self.comment("static_records: \"name address\" lines, "
                             "answered before any blocking.")
                self.emit("static-records: %s" % word)
        ptr = d.get("static_records_auto_ptr")
        ptr_on = ptr is None or perl_num(ptr) == 1
        if ptr is None:
            if path is not None:
                self.note("static_records_auto_ptr is not set: the first "
                          "vpndns's default was true (PTR records made): "
                          "written as static-ptr: yes")
                self.emit("static-ptr: yes")
        else:
            if not isinstance(ptr, bool) and ptr not in (0, 1):
                self.note("static_records_auto_ptr: %s: the first vpndns "
                          "made PTR records only when the value was 1 or "
                          "true: written as static-ptr: %s" %
                          (yaml_text(ptr), "yes" if ptr_on else "no"))
            self.emit("static-ptr: %s" % ("yes" if ptr_on else "no"))
        ttl = d.get("static_records_ttl")
        if path is None and ttl is None:
            return
        if ttl is not None:
            self.note("static_records_ttl: %s: the first vpndns read this "
                      "key but never used it; its static records had TTL %d "
                      "whatever it said: written as static-ttl: %d%s" % (
                          yaml_text(ttl), LOCAL_TTL, self.local_ttl,
                          "" if perl_num(ttl) == self.local_ttl or
                          not is_ttl(ttl) else
                          " (set static-ttl: %d for the TTL written in the "
                          "file)" % ttl))
        if path is not None and ptr_on:
            self.note("static PTR records: Unbound's default local zones "
                      "answer the reverse names of private and special "
                      "addresses (10/8, 172.16/12, 192.168/16, 100.64/10, "
                      "169.254/16, the documentation networks) before "
                      "vpndns; for a static address there, add "
                      "local-zone: \"ZONE.in-addr.arpa.\" nodefault to "
                      "unbound.conf (docs/blocklist.md, section 8.3)")
        self.comment("The TTL the first version sent on its static "
                     "records (static_records_ttl was\nnever used).")
        self.emit("static-ttl: %d" % self.local_ttl)
        self.local_ttl_note()

    def ttl_override(self, t):
        if t is None:
            return
        if not isinstance(t, dict):
            self.skip("ttl_override: expected a mapping of domain to TTL")
            return
        self.comment("ttl_override: answers at or below these domains are "
                     "sent with this TTL.")
        first = True
        for dom, ttl in t.items():
            dom = str(dom).strip()
            name = dom.replace("\\.", ".").rstrip(".")
            if not re.fullmatch(r"%s(\.%s)*" % (LABEL, LABEL), name):
                self.skip("ttl_override '%s': not a domain name (the first "
                          "version used it as a regex)" % dom)
                continue
            if not isinstance(ttl, int) or isinstance(ttl, bool) or \
                    not 0 <= ttl <= 2147483647:
                self.skip("ttl_override %s: '%s' is not a TTL" % (dom, ttl))
                continue
            if first:
                self.note("ttl_override: the first version matched each key "
                          "as the regex /DOMAIN$/, which also took names "
                          "that merely end in the text (xinternal.example); "
                          "vpndns takes the domain and the names below it")
                first = False
            self.emit("ttl-override: %s %d" % (name, ttl))

    def listeners_(self, ls):
        if ls is None:
            return
        pairs = []
        if isinstance(ls, list):
            for item in ls:
                if isinstance(item, list) and len(item) == 2:
                    pairs.append((str(item[0]), item[1]))
                elif isinstance(item, (str, int)):
                    pairs.append((str(item), 53))
                else:
                    pairs = None
                    break
        if not pairs:
            self.skip("dns_listeners: expected a list of [address, port]")
            return
        for addr, port in pairs:
            try:
                ip = ipaddress.ip_address(addr)
                port = int(port)
            except (ValueError, TypeError):
                self.skip("dns_listeners: [%s, %s] is not an address and "
                          "port" % (addr, port))
                continue
            self.listeners.append("interface: %s@%d" % (ip, port))
        if self.listeners:
            self.report("unbound.conf", "dns_listeners: Unbound listens; put "
                        "these lines in the server: clause of unbound.conf:\n"
                        + "\n".join("\t" + x for x in self.listeners))

    def interface_listen(self, d):
        if "interface_listen" not in d:
            return
        text = ("interface_listen: the HTTP control API is replaced by "
                "unbound-control; enable remote-control: in unbound.conf. "
                "The calls map to:\n" +
                "\n".join("\t%-34s -> %s" % pair for pair in API_MAP) +
                "\n\tChanges made with vpndns_allow_add last until "
                "vpndns_reload or a restart; add allow: lines to "
                "vpndns.conf to keep them.")
        self.report("replaced", text)

    # -- unbound.conf -------------------------------------------------------

    def unbound_conf(self, vpndns_path):
        out = ["# unbound.conf for vpndns, written by %s from %s." %
               (PROG, self.source),
               "# A starting point: check the addresses, then run "
               "unbound-checkconf.",
               "server:"]
        if self.listeners:
            out += ["\t" + x for x in self.listeners]
        else:
            out += ["\t# no dns_listeners: set the listening address",
                    "\tinterface: 127.0.0.1@53"]
        out.append("\t# Unbound answers only the clients it allows; the "
                   "first vpndns answered")
        out.append("\t# whoever reached it.")
        for net, text, key, _ in self.netblocks:
            out.append("\taccess-control: %s allow\t# %s" % (net, key))
        if self.data.get("nameserver_default"):
            out.append("\t# nameserver_default served every other client; "
                       "allow their netblocks too, e.g.:")
            out.append("\t#access-control: 10.0.0.0/8 allow")
        if any(ip.is_loopback for ip in self.servers):
            out.append("\t# a nameserver is on a loopback address")
            out.append("\tdo-not-query-localhost: no")
        out += ["\tusername: \"unbound\"",
                "\tdirectory: \"%s\"" % (os.path.dirname(vpndns_path) or "."),
                "\tpidfile: \"/var/run/vpndns.pid\"",
                "\t# a chroot may be set; vpndns.conf and the lists must "
                "then be inside it",
                "\tchroot: \"\"",
                "\tmodule-config: \"vpndns iterator\"",
                "\tvpndns-config: \"%s\"" % vpndns_path,
                "\tede: yes",
                "remote-control:",
                "\t# replaces the HTTP API (interface_listen)",
                "\tcontrol-enable: yes",
                "\tcontrol-interface: /var/run/vpndns.ctl",
                ""]
        return "\n".join(out)


def jail_list(jails):
    """The valid netblocks of vpn_jail, [(network, written)]; the invalid
    ones are reported when vpn_jail is converted."""
    if isinstance(jails, (str, int)):
        jails = [jails]
    out = []
    for nb in jails if isinstance(jails, list) else ():
        try:
            out.append((ipaddress.ip_network(str(nb).strip(), strict=False),
                        str(nb).strip()))
        except ValueError:
            pass
    return out


def perl_num(v):
    """The number Perl makes of a value read by YAML::XS."""
    if v is None:
        return 0
    if isinstance(v, (bool, int, float)):
        return v + 0
    m = re.match(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)", str(v))
    return float(m.group(1)) if m else 0


def perl_true(v):
    """Perl's truth of a value read by YAML::XS."""
    if v is None or isinstance(v, (bool, int, float)):
        return bool(v)
    return str(v) not in ("", "0")


def is_ttl(v):
    return isinstance(v, int) and not isinstance(v, bool) and \
        0 <= v <= 2147483647


def yaml_text(v):
    """A value as the YAML file wrote it (booleans lower case)."""
    return str(v).lower() if isinstance(v, bool) else str(v)


def first_loader(yaml):
    """PyYAML's safe loader with the booleans of YAML::XS, which the first
    vpndns read its file with: true and false only; yes, no, on, off and
    True are text (and in Perl, "no" is true)."""
    tag = "tag:yaml.org,2002:bool"

    class FirstLoader(yaml.SafeLoader):
        pass
    base = yaml.SafeLoader.yaml_implicit_resolvers
    FirstLoader.yaml_implicit_resolvers = {
        first: [r for r in resolvers if r[0] != tag]
        for first, resolvers in base.items()}
    FirstLoader.add_implicit_resolver(tag, re.compile(r"^(?:true|false)$"),
                                      list("tf"))
    return FirstLoader


def one_line(text):
    return " ".join(text.split())


def conf_word(text):
    """A vpndns.conf argument for text (quoted when needed), or None."""
    if '"' in text:
        return None
    if re.search(r"\s", text) or text.startswith("#") or text == "":
        return '"%s"' % text
    return text


def regex_to_domain(pattern):
    """Read a domain-suffix regex.

    Returns (domain, notes) when the pattern matches a domain and names
    below it, possibly with differences listed in notes; or (None, reason).
    """
    p = pattern.strip()
    dom_re = r"((?:%s|\\\.|\.)+?)" % LABEL

    def domain_of(text):
        # '\.' is a dot; a bare '.' matched any character, read as a dot
        loose = re.search(r"(?<!\\)\.", text) is not None
        name = text.replace("\\.", ".")
        lead = name.startswith(".")
        name = name.strip(".")
        if not re.fullmatch(r"%s(\.%s)*" % (LABEL, LABEL), name):
            return None, None, None
        return name.lower(), loose, lead

    # forms that match the domain and the names below it exactly
    for form in (r"\(\^\|\\\.\)%s\$" % dom_re, r"\^\(\.\*\\\.\)\?%s\$" % dom_re):
        m = re.fullmatch(r"\^?" + form if form.startswith(r"\(") else form, p)
        if m:
            name, loose, _ = domain_of(m.group(1))
            if name is None:
                break
            notes = []
            if loose:
                notes.append("an unescaped '.' matched any character; read "
                             "as a dot")
            return name, notes
    if not p.endswith("$") or p.endswith("\\$"):
        return None, "not a domain suffix: not anchored at the end with '$'"
    m = re.fullmatch(r"(\^)?(\.[*+])?%s\$" % dom_re, p)
    if not m:
        meta = sorted(set(re.findall(r"[\[\](){}|?*+^]", p[:-1].lstrip("^"))))
        return None, ("not a domain suffix: uses regex syntax (%s) beyond "
                      "'.+DOMAIN$'" % " ".join(meta) if meta else
                      "not a domain suffix")
    anchored, wild, text = m.group(1), m.group(2), m.group(3)
    name, loose, lead = domain_of(text)
    if name is None:
        return None, "not a domain suffix: '%s' is not a domain name" % text
    if anchored and not wild:
        return None, ("matches the single name %s only; domain-forward: %s "
                      "would also take the names below it" % (name, name))
    notes = []
    if lead:
        notes.append("now also takes %s itself" % name)
    else:
        if wild == ".+":
            notes.append("now also takes %s itself" % name)
        notes.append("no longer takes names that merely end in the text, "
                     "such as x%s" % name)
    if loose:
        notes.append("an unescaped '.' matched any character; read as a dot")
    return name, notes


def untab(text):
    """Make the tabs that the first vpndns's YAML reader let pass readable.

    A line holding only blanks, or blanks and a comment, becomes empty.
    Outside quotes and after the indentation, a tab in the blanks before a
    comment, at the end of a line, or after ':', ',', a bracket, a brace
    or a closing quote becomes a space: libyaml (and so the first
    vpndns's YAML::XS) reads tabs there as blanks, PyYAML refuses them.
    Tabs in the indentation or between two words of a value are left for
    the parser to report.  Quoted and block scalars ('|', '>') keep their
    text.  The number of lines doesn't change, so the parser's line
    numbers are the file's.

    Returns (text, numbers of the lines changed).
    """
    out, changed = [], []
    quote = None        # the open quote of a scalar that goes on
    block = None        # indentation of the line that opened a block scalar
    for n, line in enumerate(text.split("\n"), 1):
        body = line.rstrip("\r")
        end = line[len(body):]
        indent = len(body) - len(body.lstrip(" \t"))
        blank = body.strip(" \t") == ""
        if block is not None:
            if blank or indent > block:
                out.append(line)
                continue
            block = None
        if quote is None and (blank or body.lstrip(" \t").startswith("#")):
            new, opens = ("" if "\t" in body else body), False
        else:
            new, quote, opens = scan_line(body, quote)
        if opens:
            block = indent
        if new != body:
            changed.append(n)
        out.append(new + end)
    return "\n".join(out), changed


def scan_line(body, quote):
    """One line outside block scalars: (the line with its separating tabs
    made spaces, the quote still open at its end, whether it opens a block
    scalar)."""
    out = []
    i, n = 0, len(body)
    if quote is None:
        i = len(body) - len(body.lstrip(" \t"))
        out.append(body[:i])
    content = ""
    while i < n:
        c = body[i]
        if quote is not None:
            if quote == "'" and c == "'":
                if body.startswith("''", i):
                    out.append(c)
                    i += 1
                else:
                    quote = None
            elif quote == '"' and c == "\\" and i + 1 < n:
                out.append(c)
                i += 1
                c = body[i]
            elif quote == '"' and c == '"':
                quote = None
            out.append(c)
            i += 1
            continue
        if c in " \t":
            j = i
            while j < n and body[j] in " \t":
                j += 1
            run = body[i:j]
            before = body[i - 1] if i else ""
            if j == n or body[j] == "#" or before in ":,[]{}'\"":
                run = run.replace("\t", " ")
            out.append(run)
            if j < n and body[j] == "#":
                content = "".join(out)
                out.append(body[j:])
                i = n
                break
            i = j
            continue
        if c in "'\"" and (i == 0 or body[i - 1] in " \t[{,:-?"):
            quote = c
        out.append(c)
        i += 1
    line = "".join(out)
    if not content:
        content = line
    opens = quote is None and re.search(r"(^|[\s:-])[|>][-+0-9]*\s*$",
                                        content) is not None
    return line, quote, opens


def yaml_error(path, text, exc):
    """The message for a file the YAML parser rejects: where, what, and
    what to change."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or one_line(str(exc))
    if mark is None:
        return "%s: %s is not valid YAML: %s" % (PROG, path, problem)
    lines = text.split("\n")
    line = lines[mark.line].rstrip("\r") if mark.line < len(lines) else ""
    where = "%s:%d:%d" % (path, mark.line + 1, mark.column + 1)
    msg = ["%s: %s: not valid YAML: %s" % (PROG, where, problem),
           "  line %d: %s" % (mark.line + 1,
                             line.replace("\t", "<TAB>"))]
    at = line[mark.column:mark.column + 1]
    if at == "\t" or "'\\t'" in problem:
        if line[:mark.column].strip(" \t") == "":
            msg.append("  change: indent line %d with spaces only; YAML "
                       "doesn't allow a tab in the indentation"
                       % (mark.line + 1))
        else:
            msg.append("  change: replace the tab at line %d, column %d "
                       "with a space" % (mark.line + 1, mark.column + 1))
    else:
        ctx = getattr(exc, "context", None)
        msg.append("  change: correct the YAML at line %d%s" %
                   (mark.line + 1, " (%s)" % ctx if ctx else ""))
    return "\n".join(msg)


def perl_to_ere(pattern):
    """Rewrite a Perl regex as a POSIX extended one: (ere, None) or
    (None, reason)."""
    out = []
    i, n = 0, len(pattern)
    in_bracket = False
    classes_out = {"d": "[0-9]", "w": "[A-Za-z0-9_]", "s": "[[:space:]]",
                   "D": "[^0-9]", "W": "[^A-Za-z0-9_]", "S": "[^[:space:]]"}
    classes_in = {"d": "0-9", "w": "A-Za-z0-9_", "s": "[:space:]"}
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                return None, "ends with a lone backslash"
            e = pattern[i + 1]
            i += 2
            if in_bracket:
                if e in classes_in:
                    out.append(classes_in[e])
                elif e in ".-/\\":
                    # a backslash is literal inside a POSIX bracket
                    if e == "-":
                        return None, ("'\\-' inside [...] has no POSIX "
                                      "form; put '-' first or last")
                    out.append(e)
                else:
                    return None, "'\\%s' inside [...] has no POSIX form" % e
            elif e in classes_out:
                out.append(classes_out[e])
            elif e == "/":
                out.append("/")
            elif e in ".^$|()[]{}*+?\\-":
                out.append("\\" + e if e != "-" else "-")
            elif e.isdigit():
                return None, "back-references have no POSIX extended form"
            else:
                return None, "'\\%s' has no POSIX extended form" % e
            continue
        if in_bracket:
            if c == "]" and out[-1] not in ("[", "[^"):
                in_bracket = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_bracket = True
            if pattern.startswith("[^", i):
                out.append("[^")
                i += 2
            else:
                out.append("[")
                i += 1
            if i < n and pattern[i] == "]":
                out.append("]")
                i += 1
            continue
        if c == "(" and pattern.startswith("(?", i):
            if pattern.startswith("(?:", i):
                out.append("(")
                i += 3
                continue
            if pattern.startswith("(?i)", i):
                i += 4      # vpndns matches without case anyway
                continue
            return None, "'(?...' (look-around or flags) has no POSIX form"
        if c in "*+?}" and i + 1 < n and pattern[i + 1] == "?":
            # a lazy quantifier matches the same names as a greedy one
            out.append(c)
            i += 2
            continue
        if c in "*+?}" and i + 1 < n and pattern[i + 1] == "+":
            return None, "possessive quantifiers have no POSIX form"
        out.append(c)
        i += 1
    if in_bracket:
        return None, "unterminated [...]"
    return "".join(out), None


_libc = None


def regcomp_error(ere):
    """The C library's complaint about ere, or None (also when the C
    library can't be asked)."""
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
            _libc.regerror.restype = ctypes.c_size_t
        buf = ctypes.create_string_buffer(4096)    # larger than regex_t
        rc = _libc.regcomp(buf, ere.encode(), 1 | 2)   # EXTENDED | ICASE
        if rc == 0:
            _libc.regfree(buf)
            return None
        msg = ctypes.create_string_buffer(256)
        _libc.regerror(rc, buf, msg, 256)
        return msg.value.decode(errors="replace") or "error %d" % rc
    except (OSError, AttributeError):
        return None


def print_reports(conv, out=sys.stderr):
    order = ("not converted", "unknown key", "note", "unbound.conf",
             "replaced", "no equivalent")
    for kind in order:
        for k, text in conv.reports:
            if k != kind:
                continue
            lines = text.split("\n")
            print("%s: %s: %s" % (PROG, kind.upper(), lines[0]), file=out)
            for line in lines[1:]:
                print(line, file=out)


def ttl_arg(text):
    """argparse type: a TTL in seconds."""
    if not text.isdigit() or int(text) > 2147483647:
        raise argparse.ArgumentTypeError("'%s' is not a TTL (0 to "
                                         "2147483647)" % text)
    return int(text)


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog=PROG, description="Convert the first vpndns's YAML "
        "configuration to vpndns.conf.")
    ap.add_argument("config", help="the YAML file of the first vpndns")
    ap.add_argument("-o", "--output", help="write vpndns.conf here "
                    "(default: stdout)")
    ap.add_argument("--subdomains", action="store_true",
                    help="blocklist entries also block the names below "
                    "them (no 'exact')")
    ap.add_argument("--unbound-conf", help="also write a starting "
                    "unbound.conf here")
    ap.add_argument("--vpndns-conf-path", help="vpndns-config: path for "
                    "--unbound-conf")
    ap.add_argument("--local-ttl", type=ttl_arg, default=LOCAL_TTL,
                    metavar="N", help="TTL of the static records and block "
                    "answers (default %d, what the first vpndns sent from "
                    "its release of 2024-02-15 on; %d before)" %
                    (LOCAL_TTL, OLD_LOCAL_TTL))
    args = ap.parse_args(argv)

    try:
        import yaml
    except ImportError:
        print("%s: needs PyYAML (Debian: apt-get install python3-yaml; "
              "FreeBSD: pkg install py311-pyyaml)" % PROG, file=sys.stderr)
        return 1
    try:
        with open(args.config, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        print("%s: cannot read %s: %s" % (PROG, args.config, exc.strerror),
              file=sys.stderr)
        return 1
    except UnicodeDecodeError as exc:
        print("%s: %s is not UTF-8 text: %s" % (PROG, args.config, exc),
              file=sys.stderr)
        return 1
    text, untabbed = untab(text)
    try:
        data = yaml.load(text, Loader=first_loader(yaml))
    except yaml.YAMLError as exc:
        print(yaml_error(args.config, text, exc), file=sys.stderr)
        return 1
    if not isinstance(data, dict):
        print("%s: %s is not a YAML mapping of settings" % (PROG, args.config),
              file=sys.stderr)
        return 1

    conv = Converter(data, args.config, args.subdomains, args.local_ttl,
                     untabbed)
    result = conv.convert()
    try:
        if args.output:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(result)
        else:
            sys.stdout.write(result)
        if args.unbound_conf:
            path = args.vpndns_conf_path or (
                os.path.abspath(args.output) if args.output else
                "/usr/local/etc/unbound/vpndns.conf")
            with open(args.unbound_conf, "w", encoding="utf-8") as fh:
                fh.write(conv.unbound_conf(path))
    except OSError as exc:
        print("%s: cannot write %s: %s" % (PROG, exc.filename, exc.strerror),
              file=sys.stderr)
        return 2
    sys.stdout.flush()
    print_reports(conv)
    print("%s: %d lines converted, %d notes, %d not converted%s" % (
        PROG, conv.counts["converted"], conv.counts["note"],
        conv.counts["not converted"],
        "; wrote " + args.output if args.output else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

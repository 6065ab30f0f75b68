#!/usr/bin/env python3
"""Tests of contrib/migrate/vpndns-migrate.py.

Converts the example configuration of the first vpndns (the YAML of
SEED-CONFIG, with its paths moved into a temporary directory), checks the
lines and reports, and runs unbound-checkconf on the result with a
matching unbound.conf, so vpndns's own parser accepts it.  Then: a file
laid out like the first vpndns's sample, with tabs before comments and on
empty lines; the first vpndns's defaults and the TTLs it really sent;
vpn_jail against longer nameservers netblocks, checked against a model of
the first vpndns's choice; domain-suffix regexes, Perl regexes,
--subdomains, conflicts, unknown keys, and the exit status for unreadable
or invalid YAML.

usage: test_migrate.py     (env: UNBOUND_CHECKCONF, VPNDNS_BUILDDIR)
Ends with "N passed, N failed"; exits 1 on any failure.
"""

import ipaddress
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
MIGRATE = os.path.join(SRC, "contrib", "migrate", "vpndns-migrate.py")
BUILD = os.environ.get("VPNDNS_BUILDDIR", SRC)
CHECKCONF = os.environ.get("UNBOUND_CHECKCONF",
                           os.path.join(BUILD, "unbound", "unbound-checkconf"))
PYTHON = sys.executable or "/usr/bin/python3"

# The example of the first vpndns's configuration; @DIR@ is the temp dir.
SEED_YAML = r"""
dns_listeners:                 # list of [address, port] the daemon listened on
  - [ '192.0.2.3', 53 ]
nameservers:                   # client netblock -> nameserver that serves it
  192.0.2.0/24: 198.51.100.10
  203.0.113.8/29: 198.51.100.51
nameserver_default: 192.0.2.254   # for clients matching nothing above
nameserver_regex:              # qname regex -> nameserver; first match wins
  '.+site-a.example$': 192.0.2.254
  '.+vpnprovider.example$': 1.1.1.1
ttl_override:                  # keys are domains (matched as suffix regex /DOMAIN$/) -> TTL
  internal.example: 3600
vpn_jail:                      # netblocks whose queries are sent back to the querying address
  - 198.51.100.48/28
  - 198.51.100.64/28
blocklist_dir: '@DIR@/blocklists/'   # all files below, one domain per line, # comments
blocklist_only_a: true         # blocked A -> 127.0.0.1; other types -> empty answer
print_blocklist_read_progress: true
client_exemptions:             # clients never blocked
  - 192.0.2.77
nxdomain_regex:                # qname regexes answered NXDOMAIN
  - '.+\.(lan|localdomain|home)$'
interface_listen:              # [address, port] of its HTTP control API
  - [ '127.0.0.1', 8080 ]
static_records: '@DIR@/static.txt'   # "name ipv4" per line, served as A
static_records_auto_ptr: true  # also answer the matching PTR
static_records_ttl: 1
"""

# The lines both example files (SEED_YAML and TAB_YAML) convert to.
BOTH_EXPECTED = [
    "forward: 192.0.2.0/24 198.51.100.10",
    "forward: 203.0.113.8/29 198.51.100.51",
    "reflect: 198.51.100.48/28 53",
    "reflect: 198.51.100.64/28 53",
    "default: 192.0.2.254",
    "domain-forward: site-a.example 192.0.2.254",
    "domain-forward: vpnprovider.example 1.1.1.1",
    "blocklist: @DIR@/blocklists/ exact",
    "block-action: ip 127.0.0.1",
    "block-ttl: 1",
    "static-records: @DIR@/static.txt",
    "static-ptr: yes",
    "static-ttl: 1",
]

SEED_EXPECTED = BOTH_EXPECTED + [
    "exempt: 192.0.2.77",
    'nxdomain-regex: ".+\\.(lan|localdomain|home)$"',
    "ttl-override: internal.example 3600",
]

passed = 0
failed = 0


def ok(desc):
    global passed
    passed += 1
    print("ok   - " + desc)


def fail(desc, expected, actual):
    global failed
    failed += 1
    print("FAIL - " + desc)
    print("       expected: " + expected)
    for i, line in enumerate(str(actual).splitlines() or [""]):
        print(("       actual:   " if i == 0 else "                 ") + line)


def check(desc, cond, expected="true", actual=""):
    if cond:
        ok(desc)
    else:
        fail(desc, expected, actual)


def check_exit(desc, p, want):
    """The converter run P exited with status WANT."""
    check("%s: exit status %d" % (desc, want), p.returncode == want,
          str(want), "%d %s" % (p.returncode, p.stderr))


def check_lines(desc, conf, expected, tmp):
    """Every line of EXPECTED (@DIR@ standing for TMP) is a line of CONF."""
    lines = conf.splitlines()
    for want in expected:
        want = want.replace("@DIR@", tmp)
        check("%s: line '%s'" % (desc, want), want in lines, want, conf)


def write(path, text):
    """Write TEXT to PATH; returns PATH."""
    with open(path, "w") as fh:
        fh.write(text)
    return path


def run(args, **kw):
    return subprocess.run([PYTHON, MIGRATE] + args, capture_output=True,
                          text=True, **kw)


def checkconf(ubconf):
    if not os.access(CHECKCONF, os.X_OK):
        return 127, "no unbound-checkconf at %s" % CHECKCONF
    p = subprocess.run([CHECKCONF, ubconf], capture_output=True, text=True)
    return p.returncode, (p.stdout + p.stderr).strip()


def convert_and_check(tmp, name, yaml_text, extra_args=()):
    """Convert yaml_text; write vpndns.conf and unbound.conf in tmp.
    Returns (process, vpndns.conf text, checkconf rc, checkconf output)."""
    ypath = os.path.join(tmp, name + ".yaml")
    out = os.path.join(tmp, name + ".vpndns.conf")
    ub = os.path.join(tmp, name + ".unbound.conf")
    with open(ypath, "w") as fh:
        fh.write(yaml_text.replace("@DIR@", tmp))
    p = run([ypath, "-o", out, "--unbound-conf", ub] + list(extra_args))
    conf = open(out).read() if os.path.exists(out) else ""
    if os.path.exists(ub):
        # the test runs unprivileged of any "unbound" user
        text = open(ub).read().replace('username: "unbound"', 'username: ""')
        with open(ub, "w") as fh:
            fh.write(text)
    rc, msg = checkconf(ub) if os.path.exists(ub) else (1, "no unbound.conf")
    return p, conf, rc, msg


def test_seed(tmp):
    p, conf, rc, msg = convert_and_check(tmp, "seed", SEED_YAML)
    check_exit("seed example", p, 0)
    check_lines("seed example", conf, SEED_EXPECTED, tmp)
    err = p.stderr
    for kind, text in (
            ("note", "NOTE: nameserver_regex '.+site-a.example$' -> "
             "domain-forward: site-a.example"),
            ("note", "NOTE: blocklist_only_a: true -> block-action: ip "
             "127.0.0.1"),
            ("unbound.conf", "UNBOUND.CONF: dns_listeners"),
            ("unbound.conf", "\tinterface: 192.0.2.3@53"),
            ("replaced", "REPLACED: interface_listen"),
            ("replaced", "-> unbound-control vpndns_allow_add D"),
            ("no equivalent", "NO EQUIVALENT: print_blocklist_read_progress"),
            ("summary", "lines converted, ")):
        check("seed example: report %s: %s" % (kind, text.strip()),
              text in err, text, err)
    check("seed example: blocklist comment explains exact",
          "an entry blocks that name only" in conf, "comment", conf)
    check("seed example: nothing reported as not converted",
          "NOT CONVERTED" not in err, "no NOT CONVERTED", err)
    check("seed example: unbound-checkconf accepts the result", rc == 0,
          "exit 0", msg)
    ub = open(os.path.join(tmp, "seed.unbound.conf")).read()
    check("seed example: unbound.conf listens on the dns_listeners",
          "interface: 192.0.2.3@53" in ub, "interface line", ub)
    check("seed example: unbound.conf allows the mapped netblocks",
          "access-control: 198.51.100.48/28 allow" in ub and
          "access-control: 192.0.2.0/24 allow" in ub, "access-control", ub)

    # negative control: checkconf really reads the converted file
    bad = os.path.join(tmp, "seed.vpndns.conf")
    with open(bad, "a") as fh:
        fh.write("frobnicate: 1\n")
    rc, msg = checkconf(os.path.join(tmp, "seed.unbound.conf"))
    check("negative control: checkconf rejects the file with a bad line",
          rc != 0 and "unknown keyword 'frobnicate:'" in msg,
          "exit 1, unknown keyword", "%d %s" % (rc, msg))


# A file laid out like the first vpndns's sample configuration: comment
# blocks and banners, options left commented out, and tabs where hand
# editing leaves them.  <TAB> is a tab; the reference copy has a space.
TAB_YAML = r"""
dns_listeners:<TAB># where the daemon listens
    - [ '192.0.2.3', 53 ]
# for testing
#    - [ '127.0.0.1', 53 ]
<TAB>
##############################
######## nameservers
<TAB><TAB>
nameservers:
    # main network
    192.0.2.0/24: 198.51.100.10
<TAB># mobile clients, each sent to one container
    203.0.113.0/29: 198.51.100.50
    203.0.113.8/29: 198.51.100.51

nameserver_default: 192.0.2.254

# choose nameservers by a regex on the name; overrides the choice above
#<TAB>Notes
# <TAB><TAB>the order of evaluation depends on the YAML
nameserver_regex:
    '.+site-a.example$': 192.0.2.254<TAB># site A
    '.+vpnprovider.example$':<TAB>1.1.1.1

vpn_jail:
    - 198.51.100.48/28
<TAB>
    - 198.51.100.64/28

blocklist_dir: '@DIR@/blocklists/'
#blocklist_only_a: true

#print_blocklist_read_progress: true

nxdomain_regex:
<TAB># names ending in these never leave
    - '.+\.(attlocal|mynetwork|localdomain)$'
<TAB><TAB>
    - '^wpad\.'

interface_listen:<TAB>
    - [ '127.0.0.1', 8080 ]<TAB>#<TAB>HTTP API

static_records: '@DIR@/static.txt'
#static_records_auto_ptr: true

# TTL in seconds
#static_records_ttl: 1
"""

TAB_EXPECTED = BOTH_EXPECTED + [
    "forward: 203.0.113.0/29 198.51.100.50",
    'nxdomain-regex: ".+\\.(attlocal|mynetwork|localdomain)$"',
    'nxdomain-regex: "^wpad\\."',
]


def body(conf):
    """vpndns.conf without its first line, which names the source file."""
    return conf.split("\n", 1)[1] if "\n" in conf else ""


def test_tabs(tmp):
    import yaml
    tabbed = TAB_YAML.replace("<TAB>", "\t")
    plain = TAB_YAML.replace("<TAB>", " ")
    try:
        yaml.safe_load(tabbed)
        rejected = False
    except yaml.YAMLError:
        rejected = True
    check("tabs: PyYAML alone rejects the tabbed file", rejected,
          "a YAML error", "loaded")
    p, conf, rc, msg = convert_and_check(tmp, "tab", tabbed)
    check_exit("tabs", p, 0)
    check_lines("tabs", conf, TAB_EXPECTED, tmp)
    pp, pconf, prc, pmsg = convert_and_check(tmp, "tabref", plain)
    check("tabs: converted in full: the same vpndns.conf as the file "
          "without tabs", pp.returncode == 0 and body(conf) == body(pconf),
          body(pconf), body(conf))
    check("tabs: the same reports as the file without tabs, but the note",
          [l for l in p.stderr.splitlines() if "tabs before" not in l and
           "lines converted" not in l] ==
          [l for l in pp.stderr.splitlines() if "lines converted" not in l],
          pp.stderr, p.stderr)
    nums = [str(i) for i, l in enumerate(tabbed.split("\n"), 1) if "\t" in l]
    want = "NOTE: lines %s: tabs before a comment" % ", ".join(nums)
    check("tabs: the note names every line with a tab", want in p.stderr,
          want, p.stderr)
    check("tabs: nothing reported as not converted",
          "NOT CONVERTED" not in p.stderr, "no NOT CONVERTED", p.stderr)
    check("tabs: unbound-checkconf accepts the result", rc == 0, "exit 0",
          msg)

    # files that still can't be read: the line, and what to change
    for name, text, where, change in (
            ("indent", "vpn_jail:\n\t- 198.51.100.48/28\n", ":2:1:",
             "change: indent line 2 with spaces only"),
            ("inner", "nameservers:\n  192.0.2.0/24: 198.51.100.10\n"
             "static_records: /a\tb.txt\n", ":3:19:",
             "change: replace the tab at line 3, column 19 with a space")):
        path = write(os.path.join(tmp, name + ".yaml"), text)
        r = run([path])
        check("tabs: a tab %s: exit status 1, the place and the change" %
              ("in the indentation" if name == "indent" else "inside a value"),
              r.returncode == 1 and path + where + " not valid YAML" in
              r.stderr and change in r.stderr and "<TAB>" in r.stderr,
              "exit 1, %s, %s" % (where, change),
              "%d %s" % (r.returncode, r.stderr))


DEFAULTS_YAML = """
nameservers:
  192.0.2.0/24: 198.51.100.10
blocklist_dir: '@DIR@/blocklists/'
static_records: '@DIR@/static.txt'
"""


def conf_value(lines, key):
    """The values of KEY: lines."""
    return [l.split(":", 1)[1].strip() for l in lines
            if l.startswith(key + ":")]


def test_defaults(tmp):
    p, conf, rc, msg = convert_and_check(tmp, "def", DEFAULTS_YAML)
    lines = conf.splitlines()
    err = p.stderr
    check("defaults: unset static_records_auto_ptr -> static-ptr: yes",
          conf_value(lines, "static-ptr") == ["yes"], "yes", conf)
    check("defaults: reported", "NOTE: static_records_auto_ptr is not set: "
          "the first vpndns's default was true" in err, "note", err)
    check("defaults: unset blocklist_only_a -> block-action: ip 127.0.0.1",
          conf_value(lines, "block-action") == ["ip 127.0.0.1"],
          "ip 127.0.0.1", conf)
    check("defaults: reported", "NOTE: blocklist_only_a is not set: the "
          "first vpndns's default was true" in err, "note", err)
    check("defaults: block-ttl and static-ttl are 1, what the first vpndns "
          "sent", conf_value(lines, "block-ttl") == ["1"] and
          conf_value(lines, "static-ttl") == ["1"], "1 and 1", conf)
    check("defaults: the TTL note names the older releases' 86400",
          "releases before sent 86400: convert with --local-ttl 86400" in err,
          "note", err)
    check("defaults: unset print_blocklist_read_progress reported",
          "NO EQUIVALENT: print_blocklist_read_progress is not set (the "
          "first vpndns's default was true" in err, "report", err)
    check("defaults: unbound-checkconf accepts the result", rc == 0,
          "exit 0", msg)

    p, conf, rc, msg = convert_and_check(tmp, "def86400", DEFAULTS_YAML,
                                         ["--local-ttl", "86400"])
    lines = conf.splitlines()
    check("--local-ttl 86400: block-ttl and static-ttl 86400",
          conf_value(lines, "block-ttl") == ["86400"] and
          conf_value(lines, "static-ttl") == ["86400"], "86400", conf)
    check("--local-ttl 86400: unbound-checkconf accepts it", rc == 0,
          "exit 0", msg)
    r = run([os.path.join(tmp, "def.yaml"), "--local-ttl", "-1"])
    check_exit("--local-ttl -1: usage error", r, 2)

    # explicit values, read as the first vpndns's YAML::XS and Perl did
    for extra, key, want, text in (
            ("static_records_auto_ptr: false", "static-ptr", ["no"], None),
            ("static_records_auto_ptr: true", "static-ptr", ["yes"], None),
            ("static_records_auto_ptr: 1", "static-ptr", ["yes"], None),
            ("static_records_auto_ptr: yes", "static-ptr", ["no"],
             "NOTE: static_records_auto_ptr: yes: the first vpndns made PTR "
             "records only when the value was 1 or true"),
            ("blocklist_only_a: true", "block-action", ["ip 127.0.0.1"],
             "NOTE: blocklist_only_a: true -> block-action"),
            ("blocklist_only_a: no", "block-action", ["ip 127.0.0.1"],
             "NOTE: blocklist_only_a: no -> block-action"),
            ("blocklist_only_a: false", "block-action", ["ip 127.0.0.1"],
             "NOTE: blocklist_only_a: false: the first vpndns answered"),
            ("static_records_ttl: 300", "static-ttl", ["1"],
             "NOTE: static_records_ttl: 300: the first vpndns read this key "
             "but never used it; its static records had TTL 1 whatever it "
             "said: written as static-ttl: 1 (set static-ttl: 300"),
            ("static_records_ttl: 1", "static-ttl", ["1"],
             "NOTE: static_records_ttl: 1: the first vpndns read this key "
             "but never used it")):
        p, conf, rc, msg = convert_and_check(tmp, "defx",
                                             DEFAULTS_YAML + extra + "\n")
        got = conf_value(conf.splitlines(), key)
        check("defaults: '%s' -> %s: %s" % (extra, key, " ".join(want)),
              got == want and (text is None or text in p.stderr) and rc == 0,
              "%s %s%s" % (key, want, ", " + text if text else ""),
              "%s %s\n%s\n%s" % (key, got, p.stderr, msg))

    # nothing to block, no static file: none of their lines
    p, conf, rc, msg = convert_and_check(
        tmp, "defnone", "nameservers:\n  192.0.2.0/24: 198.51.100.10\n")
    lines = conf.splitlines()
    check("defaults: without blocklist_dir and static_records no "
          "block-action, block-ttl, static-ptr or static-ttl",
          not any(l.split(":")[0] in ("block-action", "block-ttl",
                                      "static-ptr", "static-ttl")
                  for l in lines) and
          "print_blocklist_read_progress" not in p.stderr, "none", conf)


# nameservers and vpn_jail with every kind of overlap
JAIL_NS = (
    ("198.51.100.50/32", "192.0.2.50"),     # one address inside a vpn_jail
    ("198.51.100.56/29", "192.0.2.56"),     # a /29 inside a vpn_jail /28
    ("198.51.100.64/28", "192.0.2.64"),     # the same as a vpn_jail netblock
    ("198.51.100.0/24", "192.0.2.1"),       # holds both vpn_jail netblocks
    ("10.0.0.0/8", "192.0.2.10"),
    ("10.1.0.0/16", "192.0.2.11"),          # inside 10/8, another server
    ("10.2.0.0/16", "192.0.2.10"),          # inside 10/8, the same server
)
JAIL_LIST = ("198.51.100.48/28", "198.51.100.64/28",
             "10.3.0.0/16")                 # inside nameservers 10/8
JAIL_DEFAULT = "192.0.2.254"
JAIL_CLIENTS = ("198.51.100.50", "198.51.100.51", "198.51.100.57",
                "198.51.100.64", "198.51.100.70", "198.51.100.10",
                "10.1.2.3", "10.2.2.3", "10.3.2.3", "10.9.9.9", "192.0.2.77")


def first_version_choice(addr):
    """The first vpndns's forwarder for a client (vpndns.pl,
    server::lookup_ns): vpn_jail first; else every matching nameservers
    netblock, of which Perl hash order picked one; else the default.
    Returns the set of possible answers."""
    ip = ipaddress.ip_address(addr)
    if any(ip in ipaddress.ip_network(j) for j in JAIL_LIST):
        return {"reflect"}
    hits = {srv for net, srv in JAIL_NS if ip in ipaddress.ip_network(net)}
    return hits or {JAIL_DEFAULT}


def vpndns_choice(lines, addr):
    """vpndns's forwarder for a client under the converted rules: the
    longest matching prefix among forward: and reflect:, else default:."""
    ip = ipaddress.ip_address(addr)
    best, choice = -1, None
    for l in lines:
        m = re.match(r"(forward|reflect): (\S+) (\S+)$", l)
        if m and ip in ipaddress.ip_network(m.group(2), strict=False):
            net = ipaddress.ip_network(m.group(2), strict=False)
            if net.prefixlen > best:
                best = net.prefixlen
                choice = "reflect" if m.group(1) == "reflect" else m.group(3)
    if choice is None:
        d = [l.split()[1] for l in lines if l.startswith("default: ")]
        choice = d[0] if d else "refuse"
    return choice


def test_jail(tmp):
    y = "nameservers:\n%s\nvpn_jail:\n%s\nnameserver_default: %s\n" % (
        "\n".join("  %s: %s" % pair for pair in JAIL_NS),
        "\n".join("  - %s" % j for j in JAIL_LIST), JAIL_DEFAULT)
    p, conf, rc, msg = convert_and_check(tmp, "jail", y)
    lines = conf.splitlines()
    err = p.stderr
    for want in ("reflect: 198.51.100.50/32 53", "reflect: 198.51.100.56/29 53",
                 "reflect: 198.51.100.48/28 53", "reflect: 198.51.100.64/28 53",
                 "forward: 198.51.100.0/24 192.0.2.1",
                 "forward: 10.1.0.0/16 192.0.2.11", "reflect: 10.3.0.0/16 53"):
        check("vpn_jail: line '%s'" % want, want in lines, want, conf)
    for gone in ("forward: 198.51.100.50/32", "forward: 198.51.100.56/29",
                 "forward: 198.51.100.64/28"):
        check("vpn_jail: no '%s' (its clients were reflected)" % gone,
              not any(l.startswith(gone) for l in lines), "absent", conf)
    for text in (
            "nameservers: 198.51.100.50/32 -> 192.0.2.50 is inside vpn_jail "
            "198.51.100.48/28; the first vpndns checked vpn_jail first",
            "nameservers: 198.51.100.64/28 -> 192.0.2.64 is also in vpn_jail",
            "vpn_jail 10.3.0.0/16 is inside nameservers 10.0.0.0/8: vpndns "
            "picks the longest matching prefix, so 10.3.0.0/16's clients are "
            "reflected, as in the first vpndns",
            "nameservers: 10.1.0.0/16 (192.0.2.11) is inside 10.0.0.0/8 "
            "(192.0.2.10): for the clients of 10.1.0.0/16 the first "
            "vpndns's choice was arbitrary",
            "vpndns picks the longest matching prefix, so they go to "
            "192.0.2.11",
            "nameservers: 10.2.0.0/16 is inside 10.0.0.0/8; both go to "
            "192.0.2.10, so the overlap changes nothing"):
        check("vpn_jail: note '%s...'" % text[:60], text in err, text, err)
    check("vpn_jail: nothing reported as not converted",
          "NOT CONVERTED" not in err, "none", err)
    check("vpn_jail: unbound-checkconf accepts the result", rc == 0,
          "exit 0", msg)
    for addr in JAIL_CLIENTS:
        old = first_version_choice(addr)
        new = vpndns_choice(lines, addr)
        if len(old) == 1:
            check("vpn_jail: client %s gets the first vpndns's %s" %
                  (addr, next(iter(old))), new in old, str(sorted(old)),
                  str(new))
        else:
            check("vpn_jail: client %s: the first vpndns's choice among %s "
                  "was arbitrary; vpndns takes one of them" %
                  (addr, sorted(old)), new in old, str(sorted(old)),
                  str(new))
    # negative control: rules written as the netblocks say, without the
    # vpn_jail precedence, send a vpn_jail client elsewhere
    naive = ["forward: %s %s" % pair for pair in JAIL_NS] + \
        ["reflect: %s 53" % j for j in JAIL_LIST if
         j not in dict(JAIL_NS)] + ["default: %s" % JAIL_DEFAULT]
    check("negative control: without the precedence 198.51.100.50 would go "
          "to 192.0.2.50, not be reflected",
          vpndns_choice(naive, "198.51.100.50") == "192.0.2.50" and
          first_version_choice("198.51.100.50") == {"reflect"},
          "192.0.2.50", vpndns_choice(naive, "198.51.100.50"))


def test_subdomains(tmp):
    p, conf, rc, msg = convert_and_check(tmp, "sub", SEED_YAML,
                                         ["--subdomains"])
    want = "blocklist: %s/blocklists/" % tmp
    check("--subdomains: blocklist without exact", want in conf.splitlines(),
          want, conf)
    check("--subdomains: unbound-checkconf accepts it", rc == 0, "exit 0", msg)


def test_regexes(tmp):
    y = r"""
nameserver_default: 192.0.2.254
nameserver_regex:
  '.+example.com$': 192.0.2.1
  '.*\.example\.org$': 192.0.2.2
  '(^|\.)corp\.example$': 192.0.2.3
  '^(.*\.)?lab\.example$': 192.0.2.4
  '^www\.single\.example$': 192.0.2.5
  '.+\.(a|b)\.example$': 192.0.2.6
  'vpn\.example': 192.0.2.7
  '.+a.example.com$': 192.0.2.8
  '.+other.example$': not-an-address
  '.+example.com.$': 192.0.2.9
  '.+corp.example$': 192.0.2.3
  '.+deep.sub.example$': 192.0.2.20
  '.+sub.example$': 192.0.2.21
  '.+x.lab.example$': 192.0.2.4
nxdomain_regex:
  - '^wpad\.'
  - '\d+\.lan$'
  - '(?:foo|bar)\.home$'
  - '(?!x)y$'
  - 'a(b'
  - 'has space$'
blocklist_dir: '@DIR@/blocklists'
blocklist_only_a: false
frobnicate: 1
"""
    p, conf, rc, msg = convert_and_check(tmp, "rx", y)
    lines = conf.splitlines()
    check("regexes: exit status 0 with reports", p.returncode == 0, "0",
          p.returncode)
    for want in ("domain-forward: example.com 192.0.2.1",
                 "domain-forward: example.org 192.0.2.2",
                 "domain-forward: corp.example 192.0.2.3",
                 "domain-forward: lab.example 192.0.2.4",
                 "domain-forward: a.example.com 192.0.2.8",
                 'nxdomain-regex: "^wpad\\."',
                 'nxdomain-regex: "[0-9]+\\.lan$"',
                 'nxdomain-regex: "(foo|bar)\\.home$"',
                 'nxdomain-regex: "has space$"'):
        check("regexes: line '%s'" % want, want in lines, want, conf)
    err = p.stderr
    for pat, reason in (
            ("^www\\.single\\.example$", "matches the single name"),
            (".+\\.(a|b)\\.example$", "uses regex syntax"),
            ("vpn\\.example", "not anchored at the end"),
            (".+other.example$", "is not an IP address"),
            (".+example.com.$", "same domain example.com as the earlier")):
        text = "NOT CONVERTED: nameserver_regex '%s': " % pat
        check("regexes: '%s' not converted (%s)" % (pat, reason),
              text in err and reason in err.split(text, 1)[1].split("\n")[0],
              text + "..." + reason, err)
    for pat, reason in (("(?!x)y$", "has no POSIX form"),
                        ("a(b", "not a valid POSIX extended regex")):
        text = "NOT CONVERTED: nxdomain_regex '%s': " % pat
        check("regexes: nxdomain '%s' not converted (%s)" % (pat, reason),
              text in err and reason in err.split(text, 1)[1].split("\n")[0],
              text + "..." + reason, err)
    check("regexes: apex difference noted for '.+example.com$'",
          "now also takes example.com itself" in err, "note", err)
    check("regexes: nested domains: the first vpndns's choice was "
          "arbitrary, vpndns takes the deeper one",
          "a.example.com is below example.com of the pattern "
          "'.+example.com$'; names under a.example.com matched both, and "
          "the first vpndns sent them by either (Perl hash order" in err and
          "vpndns sends them by the deeper domain, to 192.0.2.8" in err,
          "note", err)
    check("regexes: nested domains noted when the deeper pattern comes "
          "first", "deep.sub.example is below sub.example of the pattern "
          "'.+sub.example$'" in err, "note", err)
    check("regexes: nested domains with the same server: no note",
          "x.lab.example is below" not in err and
          "domain-forward: x.lab.example 192.0.2.4" in lines, "no note", err)
    check("regexes: the same domain and server twice is written once",
          "same domain corp.example and server as the earlier pattern" in
          err and lines.count("domain-forward: corp.example 192.0.2.3") == 1
          and "NOT CONVERTED: nameserver_regex '.+corp.example$'" not in err,
          "note, one line", err)
    check("regexes: the same domain with another server: the earlier "
          "pattern kept, the choice called arbitrary",
          "kept the earlier pattern, example.com -> 192.0.2.1" in err and
          "either for these names, in Perl hash order" in err and
          "domain-forward: example.com 192.0.2.9" not in lines,
          "report", err)
    check("regexes: the output says they apply in reflect views too",
          "reflect views included" in conf, "comment", conf)
    check("regexes: not-converted items kept as comments",
          "# NOT CONVERTED: nameserver_regex '^www\\.single\\.example$'" in conf,
          "comment", conf)
    check("regexes: blocklist_only_a false: block-action ip 127.0.0.1, "
          "the stray A record of other types noted",
          "block-action: ip 127.0.0.1" in lines and
          "NOTE: blocklist_only_a: false: the first vpndns answered a "
          "blocked query of any type with the A record 127.0.0.1" in err,
          "line and note", err)
    check("regexes: unknown key reported", "UNKNOWN KEY: frobnicate" in err,
          "UNKNOWN KEY", err)
    check("regexes: unbound-checkconf accepts the result", rc == 0,
          "exit 0", msg)


def test_conflicts(tmp):
    y = """
nameservers:
  10.1.0.0/16: 192.0.2.1
  10.1.2.0/24: 192.0.2.2
  bogus: 192.0.2.3
  10.5.0.0/16: 192.0.2.5
  10.5.0.1/16: 192.0.2.6
vpn_jail:
  - 10.1.0.0/16
client_exemptions: [ 10.1.2.3, 10.1.2.3 ]
"""
    p, conf, rc, msg = convert_and_check(tmp, "cf", y)
    err = p.stderr
    lines = conf.splitlines()
    check("conflict: the same netblock in nameservers and vpn_jail: the "
          "vpn_jail rule is kept (checked first by the first vpndns)",
          "nameservers: 10.1.0.0/16 -> 192.0.2.1 is also in vpn_jail" in err
          and "reflect: 10.1.0.0/16 53" in lines and
          "forward: 10.1.0.0/16 192.0.2.1" not in lines, "note", err)
    check("conflict: a nameservers netblock inside vpn_jail stays reflected",
          "reflect: 10.1.2.0/24 53" in lines and
          "is inside vpn_jail 10.1.0.0/16" in err, "reflect line", conf)
    check("conflict: the same netblock twice in nameservers is reported",
          "NOT CONVERTED: nameservers: netblock 10.5.0.1/16 is already "
          "mapped by nameservers (10.5.0.0/16)" in err, "report", err)
    check("conflict: invalid netblock reported",
          "NOT CONVERTED: nameservers: 'bogus' is not a netblock" in err,
          "report", err)
    check("conflict: no nameserver_default -> default: refuse",
          "default: refuse" in conf.splitlines(), "default: refuse", conf)
    check("conflict: duplicate exemption written once",
          conf.count("exempt: 10.1.2.3") == 1, "1", conf)
    check("conflict: unbound-checkconf accepts the result", rc == 0,
          "exit 0", msg)


def test_exit_status(tmp):
    bad = write(os.path.join(tmp, "bad.yaml"),
                "nameservers: [unclosed\n  - : :\n")
    p = run([bad])
    check_exit("invalid YAML", p, 1)
    check("invalid YAML: names the file, line and column, and what to "
          "change", "%s:2:5: not valid YAML: " % bad in p.stderr and
          "change: correct the YAML at line 2" in p.stderr,
          "message", p.stderr)
    check_exit("unreadable file", run([os.path.join(tmp, "missing.yaml")]), 1)
    check_exit("YAML that is not a mapping",
               run([write(os.path.join(tmp, "list.yaml"), "- a\n- b\n")]), 1)
    p = run([write(os.path.join(tmp, "unk.yaml"), "only_unknown: 1\n")])
    check_exit("only unknown keys", p, 0)
    check("only unknown keys: reported", "UNKNOWN KEY: only_unknown" in
          p.stderr, "report", p.stderr)


def main():
    tmp = tempfile.mkdtemp(prefix="vpndns-migrate.")
    try:
        os.makedirs(os.path.join(tmp, "blocklists"))
        write(os.path.join(tmp, "blocklists", "ads.txt"),
              "# ads\nads.example\ntracker.example\n")
        write(os.path.join(tmp, "static.txt"), "printer.lan 192.0.2.55\n")
        if not os.access(CHECKCONF, os.X_OK):
            print("note: %s not found; checkconf tests fail" % CHECKCONF)
        test_seed(tmp)
        test_tabs(tmp)
        test_defaults(tmp)
        test_jail(tmp)
        test_subdomains(tmp)
        test_regexes(tmp)
        test_conflicts(tmp)
        test_exit_status(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

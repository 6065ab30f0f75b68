#!/usr/bin/env python3
"""Tests of contrib/migrate/vpndns-migrate.py.

Converts the example configuration of the first vpndns (the YAML of
SEED-CONFIG, with its paths moved into a temporary directory), checks the
lines and reports, and runs unbound-checkconf on the result with a
matching unbound.conf, so vpndns's own parser accepts it.  Then edge
cases: domain-suffix regexes, Perl regexes, --subdomains, conflicts,
unknown keys, and the exit status for unreadable or invalid YAML.

usage: test_migrate.py     (env: UNBOUND_CHECKCONF, VPNDNS_BUILDDIR)
Ends with "N passed, N failed"; exits 1 on any failure.
"""

import os
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

SEED_EXPECTED = [
    "forward: 192.0.2.0/24 198.51.100.10",
    "forward: 203.0.113.8/29 198.51.100.51",
    "reflect: 198.51.100.48/28 53",
    "reflect: 198.51.100.64/28 53",
    "default: 192.0.2.254",
    "domain-forward: site-a.example 192.0.2.254",
    "domain-forward: vpnprovider.example 1.1.1.1",
    "blocklist: @DIR@/blocklists/ exact",
    "block-action: ip 127.0.0.1",
    "exempt: 192.0.2.77",
    'nxdomain-regex: ".+\\.(lan|localdomain|home)$"',
    "static-records: @DIR@/static.txt",
    "static-ptr: yes",
    "static-ttl: 1",
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
    check("seed example: exit status 0", p.returncode == 0, "0",
          "%d %s" % (p.returncode, p.stderr))
    lines = conf.splitlines()
    for want in SEED_EXPECTED:
        want = want.replace("@DIR@", tmp)
        check("seed example: line '%s'" % want, want in lines, want, conf)
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
    check("regexes: first-match vs deepest noted for a.example.com",
          "a.example.com is below example.com" in err, "note", err)
    check("regexes: not-converted items kept as comments",
          "# NOT CONVERTED: nameserver_regex '^www\\.single\\.example$'" in conf,
          "comment", conf)
    check("regexes: blocklist_only_a false reported, no block-action",
          "NOT CONVERTED: blocklist_only_a" in err and
          not any(l.startswith("block-action:") for l in lines),
          "report", err)
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
vpn_jail:
  - 10.1.0.0/16
client_exemptions: [ 10.1.2.3, 10.1.2.3 ]
"""
    p, conf, rc, msg = convert_and_check(tmp, "cf", y)
    err = p.stderr
    check("conflict: the same netblock in nameservers and vpn_jail is "
          "reported", "NOT CONVERTED: vpn_jail: netblock 10.1.0.0/16 is "
          "already mapped" in err, "report", err)
    check("conflict: overlap noted (longest prefix)",
          "longest matching prefix" in err, "note", err)
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
    bad = os.path.join(tmp, "bad.yaml")
    with open(bad, "w") as fh:
        fh.write("nameservers: [unclosed\n  - : :\n")
    p = run([bad])
    check("invalid YAML: exit status 1", p.returncode == 1, "1",
          "%d %s" % (p.returncode, p.stderr))
    check("invalid YAML: says so", "is not valid YAML" in p.stderr,
          "message", p.stderr)
    p = run([os.path.join(tmp, "missing.yaml")])
    check("unreadable file: exit status 1", p.returncode == 1, "1",
          "%d %s" % (p.returncode, p.stderr))
    lst = os.path.join(tmp, "list.yaml")
    with open(lst, "w") as fh:
        fh.write("- a\n- b\n")
    p = run([lst])
    check("YAML that is not a mapping: exit status 1", p.returncode == 1,
          "1", "%d %s" % (p.returncode, p.stderr))
    unk = os.path.join(tmp, "unk.yaml")
    with open(unk, "w") as fh:
        fh.write("only_unknown: 1\n")
    p = run([unk])
    check("only unknown keys: exit status 0", p.returncode == 0, "0",
          "%d %s" % (p.returncode, p.stderr))
    check("only unknown keys: reported", "UNKNOWN KEY: only_unknown" in
          p.stderr, "report", p.stderr)


def main():
    tmp = tempfile.mkdtemp(prefix="vpndns-migrate.")
    try:
        os.makedirs(os.path.join(tmp, "blocklists"))
        with open(os.path.join(tmp, "blocklists", "ads.txt"), "w") as fh:
            fh.write("# ads\nads.example\ntracker.example\n")
        with open(os.path.join(tmp, "static.txt"), "w") as fh:
            fh.write("printer.lan 192.0.2.55\n")
        if not os.access(CHECKCONF, os.X_OK):
            print("note: %s not found; checkconf tests fail" % CHECKCONF)
        test_seed(tmp)
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

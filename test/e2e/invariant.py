#!/usr/bin/python3
"""Randomized invariant test of vpndns: a random mix against an oracle.

Several views, each with its own fake forwarder (fakedns.py) whose data
names the view: addresses 192.0.2.O and 10.O.x.y, TXT "upstream=TAG",
CNAME targets with the view's TAG as a label (O is the last octet of the
forwarder's address).  Two reflect clients are their own views.  While
clients of every view send identical queries at the same moment, the
driver edits the list files and reloads, adds and removes allow entries,
reloads vpndns.conf, flushes view caches, and switches the forwarders
between normal, slow, SERVFAIL and silent.  Records have TTLs of 1 to 3
seconds, so cached data expires all the time.

The oracle knows every zone and keeps a timeline of the policies the
driver published.  A policy k may be in effect from the moment its
command started until the command that replaced it finished.  A reply to
a query that ran from t0 to t1 is judged against every policy that may
have been in effect during [t0, t1]:

  - every record must carry the client's own view's tag;
  - a NOERROR answer must be valid under at least one of them: no name in
    it (question, owners, CNAME targets) blocked for the client's view;
  - a block (NXDOMAIN with EDE 15) must be valid under at least one of
    them: the question or a name of its chain blocked;
  - other rcodes than NOERROR, block, SERVFAIL, and no reply at all, are
    violations (every client is mapped, the fakes never send NXDOMAIN).

Every line a forwarder logged is judged too: the name must be one the
view's own clients may cause (its questions, its own tagged CNAME
targets; at the domain-forward only names under the domain, and those
names at no view forwarder), and it must not be blocked for the view
under every policy that may have been in effect during the WINDOW
seconds before the line (the query that caused the send may have started
that long before).

Usage:
    invariant.py setup DIR FAKE_PORT        zones, lists, vpndns.conf
    invariant.py run DIR --ub-port P --control BIN --conf UB_CONF
                     --seconds S [--seed N]

'run' prints violations and a summary line

    invariant: answers=N upstream_lines=N ... violations=N

and exits 0 without violations, 1 with violations, 2 when the run
itself was broken (no answers, a control command failing).
"""

import argparse
import os
import random
import re
import selectors
import socket
import subprocess
import sys
import threading
import time

import dns.edns
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

NET = "127.0.59."
DOMAIN = "corp.example."
# view name -> (tag, forwarder octet, client octets, own list file or None)
VIEWS = {
    "va": ("va", 2, (10, 11), "va.txt"),
    "vb": ("vb", 3, (20, 21), "vb.txt"),
    "vc": ("vc", 4, (30, 31), None),
    "r40": ("r40", 40, (40,), None),   # reflect clients: their own views
    "r41": ("r41", 41, (41,), None),
}
REFLECT = NET + "40/31"
DF_OCTET = 5
TAGS = [v[0] for v in VIEWS.values()]
# blocking zones: permanent and toggled entries of each list
PERMANENT = {"global": {"bp.example."}, "va": {"vpa.example."},
             "vb": {"vpb.example."}}
TOGGLED = {"global": ["b0.example.", "b1.example.", "b2.example."],
           "va": ["va0.example."], "vb": ["vb0.example."]}
ZONES = ["bp", "b0", "b1", "b2", "vpa", "va0", "vpb", "vb0", "ok"]
NI = 4   # names per zone and kind
ALLOW_CAND = ["n0.bp.example.", "n0.b0.example.", "n0.vpa.example.",
              "c0.b1.cl.example.", "t2.va.vpa.example.", "b2.example."]
LIST_FILE = {"global": "global.txt", "va": "va.txt", "vb": "vb.txt"}
WINDOW = 15.0        # seconds an upstream send may lag its query's start
CLIENT_TIMEOUT = 4.0


def ttl_of(i, zi):
    return 1 + (i + zi) % 3


def zone_text(tag, octet):
    """The zone of one view's forwarder: aliases into every blocking zone,
    targets tagged with the view; even targets answered in the chain, odd
    ones asked separately (fakedns then gives its default address)."""
    out = []
    for zi, z in enumerate(ZONES):
        for i in range(NI):
            t = "t%d.%s.%s.example." % (i, tag, z)
            m = "m%d.%s.%s.mid.example." % (i, tag, z)
            ttl = ttl_of(i, zi)
            out.append("c%d.%s.cl.example. %d CNAME %s" % (i, z, ttl, t))
            out.append("d%d.%s.cl.example. %d CNAME %s" % (i, z, ttl, m))
            out.append("%s %d CNAME %s" % (m, ttl, t))
            if i % 2 == 0:
                out.append("%s %d A 10.%d.%d.%d" % (t, ttl, octet, zi, i))
    return "\n".join(out) + "\n"


def chain(tag, qname):
    """Names a question resolves through for the view TAG (question
    first), as the zones define them."""
    labels = qname.split(".")
    if qname.endswith(".cl.example.") and len(labels) == 5:
        i, z = labels[0][1:], labels[1]
        t = "t%s.%s.%s.example." % (i, tag, z)
        if labels[0][0] == "c":
            return [qname, t]
        return [qname, "m%s.%s.%s.mid.example." % (i, tag, z), t]
    return [qname]


def common_names():
    """Questions every view's clients ask (identical concurrent queries)."""
    names = []
    for z in ZONES:
        for i in range(NI):
            names.append("n%d.%s.example." % (i, z))
            names.append("c%d.%s.cl.example." % (i, z))
            names.append("d%d.%s.cl.example." % (i, z))
    return names


# ---- policy model ------------------------------------------------------------

def read_list(path):
    try:
        with open(path, encoding="utf-8") as fh:
            return frozenset(l.strip().lower().rstrip(".") + "."
                             for l in fh if l.strip())
    except OSError:
        return frozenset()


def write_list(path, names):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write("".join(n.rstrip(".") + "\n" for n in sorted(names)))
    os.rename(tmp, path)


def under(name, entry):
    return name == entry or name.endswith("." + entry)


def blocked(state, view, name):
    """Is NAME blocked for VIEW's clients under policy STATE?"""
    if any(under(name, a) for a in state["allow"]):
        return False
    sets = [state["global"]]
    if view in state:
        sets.append(state[view])
    return any(under(name, e) for s in sets for e in s)


class Timeline:
    """Policies published by the driver: policy k may be in effect from
    the start of its command until the end of the next one."""

    def __init__(self, state):
        self.start = [float("-inf")]
        self.done = [float("-inf")]
        self.state = [state]
        self.lock = threading.Lock()

    def current(self):
        with self.lock:
            return dict(self.state[-1])

    def add(self, t_start, t_done, state):
        with self.lock:
            self.start.append(t_start)
            self.done.append(t_done)
            self.state.append(state)

    def during(self, a, b):
        """Policies that may have been in effect at some time in [a, b]."""
        out = []
        n = len(self.state)
        for k in range(n):
            end = self.done[k + 1] if k + 1 < n else float("inf")
            if self.start[k] <= b and end >= a:
                out.append(self.state[k])
        return out


# ---- oracle --------------------------------------------------------------------

TAG_RE = re.compile(r"^[tmo]\d+\.([a-z0-9]+)\.")


def name_tag(name):
    m = TAG_RE.match(name)
    return m.group(1) if m and m.group(1) in TAGS else None


def check_answer(rec, timeline, viol):
    """Judge one reply; append violations (text) to viol."""
    view, tag, octet = rec["view"], rec["tag"], rec["octet"]
    qname, rcode = rec["qname"], rec["rcode"]
    where = "%s from %s (view %s) %s [%.3f..%.3f]" % (
        qname, rec["src"], view, rec["qtype"], rec["t0"], rec["t1"])
    if rcode in ("NOREPLY", "SERVFAIL"):
        return
    pols = timeline.during(rec["t0"], rec["t1"])
    if rcode == "NXDOMAIN" and 15 in rec["ede"]:
        names = chain(tag, qname)
        if not any(blocked(p, view, n) for p in pols for n in names):
            viol.append("unexpected block: %s" % where)
        return
    if rcode != "NOERROR":
        viol.append("unexpected rcode: %s ede=%s %s" % (rcode, rec["ede"], where))
        return
    names = {qname}
    in_domain = under(qname, DOMAIN)
    for owner, rtype, data in rec["answer"]:
        names.add(owner)
        if name_tag(owner) not in (None, tag):
            viol.append("other view's data: name %s in %s" % (owner, where))
        if rtype == "CNAME":
            names.add(data)
            if name_tag(data) not in (None, tag):
                viol.append("other view's data: CNAME target %s in %s" % (data, where))
        elif rtype == "A":
            ok = ("192.0.2.%d" % (DF_OCTET if in_domain else octet),
                  "10.%d." % octet)
            if not (data == ok[0] or (not in_domain and data.startswith(ok[1]))):
                viol.append("other view's data: address %s in %s" % (data, where))
        elif rtype == "AAAA":
            if data != "2001:db8::%x" % (DF_OCTET if in_domain else octet):
                viol.append("other view's data: address %s in %s" % (data, where))
        elif rtype == "TXT":
            if data != '"upstream=%s"' % ("fdf" if in_domain else tag):
                viol.append("other view's data: TXT %s in %s" % (data, where))
    if not any(not any(blocked(p, view, n) for n in names) for p in pols):
        bad = sorted(n for n in names if blocked(pols[0], view, n))
        viol.append("blocked name answered: %s in %s, answer %s" % (
            ",".join(bad), where, " ".join("%s %s %s" % a for a in
                                            rec["answer"])))


def fake_universe(tag):
    """Names a view's forwarder may legitimately be asked."""
    u = set(common_names())
    for z in ZONES:
        for i in range(NI):
            u.add("t%d.%s.%s.example." % (i, tag, z))
            u.add("m%d.%s.%s.mid.example." % (i, tag, z))
    for i in range(NI):
        u.add("o%d.%s.only.example." % (i, tag))
    return u


def check_upstream(path, view, tag, t_from, timeline, viol, counts):
    """Judge every query a forwarder logged at or after t_from."""
    universe = None if tag == "fdf" else fake_universe(tag)
    try:
        fh = open(path, encoding="utf-8")
    except OSError:
        return
    with fh:
        for line in fh:
            tok = line.split()
            if len(tok) < 5:    # "MALFORMED" lines: nothing to judge
                continue
            t, qname, qtype = float(tok[0]), tok[3], tok[4]
            if t < t_from:
                continue
            counts["upstream_lines"] += 1
            desc = "%s %s at forwarder %s (%.3f)" % (qname, qtype, tag, t)
            if universe is None:
                if not under(qname, DOMAIN):
                    viol.append("not a domain-forward name: %s" % desc)
                continue
            if qname not in universe:
                viol.append("name foreign to the view: %s" % desc)
                continue
            pols = timeline.during(t - WINDOW, t)
            if all(blocked(p, view, qname) for p in pols):
                viol.append("blocked name sent upstream: %s" % desc)
                counts["upstream_strict"] += 1
            elif not any(blocked(p, view, qname) for p in pols):
                counts["upstream_strict"] += 1


# ---- clients -------------------------------------------------------------------

def parse_reply(wire, qid):
    r = dns.message.from_wire(wire)
    if r.id != qid:
        return None
    ede = [o.code for o in r.options if o.otype == dns.edns.OptionType.EDE]
    ans = []
    for rrset in r.answer:
        for rd in rrset:
            rtype = dns.rdatatype.to_text(rrset.rdtype)
            data = rd.to_text()
            if rtype == "CNAME":
                data = data.lower()
            ans.append((rrset.name.to_text().lower(), rtype, data))
    return dns.rcode.to_text(r.rcode()), ede, ans


def new_record(view, qname, qtype):
    """A query as a client of VIEW (one of its addresses) will send it:
    the record the oracle judges, and the message."""
    tag, octet, clients, _ = VIEWS[view]
    q = dns.message.make_query(qname, qtype, use_edns=0, payload=1232)
    rec = {"view": view, "tag": tag, "octet": octet,
           "src": NET + str(random.choice(clients)), "qname": qname,
           "qtype": qtype, "t0": time.time(), "t1": None,
           "rcode": "NOREPLY", "ede": [], "answer": []}
    return rec, q


def burst(ub_port, qname, qtype, views, results, lock):
    """The same question from a client of each of VIEWS at once (UDP)."""
    sel = selectors.DefaultSelector()
    pending = {}
    for view in views:
        rec, q = new_record(view, qname, qtype)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind((rec["src"], 0))
            rec["t0"] = time.time()
            s.sendto(q.to_wire(), ("127.0.0.1", ub_port))
        except OSError:
            s.close()
            continue
        pending[s] = (q.id, rec)
        sel.register(s, selectors.EVENT_READ)
    deadline = time.time() + CLIENT_TIMEOUT
    done = []
    while pending and time.time() < deadline:
        for key, _ in sel.select(timeout=max(0.01, deadline - time.time())):
            s = key.fileobj
            qid, rec = pending[s]
            try:
                wire = s.recv(65535)
                got = parse_reply(wire, qid)
            except Exception:
                continue
            if got is None:
                continue
            rec["t1"] = time.time()
            rec["rcode"], rec["ede"], rec["answer"] = got
            sel.unregister(s)
            s.close()
            del pending[s]
            done.append(rec)
    for s, (_, rec) in pending.items():
        rec["t1"] = time.time()
        s.close()
        done.append(rec)
    sel.close()
    with lock:
        results.extend(done)


def tcp_query(ub_port, qname, qtype, view, results, lock):
    rec, q = new_record(view, qname, qtype)
    try:
        r = dns.query.tcp(q, "127.0.0.1", port=ub_port, source=rec["src"],
                          timeout=CLIENT_TIMEOUT)
        rec["rcode"], rec["ede"], rec["answer"] = parse_reply(r.to_wire(), q.id)
    except Exception:
        pass
    rec["t1"] = time.time()
    with lock:
        results.append(rec)


def pick_question(rng):
    x = rng.random()
    if x < 0.08:
        return "h%d.corp.example." % rng.randrange(NI), "A"
    if x < 0.12:
        return DOMAIN, "DS"
    if x < 0.40:
        name = "n%d.%s.example." % (rng.randrange(NI), rng.choice(ZONES))
        return name, rng.choice(["A", "A", "TXT", "AAAA"])
    # mostly aliases: chains into names that get blocked and unblocked
    return "%s%d.%s.cl.example." % (rng.choice("cd"), rng.randrange(NI),
                                    rng.choice(ZONES)), "A"


def client_worker(args, stop, results, lock, seed):
    rng = random.Random(seed)
    while not stop.is_set():
        x = rng.random()
        if x < 0.75:
            qname, qtype = pick_question(rng)
            burst(args.ub_port, qname, qtype, list(VIEWS), results, lock)
        elif x < 0.90:
            view = rng.choice(list(VIEWS))
            qname = "o%d.%s.only.example." % (rng.randrange(NI), VIEWS[view][0])
            burst(args.ub_port, qname, "A", [view], results, lock)
        else:
            qname, qtype = pick_question(rng)
            tcp_query(args.ub_port, qname, qtype, rng.choice(list(VIEWS)),
                      results, lock)


# ---- changes and faults -------------------------------------------------------

class Control:
    def __init__(self, args):
        self.args = args
        self.errors = []

    def run(self, *cmd):
        try:
            p = subprocess.run([self.args.control, "-c", self.args.conf] +
                               list(cmd), capture_output=True, text=True,
                               timeout=20)
            out = p.stdout + p.stderr
        except subprocess.TimeoutExpired:
            out = "error timeout"
        return out

    def wait_idle(self):
        for _ in range(200):
            out = self.run("vpndns_status")
            if "reload=idle" in out:
                return out
            time.sleep(0.05)
        return "error reload still running"

    def checked(self, *cmd, reload=False):
        out = self.run(*cmd)
        if reload and not out.startswith("error"):
            st = self.wait_idle()
            if "last_reload=failed" in st or st.startswith("error"):
                out = "error " + st
        if out.startswith("error"):
            self.errors.append("%s: %s" % (" ".join(cmd), out.strip()))
            return False
        return True


def change_worker(args, stop, timeline, ctl, counts, seed):
    rng = random.Random(seed)
    d = args.dir
    while not stop.is_set():
        stop.wait(rng.uniform(0.15, 0.45))
        if stop.is_set():
            break
        ctl.wait_idle()
        state = timeline.current()
        x = rng.random()
        t0 = time.time()
        if x < 0.35:
            lst = rng.choice(list(TOGGLED))
            entry = rng.choice(TOGGLED[lst])
            new = set(state[lst]) ^ {entry}
            write_list(os.path.join(d, LIST_FILE[lst]), new)
            state[lst] = frozenset(new)
            full = rng.random() < 0.3
            if full:
                state["allow"] = frozenset()
            ok = ctl.checked("vpndns_reload" if full else
                             "vpndns_blocklist_reload", reload=True)
            if not ok:
                write_list(os.path.join(d, LIST_FILE[lst]),
                           timeline.current()[lst])
                continue
            counts["list_edits"] += 1
        elif x < 0.75:
            name = rng.choice(ALLOW_CAND)
            if name in state["allow"]:
                ok = ctl.checked("vpndns_allow_remove", name)
                state["allow"] = state["allow"] - {name}
            else:
                ok = ctl.checked("vpndns_allow_add", name)
                state["allow"] = state["allow"] | {name}
            if not ok:
                continue
            counts["allow_changes"] += 1
        elif x < 0.90:
            state["allow"] = frozenset()
            if not ctl.checked("vpndns_reload", reload=True):
                continue
            counts["reloads"] += 1
        else:
            # a reflect client has no view until its first query
            view = rng.choice(["va", "vb", "vc"])
            ctl.checked("vpndns_flush", NET + str(VIEWS[view][2][0]))
            counts["flushes"] += 1
            continue
        timeline.add(t0, time.time(), state)


FAULTS = ["normal"] * 4 + ["slow"] * 4 + ["servfail"] * 1 + ["silent"] * 1


def fault_worker(args, stop, counts, seed):
    rng = random.Random(seed)
    while not stop.is_set():
        stop.wait(rng.uniform(0.3, 1.0))
        tag = rng.choice(TAGS + ["fdf"])
        mode = rng.choice(FAULTS)
        if mode == "slow":
            mode = "slow:%d" % rng.randrange(200, 1500)
        if tag == "fdf" and mode in ("servfail", "silent"):
            mode = "normal"
        path = os.path.join(args.dir, tag + ".ctl")
        with open(path + ".tmp", "w", encoding="utf-8") as fh:
            fh.write(mode + "\n")
        os.rename(path + ".tmp", path)
        counts["faults"] += 1
    for tag in TAGS + ["fdf"]:
        try:
            os.unlink(os.path.join(args.dir, tag + ".ctl"))
        except OSError:
            pass


# ---- commands ------------------------------------------------------------------

def cmd_setup(args):
    d, port = args.dir, args.fake_port
    lines = []
    fakes = []
    for view, (tag, octet, clients, lfile) in VIEWS.items():
        with open(os.path.join(d, tag + ".zone"), "w", encoding="utf-8") as fh:
            fh.write(zone_text(tag, octet))
        fakes.append("%s %s%d" % (tag, NET, octet))
        if view.startswith("r"):
            continue
        lines.append("view: %s %s%d@%d" % (view, NET, octet, port))
        for c in clients:
            lines.append("client: %s%d/32 %s" % (NET, c, view))
    fakes.append("fdf %s%d" % (NET, DF_OCTET))
    with open(os.path.join(d, "fdf.zone"), "w", encoding="utf-8") as fh:
        fh.write("; default data only\n")
    lines.append("reflect: %s %d" % (REFLECT, port))
    lines.append("domain-forward: %s %s%d@%d" % (DOMAIN.rstrip("."), NET,
                                                DF_OCTET, port))
    lines.append("blocklist: %s" % os.path.join(d, LIST_FILE["global"]))
    for lst in ("va", "vb"):
        lines.append("view-blocklist: %s %s" % (lst, os.path.join(d, LIST_FILE[lst])))
    lines.append("default: refuse")
    with open(os.path.join(d, "vpndns.conf"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    rng = random.Random(args.seed)
    for lst, perm in PERMANENT.items():
        write_list(os.path.join(d, LIST_FILE[lst]),
                   set(perm) | {e for e in TOGGLED[lst] if rng.random() < 0.5})
    # the wrapper starts one fake per line: TAG ADDR (zone DIR/TAG.zone)
    print("\n".join(fakes))
    return 0


def cmd_run(args):
    random.seed(args.seed)
    d = args.dir
    state = {lst: read_list(os.path.join(d, LIST_FILE[lst])) for lst in LIST_FILE}
    state["allow"] = frozenset()
    timeline = Timeline(state)
    ctl = Control(args)
    counts = {k: 0 for k in ("list_edits", "allow_changes", "reloads",
                             "flushes", "faults", "upstream_lines",
                             "upstream_strict")}
    results, lock, stop = [], threading.Lock(), threading.Event()
    t_start = time.time()
    threads = [threading.Thread(target=client_worker,
                                args=(args, stop, results, lock, args.seed + i))
               for i in range(args.clients)]
    threads.append(threading.Thread(target=change_worker, args=(
        args, stop, timeline, ctl, counts, args.seed + 100)))
    threads.append(threading.Thread(target=fault_worker, args=(
        args, stop, counts, args.seed + 200)))
    for t in threads:
        t.start()
    stop.wait(args.seconds)
    stop.set()
    for t in threads:
        t.join(CLIENT_TIMEOUT + 30)
    # queries still resolving inside unbound reach the fakes a little later
    time.sleep(1)

    viol = []
    for rec in results:
        check_answer(rec, timeline, viol)
    for view, (tag, _, _, _) in VIEWS.items():
        check_upstream(os.path.join(d, tag + ".log"), view, tag, t_start,
                       timeline, viol, counts)
    check_upstream(os.path.join(d, "fdf.log"), None, "fdf", t_start,
                   timeline, viol, counts)
    rc = {}
    for rec in results:
        key = rec["rcode"] if rec["rcode"] != "NXDOMAIN" else "blocked"
        rc[key] = rc.get(key, 0) + 1
    for v in viol[:args.show]:
        print("VIOLATION " + v)
    if len(viol) > args.show:
        print("... %d more violations" % (len(viol) - args.show))
    kinds = {}
    for v in viol:
        kind = v.split(":", 1)[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    for kind, n in sorted(kinds.items()):
        print("violations %d %s" % (n, kind))
    for e in ctl.errors[:10]:
        print("CONTROL ERROR " + e)
    print("invariant: seconds=%.1f answers=%d %s upstream_lines=%d "
          "upstream_strict=%d policies=%d list_edits=%d allow_changes=%d "
          "reloads=%d flushes=%d faults=%d control_errors=%d violations=%d"
          % (time.time() - t_start, len(results),
             " ".join("%s=%d" % kv for kv in sorted(rc.items())),
             counts["upstream_lines"], counts["upstream_strict"],
             len(timeline.state), counts["list_edits"], counts["allow_changes"],
             counts["reloads"], counts["flushes"], counts["faults"],
             len(ctl.errors), len(viol)))
    if viol:
        return 1
    return 2 if ctl.errors or not results else 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("setup")
    s.add_argument("dir")
    s.add_argument("fake_port", type=int)
    s.add_argument("--seed", type=int, default=1)
    r = sub.add_parser("run")
    r.add_argument("dir")
    r.add_argument("--ub-port", type=int, required=True)
    r.add_argument("--control", required=True)
    r.add_argument("--conf", required=True)
    r.add_argument("--seconds", type=float, default=30)
    r.add_argument("--seed", type=int, default=int(time.time()))
    r.add_argument("--clients", type=int, default=8)
    r.add_argument("--show", type=int, default=20)
    args = p.parse_args()
    return cmd_setup(args) if args.cmd == "setup" else cmd_run(args)


if __name__ == "__main__":
    sys.exit(main())

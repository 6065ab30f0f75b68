#!/usr/bin/env python3
"""Prometheus exporter for vpndns (Python 3 standard library only).

On every scrape of /metrics it asks Unbound's remote control, over the
control socket, for "stats_noreset" and "vpndns_status", and serves
vpndns's per-view counters, gauges and forwarder health with a "view"
label (and "server" for forwarders).  Nothing is cached between scrapes,
and nothing is reset: the counters are Unbound's own, so "unbound-control
stats" (which resets them) makes them start again from zero, which
Prometheus's rate() treats as a counter reset.

The control socket is the control-interface: of unbound.conf:
  --control PATH              a local socket (control-use-cert: no is
                              implied by Unbound for local sockets)
  --control HOST@PORT         TCP, with --server-cert, --control-cert and
                              --control-key when control-use-cert: yes
                              (the files unbound-control-setup makes)

  vpndns_exporter.py --control /run/vpndns/vpndns.ctl --listen 127.0.0.1:9775

See docs/monitoring.md for the metrics and a Prometheus configuration.
"""

import argparse
import http.server
import re
import socket
import ssl
import sys
import time

# the remote control protocol: this line, a space, the command, newline
UBCT_VERSION = "UBCT1"

# per-view counters of "stats": stats key -> metric name and help
VIEW_COUNTERS = {
    "queries": ("vpndns_view_queries_total",
                "Queries classified into the view."),
    "cachehits": ("vpndns_view_cachehits_total",
                  "Queries answered from the view's cache by the front hook."),
    "blocked": ("vpndns_view_blocked_total",
                "Queries answered with a block action or an NXDOMAIN regex."),
    "servfail": ("vpndns_view_servfail_total",
                 "Queries that ended in SERVFAIL because the forwarders "
                 "failed."),
    "forwarder_errors": ("vpndns_view_forwarder_errors_total",
                         "Forwarder failures seen by the view."),
    "egress_vetoed": ("vpndns_view_egress_vetoed_total",
                      "Upstream sends cancelled by the egress veto."),
    "inflight_limited": ("vpndns_view_inflight_limited_total",
                         "Cache misses answered SERVFAIL at once because "
                         "the view had view-max-inflight queries in "
                         "flight."),
    "fail_timeouts": ("vpndns_view_fail_timeouts_total",
                      "Clients answered by view-fail-timeout before the "
                      "forwarders did."),
}

# per-view gauges of "stats": key -> (metric, extra labels, help)
VIEW_GAUGES = {
    "msg_cache_count": ("vpndns_view_cache_entries", {"cache": "msg"},
                        "Entries in the view's caches."),
    "rrset_cache_count": ("vpndns_view_cache_entries", {"cache": "rrset"},
                          "Entries in the view's caches."),
    "msg_cache_mem": ("vpndns_view_cache_bytes", {"cache": "msg"},
                      "Bytes used by the view's caches."),
    "rrset_cache_mem": ("vpndns_view_cache_bytes", {"cache": "rrset"},
                        "Bytes used by the view's caches."),
    "list_names": ("vpndns_view_list_names", {},
                   "Names in the view's own lists (view-blocklist)."),
    "inflight": ("vpndns_view_inflight", {},
                 "Cache misses of the view in flight now."),
}

# totals of "stats": key -> (metric, help)
TOTALS = {
    "vpndns.views": ("vpndns_views", "Fixed views of the configuration."),
    "vpndns.reflect_views": ("vpndns_reflect_views",
                             "Reflect views that exist now."),
    "vpndns.reflect_views_max": ("vpndns_reflect_views_max",
                                 "max-reflect-views: the cap on reflect "
                                 "views."),
    "vpndns.blocklist.names": ("vpndns_blocklist_names",
                               "Names in all list sets."),
    "mem.mod.vpndns": ("vpndns_module_memory_bytes",
                       "Bytes used by the vpndns module."),
}

VERDICTS = ("healthy", "degraded", "down")
SERVER_STATES = ("up", "failing", "down", "unknown")

HEALTH_RE = re.compile(r"^health (\S+) (healthy|degraded|down) "
                       r"last_ok_age=(\d+|none) last_fail_age=(\d+|none) ")
FORWARDER_RE = re.compile(r"^forwarder (\S+) (\S+) state=(\w+)"
                          r"(?: rto_ms=(\d+) timeouts=(\d+))?")


class ControlError(Exception):
    """The control socket could not be reached or refused the command."""


def control_command(args, command):
    """Run one remote control command; returns its output text."""
    try:
        if not args.control.startswith("/"):
            host, _, port = args.control.rpartition("@")
            sock = socket.create_connection((host, int(port)),
                                            timeout=args.timeout)
            if args.server_cert:
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False  # the name is "unbound"
                ctx.load_verify_locations(args.server_cert)
                ctx.load_cert_chain(args.control_cert, args.control_key)
                sock = ctx.wrap_socket(sock)
        else:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(args.timeout)
            sock.connect(args.control)
        with sock:
            sock.sendall(("%s %s\n" % (UBCT_VERSION, command)).encode())
            chunks = []
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                chunks.append(data)
    except (OSError, ValueError, ssl.SSLError) as e:
        raise ControlError("%s: %s" % (args.control, e)) from e
    text = b"".join(chunks).decode("utf-8", "replace")
    if text.startswith("error"):
        raise ControlError("%s: %s" % (command, text.strip()))
    return text


def escape(value):
    """A label value in the text exposition format."""
    return value.replace("\\", "\\\\").replace("\n", "\\n") \
        .replace('"', '\\"')


class Metrics:
    """Metric families in the order they were first seen."""

    def __init__(self):
        self.families = {}

    def add(self, name, kind, help_text, labels, value):
        """Add one sample."""
        fam = self.families.setdefault(name, (kind, help_text, []))
        fam[2].append((labels, value))

    def text(self):
        """The text exposition format."""
        out = []
        for name, (kind, help_text, samples) in self.families.items():
            out.append("# HELP %s %s" % (name, help_text))
            out.append("# TYPE %s %s" % (name, kind))
            for labels, value in samples:
                lab = ",".join('%s="%s"' % (k, escape(v))
                               for k, v in labels.items())
                out.append("%s%s %s" % (name, "{%s}" % lab if lab else "",
                                        repr(float(value))
                                        if isinstance(value, float)
                                        else value))
        return "\n".join(out) + "\n"


def parse_stats(text, m):
    """vpndns keys of stats_noreset into metrics."""
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if not sep:
            continue
        if key in TOTALS:
            name, help_text = TOTALS[key]
            m.add(name, "gauge", help_text, {}, int(value))
            continue
        if not key.startswith("vpndns.view."):
            continue
        view, _, field = key[len("vpndns.view."):].rpartition(".")
        if field in VIEW_COUNTERS:
            name, help_text = VIEW_COUNTERS[field]
            m.add(name, "counter", help_text, {"view": view}, int(value))
        elif field in VIEW_GAUGES:
            name, extra, help_text = VIEW_GAUGES[field]
            labels = {"view": view}
            labels.update(extra)
            m.add(name, "gauge", help_text, labels, int(value))


def parse_status(text, m):
    """Health lines of vpndns_status into metrics."""
    for line in text.splitlines():
        h = HEALTH_RE.match(line)
        if h:
            view, verdict, ok_age, fail_age = h.groups()
            for v in VERDICTS:
                m.add("vpndns_view_health", "gauge",
                      "1 for the view's verdict: healthy, degraded or down.",
                      {"view": view, "verdict": v}, int(v == verdict))
            m.add("vpndns_view_up", "gauge",
                  "0 when the view is down (no forwarder answered in "
                  "health-down-after seconds after a failure), else 1.",
                  {"view": view}, int(verdict != "down"))
            if ok_age != "none":
                m.add("vpndns_view_last_ok_age_seconds", "gauge",
                      "Seconds since a forwarder of the view last answered.",
                      {"view": view}, int(ok_age))
            if fail_age != "none":
                m.add("vpndns_view_last_failure_age_seconds", "gauge",
                      "Seconds since a query of the view last failed.",
                      {"view": view}, int(fail_age))
            continue
        f = FORWARDER_RE.match(line)
        if f:
            view, server, state, rto, timeouts = f.groups()
            labels = {"view": view, "server": server}
            m.add("vpndns_forwarder_up", "gauge",
                  "1 when Unbound's server health data shows the forwarder "
                  "answering (or has no data), 0 when it times out.",
                  labels, int(state in ("up", "unknown")))
            for s in SERVER_STATES:
                lab = dict(labels)
                lab["state"] = s
                m.add("vpndns_forwarder_state", "gauge",
                      "1 for the forwarder's state: up, failing, down or "
                      "unknown.", lab, int(s == state))
            if rto is not None:
                m.add("vpndns_forwarder_rto_seconds", "gauge",
                      "Retransmit timeout Unbound keeps for the forwarder.",
                      labels, int(rto) / 1000.0)
                m.add("vpndns_forwarder_timeouts", "gauge",
                      "Timeouts since the forwarder last answered.",
                      labels, int(timeouts))


def collect(args):
    """All metrics, as text."""
    m = Metrics()
    start = time.monotonic()
    up = 1
    try:
        stats = control_command(args, "stats_noreset")
        status = control_command(args, "vpndns_status")
        parse_stats(stats, m)
        parse_status(status, m)
    except (ControlError, ValueError) as e:
        print("vpndns_exporter: %s" % e, file=sys.stderr)
        up = 0
    m.add("vpndns_exporter_up", "gauge",
          "1 when the control socket answered the last scrape.", {}, up)
    m.add("vpndns_exporter_scrape_seconds", "gauge",
          "Time the scrape took.", {}, time.monotonic() - start)
    return m.text()


class Handler(http.server.BaseHTTPRequestHandler):
    """/metrics, and a short page at /."""

    args = None

    def do_GET(self):  # noqa: N802 (http.server's name)
        """Serve the metrics."""
        if self.path.split("?")[0] == "/metrics":
            body = collect(self.args).encode()
            ctype = "text/plain; version=0.0.4; charset=utf-8"
            code = 200
        elif self.path == "/":
            body = b"vpndns exporter: see /metrics\n"
            ctype = "text/plain"
            code = 200
        else:
            body = b"not found\n"
            ctype = "text/plain"
            code = 404
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *a):  # noqa: ARG002
        """Quiet: one line per scrape would flood the journal."""


def parse_listen(text):
    """ADDR:PORT or [V6]:PORT."""
    host, _, port = text.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError("expected ADDR:PORT, got %r" % text)
    return host, int(port)


def main():
    """Parse the arguments and serve."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--control", default="/run/vpndns/vpndns.ctl",
                   help="control-interface: a socket path or HOST@PORT")
    p.add_argument("--listen", type=parse_listen,
                   default=("127.0.0.1", 9775), help="ADDR:PORT to serve on")
    p.add_argument("--server-cert", help="unbound_server.pem (TCP with TLS)")
    p.add_argument("--control-cert", help="unbound_control.pem")
    p.add_argument("--control-key", help="unbound_control.key")
    p.add_argument("--timeout", type=float, default=5.0,
                   help="seconds to wait for the control socket")
    p.add_argument("--once", action="store_true",
                   help="print the metrics once and exit")
    args = p.parse_args()
    if args.server_cert and not (args.control_cert and args.control_key):
        p.error("--server-cert needs --control-cert and --control-key")
    if args.once:
        text = collect(args)
        sys.stdout.write(text)
        return 0 if "vpndns_exporter_up 1" in text else 1
    Handler.args = args
    host, port = args.listen
    cls = http.server.ThreadingHTTPServer
    if ":" in host:
        cls = type("V6Server", (cls,), {"address_family": socket.AF_INET6})
    server = cls((host, port), Handler)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

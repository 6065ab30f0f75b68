#!/usr/bin/env python3
"""Render the main panels of vpndns-dashboard.json to a PNG, from the series
a Prometheus server stored, without Grafana (python3-matplotlib).

  render-dashboard.py --prometheus http://127.0.0.1:9090 --minutes 30 \\
      --output monitoring.png

The panels are those of the dashboard: queries, blocked queries and
failures per view, and forwarder health per tunnel.  docs/monitoring.png
is made this way from the series of test/e2e/t_prometheus.sh.
"""

import argparse
import json
import sys
import time
import urllib.parse
import urllib.request

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after use())

# (title, PromQL, legend label, y label); RANGE is the rate window
PANELS = [
    ("Queries per view",
     "sum by (view) (rate(vpndns_view_queries_total[RANGE]))",
     "{view}", "queries/s"),
    ("Blocked per view",
     "sum by (view) (rate(vpndns_view_blocked_total[RANGE]))",
     "{view}", "queries/s"),
    ("SERVFAIL per view (forwarders failed)",
     "sum by (view) (rate(vpndns_view_servfail_total[RANGE]))",
     "{view}", "queries/s"),
    ("Forwarder up per tunnel (1 up, 0 down)",
     "vpndns_forwarder_up", "{view} {server}", ""),
]


def query_range(base, expr, start, end, step):
    """A range query; returns [(labels, [(t, v)])]."""
    q = urllib.parse.urlencode({"query": expr, "start": start, "end": end,
                                "step": step})
    with urllib.request.urlopen("%s/api/v1/query_range?%s" % (base, q),
                                timeout=10) as r:
        data = json.load(r)
    if data.get("status") != "success":
        raise RuntimeError("%s: %s" % (expr, data))
    return [(s["metric"], [(float(t), float(v)) for t, v in s["values"]])
            for s in data["data"]["result"]]


def main():
    """Query and plot."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--prometheus", default="http://127.0.0.1:9090")
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--step", type=float, default=1.0,
                    help="seconds between points")
    ap.add_argument("--range", default="5s",
                    help="rate window (a few scrape intervals)")
    ap.add_argument("--output", required=True)
    a = ap.parse_args()
    end = time.time()
    start = end - a.minutes * 60
    fig, axes = plt.subplots(2, 2, figsize=(12, 7), sharex=True)
    t0 = None
    for ax, (title, expr, legend, ylabel) in zip(axes.flat, PANELS):
        series = query_range(a.prometheus, expr.replace("RANGE", a.range),
                             start, end, a.step)
        for labels, points in sorted(series, key=lambda s: sorted(
                s[0].items())):
            if t0 is None:
                t0 = min(t for t, _ in points)
            ax.step([t - t0 for t, _ in points], [v for _, v in points],
                    where="post", label=legend.format(**labels))
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
        if series:
            ax.legend(fontsize=8, loc="upper left")
    for ax in axes[1]:
        ax.set_xlabel("seconds")
    axes[1][1].set_ylim(-0.1, 1.1)
    fig.suptitle("vpndns: views and tunnels (Prometheus series, "
                 "test/e2e/t_prometheus.sh)", fontsize=11)
    fig.tight_layout()
    fig.savefig(a.output, dpi=80)
    return 0


if __name__ == "__main__":
    sys.exit(main())

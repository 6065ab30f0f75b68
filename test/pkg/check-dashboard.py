#!/usr/bin/env python3
"""Check the Grafana dashboard against the metrics the exporter serves.

  check-dashboard.py DASHBOARD.json [--metrics METRICS.txt] [--exporter PY]

The dashboard must be valid JSON that Grafana imports as is (a Prometheus
data source input, every panel and query using it, unique panel ids, a
position for every panel), and every metric name in every panel's query
and in the template variable must be one the exporter serves, with
labels it serves.  The served names come from a /metrics text
(--metrics, as the e2e test saves it from a running exporter) or, without
it, from the exporter's source (--exporter).  Prints one line per problem
and exits 1 if there is any.
"""

import argparse
import json
import re
import sys

# PromQL words that look like metric names but are not
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left",
                "group_right", "bool", "and", "or", "unless", "offset"}
# labels the exporter puts on its series, and Prometheus's own
KNOWN_LABELS = {"view", "cache", "verdict", "server", "state", "job",
                "instance"}


def served_from_metrics(text):
    """Metric names and their label names from a /metrics text."""
    names = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ", line)
        if m:
            labels = set(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="',
                                    m.group(2) or ""))
            names.setdefault(m.group(1), set()).update(labels)
    return names


def served_from_source(text):
    """Metric names in the exporter's source (labels not known: any)."""
    return {n: None for n in re.findall(r'"(vpndns_[a-z_]+)"', text)}


def metric_refs(expr):
    """(metric, labels used in its matcher) pairs of a PromQL expression."""
    refs = []
    e = re.sub(r"\[[^\]]*\]", " ", expr)          # ranges [5m]
    e = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", " ", e)
    for m in re.finditer(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?", e):
        name, matcher = m.group(1), m.group(2) or ""
        rest = e[m.end():].lstrip()
        if name in PROMQL_WORDS or rest.startswith("("):
            continue  # a keyword or a function
        if m.start() > 0 and e[m.start() - 1] in "$\"'":
            continue  # a variable or inside a string
        refs.append((name, set(re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*=~?",
                                          matcher))))
    return refs


def grouping_labels(expr):
    """Labels named in by (...) and without (...)."""
    out = set()
    for g in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr):
        out.update(x.strip() for x in g.split(",") if x.strip())
    return out


def check_expr(where, expr, served, problems):
    """Check one query; returns the number of metrics it uses."""
    refs = metric_refs(expr)
    for name, labels in refs:
        if name not in served:
            problems.append("%s: metric %s is not served by the exporter"
                            % (where, name))
            continue
        known = served[name]
        for lab in labels | grouping_labels(expr):
            if known is None and lab not in KNOWN_LABELS:
                problems.append("%s: unknown label %s" % (where, lab))
            elif known is not None and lab not in known | {"job",
                                                           "instance"}:
                problems.append("%s: metric %s has no label %s"
                                % (where, name, lab))
    return len(refs)


def check_structure(dash, problems):
    """What Grafana's import needs."""
    inputs = {i.get("name") for i in dash.get("__inputs", [])
              if i.get("pluginId") == "prometheus"}
    if "DS_PROMETHEUS" not in inputs:
        problems.append("no __inputs entry DS_PROMETHEUS for a Prometheus "
                        "data source")
    ids = set()
    for p in dash.get("panels", []):
        title = p.get("title", "?")
        if p.get("id") in ids:
            problems.append("panel %r: duplicate id %s" % (title, p.get("id")))
        ids.add(p.get("id"))
        if not all(k in p.get("gridPos", {}) for k in "xywh"):
            problems.append("panel %r: no gridPos" % title)
        for d in [p.get("datasource")] + [t.get("datasource")
                                         for t in p.get("targets", [])]:
            if not d or d.get("uid") != "${DS_PROMETHEUS}":
                problems.append("panel %r: data source is not the "
                                "DS_PROMETHEUS input" % title)
    if not ids:
        problems.append("no panels")


def main():
    """Check and report."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dashboard")
    ap.add_argument("--metrics", help="a /metrics text of the exporter")
    ap.add_argument("--exporter", default="contrib/prometheus/"
                    "vpndns_exporter.py", help="the exporter's source")
    a = ap.parse_args()
    problems = []
    try:
        with open(a.dashboard, encoding="utf-8") as f:
            dash = json.load(f)
    except (OSError, ValueError) as e:
        print("%s: %s" % (a.dashboard, e))
        return 1
    if a.metrics:
        with open(a.metrics, encoding="utf-8") as f:
            served = served_from_metrics(f.read())
    else:
        with open(a.exporter, encoding="utf-8") as f:
            served = served_from_source(f.read())
    check_structure(dash, problems)
    nq = 0
    for p in dash.get("panels", []):
        targets = p.get("targets", [])
        if not targets:
            problems.append("panel %r: no query" % p.get("title"))
        for t in targets:
            where = "panel %r query %s" % (p.get("title"), t.get("refId"))
            if not check_expr(where, t.get("expr", ""), served, problems):
                problems.append("%s: uses no metric" % where)
            nq += 1
    for v in dash.get("templating", {}).get("list", []):
        q = v.get("definition", "")
        m = re.match(r"label_values\((\w+),\s*(\w+)\)", q)
        if not m:
            problems.append("variable %s: not label_values(metric, label)"
                            % v.get("name"))
        else:
            check_expr("variable %s" % v.get("name"),
                       "%s{%s=\"\"}" % m.groups(), served, problems)
    for line in problems:
        print(line)
    print("%s: %d panels, %d queries, %d problems" % (
        a.dashboard, len(dash.get("panels", [])), nq, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Write docs/performance.md and docs/performance.png from bench/results.

usage: report.py --results DIR --docs DIR [--notes FILE]

Reads the CSV files that bench/run.sh writes (load.csv, rss.csv,
daemon_blocklist.csv, callgrind.csv, meta.csv), blockset_bench.txt and the
callgrind-*.txt excerpts; computes medians with min/max and the ratios
against stock Unbound; checks the targets; draws the chart with gnuplot.
Only the Python standard library is used.
"""
import argparse
import csv
import os
import re
import statistics
import subprocess
import sys

WORKLOADS = ["hit", "miss", "block", "mix"]
WL_NAME = {"hit": "cache hit", "miss": "cache miss", "block": "blocked",
           "mix": "mix 70/20/10"}
SYS_NAME = {
    "stock": "stock Unbound (iterator, forward-zone)",
    "vpndns2": "Unbound + vpndns, 2 views",
    "vpndns3": "Unbound + vpndns, 3 views",
    "reflect": "Unbound + vpndns, reflect (2 clients)",
    "dnsdist": "dnsdist (pool + packet cache per netmask)",
    "kresd": "Knot Resolver (view:addr forwarding)",
}
SYS_ORDER = ["stock", "vpndns2", "vpndns3", "reflect", "dnsdist", "kresd"]


def read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def fnum(x, default=0.0):
    try:
        return float(x)
    except (TypeError, ValueError):
        return default


def fmt(x, digits=2):
    if x is None:
        return "n/a"
    return f"{x:.{digits}f}"


def med_min_max(values):
    if not values:
        return None
    return (statistics.median(values), min(values), max(values))


def load_stats(rows):
    """(system, workload) -> dict of medians and ranges."""
    groups = {}
    for r in rows:
        groups.setdefault((r["system"], r["workload"]), []).append(r)
    out = {}
    for key, rs in groups.items():
        cpu = [fnum(r["cpu_us_per_query"]) for r in rs]
        user = [fnum(r.get("user_us_per_query")) for r in rs]
        sysc = [fnum(r.get("sys_us_per_query")) for r in rs]
        sched = [fnum(r["schedstat_us_per_query"]) for r in rs]
        qps = [fnum(r["achieved_qps"]) for r in rs]
        done = sum(fnum(r["completed"]) for r in rs)
        up = sum(fnum(r["upstream_queries"]) for r in rs)
        lost = sum(fnum(r["lost"]) for r in rs)
        sent = sum(fnum(r["sent"]) for r in rs)
        out[key] = {
            "cpu": med_min_max(cpu), "sched": med_min_max(sched),
            "user": med_min_max(user), "sys": med_min_max(sysc),
            "qps": statistics.median(qps), "runs": len(rs),
            "offered": fnum(rs[0]["offered_qps"]),
            "up_per_q": up / done if done else 0.0,
            "lost_pct": 100.0 * lost / sent if sent else 0.0,
        }
    return out


def parse_blockset_bench(path):
    res = {}
    if not os.path.exists(path):
        return res
    text = open(path).read()
    m = re.search(r"load: median ([\d.]+) s", text)
    if m:
        res["load_s"] = float(m.group(1))
    m = re.search(r"memory: (\d+) bytes, ([\d.]+) bytes/name", text)
    if m:
        res["mem_bytes"] = int(m.group(1))
        res["bytes_per_name"] = float(m.group(2))
    m = re.search(r"rss: VmHWM (\d+) kB peak, VmRSS (\d+) kB before", text)
    if m:
        res["hwm_kb"] = int(m.group(1))
        res["rss_before_kb"] = int(m.group(2))
    m = re.search(r"after malloc_trim, ([\d.]+) bytes/name", text)
    if m:
        res["rss_bytes_per_name"] = float(m.group(1))
    m = re.search(r"names: (\d+) added, (\d+) distinct", text)
    if m:
        res["names"] = int(m.group(2))
    m = re.search(r"lookup: ([\d.]+) ns/op single set, ([\d.]+) ns/op two", text)
    if m:
        res["lookup_ns"] = float(m.group(1))
        res["lookup2_ns"] = float(m.group(2))
    return res


ANNOT_RE = re.compile(r"^\s*([\d,]+) \(\s*([\d.]+)%\)\s+(.+?):(\S+?)(?: \'[^\']*\')?\s+\[")


def parse_annotate_section(path, section):
    """Lines of one '# ...' section of a callgrind-*.txt excerpt."""
    if not os.path.exists(path):
        return []
    out = []
    cur = None
    for line in open(path, errors="replace"):
        if line.startswith("# "):
            cur = line[2:].strip()
            continue
        if cur is None or not cur.startswith(section):
            continue
        m = ANNOT_RE.match(line)
        if m:
            out.append((int(m.group(1).replace(",", "")), float(m.group(2)),
                        m.group(3), m.group(4)))
    return out


def verdict(ok):
    return "**met**" if ok else "**not met**"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--docs", required=True)
    ap.add_argument("--notes")
    a = ap.parse_args()
    R = a.results

    meta_rows = read_csv(os.path.join(R, "meta.csv"))
    meta = {}
    notes = []
    for r in meta_rows:
        if r["key"] == "note":
            notes.append(r["value"])
        else:
            meta[r["key"]] = r["value"]
    load = load_stats(read_csv(os.path.join(R, "load.csv")))
    rss = {r["system"]: r for r in read_csv(os.path.join(R, "rss.csv"))}
    dl = read_csv(os.path.join(R, "daemon_blocklist.csv"))
    cg = {(r["variant"], r["workload"]): r
          for r in read_csv(os.path.join(R, "callgrind.csv"))}
    bb = parse_blockset_bench(os.path.join(R, "blockset_bench.txt"))
    systems = [s for s in SYS_ORDER if any(k[0] == s for k in load)]

    def cpu(sysname, wl, kind="cpu"):
        st = load.get((sysname, wl))
        return st[kind][0] if st and st[kind] else None

    def ratio(x, y):
        return x / y if x is not None and y else None

    def cgir(variant, wl):
        r = cg.get((variant, wl))
        return fnum(r["ir_per_query"]) if r else None

    # daemon blocklist figures
    def dl_median(kind, field):
        v = [fnum(r[field]) for r in dl if r["list"] == kind]
        return statistics.median(v) if v else None
    start_list = dl_median("list", "start_s")
    start_nolist = dl_median("nolist", "start_s")
    rss_list = dl_median("list", "rss_kb")
    rss_nolist = dl_median("nolist", "rss_kb")
    nnames = bb.get("names") or int(fnum(meta.get("blocklist_names"), 0)) or 1
    dstart = (start_list - start_nolist) if start_list is not None and start_nolist is not None else None
    drss_mb = (rss_list - rss_nolist) / 1024.0 if rss_list and rss_nolist else None

    L = []
    w = L.append
    w("# vpndns performance")
    w("")
    w(f"Measured on {meta.get('date', '?')} with `bench/run.sh"
      f"{' --smoke' if meta.get('mode') == 'smoke' else ''}` on this project's "
      f"development machine: {meta.get('cpu', '?')}, {meta.get('cores', '?')} "
      f"cores, Linux {meta.get('kernel', '?')}; Unbound {meta.get('unbound', '?').replace('Version ', '')}; "
      f"vpndns at commit {meta.get('git', '?')} (binary built "
      f"{meta.get('unbound_built', '?')}). The whole run took "
      f"{int(fnum(meta.get('elapsed_s')))} s. The cores are shared with other "
      f"work: load average {meta.get('loadavg_start', '?')} at the start, "
      f"{meta.get('loadavg_end', '?')} at the end (1, 5, 15 min).")
    if meta.get("mode") == "smoke":
        w("")
        w("**This is a smoke run: tiny sizes, one short run each. The numbers "
          "only show that every step works.**")
    w("")
    w("Rerun with `bench/run.sh` (about 8-12 minutes; installs what it needs "
      "from Debian). It rewrites this file, `docs/performance.png` and "
      "`bench/results/*.csv`. See `bench/README.md`.")
    w("")
    w("## Summary against the targets")
    w("")
    w("CPU is the server's utime+stime from `/proc/PID/stat` over a load run "
      "divided by the queries answered in it; server pinned to core 0, "
      "dnsperf and the fast upstream to core 1; a fixed offered rate, the same "
      "for every system. Median of "
      f"{meta.get('runs', '?')} runs of {meta.get('duration_s', '?')} s, "
      "[min–max] in brackets. vpndns here is the 2-view setup with the "
      f"{nnames:,}-name blocklist loaded.")
    w("")
    w("| Figure | vpndns | stock | ratio | target | result |")
    w("|---|---|---|---|---|---|")

    def cpu_cell(sysname, wl, kind="cpu"):
        st = load.get((sysname, wl))
        if not st or not st[kind]:
            return "n/a"
        m, lo, hi = st[kind]
        return f"{m:.2f} µs [{lo:.2f}–{hi:.2f}]"

    summary_rows = [
        ("CPU per cached answer", "hit", 1.05, "≤ 1.05×"),
        ("CPU per cache-miss forwarded query", "miss", 1.05, "≤ 1.05×"),
        ("CPU per blocked answer (stock: local-zone always_nxdomain)",
         "block", 1.00, "≤ 1.00× (≤ stock)"),
        ("CPU per query, mix 70% hit / 20% miss / 10% blocked", "mix", None, "—"),
    ]
    met = []
    for label, wl, tgt, tgt_s in summary_rows:
        rt = ratio(cpu("vpndns2", wl), cpu("stock", wl))
        res = "—"
        if tgt is not None and rt is not None:
            ok = rt <= tgt
            res = verdict(ok)
            met.append((label, ok, rt, tgt_s))
        w(f"| {label} | {cpu_cell('vpndns2', wl)} | {cpu_cell('stock', wl)} | "
          f"{fmt(rt)}× | {tgt_s} | {res} |")
    for wl, label in [("hit", "cached answer"), ("miss", "cache miss"),
                      ("block", "blocked answer")]:
        rt = ratio(cpu("vpndns2", wl, "user"), cpu("stock", wl, "user"))
        if rt is not None:
            w(f"| User-space CPU per {label} (utime only) | {cpu_cell('vpndns2', wl, 'user')} | "
              f"{cpu_cell('stock', wl, 'user')} | {fmt(rt)}× | (same as above) | — |")
    for wl, label in [("hit", "cached answer"), ("miss", "cache miss"),
                      ("block", "blocked answer")]:
        v, s = cgir("vpndns", wl), cgir("stock", wl)
        if v is None and s is None:
            continue
        rt = ratio(v, s)
        w(f"| Instructions per {label} (callgrind Ir) | "
          f"{'n/a' if v is None else f'{v:,.0f}'} | {'n/a' if s is None else f'{s:,.0f}'} | "
          f"{fmt(rt)}× | (same as CPU) | — |")
    if bb.get("load_s") is not None:
        ok = bb["load_s"] <= 1.0
        met.append(("blocklist load time (engine)", ok, bb["load_s"], "≤ 1 s"))
        w(f"| {nnames:,}-name blocklist load: parse + build (blockset_bench, median of 3) | "
          f"{bb['load_s']:.3f} s | — | — | ≤ 1 s | {verdict(ok)} |")
    if dstart is not None:
        ok = dstart <= 1.0
        met.append(("blocklist load time (daemon)", ok, dstart, "≤ 1 s"))
        w(f"| Daemon start-up time added by the list (start-to-first-answer, with − without, median) | "
          f"{dstart:.3f} s ({start_list:.3f} s vs {start_nolist:.3f} s) | — | — | ≤ 1 s | {verdict(ok)} |")
    if bb.get("mem_bytes") is not None:
        mb = bb["mem_bytes"] / 1e6
        ok = mb <= 40
        met.append(("blocklist memory (set)", ok, mb, "≤ 40 MB"))
        w(f"| Blocklist memory: the built set (blockset_get_mem) | {mb:.1f} MB, "
          f"{bb['bytes_per_name']:.1f} bytes/name | — | — | ≤ 40 MB | {verdict(ok)} |")
    if drss_mb is not None:
        ok = drss_mb <= 40
        met.append(("blocklist memory (daemon RSS)", ok, drss_mb, "≤ 40 MB"))
        w(f"| Blocklist memory: daemon RSS with − without the list | {drss_mb:.1f} MB, "
          f"{drss_mb * 1048576 / nnames:.1f} bytes/name ({rss_list / 1024:.1f} vs "
          f"{rss_nolist / 1024:.1f} MB) | — | — | ≤ 40 MB | {verdict(ok)} |")
    if bb.get("hwm_kb") is not None:
        w(f"| Peak RSS while loading (blockset_bench VmHWM − start) | "
          f"{(bb['hwm_kb'] - bb.get('rss_before_kb', 0)) / 1024:.1f} MB | — | — | — | — |")
    if "vpndns2" in rss and "stock" in rss:
        v, s = fnum(rss["vpndns2"]["rss_end_kb"]), fnum(rss["stock"]["rss_end_kb"])
        w(f"| Server RSS after all load runs | {v / 1024:.1f} MB | {s / 1024:.1f} MB | "
          f"{fmt(ratio(v, s))}× | — | — |")
    w("")
    if met:
        good = [m for m in met if m[1]]
        bad = [m for m in met if not m[1]]
        w("**Met:** " + ("; ".join(f"{m[0]} ({m[2]:.2f}{'×' if 'CPU' in m[0] else ''} vs {m[3]})" for m in good) or "none") + ".")
        w("")
        w("**Not met:** " + ("; ".join(f"{m[0]} ({m[2]:.2f}× vs {m[3]})" for m in bad) or "none") + ".")
        w("")

    w("![CPU per answered query and instructions per query](performance.png)")
    w("")
    w("## All systems and workloads")
    w("")
    w("CPU µs per answered query, median [min–max]; ratio against stock "
      "Unbound on the same workload; achieved rate; upstream queries per "
      "answered query (0 for cache hits and blocked names, 1 for misses).")
    w("")
    w("| System | Workload | offered q/s | achieved q/s | CPU µs/query | ratio to stock | user µs/query | upstream/query | lost |")
    w("|---|---|---|---|---|---|---|---|---|")
    for s in systems:
        for wl in WORKLOADS:
            st = load.get((s, wl))
            if not st:
                continue
            m, lo, hi = st["cpu"]
            rt = ratio(m, cpu("stock", wl))
            um = st["user"][0] if st["user"] else 0
            w(f"| {SYS_NAME.get(s, s)} | {WL_NAME[wl]} | {st['offered']:.0f} | "
              f"{st['qps']:.0f} | {m:.2f} [{lo:.2f}–{hi:.2f}] | {fmt(rt)}× | "
              f"{um:.2f} | {st['up_per_q']:.2f} | {st['lost_pct']:.2f}% |")
    w("")
    if rss:
        w("Server memory (VmRSS at start, after the runs, peak):")
        w("")
        w("| System | start | after the runs | peak (VmHWM) | start-to-first-answer |")
        w("|---|---|---|---|---|")
        for s in systems:
            r = rss.get(s)
            if not r:
                continue
            w(f"| {SYS_NAME.get(s, s)} | {fnum(r['rss_start_kb']) / 1024:.1f} MB | "
              f"{fnum(r['rss_end_kb']) / 1024:.1f} MB | {fnum(r['hwm_end_kb']) / 1024:.1f} MB | "
              f"{fnum(r['start_s']):.2f} s |")
        w("")
        w("vpndns starts with the blocklist in memory (see the summary), and "
          "each view fills a message and an rrset cache of its own (Unbound's "
          "default sizes each unless vpndns.conf sets others), so after the "
          "miss runs N views hold up to N times what stock's one cache holds.")
        w("")
    if notes:
        w("Notes:")
        w("")
        for n in notes:
            w(f"- {n}")
        w("")

    w("## Blocklist engine (bench/blockset_bench.c)")
    w("")
    if bb:
        w(f"- {nnames:,} distinct random names (10–30 characters, 2–4 labels), "
          f"loaded three times: median **{bb.get('load_s', 0):.3f} s** for parse "
          f"and build.")
        if "mem_bytes" in bb:
            w(f"- The built set: **{bb['mem_bytes'] / 1e6:.1f} MB, "
              f"{bb['bytes_per_name']:.2f} bytes per name**; resident growth "
              f"after `malloc_trim`: {bb.get('rss_bytes_per_name', 0):.2f} bytes per name; "
              f"peak while building: {bb.get('hwm_kb', 0) / 1024:.1f} MB.")
        if "lookup_ns" in bb:
            w(f"- Lookup: {bb['lookup_ns']:.0f} ns per name against one set, "
              f"{bb['lookup2_ns']:.0f} ns against two (global and view), half of "
              "them listed names or names below them.")
        w("")
        w("The daemon figures in the summary come from starting Unbound + vpndns "
          "(2 views) with and without the list and timing its first answer; "
          "they include the rest of the policy build.")
    w("")

    w("## Instruction counts (callgrind)")
    w("")
    w(f"Unbound under `valgrind --tool=callgrind` (num-threads 1). After a warm-up "
      f"(the {meta.get('hit_names', '?')} cached names), the counters are dumped; then "
      f"{meta.get('cg_small', '?')} queries, dump, {meta.get('cg_big', '?')} "
      f"queries, dump. Ir per query = (Ir of the big batch − Ir of the small "
      "batch) / (difference in queries), which removes start-up, warm-up and "
      "the fixed cost of a batch. One client address (view v1).")
    w("")
    w("| Path | stock | vpndns (2 views, list) | ratio | vpndns without list |")
    w("|---|---|---|---|---|")
    for wl in ["hit", "miss", "block"]:
        s, v, n = cgir("stock", wl), cgir("vpndns", wl), cgir("vpndns-nolist", wl)
        if s is None and v is None:
            continue
        w(f"| {WL_NAME[wl]} | {'n/a' if s is None else f'{s:,.0f}'} | "
          f"{'n/a' if v is None else f'{v:,.0f}'} | {fmt(ratio(v, s))}× | "
          f"{'—' if n is None else f'{n:,.0f}'} |")
    w("")

    # profile of the vpndns cache-hit path
    prof = os.path.join(R, "callgrind-vpndns-hit.txt")
    vfun = parse_annotate_section(prof, "vpndns functions")
    top = parse_annotate_section(prof, "callgrind_annotate --inclusive=yes")
    qbig = fnum(cg.get(("vpndns", "hit"), {}).get("queries_big"), 0)
    per_q_hit = cgir("vpndns", "hit")
    if vfun and qbig:
        w("### Profile of the vpndns cache-hit path")
        w("")
        w(f"Top vpndns functions by inclusive cost, over {qbig:.0f} cache hits "
          "(`callgrind_annotate --inclusive=yes`, excerpt in "
          "`bench/results/callgrind-vpndns-hit.txt`). Ir/query is the function's "
          "inclusive count over the batch divided by its queries (so it "
          f"includes the batch's fixed cost; the whole hit costs {per_q_hit:,.0f} "
          "Ir by the subtraction above).")
        w("")
        w("| Function | File | inclusive Ir/query | share of the batch |")
        w("|---|---|---|---|")
        seen = set()
        for ir, pct, path, fn in vfun:
            if fn in seen:
                continue
            seen.add(fn)
            w(f"| `{fn}` | {os.path.basename(path)} | {ir / qbig:,.0f} | {pct:.1f}% |")
            if len(seen) >= 15:
                break
        w("")
    if top and qbig:
        w("Top functions of the whole cache-hit path, inclusive (vpndns build):")
        w("")
        w("| Function | File | inclusive Ir/query | share |")
        w("|---|---|---|---|")
        n = 0
        for ir, pct, path, fn in top:
            if fn.startswith("0x") or pct >= 99.5:
                continue  # the event loop and the frames above it
            w(f"| `{fn}` | {os.path.basename(path)} | {ir / qbig:,.0f} | {pct:.1f}% |")
            n += 1
            if n >= 20:
                break
        w("")
    # where the extra instructions go: self cost vpndns minus stock
    sv = parse_annotate_section(prof, "callgrind_annotate --inclusive=no")
    ss = parse_annotate_section(os.path.join(R, "callgrind-stock-hit.txt"),
                                "callgrind_annotate --inclusive=no")
    qs = fnum(cg.get(("stock", "hit"), {}).get("queries_big"), 0)
    if sv and ss and qbig and qs:
        dv = {}
        for ir, pct, path, fn in sv:
            dv[fn] = dv.get(fn, 0) + ir / qbig
        ds = {}
        for ir, pct, path, fn in ss:
            ds[fn] = ds.get(fn, 0) + ir / qs
        diff = sorted(((dv.get(f, 0) - ds.get(f, 0), f) for f in set(dv) | set(ds)),
                      reverse=True)
        w("Self cost per cache hit, vpndns minus stock (functions above "
          "callgrind_annotate's 99% threshold in either build):")
        w("")
        w("| Function | vpndns Ir/query | stock Ir/query | difference |")
        w("|---|---|---|---|")
        for d, f in diff[:12]:
            if d <= 0:
                break
            w(f"| `{f}` | {dv.get(f, 0):,.0f} | {ds.get(f, 0):,.0f} | +{d:,.0f} |")
        w("")

    # the vpndns functions of the other two paths
    for wl in ["miss", "block"]:
        fpath = os.path.join(R, f"callgrind-vpndns-{wl}.txt")
        rows = parse_annotate_section(fpath, "vpndns functions")
        q = fnum(cg.get(("vpndns", wl), {}).get("queries_big"), 0)
        if not rows or not q:
            continue
        w(f"Top vpndns functions on the {WL_NAME[wl]} path, inclusive Ir per query "
          f"(`bench/results/callgrind-vpndns-{wl}.txt`; the whole path costs "
          f"{cgir('vpndns', wl):,.0f} Ir, stock {cgir('stock', wl) or 0:,.0f}):")
        w("")
        w("| Function | File | inclusive Ir/query |")
        w("|---|---|---|")
        seen = set()
        for ir, pct, path, fn in rows:
            if fn in seen:
                continue
            seen.add(fn)
            w(f"| `{fn}` | {os.path.basename(path)} | {ir / q:,.0f} |")
            if len(seen) >= 12:
                break
        w("")

    if a.notes and os.path.exists(a.notes):
        w(open(a.notes).read().rstrip())
        w("")

    w("## Method")
    w("")
    w(f"- **Fast upstream**: `bench/fastdns.c` (libc only, recvmmsg/sendmmsg, "
      "bounded lifetime) answers every A query with one record, TTL 300, on "
      "127.0.0.11–13 (the views' forwarders) and 127.0.2.1–2 (the reflect "
      "clients' own addresses). It counts the queries it answers, which checks "
      "every run: cache hits and blocked names must reach it for under 1% of "
      "the queries, cache misses for at least 95%.")
    w(f"- **Workloads**: cache hits = {meta.get('hit_names', '?')} names, pre-warmed from every client "
      f"address, offered at {meta.get('rate_hit')} q/s; cache misses = names "
      f"never asked before (a new prefix per run), {meta.get('rate_miss')} q/s; "
      f"blocked = names drawn from the {nnames:,}-name list (stock, dnsdist and "
      "Knot Resolver: names under `blocked.example`, answered NXDOMAIN by a "
      f"local zone or rule), {meta.get('rate_block')} q/s; mix = 70% cached, "
      f"20% new, 10% blocked names, {meta.get('rate_mix')} q/s. The offered "
      "rate is split evenly between the client addresses; one dnsperf per "
      "address (`-a`), run concurrently.")
    w("- **Systems**: stock = the same `unbound` binary with "
      "`module-config: \"iterator\"` and `forward-zone: \".\"` to the fast "
      "upstream, plus `local-zone: \"blocked.example.\" always_nxdomain`; "
      "vpndns = `module-config: \"vpndns iterator\"` with `view:`/`client:` "
      "lines (one view per client address, each its own upstream), "
      "`default: refuse`, the blocklist and `block-action: nxdomain`; reflect = "
      "`reflect: 127.0.2.0/24` (each client forwards to itself). All with "
      "num-threads 1, `ede: yes`, default cache sizes.")
    w("- dnsdist: one pool per client /32 with its own packet cache, "
      "`SuffixMatchNodeRule` → NXDOMAIN for blocked names. Knot Resolver: "
      "`view:addr` per client with `policy.FORWARD` to that client's upstream "
      "and `policy.DENY` for blocked names; DNSSEC validation and priming off; "
      "its cache is shared between views (no per-view cache).")
    w("- The run executes in its own network namespace (only loopback) when "
      "`unshare -n` works; every load is bounded by `dnsperf -l` and a "
      "`timeout`; every process is stopped by its PID.")
    w("- CPU ticks are 1/%s s; the CSV also carries the on-CPU time from "
      "`/proc/PID/task/*/schedstat` (ns) as a cross-check "
      "(`schedstat_us_per_query`)." % os.sysconf("SC_CLK_TCK"))
    w("- Raw numbers: `bench/results/load.csv`, `rss.csv`, "
      "`daemon_blocklist.csv`, `callgrind.csv`, `blockset_bench.txt`, "
      "`callgrind-*.txt`, `meta.csv`.")
    w("")

    os.makedirs(a.docs, exist_ok=True)
    with open(os.path.join(a.docs, "performance.md"), "w") as f:
        f.write("\n".join(L))

    # chart: CPU per query by workload and system; callgrind Ir per query
    dat = os.path.join(R, "chart.dat")
    with open(dat, "w") as f:
        f.write("# workload " + " ".join(f"{s}_med {s}_min {s}_max" for s in systems) + "\n")
        for wl in WORKLOADS:
            cols = []
            for s in systems:
                st = load.get((s, wl))
                if st and st["cpu"]:
                    cols += [f"{v:.4f}" for v in st["cpu"]]
                else:
                    cols += ["0", "0", "0"]
            f.write(f"\"{WL_NAME[wl]}\" " + " ".join(cols) + "\n")
    cgdat = os.path.join(R, "chart-cg.dat")
    with open(cgdat, "w") as f:
        f.write("# workload stock vpndns vpndns-nolist (kIr/query)\n")
        for wl in ["hit", "miss", "block"]:
            vals = [cgir(v, wl) for v in ["stock", "vpndns", "vpndns-nolist"]]
            f.write(f"\"{WL_NAME[wl]}\" " + " ".join(
                f"{(x or 0) / 1000:.2f}" for x in vals) + "\n")
    plots = []
    for i, s in enumerate(systems):
        c = 2 + 3 * i
        src = f"'{dat}'" if i == 0 else "''"
        plots.append(f"{src} using {c}:{c + 1}:{c + 2}{':xtic(1)' if i == 0 else ''} "
                     f"title '{s}'")
    gp = f"""
set terminal pngcairo size 1200,520 font 'DejaVu Sans,10'
set output '{os.path.join(a.docs, 'performance.png')}'
set multiplot layout 1,2 title 'vpndns vs stock Unbound ({meta.get('date', '')})'
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set key top left
set grid ytics
set yrange [0:*]
set ylabel 'server CPU per answered query (µs)'
set title 'CPU per query, median of runs (bars: min-max)'
plot {', '.join(plots)}
set style histogram clustered gap 1
set ylabel 'instructions per query (thousands, callgrind Ir)'
set title 'Instructions per query (callgrind)'
plot '{cgdat}' using 2:xtic(1) title 'stock', '' using 3 title 'vpndns', '' using 4 title 'vpndns, no list'
unset multiplot
"""
    r = subprocess.run(["gnuplot"], input=gp, text=True, capture_output=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

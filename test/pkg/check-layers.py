#!/usr/bin/env python3
"""The module's files form layers: their include graph has no cycle.

    check-layers.py [--layers] [MODULE_DIR]

The graph is built over units.  A header B.h is unit B.  A source file
X.c is unit X when X.h exists; a source file without a header of its own
(front.c, egress.c, ...) belongs to the unit of the header that declares
the functions it defines (vpndns.h: unit vpndns).  Unit A depends on
unit B when a file of A includes B.h ("vpndns/B.h").  A header with no
source file (queryid.h) is a unit of its own.

When the graph has a cycle, prints a shortest cycle of every strongly
connected component, with the includes that make each step, and exits 1.
Else prints the number of units, and with --layers the units layer by
layer, each above the ones it depends on.

MODULE_DIR defaults to module/ beside test/.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*"(?:vpndns/)?([A-Za-z0-9_.-]+\.h)"',
    re.M)
DEFINITION = re.compile(r'^([A-Za-z_]\w*)\s*\(', re.M)
CALLISH = re.compile(r'([A-Za-z_]\w*)\s*\(')


def strip_comments(text):
    """Remove C comments and string literals, keep line breaks."""
    def blank(m):
        return re.sub(r'[^\n]', ' ', m.group(0))
    return re.sub(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"', blank, text,
        flags=re.S)


def declared_functions(text):
    """Names of the functions a header declares or defines (static
    inline), found in its top-level statements; macros and typedefs
    are left out."""
    text = strip_comments(text)
    text = re.sub(r'^\s*#(?:[^\n]*\\\n)*[^\n]*', '', text, flags=re.M)
    names = set()
    depth = 0
    stmt = []
    for ch in text:
        if depth == 0 and ch in ';{':
            s = ''.join(stmt).strip()
            stmt = []
            if ch == '{' and not s.startswith('typedef'):
                m = CALLISH.search(s)
                if m and not re.match(r'(struct|union|enum)\b', s):
                    names.add(m.group(1))
            elif ch == ';' and not s.startswith('typedef'):
                m = CALLISH.search(s)
                if m and m.group(1) not in ('sizeof',):
                    names.add(m.group(1))
        if ch == '{':
            depth += 1
        elif ch == '}':
            depth -= 1
            if depth == 0:
                stmt = []
                continue
        elif depth == 0 and ch != ';':
            stmt.append(ch)
    return names


def read(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        return f.read()


def build_graph(mod):
    """Units and edges of the module directory: returns (units, edges),
    edges mapping (a, b) to the list of 'file includes header'."""
    files = sorted(f for f in os.listdir(mod) if f.endswith(('.c', '.h')))
    headers = {f for f in files if f.endswith('.h')}
    decl = {h: declared_functions(read(os.path.join(mod, h)))
        for h in headers}
    unit = {h: h[:-2] for h in headers}
    for f in files:
        if not f.endswith('.c'):
            continue
        stem = f[:-2]
        if stem + '.h' in headers:
            unit[f] = stem
            continue
        defined = set(DEFINITION.findall(strip_comments(
            read(os.path.join(mod, f)))))
        best = max(sorted(headers), key=lambda h: len(decl[h] & defined))
        unit[f] = best[:-2] if decl[best] & defined else stem
    for h in headers:
        if h[:-2] + '.c' not in files:
            unit[h] = h
    units = set(unit.values())
    edges = {}
    for f in files:
        for inc in INCLUDE.findall(read(os.path.join(mod, f))):
            if inc not in headers:
                continue
            a, b = unit[f], unit[inc]
            if a != b:
                edges.setdefault((a, b), []).append(
                    '%s includes %s' % (f, inc))
    return units, edges


def components(units, edges):
    """Strongly connected components (Tarjan), iteratively."""
    succ = {u: sorted(b for (a, b) in edges if a == u) for u in units}
    index, low, onstack, stack, out = {}, {}, set(), [], []
    counter = [0]
    for root in sorted(units):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = counter[0]
                counter[0] += 1
                stack.append(v)
                onstack.add(v)
            if i < len(succ[v]):
                work.append((v, i + 1))
                w = succ[v][i]
                if w not in index:
                    work.append((w, 0))
                elif w in onstack:
                    low[v] = min(low[v], index[w])
                continue
            for w in succ[v]:
                if w in onstack:
                    low[v] = min(low[v], low[w])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    onstack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


def shortest_cycle(start, members, edges):
    """A shortest cycle from start back to it inside members, or None."""
    prev = {start: None}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for (a, b) in sorted(edges):
            if a != v or b not in members:
                continue
            if b == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                path.reverse()
                return path + [start]
            if b not in prev:
                prev[b] = v
                queue.append(b)
    return None


def cycle_in(comp, edges):
    """A shortest cycle of a strongly connected component."""
    members = set(comp)
    cycles = [c for c in (shortest_cycle(u, members, edges) for u in comp)
        if c]
    return min(cycles, key=len)


def layers(units, edges):
    """Layer of every unit of an acyclic graph: 0 for units that
    depend on none, else one above the highest it depends on."""
    level = {}

    def lv(u):
        if u not in level:
            deps = [b for (a, b) in edges if a == u]
            level[u] = 1 + max(map(lv, deps)) if deps else 0
        return level[u]
    for u in units:
        lv(u)
    return level


def main(argv):
    show = '--layers' in argv
    args = [a for a in argv if a != '--layers']
    mod = args[0] if args else os.path.join(os.path.dirname(
        os.path.abspath(__file__)), '..', '..', 'module')
    units, edges = build_graph(mod)
    cyclic = [c for c in components(units, edges) if len(c) > 1]
    if cyclic:
        for comp in cyclic:
            print('check-layers: cycle among %d units: %s' % (len(comp),
                ' '.join(comp)))
            path = cycle_in(comp, edges)
            print('  cycle: ' + ' -> '.join(path))
            for a, b in zip(path, path[1:]):
                print('    %s -> %s: %s' % (a, b, ', '.join(edges[(a, b)])))
        return 1
    print('check-layers: %d units, %d dependencies, no cycle' % (len(units),
        len(edges)))
    if show:
        level = layers(units, edges)
        for n in range(max(level.values()) + 1):
            print('  %d: %s' % (n, ' '.join(sorted(u for u in units
                if level[u] == n))))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

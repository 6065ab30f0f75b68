#!/usr/bin/env python3
"""Check the +MANIFEST of a staged FreeBSD package against its stage.

usage: check-manifest.py STAGEDIR

Checks, with no FreeBSD tools:
  - STAGEDIR/+MANIFEST parses as JSON (pkg reads it as UCL, of which JSON is
    a subset) and is an object;
  - the required fields are present and well formed: name, version, origin
    (category/name), comment, desc, maintainer, www, prefix; deps, when
    present, map package names to {origin, version}; scripts, when present,
    use pkg's script names;
  - every file listed exists in the stage with the listed checksum: "1$" and
    the hex SHA-256 of the content, or of the link target for a symlink (as
    pkg computes it);
  - no file or symlink of the stage, except the +files at its top, is
    missing from the manifest.
Prints one line per problem and a summary; exits 1 on any problem.
"""

import hashlib
import json
import os
import re
import sys
import urllib.parse

REQUIRED = ("name", "version", "origin", "comment", "desc", "maintainer",
            "www", "prefix")
SCRIPTS = {"pre-install", "install", "post-install", "pre-upgrade",
           "upgrade", "post-upgrade", "pre-deinstall", "deinstall",
           "post-deinstall"}


def file_sum(path):
    """pkg's sha256_hex checksum of a staged file or symlink."""
    if os.path.islink(path):
        target = os.readlink(path)
        if target.startswith("/"):
            # pkg hashes the target without its leading '/' but with the
            # original length, which takes in the terminating NUL
            data = target[1:].encode() + b"\0"
        else:
            data = target.encode()
    else:
        with open(path, "rb") as fh:
            data = fh.read()
    return "1$" + hashlib.sha256(data).hexdigest()


def staged_files(stage):
    """Absolute package paths of every file and symlink in the stage."""
    found = set()
    for root, dirs, files in os.walk(stage):
        rel_root = os.path.relpath(root, stage)
        if rel_root == ".":
            files = [f for f in files if not f.startswith("+")]
            dirs[:] = [d for d in dirs if not d.startswith("+")]
        # symlinks to directories are files for pkg
        for d in list(dirs):
            if os.path.islink(os.path.join(root, d)):
                files.append(d)
                dirs.remove(d)
        for f in files:
            rel = os.path.normpath(os.path.join(rel_root, f))
            found.add("/" + rel)
    return found


def check(stage):
    problems = []
    mpath = os.path.join(stage, "+MANIFEST")
    try:
        with open(mpath, encoding="utf-8") as fh:
            manifest = json.load(fh)
    except OSError as exc:
        return ["cannot read %s: %s" % (mpath, exc.strerror)], None
    except (ValueError, UnicodeDecodeError) as exc:
        return ["%s is not valid JSON: %s" % (mpath, exc)], None
    if not isinstance(manifest, dict):
        return ["%s: not a JSON object" % mpath], None

    for key in REQUIRED:
        val = manifest.get(key)
        if not isinstance(val, str) or not val.strip():
            problems.append("field %r missing or empty" % key)
    origin = manifest.get("origin")
    if isinstance(origin, str) and not re.fullmatch(r"[a-z0-9_+-]+/[A-Za-z0-9_.+-]+", origin):
        problems.append("origin %r is not category/name" % origin)
    prefix = manifest.get("prefix")
    if isinstance(prefix, str) and not prefix.startswith("/"):
        problems.append("prefix %r is not absolute" % prefix)

    deps = manifest.get("deps", {})
    if not isinstance(deps, dict):
        problems.append("deps is not an object")
    else:
        for name, dep in deps.items():
            if (not isinstance(dep, dict) or
                    not isinstance(dep.get("origin"), str) or
                    not isinstance(dep.get("version"), str) or
                    "/" not in dep["origin"]):
                problems.append("dependency %r needs origin and version "
                                "strings" % name)

    scripts = manifest.get("scripts", {})
    if not isinstance(scripts, dict):
        problems.append("scripts is not an object")
    else:
        for name, text in scripts.items():
            if name not in SCRIPTS:
                problems.append("unknown script %r" % name)
            elif not isinstance(text, str):
                problems.append("script %r is not a string" % name)

    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        problems.append("files missing or empty")
        files = {}
    listed = set()
    for key, want in files.items():
        path = urllib.parse.unquote(key)  # pkg URL-decodes the paths
        listed.add(path)
        if not path.startswith("/"):
            problems.append("file %s: not an absolute path" % path)
            continue
        if isinstance(prefix, str) and not path.startswith(prefix.rstrip("/") + "/"):
            problems.append("file %s: outside the prefix %s" % (path, prefix))
        if isinstance(want, dict):
            want = want.get("sum")
        if not isinstance(want, str) or not re.fullmatch(r"1\$[0-9a-f]{64}", want):
            problems.append("file %s: checksum %r is not 1$<sha256 hex>" % (path, want))
            continue
        full = os.path.join(stage, path.lstrip("/"))
        if not os.path.lexists(full):
            problems.append("file %s: listed but not in the stage" % path)
            continue
        have = file_sum(full)
        if have != want:
            problems.append("file %s: checksum %s, manifest says %s" % (path, have, want))

    for path in sorted(staged_files(stage) - listed):
        problems.append("file %s: in the stage but not in the manifest" % path)
    return problems, manifest


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check-manifest.py STAGEDIR")
    stage = sys.argv[1]
    problems, manifest = check(stage)
    for p in problems:
        print("check-manifest: " + p)
    if manifest is not None:
        print("check-manifest: %s %s: %d files, deps: %s; %d problems" % (
            manifest.get("name"), manifest.get("version"),
            len(manifest.get("files", {})),
            " ".join(sorted(manifest.get("deps", {}))) or "none",
            len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

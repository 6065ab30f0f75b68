"""The PID files of the fake servers (fakedns.py, multifake.py).

A test waits for the file before it queries, so a server writes it once
it listens, and removes it on a clean exit.
"""

import os


def write(path):
    """Write our PID to PATH, if given, atomically: a waiter never sees
    the file empty."""
    if not path:
        return
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write("%d\n" % os.getpid())
    os.rename(tmp, path)


def remove(path):
    """Remove the PID file PATH, if given; one already gone is fine."""
    if not path:
        return
    try:
        os.unlink(path)
    except OSError:
        pass

#!/usr/bin/env python3
"""Start a QEMU that waits stopped (-S) once a client is on one of its
socket chardevs: the guest then finds what the client sent first already
queued on the device behind that chardev.

    qmp-cont.py QMP_SOCKET CHARDEV [SECONDS]

QEMU calls a socket chardev "disconnected:..." until a client connects.
gdb sends its first packet as soon as it is connected, so this waits a
moment more (SECONDS, 0.5 by default) before it says "cont".  Complains
on stderr (and lets the guest run anyway) if no client came within a
minute.
"""
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from qmp import Qmp  # noqa: E402  (scripts/qmp.py)

LIMIT_S = 60


def main():
    path, chardev = sys.argv[1], sys.argv[2]
    settle = float(sys.argv[3]) if len(sys.argv) > 3 else 0.5
    qmp = Qmp(path, wait_s=LIMIT_S)
    end = time.monotonic() + LIMIT_S
    while time.monotonic() < end:
        devs = qmp.cmd("query-chardev").get("return", [])
        names = [d["filename"] for d in devs if d["label"] == chardev]
        if names and not names[0].startswith("disconnected:"):
            time.sleep(settle)
            break
        time.sleep(0.05)
    else:
        print("qmp-cont: nobody connected to %s within %d s" %
              (chardev, LIMIT_S), file=sys.stderr)
    qmp.cmd("cont")
    return 0


if __name__ == "__main__":
    sys.exit(main())

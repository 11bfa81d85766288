"""A QMP client small enough to read: connect to QEMU's monitor socket,
send commands, wait for their answers (events in between are skipped).
Shared by scripts/gdb/qmp-cont.py and scripts/qmp-cpus.py.

Errors: OSError when there is no socket to connect to, TimeoutError (an
OSError too) when an answer takes longer than answer_s, EOFError when
QEMU closes the monitor."""
import json
import socket
import time


class Qmp:
    def __init__(self, path, wait_s=60.0, answer_s=None):
        """Connect to the socket at PATH, retrying for up to WAIT_S
        seconds (QEMU may not have made it yet); each answer is then
        waited for ANSWER_S seconds at most (None: as long as it takes)."""
        end = time.monotonic() + wait_s
        while True:
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(path)
                break
            except OSError:
                s.close()
                if time.monotonic() > end:
                    raise
                time.sleep(0.05)
        s.settimeout(answer_s)
        self.f = s.makefile("rw")
        self._read()  # the greeting
        self.cmd("qmp_capabilities")

    def _read(self):
        line = self.f.readline()
        if not line:
            raise EOFError("QEMU closed its monitor")
        try:
            return json.loads(line)
        except ValueError:
            raise EOFError("QEMU's monitor sent what is not JSON: %r" % line[:80])

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.f.write(json.dumps(msg) + "\n")
        self.f.flush()
        while True:
            reply = self._read()
            if "return" in reply or "error" in reply:
                return reply

    def hmp(self, command_line):
        """A human monitor command's text ("" if QEMU refused it)."""
        reply = self.cmd("human-monitor-command", **{"command-line": command_line})
        return reply.get("return", "")

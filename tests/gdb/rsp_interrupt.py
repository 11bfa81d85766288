#!/usr/bin/env python3
# stub: spawned
# cmdline: gdb=on spin
"""Ctrl-C through the guest's stub, spoken in raw gdb remote protocol.

gdb in batch mode cannot "continue &" and "interrupt", so this client does
what gdb does when the user presses Ctrl-C: it lets the guest run, sends the
byte 0x03, and expects a stop reply with SIGINT.  Then it finds the thread
that was spinning, sets the app's stop_now flag through an M packet and
detaches; the guest must end by itself (checked on its console).

    rsp_interrupt.py ELF SOCKET
"""
import socket
import subprocess
import sys
import time


def symbol(elf, name):
    out = subprocess.run(["nm", elf], capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    sys.exit(f"no symbol {name} in {elf}")


class Rsp:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.s.settimeout(60)
        self.buf = b""

    def send(self, body):
        csum = sum(body.encode()) & 0xFF
        self.s.sendall(f"${body}#{csum:02x}".encode())

    def packet(self):
        """Next packet body, acknowledging it; skips acks."""
        while True:
            start = self.buf.find(b"$")
            if start >= 0:
                end = self.buf.find(b"#", start)
                if end >= 0 and len(self.buf) >= end + 3:
                    body = self.buf[start + 1:end].decode()
                    self.buf = self.buf[end + 3:]
                    self.s.sendall(b"+")
                    return body
            data = self.s.recv(4096)
            if not data:
                sys.exit("the stub closed the connection")
            self.buf += data

    def ask(self, body):
        self.send(body)
        return self.packet()


def main():
    elf, path = sys.argv[1], sys.argv[2]
    stop_now = symbol(elf, "stop_now")
    rsp = Rsp(path)
    # gdb=on: the guest runs; the first packet stops it.
    print("attached:", rsp.ask("?")[:3])
    rsp.send("c")
    time.sleep(2)
    rsp.s.sendall(b"\x03")
    reply = rsp.packet()
    print("after Ctrl-C:", reply[:3])
    thread = rsp.ask("qC")
    tid = thread[2:] if thread.startswith("QC") else "?"
    info = bytes.fromhex(rsp.ask(f"qThreadExtraInfo,{tid}")).decode()
    print("stopped thread:", info)
    print("set stop_now:", rsp.ask(f"M{stop_now:x},4:01000000"))
    print("detach:", rsp.ask("D"))


main()

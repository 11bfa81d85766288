#!/usr/bin/env python3
# stub: spawned
# cpus: 1-2
# cmdline: gdb=on parwork pin=1 warm=1 iters=20000 chunks=100000000
"""All-stop on a guest with two CPUs, in raw gdb remote protocol.

parwork runs a worker pinned on each guest CPU, each counting the chunks it
did in w.per_cpu[cpu].  Ctrl-C must stop both CPUs: the thread list has the
workers of CPU 0 and CPU 1, each showing its CPU's live registers (a pc in
the worker, not where it last switched), and neither counter moves across
a pause while stopped; after a continue they move again.  A hardware and a
software breakpoint at a running worker's pc must each be hit on CPU 1
(a hardware breakpoint set while CPU 0 holds the stub is in CPU 1's debug
registers too).  Then the work is cut short (w.chunks = 0) and gdb
detaches; parwork must end by itself (checked on its console).

    smp-stop.py ELF SOCKET
"""
import re
import socket
import struct
import subprocess
import sys
import time

PER_CPU = 48	# offsetof(struct parwork, per_cpu) in apps/parwork.c


def symbols(elf):
    """Sorted (address, name) of the functions, and parwork's timed run."""
    out = subprocess.run(["nm", "-n", elf], capture_output=True,
                         text=True).stdout
    funcs, w = [], None
    for line in out.splitlines():
        parts = line.split()
        if len(parts) != 3:
            continue
        addr = int(parts[0], 16)
        if parts[1] in "tT":
            funcs.append((addr, parts[2]))
        elif parts[2] == "parwork_state" and parts[1] in "bBdD":
            w = addr
    if w is None:
        sys.exit(f"no parwork_state in {elf}")
    return funcs, w


def func_at(funcs, pc):
    name = "?"
    for addr, n in funcs:
        if addr > pc:
            break
        name = n
    return name


class Rsp:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.s.settimeout(120)
        self.buf = b""

    def send(self, body):
        csum = sum(body.encode()) & 0xFF
        self.s.sendall(f"${body}#{csum:02x}".encode())

    def packet(self):
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

    def u64(self, addr):
        return struct.unpack("<Q", bytes.fromhex(self.ask(f"m{addr:x},8")))[0]

    def interrupt(self):
        self.s.sendall(b"\x03")
        return self.packet()


def threads(rsp):
    """{tid: description} of every thread the stub lists."""
    tids, reply = [], rsp.ask("qfThreadInfo")
    while reply.startswith("m"):
        tids += reply[1:].split(",")
        reply = rsp.ask("qsThreadInfo")
    return {t: bytes.fromhex(rsp.ask(f"qThreadExtraInfo,{t}")).decode()
            for t in tids}


def cpu_of(desc):
    m = re.search(r" cpu ([0-9]+)$", desc)
    return int(m.group(1)) if m else -1


def stop_thread(reply):
    m = re.search(r"thread:([0-9a-f]+);", reply)
    return m.group(1) if m else "?"


def hit_on_cpu1(rsp, ztype, pc):
    """Insert a breakpoint at pc, continue until CPU 1 hits it (bounded)."""
    if rsp.ask(f"Z{ztype},{pc:x},1") != "OK":
        return "not inserted"
    cpus = []
    for _ in range(30):
        reply = rsp.ask("c")
        if not reply.startswith("T05"):
            cpus.append(reply[:3])
            break
        cpu = cpu_of(threads(rsp).get(stop_thread(reply), ""))
        cpus.append(cpu)
        if cpu == 1:
            break
    rsp.ask(f"z{ztype},{pc:x},1")
    return "hit on cpu 1" if cpus[-1] == 1 else f"hits on cpus {cpus}"


def main():
    elf, path = sys.argv[1], sys.argv[2]
    funcs, w = symbols(elf)
    rsp = Rsp(path)
    print("attached:", rsp.ask("?")[:3])
    rsp.send("c")
    time.sleep(3)
    print("after Ctrl-C:", rsp.interrupt()[:3])

    # A worker that runs on a parked CPU shows that CPU's live pc.  (The
    # stub's poller thread may have taken the Ctrl-C on one CPU, its
    # worker then waiting there: only running workers are checked.)
    workers = {}
    for tid, desc in threads(rsp).items():
        print(f"thread {tid}: {desc}")
        if desc.startswith("parwork running"):
            workers[cpu_of(desc)] = tid
    pc = None
    for cpu in sorted(workers):
        rsp.ask(f"Hg{workers[cpu]}")
        reply = rsp.ask("p10")
        if not re.fullmatch(r"[0-9a-f]{16}", reply):
            print(f"live: cpu {cpu} parwork pc unavailable ({reply})")
            continue
        where = struct.unpack("<Q", bytes.fromhex(reply))[0]
        name = func_at(funcs, where)
        if name in ("worker", "chunk_hash"):
            pc = where
            print(f"live: running parwork on cpu {cpu} at {name}")
        else:
            print(f"live: running parwork on cpu {cpu} elsewhere, at {name}")
    rsp.ask("Hg0")

    before = [rsp.u64(w + PER_CPU + 8 * c) for c in (0, 1)]
    time.sleep(3)
    after = [rsp.u64(w + PER_CPU + 8 * c) for c in (0, 1)]
    for c in (1, 0):
        # zero: no work seen at all (the wrong variable, say): not a stop
        print(f"cpu {c} counter while stopped:",
              "zero" if not before[c] else
              "same" if before[c] == after[c] else
              f"moved {before[c]} -> {after[c]}")

    rsp.send("c")
    time.sleep(3)
    reply = rsp.interrupt()
    moved = rsp.u64(w + PER_CPU + 8) > after[1]
    print(f"after continue: {reply[:3]}, cpu 1 counter",
          "moved" if moved else "stuck")

    # Both workers run that code: each breakpoint must fire on CPU 1 too.
    if pc is not None:
        print("hw breakpoint:", hit_on_cpu1(rsp, 1, pc))
        print("sw breakpoint:", hit_on_cpu1(rsp, 0, pc))
    print("cut short:", rsp.ask(f"M{w:x},8:{'00' * 8}"))
    print("detach:", rsp.ask("D"))


main()

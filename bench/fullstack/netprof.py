#!/usr/bin/env python3
"""Where the physical cores go during a 64 B pps run, kspawn against veth.

Boots the QEMU host with bench/fullstack/netprof.sh as its init's run and,
at each run's NETPROF BEGIN and END lines on the console, reads the CPU
time of every thread of that QEMU process (/proc/PID/task/*/schedstat: ns
on a CPU): the vCPU threads ("CPU n/TCG", QEMU's debug-threads names) and
QEMU's own, and this machine's busy time (what else ran: "the rest of the
machine").  Prints, per run, the pps, the wall time and each thread's
share of a physical core over it, then, from inside the QEMU host, each
CPU's busy ticks (user, system, irq+softirq), the interrupts and softirqs
that changed by 100 or more, ksnetN's counters, the path's threads and
the module's net statistics; a summary per system at the end.

  make build/initramfs-bench.cpio   (or any `make bench`)
  bench/fullstack/netprof.py build [rounds=N] [count=N] [args=a,b]

Run from the tree's top, on a machine with nothing else running (the
per-run "rest of the machine" shows what did).  A diagnosis tool, not a benchmark row: it
saves no JSON.  docs/perf/net.md, "Fourth pass".
"""
import os
import re
import subprocess
import sys
import time


def children(pid):
    """Every descendant of pid."""
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        kids.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for k in kids.get(p, []):
            out.append(k)
            todo.append(k)
    return out


def qemu_pid(root):
    for p in children(root):
        try:
            with open(f"/proc/{p}/comm") as f:
                if f.read().strip().startswith("qemu-system"):
                    return p
        except OSError:
            pass
    return None


def threads(pid):
    """{name/tid: ns on a CPU} for every thread of pid."""
    out = {}
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                ns = int(f.read().split()[0])
        except OSError:
            continue
        out[f"{name}/{t}"] = ns
    return out


def machine_busy():
    """Seconds all of this machine's CPUs were busy, so far."""
    with open("/proc/stat") as f:
        v = list(map(int, f.readline().split()[1:8]))
    return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def parse_snap(lines):
    stat, task, irq, cpus = {}, {}, {}, []
    for ln in lines:
        f = ln.split()
        if f[1] == "IRQ" and f[2].startswith("CPU"):
            cpus = f[2:]
        elif f[1] == "IRQ":
            for c, v in zip(cpus, f[3:]):
                if v.isdigit():
                    irq[(f[2].rstrip(":"), c)] = int(v)
        elif f[1] == "ETH" and f[-1].isdigit():
            irq[(f[2].rstrip(":"), "eth")] = int(f[-1])
        elif f[1] == "DEV":
            print("   " + " ".join(f[2:]))
        elif f[1] == "STAT":
            v = list(map(int, f[3:10]))
            # busy: user nice system irq softirq; idle: idle iowait
            stat[f[2]] = (v[0] + v[1] + v[2] + v[5] + v[6], v[3] + v[4],
                          v[0] + v[1], v[2], v[5] + v[6])
        elif f[1] == "TASK":
            task[f[2]] = int(f[3])
    return stat, task, irq


def main():
    build = os.path.abspath(sys.argv[1])
    extra = sys.argv[2:]
    env_mk = open(f"{build}/hostkernel/env.mk").read()
    vmlinuz = re.search(r"^HOSTKERNEL_VMLINUZ := (.*)$", env_mk, re.M)[1]
    append = " ".join("netprof." + a for a in extra)
    env = dict(os.environ, SMP="4", MEM="1536")
    cmd = ["scripts/qemu-host.sh", "--timeout", "3000",
           "--probe", f"{build}/kspawn-guest.elf",
           "--qemu", "-name", "--qemu", "netprof,debug-threads=on",
           "--run", "/bench/netprof.sh", "--append", " " + append,
           vmlinuz, f"{build}/initramfs-bench.cpio"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env, text=True,
                         bufsize=1, start_new_session=True)
    try:
        results = read(p)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, 15)
    p.wait()
    summary(results)


def read(p):
    qpid, begin, snaps, cur, half = None, None, [], None, 0
    results = []
    for ln in p.stdout:
        ln = ln.rstrip()
        if not ln.startswith("NETPROF"):
            if ln.startswith("bench:") or "udpecho" in ln:
                print(ln, flush=True)
            continue
        f = ln.split()
        if f[1] == "BEGIN":
            qpid = qpid or qemu_pid(p.pid)
            begin = (time.monotonic(), threads(qpid), machine_busy())
            cur, snaps, half = (f[2], f[3]), [[], []], 0
        elif f[1] == "RUN":
            half = 1
        elif f[1] == "END":
            end = (time.monotonic(), threads(qpid), machine_busy())
            wall = end[0] - begin[0]
            qemu = sum(end[1][k] - begin[1].get(k, 0) for k in end[1]) / 1e9
            others = (end[2] - begin[2] - qemu) / wall
            results.append((cur, f[4], wall, begin[1], end[1], snaps,
                            others))
            report(results[-1])
            cur = None
        elif f[1] == "DEV":
            print("   " + ln, flush=True)
        elif cur is not None and f[1] in ("STAT", "TASK", "IRQ", "ETH"):
            snaps[half].append(ln)
    return results


def report(res):
    (s, r), pps, wall, t0, t1, snaps, others = res
    print(f"== {s} round {r}: pps {pps}, wall {wall:.2f} s; the rest of "
          f"the machine {others:.2f} core", flush=True)
    for k in sorted(t1):
        d = (t1[k] - t0.get(k, 0)) / 1e9
        if d / wall >= 0.01:
            print(f"   qemu thread {k:24s} {d / wall:5.2f} core")
    st0, tk0, ir0 = parse_snap(snaps[0])
    st1, tk1, ir1 = parse_snap(snaps[1])
    rows = {}
    for k in ir1:
        d = ir1[k] - ir0.get(k, 0)
        if d >= 100:
            rows.setdefault(k[0], []).append(f"{k[1]} {d}")
    for name in sorted(rows):
        print(f"   {name}: " + ", ".join(rows[name]))
    for c in sorted(st1):
        if c == "cpu" or c not in st0:
            continue
        b = st1[c][0] - st0[c][0]
        i = st1[c][1] - st0[c][1]
        u, k, x = (st1[c][j] - st0[c][j] for j in (2, 3, 4))
        print(f"   in-host {c}: busy {b} idle {i} ticks "
              f"({b / max(b + i, 1):.0%} busy: user {u} system {k} "
              f"irq+softirq {x})")
    for k in sorted(tk1):
        d = tk1[k] - tk0.get(k, 0)
        if d:
            print(f"   in-host task {k}: {d} ticks")


def summary(results):
    by = {}
    for (s, r), pps, wall, t0, t1, snaps, others in results:
        vcpu = sum(t1[k] - t0.get(k, 0) for k in t1 if "CPU" in k) / 1e9
        total = sum(t1[k] - t0.get(k, 0) for k in t1) / 1e9
        by.setdefault(s, []).append((pps, vcpu / wall, total / wall, others))
    for s, rows in by.items():
        print(f"{s}: " + "; ".join(
            f"pps {a} vcpus {b:.2f} all {c:.2f} others {d:.2f} cores"
            for a, b, c, d in rows))


if __name__ == "__main__":
    main()

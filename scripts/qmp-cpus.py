#!/usr/bin/env python3
"""Say where each vCPU of a running QEMU is: what qemu-host.sh prints when
a host kernel stalls before its init, so that a stall seen once in CI says
where it was.

    qmp-cpus.py QMP_SOCKET

Two samples a second apart, one line per vCPU: the instruction pointer,
the CPU mode, IF, and whether it is halted.  Debian ships no System.map
(its file is a stub) and KASLR moves the kernel, so a kernel address is
also given as an offset from the handler of IDT vector 0 (after
trap_init(), asm_exc_divide_error): to name it, boot the same kernel and
add that offset to asm_exc_divide_error's address in /proc/kallsyms.
Under TCG, an AP still halted in real mode (CS:IP in the firmware) has
not been started: no INIT/SIPI reached it.  A monitor that does not
answer within 10 s means QEMU itself is stuck.  Exits 0 when it could
ask; it only reports.
"""
import os
import re
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmp import Qmp  # noqa: E402  (scripts/qmp.py)

ANSWER_S = 10
KERNEL_SPACE = 0xFFFFFFFF80000000


def parse_cpus(text):
    """{index: {"ip", "mode", "if", "hlt", "idt"}} from `info registers -a`."""
    cpus = {}
    for block in re.split(r"^CPU#", text, flags=re.M)[1:]:
        index = int(block.split("\n", 1)[0])
        ip = re.search(r"\b[RE]IP=([0-9a-f]+)", block)
        fl = re.search(r"\b[RE]FL=([0-9a-f]+)", block)
        hlt = re.search(r"\bHLT=(\d)", block)
        idt = re.search(r"^IDT=\s+([0-9a-f]+)", block, flags=re.M)
        cs = re.search(r"^CS =([0-9a-f]{4}).*$", block, flags=re.M)
        mode = "real/16-bit"
        if cs and "CS64" in cs.group(0):
            mode = "64-bit"
        elif cs and "CS32" in cs.group(0):
            mode = "32-bit"
        cpus[index] = {
            "cs": int(cs.group(1), 16) if cs else None,
            "ip": int(ip.group(1), 16) if ip else None,
            "mode": mode,
            "if": bool(int(fl.group(1), 16) & 0x200) if fl else None,
            "hlt": hlt.group(1) == "1" if hlt else None,
            "idt": int(idt.group(1), 16) if idt else None,
        }
    return cpus


def idt0_handler(qmp, idt):
    """The address IDT vector 0 leads to, read through CPU 0's page tables."""
    if idt is None:
        return None
    words = re.findall(r"0x([0-9a-f]{16})", qmp.hmp("x /2gx 0x%x" % idt))
    if len(words) != 2:
        return None
    lo, hi = int(words[0], 16), int(words[1], 16)
    return (lo & 0xFFFF) | ((lo >> 48) << 16) | ((hi & 0xFFFFFFFF) << 32)


def where(ip, idt0):
    if ip is None:
        return "?"
    if ip < KERNEL_SPACE or idt0 is None or idt0 < KERNEL_SPACE:
        return "%x" % ip
    return "%x (idt0%+#x)" % (ip, ip - idt0)


def describe(cpu, idt0):
    state = {True: "halted", False: "running", None: "halted?"}[cpu["hlt"]]
    irqs = {True: "IF=1", False: "IF=0", None: "IF=?"}[cpu["if"]]
    at = where(cpu["ip"], idt0)
    if cpu["mode"] != "64-bit" and cpu["cs"] is not None:
        at = "CS %04x, IP %s" % (cpu["cs"], at)
    return "%s, %s, %s, %s" % (at, cpu["mode"], irqs, state)


def main():
    try:
        # KSPAWN_QMP_WAIT_S: how long to wait for the socket (the unit
        # suite's stand-in QEMU never makes one).
        wait_s = float(os.environ.get("KSPAWN_QMP_WAIT_S", "5"))
        qmp = Qmp(sys.argv[1], wait_s=wait_s, answer_s=ANSWER_S)
        first = parse_cpus(qmp.hmp("info registers -a"))
        time.sleep(1)
        second = parse_cpus(qmp.hmp("info registers -a"))
        idt0 = idt0_handler(qmp, second.get(0, {}).get("idt"))
    except TimeoutError:
        print("  QEMU's monitor did not answer within %d s: QEMU itself is "
              "stuck, not only the kernel it runs" % ANSWER_S)
        return 0
    except EOFError as e:
        print("  QEMU's monitor went away while asked (%s): QEMU ended" % e)
        return 0
    except OSError as e:
        print("  no QEMU monitor to ask (%s)" % e)
        return 0
    if not second:
        print("  QEMU's monitor gave no register dump")
    for index in sorted(second):
        line = "  CPU#%d: %s" % (index, describe(second[index], idt0))
        if first.get(index, {}).get("ip") not in (None, second[index]["ip"]):
            line += "; 1 s before at %s" % where(first[index]["ip"], idt0)
        elif index in first:
            line += "; at the same place 1 s before"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Write the seed corpus of fuzz_elf_check into OUT_DIR:

  tiny.elf           the smallest image the loader accepts (unit/test_image
                     checks that it does): one R+X
                     PT_LOAD holding the code (hlt; jmp back) and the
                     .note.kspawn, and the PT_NOTE that points at it;
  two-loads.elf      the same and an R+W PT_LOAD (16 bytes, 8 KiB in
                     memory) in the next page: two segments to overlap;
  apps.elf           tiny.elf with an app list note (KSPAWN_NOTE_APPS:
                     "hello", "spin") after the ABI note;
  guest-headers.elf  the first 2 KiB of the real guest image (its ELF and
                     program headers), when GUEST_ELF exists.

    gen_elf_check_seeds.py OUT_DIR [GUEST_ELF]

Generated at test time rather than kept in git: they are binaries, and
guest-headers.elf changes with every build of the guest."""
import os
import re
import struct
import sys

ABI_H = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                     "..", "..", "abi", "kspawn_abi.h")

VADDR = 0xffffffff80100000
PADDR = 0x100000
PT_LOAD, PT_NOTE = 1, 4
PF_X, PF_W, PF_R = 1, 2, 4
EHDR, PHDR = 64, 56
KSPAWN_NOTE_ABI = 1
KSPAWN_NOTE_APPS = 2


def abi_major():
    """The ABI major the checker speaks: a seed for another is refused
    before its segments are even looked at."""
    with open(ABI_H) as f:
        return int(re.search(r"#define KSPAWN_ABI_MAJOR (\d+)", f.read())[1])


def note(abi_major, abi_minor, min_region_mib):
    name = b"kspawn\0\0"                    # 7 bytes, padded to 8
    desc = struct.pack("<HHI", abi_major, abi_minor, min_region_mib)
    return struct.pack("<III", 7, len(desc), KSPAWN_NOTE_ABI) + name + desc


def apps_note(names):
    desc = b"".join(n + b"\0" for n in names)
    pad = bytes(-len(desc) % 4)
    return struct.pack("<III", 7, len(desc), KSPAWN_NOTE_APPS) + \
        b"kspawn\0\0" + desc + pad


def image(with_data, apps=()):
    nph = 3 if with_data else 2
    note_off = EHDR + nph * PHDR
    body = note(abi_major(), 0, 16) + (apps_note(apps) if apps else b"")
    code_off = note_off + len(body)
    code = b"\xf4\xeb\xfd"                  # hlt; jmp hlt
    size = code_off + len(code)
    data = b"\x5a" * 16
    ehdr = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + struct.pack(
        "<HHIQQQIHHHHHH", 2, 0x3e, 1, VADDR + code_off, EHDR, 0, 0,
        EHDR, PHDR, nph, 64, 0, 0)
    phdrs = struct.pack("<IIQQQQQQ", PT_LOAD, PF_R | PF_X, 0, VADDR, PADDR,
                        size, size, 0x1000)
    if with_data:                          # the next page, with bss
        phdrs += struct.pack("<IIQQQQQQ", PT_LOAD, PF_R | PF_W, size,
                             VADDR + 0x1000, PADDR + 0x1000, len(data),
                             0x2000, 0x1000)
    phdrs += struct.pack("<IIQQQQQQ", PT_NOTE, PF_R, note_off, 0, 0,
                         len(body), len(body), 4)
    return ehdr + phdrs + body + code + (data if with_data else b"")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "tiny.elf"), "wb") as f:
        f.write(image(False))
    with open(os.path.join(out, "two-loads.elf"), "wb") as f:
        f.write(image(True))
    with open(os.path.join(out, "apps.elf"), "wb") as f:
        f.write(image(False, (b"hello", b"spin")))
    if len(sys.argv) > 2 and os.path.exists(sys.argv[2]):
        with open(sys.argv[2], "rb") as src:
            head = src.read(2048)
        with open(os.path.join(out, "guest-headers.elf"), "wb") as f:
            f.write(head)


if __name__ == "__main__":
    main()

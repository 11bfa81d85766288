#!/usr/bin/env python3
"""Write the seed corpus of fuzz_elf_check into OUT_DIR:

  tiny.elf           the smallest image the loader accepts: one R+X
                     PT_LOAD holding the code (hlt; jmp back) and the
                     .note.kspawn, and the PT_NOTE that points at it;
  guest-headers.elf  the first 2 KiB of the real guest image (its ELF and
                     program headers), when GUEST_ELF exists.

    gen_elf_check_seeds.py OUT_DIR [GUEST_ELF]

Generated at test time rather than kept in git: they are binaries, and
the second one changes with every build of the guest."""
import os
import struct
import sys

VADDR = 0xffffffff80100000
PADDR = 0x100000
PT_LOAD, PT_NOTE = 1, 4
PF_X, PF_W, PF_R = 1, 2, 4
EHDR, PHDR = 64, 56
KSPAWN_NOTE_ABI = 1


def note(abi_major, abi_minor, min_region_mib):
    name = b"kspawn\0\0"                    # 7 bytes, padded to 8
    desc = struct.pack("<HHI", abi_major, abi_minor, min_region_mib)
    return struct.pack("<III", 7, len(desc), KSPAWN_NOTE_ABI) + name + desc


def tiny():
    note_off = EHDR + 2 * PHDR
    body = note(1, 0, 16)
    code_off = note_off + len(body)
    code = b"\xf4\xeb\xfd"                  # hlt; jmp hlt
    size = code_off + len(code)
    ehdr = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + struct.pack(
        "<HHIQQQIHHHHHH", 2, 0x3e, 1, VADDR + code_off, EHDR, 0, 0,
        EHDR, PHDR, 2, 64, 0, 0)
    load = struct.pack("<IIQQQQQQ", PT_LOAD, PF_R | PF_X, 0, VADDR, PADDR,
                       size, size, 0x1000)
    pnote = struct.pack("<IIQQQQQQ", PT_NOTE, PF_R, note_off, 0, 0,
                        len(body), len(body), 4)
    return ehdr + load + pnote + body + code


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "tiny.elf"), "wb") as f:
        f.write(tiny())
    if len(sys.argv) > 2 and os.path.exists(sys.argv[2]):
        with open(sys.argv[2], "rb") as src:
            head = src.read(2048)
        with open(os.path.join(out, "guest-headers.elf"), "wb") as f:
            f.write(head)


if __name__ == "__main__":
    main()

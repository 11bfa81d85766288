#!/usr/bin/env python3
"""Print the app names an image's KSPAWN_NOTE_APPS note lists, sorted,
space-separated (nothing if it has none): what kspawnctl run checks
--cmdline against, for unit/apps-split to compare with the apps linked
in.  Reads the ELF itself: no tool prints a note type it does not know."""
import struct
import sys

KSPAWN_NOTE_APPS = 2  # abi/kspawn_abi.h


def note_apps(data):
    phoff, = struct.unpack_from('<Q', data, 32)
    phentsize, phnum = struct.unpack_from('<HH', data, 54)
    for i in range(phnum):
        ptype, _, off, _, _, size = struct.unpack_from(
            '<IIQQQQ', data, phoff + i * phentsize)
        if ptype != 4:  # PT_NOTE
            continue
        pos = off
        while pos + 12 <= off + size:
            namesz, descsz, ntype = struct.unpack_from('<III', data, pos)
            name = data[pos + 12:pos + 12 + namesz]
            desc = pos + 12 + ((namesz + 3) & ~3)
            if name == b'kspawn\0' and ntype == KSPAWN_NOTE_APPS:
                return [n.decode() for n in
                        data[desc:desc + descsz].split(b'\0') if n]
            pos = desc + ((descsz + 3) & ~3)
    return []


if __name__ == '__main__':
    with open(sys.argv[1], 'rb') as f:
        print(' '.join(sorted(note_apps(f.read()))))

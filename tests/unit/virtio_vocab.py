#!/usr/bin/env python3
"""One virtio vocabulary: outside abi/, no file defines a VIRTIO_, VRING_
or VIRTQ_ constant, nor a struct whose members repeat a Linux UAPI virtio
struct's (linux/virtio_*.h).  Prints "ok NAME" or "FAIL NAME: why" lines.

    tests/unit/virtio_vocab.py TOP [UAPI_DIR]
"""
import os
import re
import sys

top = sys.argv[1]
uapi = sys.argv[2] if len(sys.argv) > 2 else '/usr/include/linux'
AREAS = ('guest', 'host', 'tests', 'bench')
DEFINE = re.compile(r'^[ \t]*#[ \t]*define\s+((?:VIRTIO|VRING|VIRTQ)_\w*)', re.M)
STRUCT = re.compile(r'\bstruct\s+(\w*)\s*\{')
COMMENT = re.compile(r'/\*.*?\*/|//[^\n]*', re.S)


def structs(text):
    """(name, [member names]) of each struct defined in C text."""
    text = COMMENT.sub(' ', text)
    for m in STRUCT.finditer(text):
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += {'{': 1, '}': -1}.get(text[i], 0)
            i += 1
        body = re.sub(r'\b(?:struct|union)\s*\w*\s*\{', ' ', text[m.end():i - 1])
        names = []
        for decl in body.replace('}', ';').split(';'):
            decl = re.sub(r'\[[^\]]*\]|:\s*\d+|__attribute__\s*\(\(.*?\)\)',
                          ' ', decl)
            for part in decl.split(','):
                ids = re.findall(r'[A-Za-z_]\w*', part)
                if len(ids) >= 2 or (ids and names and ',' in decl):
                    names.append(ids[-1])
        yield m.group(1), names


def uapi_structs():
    out = {}
    for f in ('virtio_ring.h', 'virtio_config.h', 'virtio_net.h',
              'virtio_blk.h', 'virtio_types.h'):
        path = os.path.join(uapi, f)
        if os.path.exists(path):
            for name, members in structs(open(path).read()):
                if name and len(members) >= 2:
                    out[name] = members
    return out


def duplicates(members, ref):
    """Which UAPI struct members repeats: the same list, or 3+ leading."""
    for name, want in ref.items():
        if members == want or (len(members) >= 3 and
                               want[:len(members)] == members):
            return name
    return None


def main():
    ref = uapi_structs()
    if not ref:
        print('FAIL unit/virtio-vocabulary: no UAPI virtio headers in ' + uapi)
        return 1
    bad = []
    for area in AREAS:
        for root, _, files in os.walk(os.path.join(top, area)):
            for f in sorted(files):
                if not f.endswith(('.c', '.h')):
                    continue
                path = os.path.join(root, f)
                rel = os.path.relpath(path, top)
                text = open(path, errors='replace').read()
                for m in DEFINE.finditer(text):
                    line = text.count('\n', 0, m.start()) + 1
                    bad.append('%s:%d: #define %s' % (rel, line, m.group(1)))
                for name, members in structs(text):
                    dup = duplicates(members, ref)
                    if dup:
                        bad.append('%s: struct %s repeats struct %s' %
                                   (rel, name or '(anonymous)', dup))
    if bad:
        print('FAIL unit/virtio-vocabulary: %d definitions belong to '
              'linux/virtio_*.h' % len(bad))
        for b in bad:
            print('    ' + b)
        return 1
    print('ok unit/virtio-vocabulary (%d UAPI structs, no copies)' % len(ref))
    return 0


sys.exit(main())

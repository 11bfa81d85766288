#!/usr/bin/env python3
"""Write the seed corpus of fuzz_net_input: real frames (ARP request,
ICMP echo, UDP to the echo port, a sequence that resolves a peer) as the
target's records: [length: 2 bytes][clock seconds: 1 byte][frame].

    gen_net_input_seeds.py [OUT_DIR] [GUEST_ELF]

tests/fuzz/run.sh runs it at test time (its name is gen_<target>_seeds.py
for that), into the target's work folder; GUEST_ELF is ignored.  With no
OUT_DIR it writes tests/fuzz/corpus/net_input/, the same six files kept in
git from before seeds were generated at test time."""
import os
import struct
import sys

US_MAC = bytes.fromhex("026b73706177")          # "\x02kspaw"
PEER_MAC = bytes.fromhex("020000000001")
US = bytes([169, 254, 1, 2])
PEER = bytes([169, 254, 1, 1])
BCAST = b"\xff" * 6


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def eth(dst, typ, payload):
    return dst + PEER_MAC + struct.pack("!H", typ) + payload


def arp(op, tpa, tha=b"\0" * 6):
    return struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + PEER_MAC + PEER + \
        tha + tpa


def ip(proto, payload, flags=0x4000):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, flags,
                    64, proto, 0, PEER, US)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def icmp_echo(data):
    m = struct.pack("!BBHHH", 8, 0, 0, 0x1234, 1) + data
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def udp(sport, dport, data):
    u = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    ph = PEER + US + struct.pack("!BBH", 0, 17, len(u))
    return u[:6] + struct.pack("!H", csum(ph + u) or 0xffff) + u[8:]


def record(frame, seconds=0):
    return struct.pack("!HB", len(frame), seconds) + frame


def main(out):
    os.makedirs(out, exist_ok=True)
    seeds = {
        "arp": record(eth(BCAST, 0x0806, arp(1, US))),
        "ping": record(eth(US_MAC, 0x0800, ip(1, icmp_echo(b"abcdefgh")))),
        "udp": record(eth(US_MAC, 0x0800, ip(17, udp(40000, 7, b"hello")))),
        "udp-queued": record(eth(US_MAC, 0x0800, ip(17, udp(40000, 9,
                                                         b"queued")))),
        # The echo's reply waits for ARP; the peer's reply releases it,
        # later the cache entry ages and is asked for again.
        "resolve": record(eth(US_MAC, 0x0800, ip(17, udp(40000, 7, b"x")))) +
        record(eth(US_MAC, 0x0806, arp(2, US, US_MAC)), 1) +
        record(eth(US_MAC, 0x0800, ip(17, udp(40000, 7, b"y"))), 255) +
        record(eth(US_MAC, 0x0800, ip(17, udp(40000, 7, b"z"))), 255),
        "fragment": record(eth(US_MAC, 0x0800, ip(17, udp(1, 7, b"f"),
                                                  flags=0x2000))),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else
         os.path.join(os.path.dirname(__file__), "corpus", "net_input"))

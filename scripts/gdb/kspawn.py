# gdb helpers for kspawn guests; scripts/gdb-guest.sh and gdb-spawned.sh
# load them (source scripts/gdb/kspawn.py by hand otherwise).
#
#   info kspawn threads    every guest thread: id, name, state, priority,
#                          saved stack pointer
#   info kspawn header     the ABI header the guest was given
#   info kspawn devices    the virtio device table: ids, status, features,
#                          queues
#
# They read the guest's own data structures through the symbols of the
# image, so they work the same over QEMU's stub and the guest's.
import gdb


def _offset(struct, field):
    return int(gdb.parse_and_eval(f"(unsigned long)&(({struct} *)0)->{field}"))


def _threads():
    head = gdb.parse_and_eval("&all_threads")
    node = head["next"]
    off = _offset("struct thread", "all_node")
    tptr = gdb.lookup_type("struct thread").pointer()
    while int(node) != int(head):
        yield (node.cast(gdb.lookup_type("char").pointer()) - off).cast(tptr)
        node = node["next"]


class InfoKspawn(gdb.Command):
    """kspawn guest state: info kspawn threads|header|devices."""

    def __init__(self):
        super().__init__("info kspawn", gdb.COMMAND_STATUS, gdb.COMPLETE_NONE, True)


class InfoKspawnThreads(gdb.Command):
    """List the guest's threads (id, name, state, priority, saved rsp)."""

    def __init__(self):
        super().__init__("info kspawn threads", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        gdb.write(f"{'id':>4}  {'name':<20} {'state':<10} {'prio':>4}  saved rsp\n")
        for t in _threads():
            name = t["name"].string()
            state = str(t["state"]).replace("THREAD_", "").lower()
            gdb.write(f"{int(t['id']):>4}  {name:<20} {state:<10} "
                      f"{int(t['prio']):>4}  {int(t['sp']):#x}\n")


class InfoKspawnHeader(gdb.Command):
    """Print the ABI header (struct kspawn_header) the guest runs with."""

    def __init__(self):
        super().__init__("info kspawn header", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        h = gdb.parse_and_eval("*kspawn_hdr")
        for f in ("abi_major", "abi_minor", "flags", "instance_id",
                  "host_features", "guest_features", "region_base",
                  "region_size", "shared_base", "shared_size", "tsc_khz",
                  "ncpus", "ndevices"):
            gdb.write(f"{f:<16} {int(h[f]):#x}\n")
        gdb.write(f"{'cmdline':<16} {h['cmdline'].string()!r}\n")


class InfoKspawnDevices(gdb.Command):
    """Print the virtio device table of the shared area."""

    def __init__(self):
        super().__init__("info kspawn devices", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        h = gdb.parse_and_eval("kspawn_hdr")
        n = int(h["ndevices"])
        base = h.cast(gdb.lookup_type("char").pointer()) + int(h["devices_off"])
        dptr = gdb.lookup_type("struct kspawn_device").pointer()
        if not n:
            gdb.write("no devices\n")
        for i in range(n):
            d = (base + i * gdb.lookup_type("struct kspawn_device").sizeof).cast(dptr)
            gdb.write(f"device {i}: id {int(d['device_id'])} status {int(d['status']):#x} "
                      f"features dev {int(d['device_features']):#x} drv {int(d['driver_features']):#x}\n")
            for q in range(int(d["num_queues"])):
                qq = d["queues"][q]
                gdb.write(f"  queue {q}: size {int(qq['size'])}/{int(qq['size_max'])} "
                          f"ready {int(qq['ready'])} vector {int(qq['vector'])} "
                          f"notify {int(qq['notify'])} desc {int(qq['desc_addr']):#x}\n")


InfoKspawn()
InfoKspawnThreads()
InfoKspawnHeader()
InfoKspawnDevices()

#!/usr/bin/env bash
# The QEMU host's initramfs for `make bench`: the test initramfs with a
# second, uncompressed cpio archive after it (Linux unpacks one archive
# after the other) that adds the benchmark tools under /bench, fio with
# every shared library it loads, and the host kernel's veth module.
#
#   bench/fullstack/initramfs.sh OUT BASE_INITRAMFS VETH_KO FILE...
#
# FILEs land in /bench.  fio is dynamic and pulls in ~80 MiB of libraries
# (Ceph, Gluster, RDMA engines); compressing them would cost more boot time
# under TCG than copying them does.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib.sh"
check_options "" "$@"
set -- "${checked_args[@]}"
out=${1:?usage: initramfs.sh OUT BASE_INITRAMFS VETH_KO FILE...}
base=$2
veth=$3
shift 3
fio=$(command -v fio) || { echo "initramfs.sh: no fio (apt-get install fio)" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/bench-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bench" "$stage/lib/modules/host" "$stage/usr/bin"
chmod 755 "$stage" "$stage/bench"
for f in "$@"; do
	install -m 755 "$f" "$stage/bench/"
done
install -m 644 "$veth" "$stage/lib/modules/host/veth.ko"
install -m 755 "$fio" "$stage/usr/bin/fio"
# Each library at the path the dynamic loader resolved it to.
ldd "$fio" | awk '/=> \// { print $3 } /^[ \t]*\/[^ ]*ld-linux/ { print $1 }' |
while read -r lib; do
	mkdir -p "$stage$(dirname "$lib")"
	cp -L "$lib" "$stage$lib"
done
cp "$base" "$out.tmp"
# The next archive starts on a 4-byte boundary, like cpio's own records.
truncate -s $(( ($(stat -c %s "$out.tmp") + 3) / 4 * 4 )) "$out.tmp"
(cd "$stage" && find . | sort | cpio --quiet -o -H newc -R 0:0) >> "$out.tmp"
mv "$out.tmp" "$out"

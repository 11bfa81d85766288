# The portable virtio backends: the one list of their sources.  Every
# build of them takes it from here: kspawn.ko (host/kmod/Kbuild includes
# this file in the tree scripts/kmod-tree.sh assembles), make module
# (host/kmod/kmod.mk), the benchmarks (bench/bench.mk, bench/hosted.mk),
# and the scripts, which ask make for it: the hosted tests
# (tests/hosted/run.sh) and the fuzzers ("fuzz-sources: $(BACKEND_SRC)",
# tests/fuzz/run.sh):
#
#   make -s -C TOP -f host/backend/backend.mk --eval 'l: ; @echo $(BACKEND_SRC)' l
BACKEND_SRC := $(addprefix host/backend/,vq.c vq_packed.c \
	device.c blk.c blk_req.c ram.c net.c net_tx.c)

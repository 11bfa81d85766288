/*
 * fpuirq: app code run in an interrupt leaves the SSE state of the
 * thread it interrupted alone.  A blk completion callback runs in the
 * completion's interrupt, and apps use SSE; the kernel saves SSE state
 * only at a thread switch, so the driver must save it around the call.
 *
 * Each round, this thread loads a pattern into xmm0-15 and MXCSR, then
 * spins in the same asm block (so the compiler keeps nothing of its own
 * there) until a batch of reads has completed by interrupt, and stores
 * the registers back for comparison.  Every callback overwrites all
 * sixteen registers and MXCSR, after checking that it got a new
 * thread's MXCSR, not the pattern.  Needs a disk (tests/guest/cases.sh).
 *
 *   fpuirq [rounds=N]
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kspawn.h"

#define BATCH 16
#define SPIN_MAX 400000000UL	/* pause loops: seconds even under TCG */
#define MXCSR_PATTERN 0x7f80u	/* all exceptions masked, toward zero */
#define MXCSR_JUNK 0x1fc0u	/* all masked, denormals are zero, nearest */
#define MXCSR_NEW_THREAD 0x1f80u
#define XMM_CLOBBERS "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", \
	"xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", \
	"xmm15"

static struct vblk_req req[BATCH];
static unsigned int callbacks, inherited;
static uint32_t inherited_mxcsr;

static void clobber(struct vblk_req *r)
{
	static const uint64_t junk[2] = { 0xdeadbeefdeadbeefULL,
					  0x0badf00d0badf00dULL };
	static const uint32_t mxcsr = MXCSR_JUNK;
	uint32_t got;

	(void)r;
	__asm__ volatile("stmxcsr %0" : "=m"(got));
	if (got != MXCSR_NEW_THREAD) {
		inherited++;
		inherited_mxcsr = got;
	}
	__asm__ volatile(
#define JUNK(n) "movdqu %[j], %%xmm" #n "\n\t"
		JUNK(0) JUNK(1) JUNK(2) JUNK(3) JUNK(4) JUNK(5) JUNK(6) JUNK(7)
		JUNK(8) JUNK(9) JUNK(10) JUNK(11) JUNK(12) JUNK(13) JUNK(14)
		JUNK(15)
#undef JUNK
		"ldmxcsr %[m]"
		: : [j] "m"(junk), [m] "m"(mxcsr) : XMM_CLOBBERS);
	__atomic_fetch_add(&callbacks, 1, __ATOMIC_RELEASE);
}

/*
 * Load pat into xmm0-15 and MXCSR, spin until callbacks reaches target
 * (or SPIN_MAX pauses), store the registers into out.  Returns the
 * pauses left (0: the batch did not complete).
 */
static unsigned long hold(const uint64_t (*pat)[2], uint64_t (*out)[2],
			  uint32_t *mxcsr, unsigned int target)
{
	unsigned long spin = SPIN_MAX;
	uint32_t want = MXCSR_PATTERN;

	__asm__ volatile(
#define LOAD(n) "movdqu " #n "*16(%[p]), %%xmm" #n "\n\t"
#define STORE(n) "movdqu %%xmm" #n ", " #n "*16(%[o])\n\t"
		LOAD(0) LOAD(1) LOAD(2) LOAD(3) LOAD(4) LOAD(5) LOAD(6) LOAD(7)
		LOAD(8) LOAD(9) LOAD(10) LOAD(11) LOAD(12) LOAD(13) LOAD(14)
		LOAD(15)
		"ldmxcsr %[w]\n\t"
		"1: pause\n\t"
		"cmpl %[t], %[c]\n\t"
		"jae 2f\n\t"
		"dec %[s]\n\t"
		"jnz 1b\n"
		"2:\n\t"
		STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5) STORE(6)
		STORE(7) STORE(8) STORE(9) STORE(10) STORE(11) STORE(12)
		STORE(13) STORE(14) STORE(15)
#undef LOAD
#undef STORE
		"stmxcsr %[m]"
		: [s] "+r"(spin), [m] "=m"(*mxcsr)
		: [p] "r"(pat), [o] "r"(out), [w] "m"(want),
		  [c] "m"(callbacks), [t] "r"(target)
		: XMM_CLOBBERS, "memory", "cc");
	return spin;
}

static int fpuirq_main(int argc, char **argv)
{
	int rounds = atoi(app_opt(argc, argv, "rounds", "50"));
	uint32_t bs, mxcsr = 0, normal = MXCSR_NEW_THREAD;
	uint64_t pat[16][2], out[16][2];
	unsigned int target = 0;
	uint8_t *buf;

	if (vblk_init()) {
		kprintf("FAIL fpuirq: no block device\n");
		return 1;
	}
	bs = vblk_block_size();
	buf = memalign(4096, (size_t)bs * BATCH);
	if (!buf || rounds < 1) {
		kprintf("FAIL fpuirq: %s\n", buf ? "rounds must be 1 or more" :
						   "out of memory");
		return 1;
	}
	for (int i = 0; i < 16; i++) {
		pat[i][0] = 0x0101010101010101ULL * (uint64_t)(i + 1);
		pat[i][1] = ~pat[i][0];
	}
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < BATCH; i++)
			if (vblk_submit_cb(&req[i], VIRTIO_BLK_T_IN,
					   (uint64_t)i * (bs / VBLK_SECTOR),
					   buf + (size_t)i * bs, bs, clobber,
					   NULL)) {
				kprintf("FAIL fpuirq: submit failed\n");
				return 1;
			}
		target += BATCH;
		memset(out, 0, sizeof(out));
		if (!hold((const uint64_t (*)[2])pat, out, &mxcsr, target)) {
			kprintf("FAIL fpuirq: round %d: %u of %u callbacks\n", r,
				__atomic_load_n(&callbacks, __ATOMIC_ACQUIRE),
				target);
			return 1;
		}
		__asm__ volatile("ldmxcsr %0" : : "m"(normal));
		for (int i = 0; i < 16; i++)
			if (memcmp(out[i], pat[i], sizeof(pat[i]))) {
				kprintf("FAIL fpuirq: round %d: xmm%d changed under the thread (%016llx%016llx)\n",
					r, i, (unsigned long long)out[i][1],
					(unsigned long long)out[i][0]);
				return 1;
			}
		if (mxcsr != MXCSR_PATTERN) {
			kprintf("FAIL fpuirq: round %d: MXCSR %#x, want %#x\n", r,
				mxcsr, MXCSR_PATTERN);
			return 1;
		}
		if (inherited) {
			kprintf("FAIL fpuirq: round %d: %u callbacks ran with MXCSR %#x, not a new thread's %#x\n",
				r, inherited, inherited_mxcsr, MXCSR_NEW_THREAD);
			return 1;
		}
	}
	kprintf("PASS fpuirq: %d rounds, %u callbacks in interrupts, each with a new thread's MXCSR; xmm0-15 and MXCSR kept\n",
		rounds, target);
	return 0;
}
APP(fpuirq, fpuirq_main, "SSE state kept across app callbacks in interrupts");

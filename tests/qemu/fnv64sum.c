/*
 * fnv64sum FILE: the FNV-1a 64 digest of a file's bytes, as blkcheck
 * prints it for the disk it checked, so that a test in the QEMU host can
 * compare what the guest saw with what reached the backing file.
 */
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned char buf[65536];
	size_t n;
	FILE *f;

	if (argc != 2 || !(f = fopen(argv[1], "rb"))) {
		fprintf(stderr, "usage: fnv64sum FILE\n");
		return 2;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		for (size_t i = 0; i < n; i++)
			h = (h ^ buf[i]) * 0x100000001b3ULL;
	printf("%016llx\n", (unsigned long long)h);
	return ferror(f) ? 1 : 0;
}

/*
 * udpcheck ADDR PORT COUNT: send COUNT datagrams of random sizes and bytes
 * to a UDP echo server, one at a time, and check that each comes back
 * whole and unchanged.  Prints the result; exit 0 only if all did.
 * udpcheck serve PORT: be that echo server (for the guest's netbench).
 * udpcheck send ADDR PORT COUNT: only send COUNT datagrams of 64 bytes,
 * 1 ms apart (so that no queue on the way overflows), expecting nothing;
 * with no UDP checksum (0, SO_NO_CHECK), since an XDP program may carry
 * them on from a veth whose offload left the checksum unfinished, and
 * XDP frames carry no word that it is.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int serve(int port)
{
	struct sockaddr_in me = { .sin_family = AF_INET,
				  .sin_port = htons((unsigned short)port) };
	unsigned char buf[2048];
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (bind(s, (struct sockaddr *)&me, sizeof(me))) {
		perror("udpcheck: bind");
		return 1;
	}
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(s, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &fl);

		if (n >= 0)
			sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
}

static int send_only(const char *addr, int port, long count)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons((unsigned short)port) };
	unsigned char out[64] = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0), one = 1;

	if (setsockopt(s, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one))) {
		perror("udpcheck: SO_NO_CHECK");
		return 1;
	}
	if (inet_pton(AF_INET, addr, &to.sin_addr) != 1) {
		fprintf(stderr, "udpcheck: bad address %s\n", addr);
		return 2;
	}
	for (long i = 0; i < count; i++) {
		memcpy(out, &i, sizeof(i));
		if (sendto(s, out, sizeof(out), 0, (struct sockaddr *)&to,
			   sizeof(to)) < 0) {
			perror("udpcheck: sendto");
			return 1;
		}
		usleep(1000);
	}
	printf("udpcheck: %ld sent\n", count);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct timeval tv = { 1, 0 };
	unsigned char out[1472], in[2048];
	long count, ok = 0, lost = 0, bad = 0;
	unsigned int seed = 12345;
	int s;

	if (argc == 3 && !strcmp(argv[1], "serve"))
		return serve(atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "send"))
		return send_only(argv[2], atoi(argv[3]), atol(argv[4]));
	if (argc != 4 || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
		fprintf(stderr, "usage: udpcheck [send] ADDR PORT COUNT | serve PORT\n");
		return 2;
	}
	to.sin_port = htons((unsigned short)atoi(argv[2]));
	count = atol(argv[3]);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (long i = 0; i < count; i++) {
		size_t len = 1 + rand_r(&seed) % sizeof(out);
		ssize_t n;

		for (size_t k = 0; k < len; k++)
			out[k] = (unsigned char)rand_r(&seed);
		memcpy(out, &i, len < sizeof(i) ? len : sizeof(i));
		if (sendto(s, out, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			perror("udpcheck: sendto");
			return 1;
		}
		n = recv(s, in, sizeof(in), 0);
		if (n < 0)
			lost++;
		else if ((size_t)n != len || memcmp(in, out, len))
			bad++;
		else
			ok++;
	}
	printf("udpcheck: %ld sent, %ld echoed intact, %ld lost, %ld corrupted\n",
	       count, ok, lost, bad);
	return ok == count ? 0 : 1;
}

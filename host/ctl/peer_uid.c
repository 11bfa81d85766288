/*
 * The owner of a loopback TCP peer, from /proc/net/tcp.  The kernel lists
 * every IPv4 TCP socket of our network namespace there, with the uid that
 * created it; the peer of a connection we accepted is the entry whose
 * local end is the address accept() gave us and whose remote end is ours.
 * SO_PEERCRED would be simpler but exists only for Unix sockets, and gdb's
 * "target remote HOST:PORT" speaks TCP.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/tcp.h>

#include "peer_uid.h"

/*
 * "0100007F:04D2" -> address and port as the kernel prints them: the
 * address's 32 bits as they lie in memory (so in network order on any
 * machine), the port in host order.
 */
static int parse_end(const char *s, uint32_t *addr, uint16_t *port)
{
	unsigned long a, p;
	char *end;

	a = strtoul(s, &end, 16);
	if (end != s + 8 || *end != ':')
		return -1;
	p = strtoul(end + 1, &end, 16);
	if (end != s + 13 || p > 0xffff)
		return -1;
	*addr = (uint32_t)a;
	*port = (uint16_t)p;
	return 0;
}

static int same_end(uint32_t addr, uint16_t port, const struct sockaddr_in *sa)
{
	return addr == sa->sin_addr.s_addr && port == ntohs(sa->sin_port);
}

/*
 * The peer's entry counts only while its socket is open: ESTABLISHED
 * (state 01) with an inode.  A peer that wrote and closed before we
 * looked leaves an orphan (FIN_WAIT2, TIME_WAIT) that the kernel lists
 * with uid 0 and inode 0, and its bytes are still ours to read: taking
 * that 0 for root let any user through.
 */
int tcp_peer_uid_in(FILE *table, const struct sockaddr_in *peer,
		    const struct sockaddr_in *self, uid_t *uid)
{
	char line[512], local[16], remote[16];
	unsigned long owner, inode;
	unsigned int state;
	uint32_t la, ra;
	uint16_t lp, rp;

	while (fgets(line, sizeof(line), table)) {
		/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
		if (sscanf(line, " %*s %15s %15s %x %*s %*s %*s %lu %*s %lu",
			   local, remote, &state, &owner, &inode) != 5 ||
		    parse_end(local, &la, &lp) || parse_end(remote, &ra, &rp))
			continue;	/* the header, or nothing we know */
		if (same_end(la, lp, peer) && same_end(ra, rp, self) &&
		    state == TCP_ESTABLISHED && inode) {
			*uid = (uid_t)owner;
			return 0;
		}
	}
	return ferror(table) ? -EIO : -ENOENT;
}

int tcp_peer_uid(int sock, uid_t *uid)
{
	struct sockaddr_in peer, self;
	socklen_t plen = sizeof(peer), slen = sizeof(self);
	FILE *table;
	int r;

	if (getpeername(sock, (struct sockaddr *)&peer, &plen) ||
	    getsockname(sock, (struct sockaddr *)&self, &slen))
		return -errno;
	if (peer.sin_family != AF_INET || self.sin_family != AF_INET)
		return -EAFNOSUPPORT;
	table = fopen("/proc/net/tcp", "re");
	if (!table)
		return -errno;
	r = tcp_peer_uid_in(table, &peer, &self, uid);
	fclose(table);
	return r;
}

int peer_uid_allowed(uid_t uid)
{
	const char *sudo = getenv("SUDO_UID");
	char *end;
	unsigned long s;

	if (uid == 0 || uid == getuid())
		return 1;
	if (!sudo || !*sudo)
		return 0;
	s = strtoul(sudo, &end, 10);
	return !*end && s == (unsigned long)uid;
}

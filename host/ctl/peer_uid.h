/*
 * Who is at the other end of a TCP connection over this machine's
 * loopback: the user that owns the peer's socket.  The gdb bridge runs as
 * root and gives whoever connects the guest's kernel, so it serves only
 * the users it was started for (cmd_gdb.c).
 */
#ifndef KSPAWNCTL_PEER_UID_H
#define KSPAWNCTL_PEER_UID_H

#include <stdio.h>
#include <netinet/in.h>
#include <sys/types.h>

/*
 * The owner of the socket connected to sock (an accepted IPv4 TCP
 * connection): 0 and *uid, -ENOENT if no open local socket is that peer
 * (one closed already, an IPv6 one, one from another machine), or
 * another -errno.
 */
int tcp_peer_uid(int sock, uid_t *uid);

/*
 * The same from a table in /proc/net/tcp's format: the entry whose local
 * end is peer and whose remote end is self.
 */
int tcp_peer_uid_in(FILE *table, const struct sockaddr_in *peer,
		    const struct sockaddr_in *self, uid_t *uid);

/*
 * May uid use the bridge: root, the user running kspawnctl, or the user
 * sudo ran it for (SUDO_UID)?
 */
int peer_uid_allowed(uid_t uid);

#endif

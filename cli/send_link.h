/* send_link.h: the socket `leadscore send` talks over: plain or CURVE, and whether the daemon
 * took the key. */
#ifndef LS_SEND_LINK_H
#define LS_SEND_LINK_H

#include "../daemon/curve.h"

/* This producer's key pair and the daemon's public key. */
struct send_curve {
	struct curve_keypair kp;
	char server_key[CURVE_Z85_LEN + 1];
};

struct send_link {
	void *sock;
	void *mon;     /* handshake events of sock */
	int curve;     /* 1: a CURVE client */
	int no_detail; /* handshakes that ended without a reason, in a row */
	const char *endpoint;
};

/* A socket of type connected to endpoint; a CURVE client when curve is not NULL. Prints why
 * and returns -1 on failure. */
int send_link_open(struct send_link *l, void *zctx, int type, const char *endpoint, int linger_ms,
                   const struct send_curve *curve);

/*
 * Waits up to timeout_ms. want_in: for a message to read (1 when there is one); otherwise
 * for the handshake to succeed (1). 0 on timeout; -1 when the daemon refused the key or the
 * handshake cannot succeed, e.g. a plain client of a CURVE daemon (printed).
 */
int send_link_wait(struct send_link *l, int want_in, long timeout_ms);

void send_link_close(struct send_link *l);

#endif

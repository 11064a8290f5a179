/* send_link.c: the socket `leadscore send` talks over: plain or CURVE, and whether the daemon
 * took it (a socket monitor says; otherwise a refused producer would resend forever). */
#include "send_link.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define HANDSHAKE_EVENTS                                                                           \
	(ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |                    \
	 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
/* A daemon restarting mid-handshake ends one without a reason too; a wrong server key ends
 * every one that way. */
#define NO_DETAIL_LIMIT 3

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int
watch(struct send_link *l, void *zctx, const struct send_curve *curve)
{
	static unsigned seq;
	char ep[64];
	struct ls_err err;
	int linger = 0;

	if (curve != NULL && curve_client_setup(l->sock, &curve->kp, curve->server_key, &err) < 0) {
		fprintf(stderr, "leadscore send: %s\n", err.msg);
		return -1;
	}
	snprintf(ep, sizeof(ep), "inproc://leadscore-send-monitor-%u", seq++);
	if (zmq_socket_monitor(l->sock, ep, HANDSHAKE_EVENTS) < 0 ||
	    (l->mon = zmq_socket(zctx, ZMQ_PAIR)) == NULL ||
	    zmq_setsockopt(l->mon, ZMQ_LINGER, &linger, sizeof(linger)) < 0 ||
	    zmq_connect(l->mon, ep) < 0) {
		fprintf(stderr, "leadscore send: cannot watch the handshake: %s\n",
		        zmq_strerror(zmq_errno()));
		return -1;
	}
	return 0;
}

int
send_link_open(struct send_link *l, void *zctx, int type, const char *endpoint, int linger_ms,
               const struct send_curve *curve)
{
	memset(l, 0, sizeof(*l));
	l->endpoint = endpoint;
	l->sock = zmq_socket(zctx, type);
	if (l->sock == NULL ||
	    zmq_setsockopt(l->sock, ZMQ_LINGER, &linger_ms, sizeof(linger_ms)) < 0) {
		fprintf(stderr, "leadscore send: zmq_socket: %s\n", zmq_strerror(zmq_errno()));
		send_link_close(l);
		return -1;
	}
	l->curve = curve != NULL;
	if (watch(l, zctx, curve) < 0) {
		send_link_close(l);
		return -1;
	}
	if (zmq_connect(l->sock, endpoint) < 0) {
		fprintf(stderr, "leadscore send: cannot connect %s: %s\n", endpoint,
		        zmq_strerror(zmq_errno()));
		send_link_close(l);
		return -1;
	}
	return 0;
}

/* One monitor event: 1 handshake done, -1 it cannot succeed (printed), 0 anything else. */
static int
read_event(struct send_link *l)
{
	zmq_msg_t frame;
	uint16_t id = 0;
	uint32_t value = 0;
	int more = 1;

	for (int first = 1; more; first = 0) {
		size_t len = sizeof(more);

		zmq_msg_init(&frame);
		if (zmq_msg_recv(&frame, l->mon, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&frame);
			return 0;
		}
		if (first && zmq_msg_size(&frame) >= 6) {
			memcpy(&id, zmq_msg_data(&frame), 2);
			memcpy(&value, (const char *)zmq_msg_data(&frame) + 2, 4);
		}
		zmq_msg_close(&frame);
		if (zmq_getsockopt(l->mon, ZMQ_RCVMORE, &more, &len) < 0)
			more = 0;
	}
	switch (id) {
	case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
		l->no_detail = 0;
		return 1;
	case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
		fprintf(stderr,
		        "leadscore send: %s refused this client key (status %u): its public "
		        "key is not in the daemon's curve.clients\n",
		        l->endpoint, value);
		return -1;
	case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
		if (l->curve)
			fprintf(stderr,
			        "leadscore send: CURVE handshake with %s failed: is "
			        "curve.enabled on at the daemon?\n",
			        l->endpoint);
		else
			fprintf(stderr,
			        "leadscore send: handshake with %s failed: if the daemon has "
			        "curve.enabled on, give --key and --server-key\n",
			        l->endpoint);
		return -1;
	case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
		if (++l->no_detail < NO_DETAIL_LIMIT)
			return 0;
		if (l->curve)
			fprintf(stderr,
			        "leadscore send: CURVE handshake with %s keeps failing: is "
			        "--server-key the daemon's public key?\n",
			        l->endpoint);
		else
			fprintf(stderr,
			        "leadscore send: handshake with %s keeps failing: if the "
			        "daemon has curve.enabled on, give --key and --server-key\n",
			        l->endpoint);
		return -1;
	}
	return 0;
}

int
send_link_wait(struct send_link *l, int want_in, long timeout_ms)
{
	long deadline = now_ms() + timeout_ms;

	for (;;) {
		zmq_pollitem_t items[2] = {{l->sock, 0, ZMQ_POLLIN, 0}, {l->mon, 0, ZMQ_POLLIN, 0}};
		long left = deadline - now_ms();
		int rc;

		if (left < 0)
			return 0;
		rc = zmq_poll(want_in ? items : items + 1, want_in ? 2 : 1, left);
		if (rc < 0)
			return 0;
		if (want_in && (items[0].revents & ZMQ_POLLIN))
			return 1;
		if (items[1].revents & ZMQ_POLLIN) {
			rc = read_event(l);
			if (rc < 0 || (rc == 1 && !want_in))
				return rc;
		}
	}
}

void
send_link_close(struct send_link *l)
{
	if (l->mon != NULL)
		zmq_close(l->mon);
	if (l->sock != NULL)
		zmq_close(l->sock);
	l->mon = l->sock = NULL;
}

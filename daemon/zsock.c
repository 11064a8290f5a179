/* zsock.c: binding ZeroMQ sockets with checked options. */
#include "zsock.h"

#include <string.h>
#include <zmq.h>

#include "zap.h"

void *
zsock_bind_all(void *zctx, int type, char *const *endpoints, size_t n, int hwm,
	       struct ls_err *err)
{
	void *sock = zmq_socket(zctx, type);
	int linger = 0;
	int opt = type == ZMQ_PUB ? ZMQ_SNDHWM : ZMQ_RCVHWM;

	if (sock == NULL) {
		ls_err_set(err, "zmq_socket: %s", zmq_strerror(zmq_errno()));
		return NULL;
	}
	if (zmq_setsockopt(sock, opt, &hwm, sizeof(hwm)) < 0 ||
	    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger)) < 0) {
		ls_err_set(err, "zmq_setsockopt: %s", zmq_strerror(zmq_errno()));
		goto fail;
	}
	if (type == ZMQ_ROUTER) {
		/* Replies to a peer that went away fail loudly instead of vanishing. */
		int mandatory = 1;

		if (zmq_setsockopt(sock, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof(mandatory)) < 0 ||
		    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof(hwm)) < 0) {
			ls_err_set(err, "zmq_setsockopt: %s", zmq_strerror(zmq_errno()));
			goto fail;
		}
	}
	/* CURVE options take effect at bind: after it, the listener would stay plain. */
	if (zap_secure_bind(zctx, sock, endpoints, n, err) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		if (zmq_bind(sock, endpoints[i]) < 0) {
			ls_err_set(err, "cannot bind %s: %s", endpoints[i],
				   zmq_strerror(zmq_errno()));
			goto fail;
		}
	}
	return sock;
fail:
	zmq_close(sock);
	return NULL;
}

void
zsock_last_endpoint(void *sock, char *buf, size_t size)
{
	size_t len = size;

	if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, buf, &len) < 0)
		buf[0] = '\0';
}

/* ack.h: a pending acknowledgement for one message from an acknowledged (ROUTER) client. */
#ifndef LS_ACK_H
#define LS_ACK_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

/* Sends the reply: envelope frames (routing id, empty delimiter for REQ peers)
 * then one JSON body. Returns 0 or -1. */
typedef int (*ack_send_fn)(void *sock, void *const *frames, const size_t *sizes, size_t nframes,
			   const char *body, size_t body_len);

/* The reply to one message, answered once every member is committed. */
struct ack {
	void *sock;	    /* the socket the message came in on */
	void **frames;	    /* envelope frames, copied */
	size_t *sizes;
	size_t nframes;
	size_t pending;	    /* members not yet committed (events and dead letters) */
	long accepted;
	long duplicates;
	json_t *rejected;   /* array of {"index", "id", "reason"} */
	int failed;	    /* set when its events could not be committed: no reply */
};

struct ack *ack_new(void *sock, void *const *frames, const size_t *sizes, size_t nframes);
/* Records a rejected member (index in the message, its id or NULL, why). */
int ack_reject(struct ack *ack, size_t index, const char *id, const char *reason) LS_MUST_CHECK;
/* The reply body {"accepted":N,"duplicates":N,"rejected":[...]}; caller frees. */
char *ack_body(const struct ack *ack);
void ack_free(struct ack *ack);

#endif

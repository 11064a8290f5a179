/* publish.h: the PUB socket: topic frame, then a JSON frame. */
#ifndef LS_PUBLISH_H
#define LS_PUBLISH_H

#include <jansson.h>
#include <stdint.h>

#include "apply.h"
#include "err.h"

struct publisher {
	void *sock;
	long sent, dropped;
};

/* Binds a PUB socket on every endpoint. */
int publisher_open(struct publisher *p, void *zctx, char *const *endpoints, size_t n,
		   int sndhwm, struct ls_err *err) LS_MUST_CHECK;
void publisher_close(struct publisher *p);

/* Sends one message; never blocks (a slow subscriber loses messages, counted). */
void publisher_send(struct publisher *p, const char *topic, const json_t *body);
/* The same with the body as text (NULL: counted as dropped). */
void publisher_send_text(struct publisher *p, const char *topic, const char *text, size_t len);

/* The `score` payload for one change as compact JSON text (the caller frees it), its
 * length in *len; NULL on out of memory. */
char *publish_score_text(const struct score_pub *pub, const char *model_version,
			 int64_t now_us, size_t *len);

/* Publishes `score` for every change, and `hot` on entering tier A when hot is set. */
void publisher_scores(struct publisher *p, const struct apply_result *res,
		      const char *model_version, int hot);

#endif

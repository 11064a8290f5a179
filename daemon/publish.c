/* publish.c: score, hot and model messages on the PUB socket. */
#include "publish.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "event.h"
#include "jsonw.h"
#include "log.h"
#include "metrics.h"
#include "zsock.h"

int
publisher_open(struct publisher *p, void *zctx, char *const *endpoints, size_t n, int sndhwm,
	       struct ls_err *err)
{
	int nodrop = 1;

	memset(p, 0, sizeof(*p));
	p->sock = zsock_bind_all(zctx, ZMQ_PUB, endpoints, n, sndhwm, err);
	if (p->sock == NULL)
		return -1;
	/* A plain PUB drops silently for a subscriber at its high-water mark. With NODROP a
	 * send to a full subscriber fails with EAGAIN instead, and (sending DONTWAIT) we
	 * count that message as dropped: ingest never waits for a slow subscriber, and the
	 * loss is visible in leadscore_publish_dropped_total. */
	if (zmq_setsockopt(p->sock, ZMQ_XPUB_NODROP, &nodrop, sizeof(nodrop)) < 0) {
		ls_err_set(err, "ZMQ_XPUB_NODROP: %s", zmq_strerror(zmq_errno()));
		publisher_close(p);
		return -1;
	}
	return 0;
}

void
publisher_close(struct publisher *p)
{
	if (p->sock != NULL)
		zmq_close(p->sock);
	p->sock = NULL;
}

void
publisher_send_text(struct publisher *p, const char *topic, const char *text, size_t len)
{
	/* Never blocks: a full subscriber makes this fail (ZMQ_XPUB_NODROP), counted below. */
	if (text == NULL ||
	    zmq_send(p->sock, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(p->sock, text, len, ZMQ_DONTWAIT) < 0) {
		p->dropped++;
		metrics_published(topic, 1);
	} else {
		p->sent++;
		metrics_published(topic, 0);
	}
}

void
publisher_send(struct publisher *p, const char *topic, const json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);

	publisher_send_text(p, topic, text, text ? strlen(text) : 0);
	free(text);
}

static void
tier_or_null(struct jsonw *w, char tier)
{
	char s[2] = {tier, '\0'};

	jsonw_string(w, tier ? s : NULL);
}

char *
publish_score_text(const struct score_pub *pub, const char *model_version, int64_t now_us,
		   size_t *len)
{
	char when[40];
	struct jsonw w;

	rfc3339_format(now_us, when, sizeof(when));
	jsonw_init(&w);
	jsonw_raw(&w, "{", 1);
	jsonw_key(&w, "contact", 1);
	jsonw_string(&w, pub->contact);
	jsonw_key(&w, "account", 0);
	jsonw_string(&w, pub->account);
	jsonw_key(&w, "score", 0);
	jsonw_int(&w, pub->score.score);
	jsonw_key(&w, "probability", 0);
	jsonw_real(&w, pub->score.probability);
	jsonw_key(&w, "tier", 0);
	tier_or_null(&w, pub->score.tier);
	jsonw_key(&w, "previous_score", 0);
	if (pub->previous_score < 0)
		jsonw_rawz(&w, "null");
	else
		jsonw_int(&w, pub->previous_score);
	jsonw_key(&w, "previous_tier", 0);
	tier_or_null(&w, pub->previous_tier);
	jsonw_key(&w, "reasons", 0);
	jsonw_rawz(&w, pub->reasons != NULL ? pub->reasons : "[]");
	jsonw_key(&w, "split", 0);
	jsonw_raw(&w, "{", 1);
	jsonw_key(&w, "fit", 1);
	jsonw_real(&w, pub->score.fit);
	jsonw_key(&w, "engagement", 0);
	jsonw_real(&w, pub->score.engagement);
	jsonw_raw(&w, "}", 1);
	jsonw_key(&w, "model", 0);
	jsonw_string(&w, model_version);
	jsonw_key(&w, "time", 0);
	jsonw_string(&w, when);
	jsonw_key(&w, "event", 0);
	jsonw_string(&w, pub->event_id);
	jsonw_raw(&w, "}", 1);
	return jsonw_take(&w, len);
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
publisher_scores(struct publisher *p, const struct apply_result *res, const char *model_version,
		 int hot)
{
	int64_t now = now_us();

	for (size_t i = 0; i < res->npubs; i++) {
		size_t len;
		char *body = publish_score_text(&res->pubs[i], model_version, now, &len);

		if (body == NULL) {
			p->dropped++;
			metrics_published("score", 1);
			continue;
		}
		publisher_send_text(p, "score", body, len);
		if (hot && res->pubs[i].hot)
			publisher_send_text(p, "hot", body, len);
		free(body);
	}
}

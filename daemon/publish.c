/* publish.c: score, hot and model messages on the PUB socket. */
#include "publish.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "event.h"
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
publisher_send(struct publisher *p, const char *topic, const json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);

	if (text == NULL) {
		p->dropped++;
		metrics_published(topic, 1);
		return;
	}
	/* Never blocks: a full subscriber makes this fail (ZMQ_XPUB_NODROP), counted below. */
	if (zmq_send(p->sock, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(p->sock, text, strlen(text), ZMQ_DONTWAIT) < 0) {
		p->dropped++;
		metrics_published(topic, 1);
	} else {
		p->sent++;
		metrics_published(topic, 0);
	}
	free(text);
}

static json_t *
tier_or_null(char tier)
{
	char s[2] = {tier, '\0'};

	return tier ? json_string(s) : json_null();
}

json_t *
publish_score_json(const struct score_pub *pub, const char *model_version, int64_t now_us)
{
	char when[40];
	json_t *reasons = json_array();

	for (size_t i = 0; reasons != NULL && i < pub->score.nreasons; i++)
		json_array_append_new(reasons,
				      json_pack("{s:s, s:f}", "feature",
						pub->score.reasons[i].feature, "effect",
						pub->score.reasons[i].effect));
	rfc3339_format(now_us, when, sizeof(when));
	return json_pack("{s:s, s:s?, s:i, s:f, s:o, s:o, s:o, s:o, s:{s:f, s:f}, s:s, s:s, s:s}",
			 "contact", pub->contact, "account", pub->account, "score",
			 pub->score.score, "probability", pub->score.probability, "tier",
			 tier_or_null(pub->score.tier), "previous_score",
			 pub->previous_score < 0 ? json_null() : json_integer(pub->previous_score),
			 "previous_tier", tier_or_null(pub->previous_tier), "reasons",
			 reasons ? reasons : json_array(), "split", "fit", pub->score.fit,
			 "engagement", pub->score.engagement, "model", model_version, "time",
			 when, "event", pub->event_id);
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
		json_t *body = publish_score_json(&res->pubs[i], model_version, now);

		if (body == NULL) {
			p->dropped++;
			continue;
		}
		publisher_send(p, "score", body);
		if (hot && res->pubs[i].hot)
			publisher_send(p, "hot", body);
		json_decref(body);
	}
}

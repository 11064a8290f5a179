/* ingest.c: turning received messages into batch members, and answering acknowledged senders. */
#include "ingest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "event.h"
#include "event_rules.h"
#include "log.h"
#include "metrics.h"

#define MAX_ENVELOPE_FRAMES 8

const char *
transport_name(enum transport t)
{
	static const char *names[] = {"pull", "router", "sub", "http"};

	return names[t];
}

/* Counts a rejected batch member under its type when it names one. */
static void
metrics_rejected_member(const char *raw, size_t len, const char *reason)
{
	json_t *doc = raw != NULL ? json_loadb(raw, len, 0, NULL) : NULL;

	metrics_event(json_string_value(json_object_get(doc, "type")), METRICS_REJECTED);
	metrics_reject(metrics_reject_class(reason, 1));
	json_decref(doc);
}

/* A valid CloudEvent whose data breaks a product rule: rejected like any invalid member,
 * with its JSON kept for the dead letter (item->reason is already set). */
static void
demote_item(struct event_item *it)
{
	json_t *doc = event_to_json(&it->ev);

	it->raw = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
	it->raw_len = it->raw != NULL ? strlen(it->raw) : 0;
	json_decref(doc);
	event_clear(&it->ev);
	it->ok = 0;
}

static int
add_member(struct event_item *it, size_t index, enum transport t, struct ack *ack,
	   struct batcher *bt, const struct ingest_limits *lim, int64_t now_us,
	   struct ingest_stats *st)
{
	if (it->ok && event_rules_check(&it->ev, it->reason, sizeof(it->reason)) < 0)
		demote_item(it);
	if (it->ok) {
		st->events++;
		return batcher_add_event(bt, &it->ev, ack, index, now_us);
	}
	st->rejected++;
	metrics_rejected_member(it->raw, it->raw_len, it->reason);
	if (ack != NULL && ack_reject(ack, index, it->id, it->reason) < 0)
		return -1;
	return batcher_add_dead(bt, transport_name(t), it->reason, it->raw ? it->raw : "",
				it->raw ? it->raw_len : 0, lim->dead_keep, NULL, it->id, NULL, ack,
				now_us);
}

int
ingest_payload(const char *buf, size_t len, enum transport t, struct ack *ack,
	       struct batcher *bt, const struct ingest_limits *lim, int64_t now_us,
	       struct ingest_stats *st)
{
	struct event_msg msg;
	int rc = 0;

	st->messages++;
	if (event_msg_parse(buf, len, lim->max_bytes, lim->max_events, &msg) < 0)
		return -1;
	if (msg.nitems == 0) {
		st->rejected++;
		metrics_event(NULL, METRICS_REJECTED);
		metrics_reject(metrics_reject_class(msg.message_reason, 0));
		if (ack != NULL && ack_reject(ack, 0, NULL, msg.message_reason) < 0)
			rc = -1;
		else
			rc = batcher_add_dead(bt, transport_name(t), msg.message_reason, buf, len,
					      lim->dead_keep, NULL, NULL, NULL, ack, now_us);
	}
	for (size_t i = 0; i < msg.nitems && rc == 0; i++)
		rc = add_member(&msg.items[i], i, t, ack, bt, lim, now_us, st);
	event_msg_free(&msg);
	return rc;
}

/* Reads every frame of one message: the envelope (all but the last) and the payload. */
static int
recv_frames(void *sock, zmq_msg_t *frames, size_t *nframes, struct ls_err *err)
{
	int more = 1;

	*nframes = 0;
	while (more) {
		zmq_msg_t *f = &frames[*nframes < MAX_ENVELOPE_FRAMES ? *nframes : MAX_ENVELOPE_FRAMES];
		size_t len = sizeof(more);

		if (*nframes >= MAX_ENVELOPE_FRAMES + 1)
			zmq_msg_close(f); /* too many frames: keep reusing the last slot */
		zmq_msg_init(f);
		if (zmq_msg_recv(f, sock, ZMQ_DONTWAIT) < 0) {
			int e = zmq_errno();

			zmq_msg_close(f);
			if (e == EAGAIN && *nframes == 0)
				return 0;
			return ls_err_set(err, "receiving: %s", zmq_strerror(e));
		}
		if (*nframes < MAX_ENVELOPE_FRAMES + 1)
			(*nframes)++;
		if (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &len) < 0)
			more = 0;
	}
	return 1;
}

int
ingest_read(void *sock, enum transport t, struct batcher *bt, const struct ingest_limits *lim,
	    int64_t now_us, struct ingest_stats *st, struct ls_err *err)
{
	zmq_msg_t frames[MAX_ENVELOPE_FRAMES + 1];
	void *env[MAX_ENVELOPE_FRAMES];
	size_t sizes[MAX_ENVELOPE_FRAMES], n;
	struct ack *ack = NULL;
	zmq_msg_t *payload;
	int rc;

	rc = recv_frames(sock, frames, &n, err);
	if (rc <= 0)
		return rc;
	payload = &frames[n - 1];
	if (t == TRANSPORT_ROUTER || t == TRANSPORT_HTTP) {
		for (size_t i = 0; i + 1 < n; i++) {
			env[i] = zmq_msg_data(&frames[i]);
			sizes[i] = zmq_msg_size(&frames[i]);
		}
		ack = ack_new(sock, env, sizes, n - 1);
		if (ack == NULL) {
			rc = ls_err_set(err, "out of memory");
			goto out;
		}
	}
	if (ingest_payload(zmq_msg_data(payload), zmq_msg_size(payload), t, ack, bt, lim, now_us,
			   st) < 0)
		rc = ls_err_set(err, "out of memory taking a message in");
	if (ack != NULL && ack->pending == 0)
		ingest_ack_done(ack, st);
out:
	for (size_t i = 0; i < n; i++)
		zmq_msg_close(&frames[i]);
	return rc;
}

void
ingest_ack_done(struct ack *ack, struct ingest_stats *st)
{
	char *body = ack->failed ? NULL : ack_body(ack);
	int ok = body != NULL;

	for (size_t i = 0; ok && i < ack->nframes; i++)
		ok = zmq_send(ack->sock, ack->frames[i], ack->sizes[i], ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0;
	if (ok)
		ok = zmq_send(ack->sock, body, strlen(body), ZMQ_DONTWAIT) >= 0;
	if (!ok && !ack->failed) {
		/* The sender is gone or slow: it will resend, and dedupe makes that safe. */
		st->ack_failed++;
		log_debug("acknowledgement not delivered: %s", zmq_strerror(zmq_errno()));
	}
	free(body);
	ack_free(ack);
}

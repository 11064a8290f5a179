/* apply.c: the batch transaction: contacts locked in id order, events deduped, features and scores
 * updated. */
#include "apply.h"

#include <stdlib.h>
#include <string.h>

#include "../model/features.h"
#include "holdout.h"
#include "jsonw.h"
#include "roi_store.h"
#include "snapshots.h"
#include "store.h"

/* Sorting context: qsort has none; each writer thread sorts its own batch. */
static _Thread_local const struct batch *sort_batch;

static int
cmp_key(const void *a, const void *b)
{
	const struct event *x = &sort_batch->events[*(const size_t *)a].ev;
	const struct event *y = &sort_batch->events[*(const size_t *)b].ev;
	int c;

	if ((c = strcmp(x->subject, y->subject)) != 0)
		return c;
	if ((c = strcmp(x->source, y->source)) != 0)
		return c;
	if ((c = strcmp(x->id, y->id)) != 0)
		return c;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int
cmp_time(const void *a, const void *b)
{
	const struct event *x = &sort_batch->events[*(const size_t *)a].ev;
	const struct event *y = &sort_batch->events[*(const size_t *)b].ev;

	if (x->time_us != y->time_us)
		return x->time_us < y->time_us ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int
same_key(const struct event *x, const struct event *y)
{
	return strcmp(x->subject, y->subject) == 0 && strcmp(x->source, y->source) == 0 &&
	       strcmp(x->id, y->id) == 0;
}

static int
is_label_type(const struct featspec *spec, const char *type)
{
	for (size_t i = 0; i < spec->nlabel_types; i++)
		if (strcmp(spec->label_types[i], type) == 0)
			return 1;
	return 0;
}

static int
replace_str(char **dst, const char *src)
{
	char *copy = strdup(src);

	if (copy == NULL)
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}

/* The parts of an event that are not features: identity, flags, conversions. A profile
 * update older than the newest applied (fresh 0) leaves owner, segment and consent. */
static int
apply_contact_fields(struct contact_row *row, const struct featspec *spec, const struct event *ev,
		     int fresh)
{
	if (ev->account != NULL && replace_str(&row->account, ev->account) < 0)
		return -1;
	if (strcmp(ev->type, "contact.updated") == 0 && fresh) {
		json_t *owner = json_object_get(ev->data, "owner");
		json_t *segment = json_object_get(ev->data, "segment");
		json_t *consent = json_object_get(ev->data, "consent");

		if (json_is_string(owner) && replace_str(&row->owner, json_string_value(owner)) < 0)
			return -1;
		if (json_is_string(segment) &&
		    replace_str(&row->segment, json_string_value(segment)) < 0)
			return -1;
		if (json_is_boolean(consent))
			row->consent = json_is_true(consent);
	} else if (strcmp(ev->type, "email.bounced") == 0) {
		row->bounced = 1;
	} else if (strcmp(ev->type, "email.unsubscribed") == 0) {
		row->unsubscribed = 1;
	}
	if (is_label_type(spec, ev->type) &&
	    (row->converted_us == 0 || ev->time_us < row->converted_us))
		row->converted_us = ev->time_us;
	if (row->first_seen_us == 0 || ev->time_us < row->first_seen_us)
		row->first_seen_us = ev->time_us;
	if (ev->time_us > row->last_event_us)
		row->last_event_us = ev->time_us;
	row->events_applied++;
	return 0;
}

/* The reasons as JSON text, written once: the contact row, the audit row and the published
 * message all take this same text. NULL on out of memory. */
static char *
reasons_text(const struct score *s)
{
	struct jsonw w;

	jsonw_init(&w);
	jsonw_raw(&w, "[", 1);
	for (size_t i = 0; i < s->nreasons; i++) {
		jsonw_raw(&w, i ? ",{" : "{", i ? 2 : 1);
		jsonw_key(&w, "feature", 1);
		jsonw_string(&w, s->reasons[i].feature);
		jsonw_key(&w, "effect", 0);
		jsonw_real(&w, s->reasons[i].effect);
		jsonw_raw(&w, "}", 1);
	}
	jsonw_raw(&w, "]", 1);
	return jsonw_take(&w, NULL);
}

static int
push_pub(struct apply_result *out, const struct contact_row *row, const struct score *s,
         int prev_score, char prev_tier, const struct event *ev)
{
	struct score_pub *p;
	struct score_pub *pubs = realloc(out->pubs, (out->npubs + 1) * sizeof(*pubs));

	if (pubs == NULL)
		return -1;
	out->pubs = pubs;
	p = &pubs[out->npubs];
	memset(p, 0, sizeof(*p));
	p->contact = strdup(row->contact_id);
	p->account = row->account ? strdup(row->account) : NULL;
	p->event_source = strdup(ev->source);
	p->event_id = strdup(ev->id);
	p->reasons = strdup(row->reasons);
	p->score = *s;
	p->previous_score = prev_score;
	p->previous_tier = prev_tier;
	p->hot = s->tier == 'A' && prev_tier != 'A';
	out->npubs++;
	if (p->contact == NULL || p->event_source == NULL || p->event_id == NULL ||
	    p->reasons == NULL || (row->account != NULL && p->account == NULL))
		return -1;
	return 0;
}

struct contact_work {
	size_t *idx; /* the contact's new events, by time */
	size_t n;
};

/* Applies one contact's new events and scores it; records a change to publish. */
/* sdr.outcome events, with the group and score the contact had when it was worked. */
struct outcome_list {
	struct outcome_row *items;
	size_t n;
};

static void
note_outcome(struct outcome_list *ol, const struct contact_row *row, const struct event *ev)
{
	json_t *outcome = json_object_get(ev->data, "outcome");
	json_t *minutes = json_object_get(ev->data, "minutes");
	json_t *sdr = json_object_get(ev->data, "sdr");

	/* Ingest has checked the outcome and minutes (event_rules.c). */
	ol->items[ol->n++] = (struct outcome_row){
	    row->contact_id,
	    ev->source,
	    ev->id,
	    json_is_string(sdr) ? json_string_value(sdr) : NULL,
	    ev->time_us,
	    json_string_value(outcome),
	    json_is_number(minutes) ? json_number_value(minutes) : 0,
	    row->holdout,
	    row->score,
	    row->tier,
	};
}

static int
update_contact(struct batch *b, const struct scorer *sc, struct contact_row *row,
               struct contact_work *w, const struct apply_opts *opts, int64_t as_of,
               struct apply_result *out, struct score_change *change, int *changed,
               struct snapshot_list *snaps, struct outcome_list *outcomes, struct ls_err *err)
{
	int delta = opts->publish_delta;
	const struct featspec *spec = sc->spec;
	struct raw_value vals[256];
	struct raw_row rr = {vals, spec->nfields};
	struct fstate st;
	struct score s;
	const struct event *last = NULL;
	int prev_score = row->score;
	char prev_tier = row->tier;

	*changed = 0;
	if (spec->nfields > sizeof(vals) / sizeof(vals[0]))
		return ls_err_set(err, "feature spec has more than 256 fields");
	/* A contact created by this batch has the column default, '{}'. */
	if (json_object_size(row->state) == 0) {
		if (fstate_init(&st, spec) < 0)
			return ls_err_set(err, "out of memory");
	} else if (fstate_from_json(&st, spec, row->state, err) < 0) {
		return ls_err_prefix(err, "contact %s state", row->contact_id);
	}
	qsort(w->idx, w->n, sizeof(*w->idx), cmp_time);
	/* The group is fixed when the contact is first seen, so later changes of the
	 * share (or the model) never move a contact between groups. */
	if (row->events_applied == 0) {
		row->holdout = holdout_member(row->contact_id, opts->holdout_percent);
		row->holdout_key = holdout_queue_key(row->contact_id);
	}
	for (size_t i = 0; i < w->n; i++) {
		const struct event *ev = &b->events[w->idx[i]].ev;
		int fresh;

		if (strcmp(ev->type, "sdr.outcome") == 0)
			note_outcome(outcomes, row, ev);
		/* The first event of a later day closes the last one: snapshot it first. */
		if (snapshot_due(row->last_event_us, ev->time_us) &&
		    snapshot_take(snaps, row->contact_id, &st, spec, row->last_event_us) < 0)
			goto oom;
		fresh = fstate_profile_fresh(&st, ev);
		(void)fstate_apply(&st, spec, ev);
		if (apply_contact_fields(row, spec, ev, fresh) < 0)
			goto oom;
		last = ev;
	}
	row->last_activity_us = st.last_activity_us;
	json_decref(row->state);
	row->state = fstate_to_json(&st, spec);
	if (row->state == NULL)
		goto oom;
	fstate_row(&st, spec, as_of > row->last_event_us ? as_of : row->last_event_us, &rr);
	if (model_score(sc->model, &rr, sc->nreasons, &s, err) < 0) {
		fstate_clear(&st);
		return ls_err_prefix(err, "scoring %s", row->contact_id);
	}
	fstate_clear(&st);
	free(row->reasons);
	row->reasons = reasons_text(&s);
	if (row->reasons == NULL)
		return ls_err_set(err, "out of memory");
	row->score = s.score;
	row->tier = s.tier;
	row->probability = s.probability;
	row->fit = s.fit;
	row->engagement = s.engagement;
	row->model_version = model_version(sc->model);
	row->dirty = 1;
	if (prev_score >= 0 && abs(s.score - prev_score) < delta && s.tier == prev_tier)
		return 0;
	if (push_pub(out, row, &s, prev_score, prev_tier, last) < 0)
		return ls_err_set(err, "out of memory");
	*change = (struct score_change){
	    row->contact_id,    s.score,      prev_score, s.tier,      prev_tier, s.probability,
	    row->model_version, last->source, last->id,   row->reasons};
	*changed = 1;
	return 0;
oom:
	fstate_clear(&st);
	return ls_err_set(err, "out of memory");
}

static void
reset_statuses(struct batch *b)
{
	for (size_t i = 0; i < b->nevents; i++)
		b->events[i].status = ITEM_PENDING;
}

static int
apply_forget(PGconn *conn, struct batch *b, struct apply_result *out, struct ls_err *err)
{
	for (size_t i = 0; i < b->nevents; i++) {
		long removed;

		if (store_forget(conn, b->events[i].ev.subject, &removed, err) < 0)
			return -1;
		b->events[i].status = ITEM_APPLIED;
		out->applied++;
		out->forgotten++;
	}
	return 0;
}

/* State shared by the steps of one batch; freed in one place. */
struct apply_ctx {
	size_t *order; /* events by dedupe key */
	char **ids;    /* distinct contacts, sorted */
	size_t nids;
	struct contact_row *rows;
	struct contact_work *work;
	struct event **uniq; /* distinct events, for the ledger */
	size_t *uniq_idx;
	size_t nuniq;
	unsigned char *is_new;
	struct score_change *changes;
	size_t nchanges;
	struct snapshot_list snaps;
	struct outcome_list outcomes;
	int rows_loaded;
};

static void
ctx_free(struct apply_ctx *c)
{
	if (c->rows_loaded)
		for (size_t i = 0; i < c->nids; i++)
			contact_row_clear(&c->rows[i]);
	if (c->work)
		for (size_t i = 0; i < c->nids; i++)
			free(c->work[i].idx);
	free(c->order);
	free(c->ids);
	free(c->rows);
	free(c->work);
	free(c->uniq);
	free(c->uniq_idx);
	free(c->is_new);
	free(c->changes);
	snapshot_list_clear(&c->snaps);
	free(c->outcomes.items);
}

/* Sorts by dedupe key, marks repeats inside the batch, lists distinct contacts. */
static int
ctx_plan(struct apply_ctx *c, struct batch *b)
{
	size_t n = b->nevents;

	c->order = calloc(n, sizeof(*c->order));
	c->ids = calloc(n, sizeof(*c->ids));
	c->uniq = calloc(n, sizeof(*c->uniq));
	c->uniq_idx = calloc(n, sizeof(*c->uniq_idx));
	c->is_new = calloc(n, 1);
	c->rows = calloc(n, sizeof(*c->rows));
	c->work = calloc(n, sizeof(*c->work));
	c->changes = calloc(n, sizeof(*c->changes));
	c->outcomes.items = calloc(n, sizeof(*c->outcomes.items));
	if (!c->order || !c->ids || !c->uniq || !c->uniq_idx || !c->is_new || !c->rows ||
	    !c->work || !c->changes || !c->outcomes.items)
		return -1;
	for (size_t i = 0; i < n; i++)
		c->order[i] = i;
	sort_batch = b;
	qsort(c->order, n, sizeof(*c->order), cmp_key);
	for (size_t k = 0; k < n; k++) {
		struct batch_event *be = &b->events[c->order[k]];

		if (k > 0 && same_key(&b->events[c->order[k - 1]].ev, &be->ev)) {
			be->status = ITEM_DUPLICATE;
			continue;
		}
		c->uniq[c->nuniq] = &be->ev;
		c->uniq_idx[c->nuniq++] = c->order[k];
		if (c->nids == 0 || strcmp(c->ids[c->nids - 1], be->ev.subject) != 0)
			c->ids[c->nids++] = be->ev.subject;
	}
	return 0;
}

/* After the ledger says which events are new, groups them by contact. */
static int
ctx_group(struct apply_ctx *c, struct batch *b, struct apply_result *out)
{
	size_t k = 0;

	for (size_t u = 0; u < c->nuniq; u++) {
		struct batch_event *be = &b->events[c->uniq_idx[u]];
		struct contact_work *w;

		while (strcmp(c->ids[k], be->ev.subject) != 0)
			k++;
		if (!c->is_new[u]) {
			be->status = ITEM_DUPLICATE;
			continue;
		}
		be->status = ITEM_APPLIED;
		out->applied++;
		w = &c->work[k];
		if (w->idx == NULL) {
			w->idx = calloc(b->nevents, sizeof(*w->idx));
			if (w->idx == NULL)
				return -1;
		}
		w->idx[w->n++] = c->uniq_idx[u];
	}
	for (size_t i = 0; i < b->nevents; i++)
		if (b->events[i].status == ITEM_DUPLICATE)
			out->duplicates++;
	return 0;
}

static int
apply_events(PGconn *conn, struct batch *b, const struct scorer *sc, const struct apply_opts *opts,
             int64_t as_of, struct apply_result *out, struct ls_err *err)
{
	struct apply_ctx c = {0};
	int rc = -1;

	if (b->nevents == 0)
		return 0;
	if (ctx_plan(&c, b) < 0) {
		ls_err_set(err, "out of memory");
		goto out;
	}
	if (store_lock_contacts(conn, c.ids, c.nids, c.rows, err) < 0)
		goto out;
	c.rows_loaded = 1;
	if (store_insert_events(conn, c.uniq, c.nuniq, c.is_new, err) < 0)
		goto out;
	if (ctx_group(&c, b, out) < 0) {
		ls_err_set(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < c.nids; i++) {
		int changed;

		if (c.work[i].n == 0)
			continue;
		if (update_contact(b, sc, &c.rows[i], &c.work[i], opts, as_of, out,
		                   &c.changes[c.nchanges], &changed, &c.snaps, &c.outcomes,
		                   err) < 0)
			goto out;
		c.nchanges += (size_t)changed;
	}
	if (store_write_contacts(conn, c.rows, c.nids, err) < 0 ||
	    store_insert_score_changes(conn, c.changes, c.nchanges, err) < 0 ||
	    snapshot_store(conn, &c.snaps, sc->spec->hash, err) < 0 ||
	    roi_store_insert_outcomes(conn, c.outcomes.items, c.outcomes.n, err) < 0)
		goto out;
	rc = 0;
out:
	ctx_free(&c);
	return rc;
}

int
apply_batch(PGconn *conn, struct batch *b, const struct scorer *sc, const struct apply_opts *opts,
            int64_t as_of_us, struct apply_result *out, struct ls_err *err)
{
	memset(out, 0, sizeof(*out));
	if (store_begin(conn, err) < 0)
		return -1;
	if (b->barrier) {
		if (apply_forget(conn, b, out, err) < 0)
			goto fail;
	} else if (apply_events(conn, b, sc, opts, as_of_us, out, err) < 0) {
		goto fail;
	}
	if (store_insert_dead_letters(conn, b->dead, b->ndead, err) < 0)
		goto fail;
	out->dead = (long)b->ndead;
	if (store_commit(conn, err) < 0)
		goto fail;
	return 0;
fail:
	store_rollback(conn);
	reset_statuses(b);
	apply_result_clear(out);
	return -1;
}

void
apply_result_clear(struct apply_result *res)
{
	for (size_t i = 0; i < res->npubs; i++) {
		free(res->pubs[i].contact);
		free(res->pubs[i].account);
		free(res->pubs[i].event_source);
		free(res->pubs[i].event_id);
		free(res->pubs[i].reasons);
	}
	free(res->pubs);
	memset(res, 0, sizeof(*res));
}

/* ack.c: building the per-message acknowledgement reply. */
#include "ack.h"

#include <stdlib.h>
#include <string.h>

struct ack *
ack_new(void *sock, void *const *frames, const size_t *sizes, size_t nframes)
{
	struct ack *ack = calloc(1, sizeof(*ack));

	if (ack == NULL)
		return NULL;
	ack->sock = sock;
	ack->rejected = json_array();
	ack->frames = calloc(nframes ? nframes : 1, sizeof(*ack->frames));
	ack->sizes = calloc(nframes ? nframes : 1, sizeof(*ack->sizes));
	if (ack->rejected == NULL || ack->frames == NULL || ack->sizes == NULL)
		goto fail;
	for (size_t i = 0; i < nframes; i++) {
		ack->frames[i] = malloc(sizes[i] ? sizes[i] : 1);
		if (ack->frames[i] == NULL)
			goto fail;
		memcpy(ack->frames[i], frames[i], sizes[i]);
		ack->sizes[i] = sizes[i];
		ack->nframes = i + 1;
	}
	return ack;
fail:
	ack_free(ack);
	return NULL;
}

int
ack_reject(struct ack *ack, size_t index, const char *id, const char *reason)
{
	json_t *entry = json_pack("{s:I, s:s?, s:s}", "index", (json_int_t)index, "id", id,
				  "reason", reason);

	if (entry == NULL || json_array_append_new(ack->rejected, entry) < 0)
		return -1;
	return 0;
}

char *
ack_body(const struct ack *ack)
{
	json_t *body = json_pack("{s:I, s:I, s:O}", "accepted", (json_int_t)ack->accepted,
				 "duplicates", (json_int_t)ack->duplicates, "rejected",
				 ack->rejected);
	char *text;

	if (body == NULL)
		return NULL;
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	return text;
}

void
ack_free(struct ack *ack)
{
	if (ack == NULL)
		return;
	for (size_t i = 0; i < ack->nframes; i++)
		free(ack->frames[i]);
	free(ack->frames);
	free(ack->sizes);
	json_decref(ack->rejected);
	free(ack);
}

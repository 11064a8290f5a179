/* scorer.h: the feature spec and model in force, swapped whole between batches. */
#ifndef LS_SCORER_H
#define LS_SCORER_H

#include "../model/featspec.h"
#include "../model/model.h"
#include "err.h"

struct scorer {
	struct featspec *spec;
	struct model *model;
	size_t nreasons;
};

/* Loads the spec and the bundle at model_path (NULL: the spec's starter model)
 * and checks they belong together. NULL with a reason; nothing half-loaded. */
struct scorer *scorer_load(const char *spec_path, const char *model_path, size_t nreasons,
			   struct ls_err *err) LS_MUST_CHECK;
void scorer_free(struct scorer *sc);

#endif

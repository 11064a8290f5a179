/* scorer.c: loading a feature spec and its model together, or refusing both. */
#include "scorer.h"

#include <stdlib.h>

struct scorer *
scorer_load(const char *spec_path, const char *model_path, size_t nreasons, struct ls_err *err)
{
	struct scorer *sc = calloc(1, sizeof(*sc));

	if (sc == NULL) {
		ls_err_set(err, "out of memory");
		return NULL;
	}
	sc->nreasons = nreasons;
	sc->spec = featspec_load(spec_path, err);
	if (sc->spec == NULL)
		goto fail;
	if (model_path == NULL)
		sc->model = model_starter(sc->spec, err);
	else
		sc->model = model_load(model_path, err);
	if (sc->model == NULL) {
		if (model_path != NULL)
			ls_err_prefix(err, "model %s", model_path);
		goto fail;
	}
	if (model_check_spec(sc->model, sc->spec, err) < 0)
		goto fail;
	return sc;
fail:
	scorer_free(sc);
	return NULL;
}

void
scorer_free(struct scorer *sc)
{
	if (sc == NULL)
		return;
	model_free(sc->model);
	featspec_free(sc->spec);
	free(sc);
}

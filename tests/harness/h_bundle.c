/* h_bundle.c: writing predictable starter-kind bundles for the shipped spec in tests. */
#include "h_bundle.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../model/bundle.h"
#include "../../model/featspec.h"

static long
column(const struct encoder *enc, const char *name)
{
	for (size_t j = 0; j < enc->dim; j++)
		if (strcmp(enc->colnames[j], name) == 0)
			return (long)j;
	return -1;
}

int
h_bundle_write(const char *dir, const char *version, double bias, const char *const *cols,
               const double *weights, int ncols, const char *spec_hash, double auc)
{
	char spec_path[512];
	struct ls_err err = {{0}};
	struct featspec *spec;
	struct encoder *enc = NULL;
	double *w = NULL;
	json_t *metrics = json_pack("{s:f}", "auc", auc);
	int rc = -1;

	snprintf(spec_path, sizeof(spec_path), "%s/model/features.json",
	         getenv("LEADSCORE_TOP") ? getenv("LEADSCORE_TOP") : ".");
	spec = featspec_load(spec_path, &err);
	enc = spec ? encoder_from_spec(spec, &err) : NULL;
	w = enc ? calloc(encoder_dim(enc), sizeof(*w)) : NULL;
	if (w != NULL) {
		struct bundle_meta meta = {version,       spec_hash ? spec_hash : spec->hash,
		                           spec->version, enc,
		                           {0},           NULL,
		                           NULL,          NULL,
		                           metrics};

		rc = 0;
		for (int i = 0; i < ncols && rc == 0; i++) {
			long j = column(enc, cols[i]);

			if (j < 0) {
				snprintf(err.msg, sizeof(err.msg), "no column %s", cols[i]);
				rc = -1;
			} else {
				w[j] = weights[i];
			}
		}
		if (rc == 0)
			rc = bundle_write_starter(dir, &meta, w, bias, &err);
	}
	if (rc < 0)
		printf("h_bundle_write %s: %s\n", dir, err.msg);
	json_decref(metrics);
	free(w);
	encoder_free(enc);
	featspec_free(spec);
	return rc;
}

int
h_bundle_flat_score(double bias)
{
	return (int)lround(100.0 / (1.0 + exp(-bias)));
}

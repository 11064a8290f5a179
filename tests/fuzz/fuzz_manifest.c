/* fuzz_manifest.c: libFuzzer target for the model manifest reader: any bytes give a manifest or a reason. */
#include <jansson.h>
#include <stdint.h>

#include "../../model/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	struct manifest m;
	struct ls_err err;

	if (root == NULL)
		return 0;
	if (manifest_parse(root, &m, &err) == 0)
		manifest_clear(&m);
	json_decref(root);
	return 0;
}

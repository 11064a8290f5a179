/* fuzz_featspec.c: libFuzzer target for the feature spec reader. */
#include <stdint.h>

#include "../../model/featspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ls_err err;

	featspec_free(featspec_parse((const char *)data, size, &err));
	return 0;
}

/* fuzz_config.c: libFuzzer target for the config reader: any file gives a config or a one-line reason. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct ls_err err = {{0}};
	FILE *f;

	/* config_load reads a path, as the daemon does: one scratch file per process. */
	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/leadscore-fuzz-config-%d", (int)getpid());
	f = fopen(path, "wb");
	if (f == NULL)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	config_free(config_load(path, &err));
	if (strchr(err.msg, '\n') != NULL && err.msg[0] != '\0')
		__builtin_trap(); /* a reason must be one line */
	return 0;
}

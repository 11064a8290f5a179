/* fuzz_http.c: libFuzzer target for what leadscore adds to HTTP request handling: the request
 * line's route lookup with percent-decoded path parameters, and the listen-address parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = {"GET", "POST", "PUT", "DELETE"};
	char *text = malloc(size + 1), *params[HTTP_MAX_PARAMS];
	const struct http_route *route;
	size_t nparams = 0;
	int known;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	route = http_route_lookup(methods[size % 4], text, params, &nparams, &known);
	/* A route's parameters come back decoded and NUL-free; none without a route. */
	if ((route == NULL && nparams != 0) || nparams > HTTP_MAX_PARAMS)
		__builtin_trap();
	for (size_t i = 0; i < nparams; i++) {
		if (params[i][0] == '\0')
			__builtin_trap();
		free(params[i]);
	}
	(void)http_parse_address(text, NULL, NULL);
	free(text);
	return 0;
}

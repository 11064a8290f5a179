/* fuzz_event.c: libFuzzer target for the CloudEvent parser: any bytes must give events or reasons,
 * never a crash. */
#include "../../daemon/event.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event_msg msg;

	if (event_msg_parse((const char *)data, size, 1024 * 1024, 1000, &msg) < 0)
		return 0;
	/* Every accepted event must also survive the trip back to JSON. */
	for (size_t i = 0; i < msg.nitems; i++) {
		if (msg.items[i].ok)
			json_decref(event_to_json(&msg.items[i].ev));
	}
	event_msg_free(&msg);
	return 0;
}

/* holdout.c: the stable hold-out assignment. */
#include "holdout.h"

uint64_t
holdout_hash(const char *contact_id)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a 64 offset basis */

	for (const unsigned char *p = (const unsigned char *)contact_id; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	/* FNV's low bits are weak for short similar ids ("c000001"...): mix them
	 * (the splitmix64 finaliser) before taking a remainder. */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

int
holdout_member(const char *contact_id, double percent)
{
	uint64_t bucket = holdout_hash(contact_id) % 10000; /* 0.01 % steps */

	if (!(percent > 0))
		return 0;
	return (double)bucket < percent * 100.0;
}

double
holdout_queue_key(const char *contact_id)
{
	/* Bits apart from those the membership remainder mostly depends on. */
	return (double)(holdout_hash(contact_id) >> 11) / 9007199254740992.0 * 100.0;
}

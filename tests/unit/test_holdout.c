/* test_holdout.c: the hold-out assignment is stable, and near the configured share. */
#include <stdio.h>

#include "../../daemon/holdout.h"
#include "../testhelp.h"

int
main(void)
{
	char id[32];
	long members = 0, n = 200000;

	/* Pinned values (worked out by an independent implementation of FNV-1a 64 plus the
	 * splitmix64 finaliser): a change to the hash would move contacts between groups. */
	TEST_CHECK("hash of \"\" is pinned", holdout_hash("") == 0xf52a15e9a9b5e89bULL);
	TEST_CHECK("hash of c000001 is pinned", holdout_hash("c000001") == 0x2645add38bf020a2ULL);
	TEST_CHECK("0 % holds out nobody", !holdout_member("anyone", 0));
	TEST_CHECK("100 % holds out everybody", holdout_member("anyone", 100));
	for (long i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "c%06ld", i);
		members += holdout_member(id, 10);
		/* Monotone in the share: a member at 10 % stays one at 20 %. */
		if (holdout_member(id, 10) && !holdout_member(id, 20)) {
			TEST_CHECK("membership grows with the share", 0);
			break;
		}
	}
	/* 10 % of 200,000: sd = sqrt(n p (1-p)) = 134; allow 5 sd. */
	printf("10 %% share: %ld of %ld ids (%.3f %%)\n", members, n, 100.0 * (double)members / (double)n);
	TEST_CHECK("share near 10 %", members > 20000 - 670 && members < 20000 + 670);
	members = 0;
	for (long i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "lead-%ld@example.com", i * 7919);
		members += holdout_member(id, 2.5);
	}
	printf("2.5 %% share: %ld of %ld ids\n", members, n);
	/* sd = sqrt(200000 * 0.025 * 0.975) = 69.8 */
	TEST_CHECK("share near 2.5 %", members > 5000 - 350 && members < 5000 + 350);
	return TEST_REPORT();
}

/* testhelp.h: a minimal test helper (after redis's): checks, counts, a closing summary. */
#ifndef LS_TESTHELP_H
#define LS_TESTHELP_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int th_passed, th_failed;

#define TEST_CHECK(descr, cond)                                                                    \
	do {                                                                                       \
		if (cond) {                                                                        \
			th_passed++;                                                               \
		} else {                                                                           \
			th_failed++;                                                               \
			printf("FAIL %s:%d: %s (%s)\n", __FILE__, __LINE__, descr, #cond);         \
		}                                                                                  \
	} while (0)

#define TEST_NEAR(descr, got, want, tol)                                                           \
	do {                                                                                       \
		double th_g = (double)(got), th_w = (double)(want);                               \
		if (fabs(th_g - th_w) <= (tol)) {                                                  \
			th_passed++;                                                               \
		} else {                                                                           \
			th_failed++;                                                               \
			printf("FAIL %s:%d: %s: got %.9g, want %.9g (tol %g)\n", __FILE__,        \
			       __LINE__, descr, th_g, th_w, (double)(tol));                        \
		}                                                                                  \
	} while (0)

#define TEST_STREQ(descr, got, want)                                                               \
	do {                                                                                       \
		const char *th_g = (got), *th_w = (want);                                          \
		if (th_g != NULL && th_w != NULL && strcmp(th_g, th_w) == 0) {                     \
			th_passed++;                                                               \
		} else {                                                                           \
			th_failed++;                                                               \
			printf("FAIL %s:%d: %s: got \"%s\", want \"%s\"\n", __FILE__, __LINE__,   \
			       descr, th_g ? th_g : "(null)", th_w ? th_w : "(null)");             \
		}                                                                                  \
	} while (0)

/* Prints the line the runner (and CI) reads, and gives the exit status. */
#define TEST_REPORT()                                                                              \
	(printf("%d passed, %d failed\n", th_passed, th_failed), th_failed == 0 ? 0 : 1)

#endif

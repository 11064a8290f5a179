/* test_auth.c: token lines, roles, hashing, constant-time checks and fresh tokens. */
#include <stdio.h>
#include <string.h>

#include "../../daemon/auth.h"
#include "../testhelp.h"

/* SHA-256("test") and SHA-256("other"), from the standard's definition (sha256sum). */
#define TEST_HASH "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define OTHER_HASH "d9298a10d1b0735837dc4bd85dac641b0f3cef27a47e5d53a54f2f3f5b2fcffa"

static void
test_roles(void)
{
	TEST_CHECK("sdr", auth_role_parse("sdr", 3) == AUTH_SDR);
	TEST_CHECK("producer", auth_role_parse("producer", 8) == AUTH_PRODUCER);
	TEST_CHECK("admin", auth_role_parse("admin", 5) == AUTH_ADMIN);
	TEST_CHECK("prefix is no role", auth_role_parse("sd", 2) == 0);
	TEST_CHECK("case matters", auth_role_parse("Admin", 5) == 0);
	TEST_CHECK("length bounds the name", auth_role_parse("admins", 5) == AUTH_ADMIN);
	TEST_STREQ("name", auth_role_name(AUTH_PRODUCER), "producer");
	TEST_STREQ("no name", auth_role_name(3), "?");
}

static void
test_entries(void)
{
	static const struct {
		const char *line, *why;
	} bad[] = {
	    {"sdr" TEST_HASH, "is not ROLE:SHA256HEX"},
	    {"root:" TEST_HASH, "unknown role 'root'"},
	    {":" TEST_HASH, "unknown role ''"},
	    {"sdr:abc", "must be 64 hex digits (SHA-256), not 3"},
	    {"sdr:" TEST_HASH "0", "not 65"},
	    {"sdr:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0z",
	     "not a hex digit"},
	};
	struct auth_entry e;
	struct ls_err err;

	TEST_CHECK("good line", auth_parse_entry("producer:" TEST_HASH, &e, &err) == 0);
	TEST_CHECK("role", e.role == AUTH_PRODUCER);
	TEST_CHECK("hash bytes", e.hash[0] == 0x9f && e.hash[31] == 0x08);
	TEST_CHECK("upper-case hex", auth_parse_entry("sdr:9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B"
	                                              "2B0B822CD15D6C15B0F00A08",
	                                              &e, &err) == 0 &&
	                                 e.hash[0] == 0x9f);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = '\0';
		TEST_CHECK(bad[i].line, auth_parse_entry(bad[i].line, &e, &err) < 0);
		TEST_CHECK(bad[i].why, strstr(err.msg, bad[i].why) != NULL);
		if (strstr(err.msg, bad[i].why) == NULL)
			printf("  got \"%s\"\n", err.msg);
	}
}

static void
test_table(void)
{
	char *lines[] = {"sdr:" TEST_HASH, "admin:" OTHER_HASH};
	char *broken[] = {"sdr:" TEST_HASH, "nobody:" OTHER_HASH};
	struct ls_err err;
	struct auth_table *t = auth_table_new(lines, 2, &err), *empty;

	TEST_CHECK("table", t != NULL && t->n == 2);
	TEST_CHECK("token admitted with its role", auth_check(t, "test", 4) == AUTH_SDR);
	TEST_CHECK("second token", auth_check(t, "other", 5) == AUTH_ADMIN);
	TEST_CHECK("unknown token", auth_check(t, "tesT", 4) == 0);
	TEST_CHECK("prefix of a token", auth_check(t, "tes", 3) == 0);
	TEST_CHECK("length counts", auth_check(t, "test\0", 5) == 0);
	TEST_CHECK("empty token", auth_check(t, "", 0) == 0);
	TEST_CHECK("no table", auth_check(NULL, "test", 4) == 0);
	auth_table_free(t);
	TEST_CHECK("bad line refuses the table", auth_table_new(broken, 2, &err) == NULL);
	TEST_CHECK("says which line",
	           strstr(err.msg, "auth.token #2: unknown role 'nobody'") != NULL);
	empty = auth_table_new(NULL, 0, &err);
	TEST_CHECK("empty table admits nobody", empty != NULL && auth_check(empty, "test", 4) == 0);
	auth_table_free(empty);
	auth_table_free(NULL);
}

static void
test_tokens(void)
{
	char a[AUTH_TOKEN_LEN + 1], b[AUTH_TOKEN_LEN + 1], hex[65], line[128], small[10];
	struct auth_table *t;
	char *lines[1] = {line};
	struct ls_err err;

	auth_sha256_hex("test", 4, hex);
	TEST_STREQ("sha256", hex, TEST_HASH);
	TEST_CHECK("token", auth_token_new(a, sizeof(a), &err) == 0);
	TEST_CHECK("another", auth_token_new(b, sizeof(b), &err) == 0);
	TEST_CHECK("length", strlen(a) == AUTH_TOKEN_LEN);
	TEST_CHECK("prefix", strncmp(a, AUTH_TOKEN_PREFIX, 4) == 0);
	TEST_CHECK(
	    "url-safe alphabet",
	    strspn(a + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
	        AUTH_TOKEN_LEN - 4);
	TEST_CHECK("random", strcmp(a, b) != 0);
	TEST_CHECK("buffer too small", auth_token_new(small, sizeof(small), &err) < 0);
	auth_sha256_hex(a, strlen(a), hex);
	snprintf(line, sizeof(line), "admin:%s", hex);
	t = auth_table_new(lines, 1, &err);
	TEST_CHECK("its line admits it", t != NULL && auth_check(t, a, strlen(a)) == AUTH_ADMIN);
	TEST_CHECK("and not another", t != NULL && auth_check(t, b, strlen(b)) == 0);
	auth_table_free(t);
}

int
main(void)
{
	test_roles();
	test_entries();
	test_table();
	test_tokens();
	return TEST_REPORT();
}

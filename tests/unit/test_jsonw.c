/* test_jsonw.c: JSON text written by jsonw (and the score message built with it) is byte for
 * byte what jansson's compact dump writes for the same values. */
#include <float.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/jsonw.h"
#include "../../daemon/publish.h"
#include "../testhelp.h"

static char *
jansson_text(json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	json_decref(v);
	return text;
}

static void
check_real(double v)
{
	struct jsonw w;
	char *mine, *ref, label[64];

	jsonw_init(&w);
	jsonw_real(&w, v);
	mine = jsonw_take(&w, NULL);
	ref = jansson_text(json_real(v));
	snprintf(label, sizeof(label), "real %.17g as jansson writes it", v);
	TEST_STREQ(label, mine, ref);
	free(mine);
	free(ref);
}

static void
check_string(const char *s, const char *label)
{
	struct jsonw w;
	char *mine, *ref;

	jsonw_init(&w);
	jsonw_string(&w, s);
	mine = jsonw_take(&w, NULL);
	ref = jansson_text(json_string(s));
	TEST_STREQ(label, mine, ref);
	free(mine);
	free(ref);
}

static void
test_values(void)
{
	static const double reals[] = {
	    0.0,    1.0,     -2.0,  0.1,   1.0 / 3.0, 123456789.0,
	    1e20,   1e21,    1e-5,  -1e-5, 2.5e-300,  1.7976931348623157e308,
	    5e-324, 0.99999, 100.0, 1e100, -0.0};
	struct jsonw w;
	char *text;
	size_t len;

	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++)
		check_real(reals[i]);
	check_string("plain", "plain string");
	check_string("", "empty string");
	check_string("quote \" and backslash \\", "quote and backslash escaped");
	check_string("tab\tnew\nline\rcr\bbs\fff", "short escapes");
	check_string("\x01\x1f ctl", "other control bytes as \\u00XX");
	check_string("industry=caf\xc3\xa9 \xe2\x82\xac", "UTF-8 passes through");
	check_string("slash / stays", "slash not escaped");

	jsonw_init(&w);
	jsonw_raw(&w, "{", 1);
	jsonw_key(&w, "a", 1);
	jsonw_int(&w, -42);
	jsonw_key(&w, "b", 0);
	jsonw_string(&w, NULL);
	jsonw_raw(&w, "}", 1);
	text = jsonw_take(&w, &len);
	TEST_STREQ("object with an int and a null", text, "{\"a\":-42,\"b\":null}");
	TEST_CHECK("length reported", text != NULL && len == strlen(text));
	free(text);

	/* A value jansson refuses (not finite) fails the text, as a failed dump would. */
	jsonw_init(&w);
	jsonw_real(&w, NAN);
	TEST_CHECK("NaN fails the text", jsonw_take(&w, NULL) == NULL);
	jsonw_init(&w);
	jsonw_real(&w, INFINITY);
	jsonw_rawz(&w, "ignored after a failure");
	TEST_CHECK("infinity fails the text", jsonw_take(&w, NULL) == NULL);
}

/* The score message as the publisher built it before, with jansson. */
static char *
reference_score(const struct score_pub *pub, const char *model, const char *when)
{
	json_t *reasons = json_array();

	for (size_t i = 0; i < pub->score.nreasons; i++)
		json_array_append_new(reasons, json_pack("{s:s, s:f}", "feature",
		                                         pub->score.reasons[i].feature, "effect",
		                                         pub->score.reasons[i].effect));
	return jansson_text(json_pack(
	    "{s:s, s:s?, s:i, s:f, s:o, s:o, s:o, s:o, s:{s:f, s:f}, s:s, s:s, s:s}", "contact",
	    pub->contact, "account", pub->account, "score", pub->score.score, "probability",
	    pub->score.probability, "tier", json_string("A"), "previous_score",
	    pub->previous_score < 0 ? json_null() : json_integer(pub->previous_score),
	    "previous_tier", pub->previous_tier ? json_string("C") : json_null(), "reasons",
	    reasons, "split", "fit", pub->score.fit, "engagement", pub->score.engagement, "model",
	    model, "time", when, "event", pub->event_id));
}

static void
test_score_message(void)
{
	struct score_pub pub = {0};
	char *mine, *ref, when[40];
	int64_t now = 1795000000123456LL;
	size_t len;

	pub.contact = "c\"42";
	pub.account = NULL;
	pub.event_id = "e-1";
	pub.score.score = 91;
	pub.score.probability = 0.91234567890123;
	pub.score.tier = 'A';
	pub.score.fit = 1.25;
	pub.score.engagement = -0.000012;
	pub.score.nreasons = 2;
	snprintf(pub.score.reasons[0].feature, sizeof(pub.score.reasons[0].feature),
	         "pricing_views");
	pub.score.reasons[0].effect = 2.0612345;
	snprintf(pub.score.reasons[1].feature, sizeof(pub.score.reasons[1].feature),
	         "industry=retail \"x\"");
	pub.score.reasons[1].effect = -0.1;
	pub.previous_score = -1;
	pub.previous_tier = 0;
	/* The reasons text comes in ready (apply.c writes it once per score). */
	pub.reasons =
	    jansson_text(json_pack("[{s:s, s:f}, {s:s, s:f}]", "feature", "pricing_views", "effect",
	                           2.0612345, "feature", "industry=retail \"x\"", "effect", -0.1));
	rfc3339_format(now, when, sizeof(when));
	mine = publish_score_text(&pub, "m-7", now, &len);
	ref = reference_score(&pub, "m-7", when);
	TEST_STREQ("first score message as jansson wrote it", mine, ref);
	TEST_CHECK("its length", mine != NULL && len == strlen(mine));
	free(mine);
	free(ref);

	pub.account = "acme.example";
	pub.previous_score = 40;
	pub.previous_tier = 'C';
	mine = publish_score_text(&pub, "m-7", now, &len);
	ref = reference_score(&pub, "m-7", when);
	TEST_STREQ("a later score message as jansson wrote it", mine, ref);
	free(mine);
	free(ref);
	free(pub.reasons);
}

int
main(void)
{
	test_values();
	test_score_message();
	return TEST_REPORT();
}

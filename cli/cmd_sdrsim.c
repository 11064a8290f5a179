/* cmd_sdrsim.c: `leadscore sdr-sim`: simulated reps who work the live queue, so the hold-out
 * measurement has real outcomes to measure: claim the next lead, call, report what happened. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "../daemon/event.h"
#include "cli.h"

struct sdrsim_opts {
	const char *truth;    /* leadscore simulate --truth FILE: contact_id,account,p_true,converted */
	const char *endpoint; /* the daemon's api.rep */
	const char *token;    /* an sdr (or admin) token */
	long reps, calls;
	uint64_t seed;
	int64_t from_us, to_us; /* calls spread evenly over [from, to); 0: all now */
};

/* The hidden truth, sorted by contact id for lookups. */
struct truth_row {
	char *contact;
	double p;
};

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: leadscore sdr-sim --truth FILE --endpoint EP --token T [--reps N] [--calls N]\n"
		"                         [--seed S]\n"
		"  Simulated reps work the daemon's queue over its request/reply API (api.rep): each\n"
		"  claims the next lead, calls it and reports an sdr.outcome. Whether a call books a\n"
		"  meeting follows the contact's hidden probability from `leadscore simulate --truth`,\n"
		"  which the daemon never sees; minutes follow the outcome. Hold-out contacts come up\n"
		"  where the queue puts them, ignoring their score, so `leadscore roi` then measures\n"
		"  what the scores save. --from/--to (RFC 3339) spread the calls evenly over a\n"
		"  window, as a week of work; without them every call is made now.\n"
		"  Defaults: 4 reps, 400 calls, seed 1.\n");
}

static uint64_t
next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
uniform(uint64_t *s)
{
	return (double)(next_rand(s) >> 11) / 9007199254740992.0;
}

static int
truth_cmp(const void *a, const void *b)
{
	return strcmp(((const struct truth_row *)a)->contact, ((const struct truth_row *)b)->contact);
}

static struct truth_row *
load_truth(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	struct truth_row *rows = NULL;
	size_t cap = 0;
	char line[512];

	*n = 0;
	if (f == NULL) {
		fprintf(stderr, "leadscore sdr-sim: cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fgets(line, sizeof(line), f) == NULL || strncmp(line, "contact_id,", 11) != 0) {
		fprintf(stderr, "leadscore sdr-sim: %s is not a --truth file\n", path);
		fclose(f);
		return NULL;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;

		if (c2 == NULL)
			continue;
		if (*n == cap) {
			struct truth_row *p = realloc(rows, (cap = cap ? cap * 2 : 1024) * sizeof(*p));

			if (p == NULL)
				break;
			rows = p;
		}
		*c1 = '\0';
		rows[*n].contact = strdup(line);
		rows[*n].p = strtod(c2 + 1, NULL);
		if (rows[*n].contact != NULL)
			(*n)++;
	}
	fclose(f);
	qsort(rows, *n, sizeof(*rows), truth_cmp);
	return rows;
}

static double
truth_p(const struct truth_row *rows, size_t n, const char *contact)
{
	struct truth_row key = {(char *)contact, 0};
	const struct truth_row *r = bsearch(&key, rows, n, sizeof(*rows), truth_cmp);

	return r != NULL ? r->p : 0.0;
}

/* One request over REQ: the reply object, or NULL (printed). */
static json_t *
request(void *sock, json_t *req)
{
	char *text = json_dumps(req, JSON_COMPACT);
	zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
	zmq_msg_t msg;
	json_t *reply = NULL;

	json_decref(req);
	if (text == NULL || zmq_send(sock, text, strlen(text), 0) < 0) {
		free(text);
		return NULL;
	}
	free(text);
	if (zmq_poll(&item, 1, 10000) != 1) {
		fprintf(stderr, "leadscore sdr-sim: no reply in 10 s\n");
		return NULL;
	}
	zmq_msg_init(&msg);
	if (zmq_msg_recv(&msg, sock, 0) >= 0)
		reply = json_loadb(zmq_msg_data(&msg), zmq_msg_size(&msg), 0, NULL);
	zmq_msg_close(&msg);
	return reply;
}

/* A call's outcome and minutes: a meeting as often as the hidden truth says. */
static const char *
call(double p, uint64_t *rng, double *minutes)
{
	double u = uniform(rng);
	double p_meeting = 0.04 + 0.7 * p;

	if (u < p_meeting) {
		*minutes = 20 + 15 * uniform(rng);
		return "meeting_booked";
	}
	u = uniform(rng);
	if (u < 0.35) {
		*minutes = 4 + 4 * uniform(rng);
		return "no_answer";
	}
	if (u < 0.7) {
		*minutes = 10 + 10 * uniform(rng);
		return "disqualified";
	}
	*minutes = 12 + 10 * uniform(rng);
	return u < 0.85 ? "connected" : "nurture";
}

static int
parse(int argc, char **argv, struct sdrsim_opts *o)
{
	static const struct option opts[] = {{"truth", required_argument, NULL, 't'},
					     {"endpoint", required_argument, NULL, 'e'},
					     {"token", required_argument, NULL, 'k'},
					     {"reps", required_argument, NULL, 'r'},
					     {"calls", required_argument, NULL, 'n'},
					     {"seed", required_argument, NULL, 's'},
					     {"from", required_argument, NULL, 'f'},
					     {"to", required_argument, NULL, 'u'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	long seed = 1;
	int c;

	*o = (struct sdrsim_opts){NULL, NULL, NULL, 4, 400, 1, 0, 0};
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't': o->truth = optarg; break;
		case 'e': o->endpoint = optarg; break;
		case 'k': o->token = optarg; break;
		case 'r':
			if (cli_parse_long("sdr-sim", "--reps", optarg, 1, 1000, &o->reps) < 0)
				return CLI_USAGE;
			break;
		case 'n':
			if (cli_parse_long("sdr-sim", "--calls", optarg, 1, 10000000, &o->calls) < 0)
				return CLI_USAGE;
			break;
		case 's':
			if (cli_parse_long("sdr-sim", "--seed", optarg, 0, 2147483647, &seed) < 0)
				return CLI_USAGE;
			o->seed = (uint64_t)seed;
			break;
		case 'f':
		case 'u':
			if (rfc3339_parse(optarg, c == 'f' ? &o->from_us : &o->to_us, NULL) < 0) {
				fprintf(stderr, "leadscore sdr-sim: --%s needs an RFC 3339 time\n",
					c == 'f' ? "from" : "to");
				return CLI_USAGE;
			}
			break;
		case 'h': usage(stdout); return -1;
		default: return cli_bad_option("sdr-sim", argv);
		}
	}
	if (optind != argc || o->truth == NULL || o->endpoint == NULL || o->token == NULL) {
		fprintf(stderr, "leadscore sdr-sim: --truth, --endpoint and --token are required\n");
		return CLI_USAGE;
	}
	if ((o->from_us == 0) != (o->to_us == 0) || o->from_us > o->to_us) {
		fprintf(stderr, "leadscore sdr-sim: --from and --to go together, from first\n");
		return CLI_USAGE;
	}
	return 0;
}

/* Claims and works one lead as rep; 1 worked, 0 queue empty, -1 error. */
static int
work_one(void *sock, const struct sdrsim_opts *o, long i, const struct truth_row *truth,
	 size_t ntruth, uint64_t *rng, long *meetings)
{
	long rep = i % o->reps;
	char sdr[32], when[40] = "";
	json_t *reply, *body;
	const char *contact, *outcome;
	double minutes;
	long status;

	snprintf(sdr, sizeof(sdr), "rep-%ld", rep + 1);
	reply = request(sock, json_pack("{s:s, s:s, s:s, s:i}", "op", "claim", "token", o->token,
					"sdr", sdr, "lease_seconds", 86400));
	status = reply ? (long)json_integer_value(json_object_get(reply, "status")) : -1;
	if (status == 204) {
		json_decref(reply);
		return 0;
	}
	body = json_object_get(reply, "body");
	contact = json_string_value(json_object_get(body, "contact"));
	if (status != 200 || contact == NULL) {
		fprintf(stderr, "leadscore sdr-sim: claim failed: %s\n",
			reply ? json_string_value(json_object_get(reply, "error")) : "no reply");
		json_decref(reply);
		return -1;
	}
	outcome = call(truth_p(truth, ntruth, contact), rng, &minutes);
	*meetings += strcmp(outcome, "meeting_booked") == 0;
	if (o->to_us > 0)
		rfc3339_format(o->from_us + (int64_t)((double)(o->to_us - o->from_us) * (double)i /
						      (double)o->calls),
			       when, sizeof(when));
	json_t *res = request(sock, json_pack("{s:s, s:s, s:s, s:s, s:f, s:s, s:s?}", "op",
					      "outcome", "token", o->token, "contact", contact,
					      "outcome", outcome, "minutes", round(minutes * 10) / 10,
					      "sdr", sdr, "time", when[0] ? when : NULL));
	status = res ? (long)json_integer_value(json_object_get(res, "status")) : -1;
	json_decref(reply);
	json_decref(res);
	if (status != 200) {
		fprintf(stderr, "leadscore sdr-sim: outcome refused (status %ld)\n", status);
		return -1;
	}
	return 1;
}

int
cmd_sdrsim(int argc, char **argv)
{
	struct sdrsim_opts o;
	struct truth_row *truth;
	size_t ntruth;
	void *zctx, *sock;
	long worked = 0, meetings = 0;
	uint64_t rng;
	int rc = parse(argc, argv, &o), linger = 0;

	if (rc != 0)
		return rc < 0 ? CLI_OK : rc;
	truth = load_truth(o.truth, &ntruth);
	if (truth == NULL)
		return CLI_FAIL;
	rng = o.seed * 0x2545f4914f6cdd1dULL + 1;
	zctx = zmq_ctx_new();
	sock = zctx ? zmq_socket(zctx, ZMQ_REQ) : NULL;
	if (sock == NULL || zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger)) < 0 ||
	    zmq_connect(sock, o.endpoint) < 0) {
		fprintf(stderr, "leadscore sdr-sim: cannot connect %s\n", o.endpoint);
		rc = CLI_FAIL;
	}
	for (long i = 0; rc == CLI_OK && i < o.calls; i++) {
		int r = work_one(sock, &o, i, truth, ntruth, &rng, &meetings);

		if (r < 0)
			rc = CLI_FAIL;
		if (r <= 0)
			break;
		worked++;
	}
	fprintf(stderr, "%ld reps worked %ld leads: %ld meetings booked\n", o.reps, worked,
		meetings);
	if (sock != NULL)
		zmq_close(sock);
	if (zctx != NULL)
		zmq_ctx_term(zctx);
	for (size_t i = 0; i < ntruth; i++)
		free(truth[i].contact);
	free(truth);
	return rc;
}

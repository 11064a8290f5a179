/* simulate.c: `leadscore simulate`: a synthetic B2B funnel with hidden truth, as CloudEvents. */

/*
 * The world. Everything is drawn from the seed, so the same options give the same bytes.
 *
 * Accounts: companies with a domain (<adjective><noun>-<n>.example, a reserved name), an
 * industry, a headcount (log-normal, median 150, 2 to 300,000), a country, an owning SDR and
 * 1-6 contacts (more at bigger companies). About 14 % of accounts are "in market": their
 * hidden intent is high (0.45-0.95) and a third-party feed reports it as intent.surged
 * (topic, strength) on many days, mostly on topics near the product; the rest have low
 * intent (0.03-0.28) and surge rarely and weakly. Some accounts raise funding (more often
 * those in market).
 *
 * Contacts: a seniority, a job function (the title follows from both), marketing consent
 * (95 %), and three hidden numbers:
 *   fit    = sigmoid(-0.6 + industry + seniority + function + size + N(0, 0.5)): the ideal
 *            customer is a VP or director in engineering or IT at a software or finance
 *            company of 300-5,000 people. Country and owner carry no signal, on purpose.
 *   intent = account intent x U(0.55, 1) + N(0, 0.06), clamped to [0, 1].
 *   p_true = sigmoid(-5.2 + 3 fit + 4.5 intent + 1.5 fit intent): the probability that the
 *            contact becomes an opportunity inside the window. The outcome is drawn from it;
 *            about 8-9 % of contacts convert.
 *
 * Behaviour: on day d a contact's activity is a = intent (0.35 + 0.65 fit) ramp(d). For a
 * converter the ramp grows toward its buying day b, 1 + 2.5 exp(-(b - d) / tau) with
 * tau = 3 + D / 15 days, and stays at 1.8 after it; a quarter of the others get a passing
 * burst of interest around a random day, so activity alone does not give the answer away.
 * Daily counts are Poisson or Bernoulli with rates rising with a: web sessions of several
 * page views (the share of bottom-of-funnel paths such as /pricing and /case-studies rises
 * with a), marketing emails (opened, clicked, replied), forms, downloads, the weekly
 * webinar, demo requests. Weekends are quieter and most events fall in the contact's
 * working hours. Converters mostly request a demo in the days before b, emit
 * opportunity.created on day b and, when the deal closes inside the window, deal.won (30-70 %
 * by fit) or deal.lost. About 2 % of addresses bounce, 3 % unsubscribe, 3 % in 30 days
 * change job (a promotion or a move to another function, followed by contact.updated).
 * 60 % of contacts are known when the window opens, the rest arrive during it; a contact's
 * first event is always contact.updated with its profile (data.consent false: no email).
 *
 * SDR work (--outcomes): reps follow up most hand-raisers (demo request, contact or trial
 * form, email reply) the same day and make some cold calls; meetings are likelier for high
 * p_true, disqualification for low fit, and most converters book a meeting shortly before b.
 * Minutes per attempt: 5-8 with no answer, up to 30 for a booked meeting.
 *
 * Memory: a 44-byte plan per contact and 24 bytes per account; events are generated one day
 * at a time as 16-byte records, sorted, then formatted, so one day's records are all that is
 * held (1,000,000 contacts x 30 days: about 80 MB resident; 100,000 x 30: about 10 MB and
 * 1.3 s of CPU for some 965,000 events). Each (contact, day) has its own random stream (splitmix64
 * seeds xoshiro256**), so the output does not depend on loop order and --outcomes draws from
 * streams of its own. Times are formatted here (no locale, no libc time zone code); numbers are
 * printed with integer arithmetic at fixed precision. Byte-identity holds on one platform and libm.
 */
#include "simulate.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MS_PER_MIN 60000LL
#define MS_PER_HOUR 3600000LL
#define MS_PER_DAY 86400000LL
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- random numbers ---- */

struct rng {
	uint64_t s[4];
};

/* Stream tags: each purpose draws from its own streams. */
enum { TAG_ACCOUNT = 1, TAG_CONTACT, TAG_ACCOUNT_DAY, TAG_CONTACT_DAY, TAG_SDR_DAY, TAG_DAY };

static uint64_t
mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void
rng_init(struct rng *r, uint64_t seed, uint64_t tag, uint64_t idx, uint64_t day)
{
	uint64_t h = mix64(mix64(mix64(seed ^ mix64(tag)) ^ idx) ^ mix64(day));

	for (int i = 0; i < 4; i++) {
		h = mix64(h);
		r->s[i] = h;
	}
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform in [0, 1). */
static double
rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static int
rng_bern(struct rng *r, double p)
{
	return rng_unit(r) < p;
}

/* Uniform in [0, n). */
static uint32_t
rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static double
rng_normal(struct rng *r)
{
	double u1 = 1.0 - rng_unit(r), u2 = rng_unit(r);

	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Knuth's method: fine for the small daily rates used here. */
static unsigned
rng_poisson(struct rng *r, double lambda)
{
	double limit, p = 1.0;
	unsigned k = 0;

	if (lambda <= 0.0)
		return 0;
	if (lambda > 30.0)
		lambda = 30.0;
	limit = exp(-lambda);
	do {
		k++;
		p *= rng_unit(r);
	} while (p > limit);
	return k - 1;
}

static unsigned
rng_weighted(struct rng *r, const double *w, unsigned n)
{
	double total = 0.0, x;
	unsigned i;

	for (i = 0; i < n; i++)
		total += w[i];
	x = rng_unit(r) * total;
	for (i = 0; i + 1 < n; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

static double
sigmoid(double z)
{
	return 1.0 / (1.0 + exp(-z));
}

static double
clamp01(double x)
{
	return x < 0.0 ? 0.0 : x > 1.0 ? 1.0 : x;
}

/* ---- the vocabulary of the world ---- */

static const char *const industry_name[] = {"software", "finance",   "healthcare", "manufacturing",
                                            "retail",   "education", "other"};
static const double industry_w[] = {22, 12, 12, 16, 12, 8, 18};
static const double industry_fit[] = {0.8, 0.5, 0.3, 0.0, -0.3, -0.6, -0.4};

static const char *const seniority_name[] = {"c_level", "vp", "director", "manager", "individual"};
static const double seniority_w[] = {8, 12, 20, 28, 32};
static const double seniority_fit[] = {0.4, 0.7, 0.6, 0.1, -0.7};

enum { NFUNCTIONS = 5 };
static const double function_w[NFUNCTIONS] = {28, 18, 22, 18, 14};
static const double function_fit[NFUNCTIONS] = {0.4, 0.4, -0.1, 0.0, -0.3};
static const char *const title_name[][NFUNCTIONS] = {
    {"CTO", "CIO", "CMO", "COO", "CFO"},
    {"VP Engineering", "VP IT", "VP Marketing", "VP Operations", "VP Finance"},
    {"Director of Engineering", "Director of IT", "Director of Marketing", "Director of Operations",
     "Director of Finance"},
    {"Engineering Manager", "IT Manager", "Marketing Manager", "Operations Manager",
     "Finance Manager"},
    {"Software Engineer", "Systems Administrator", "Marketing Specialist", "Operations Analyst",
     "Financial Analyst"},
};

static const char *const country_name[] = {"US", "GB", "DE", "CA", "FR", "IN", "AU",
                                           "NL", "SE", "ES", "BR", "JP", "SG", "IE"};
static const double country_w[] = {40, 10, 8, 6, 5, 6, 4, 4, 3, 3, 3, 3, 2, 3};
/* Whole-hour UTC offsets, for working hours only. */
static const int country_utc_offset[] = {-5, 0, 1, -5, 1, 5, 10, 1, 1, 1, -3, 9, 8, 0};

static const char *const owner_name[] = {"alice", "bruno", "chen", "dana", "emeka", "farah"};

static const char *const name_adj[] = {"blue",  "bright", "north",  "silver", "rapid", "clear",
                                       "iron",  "green",  "summit", "true",   "open",  "red",
                                       "quiet", "bold",   "prime",  "west"};
static const char *const name_noun[] = {"peak",   "forge", "wind",    "stone", "field", "harbor",
                                        "bridge", "works", "labs",    "point", "river", "grid",
                                        "leaf",   "line",  "systems", "cloud"};

/* Top of the funnel first, then paths that show buying interest. */
static const char *const path_name[] = {
    "/",
    "/blog/what-is-lead-scoring",
    "/blog/sdr-productivity",
    "/blog/intent-data-101",
    "/blog/b2b-funnel-metrics",
    "/docs/api",
    "/docs/events",
    "/docs/faq",
    "/product",
    "/about",
    "/careers",
    "/resources/ebooks",
    "/pricing",
    "/pricing/enterprise",
    "/demo",
    "/case-studies/fintech",
    "/case-studies/healthcare",
    "/case-studies/saas",
    "/security",
    "/integrations/salesforce",
    "/integrations/hubspot",
    "/docs/getting-started",
    "/compare",
};
enum { NPATHS_TOP = 12 };
static const double path_top_w[NPATHS_TOP] = {20, 8, 6, 6, 5, 4, 3, 3, 10, 4, 3, 4};
static const double path_bottom_w[NELEM(path_name) - NPATHS_TOP] = {25, 6, 6, 5, 4, 5,
                                                                    6,  5, 4, 5, 4};

static const char *const campaign_name[] = {"newsletter-weekly", "product-update", "webinar-invite",
                                            "case-study-digest", "sdr-sequence-1", "sdr-sequence-2",
                                            "pricing-followup",  "event-invite"};

/* The last two are hand-raisers: an SDR follows them up. */
static const char *const form_name[] = {"newsletter", "ebook", "event_registration", "contact_us",
                                        "trial_signup"};
enum { FORM_FIRST_HAND_RAISE = 3 };

static const char *const asset_name[] = {"ebook-lead-scoring-guide", "whitepaper-intent-data",
                                         "report-sdr-benchmarks", "checklist-revops",
                                         "template-roi-calculator"};

static const char *const webinar_name[] = {"Scoring leads with intent data", "From MQL to pipeline",
                                           "Measuring SDR time saved",
                                           "Predictive scoring in practice"};

/* The first four are close to what the product sells. */
static const char *const topic_name[] = {
    "lead scoring", "sales engagement",     "revenue operations", "predictive analytics",
    "crm software", "marketing automation", "data enrichment",    "sales intelligence"};

static const char *const round_name[] = {"seed", "series_a", "series_b", "series_c", "growth"};
static const double round_musd[] = {2, 12, 30, 60, 120};

enum outcome { OUT_CONNECTED, OUT_MEETING, OUT_DISQUALIFIED, OUT_NO_ANSWER, OUT_NURTURE };
static const char *const outcome_name[] = {"connected", "meeting_booked", "disqualified",
                                           "no_answer", "nurture"};
static const int outcome_min_minutes[] = {8, 15, 8, 5, 6};
static const int outcome_max_minutes[] = {20, 30, 20, 8, 15};

static const char *const lost_reason[] = {"no_budget", "chose_competitor", "no_decision", "timing"};

enum ev_type {
	EV_CONTACT_UPDATED, /* first, so it sorts before anything else in the same millisecond */
	EV_PAGE_VIEWED,
	EV_EMAIL_OPENED,
	EV_EMAIL_CLICKED,
	EV_EMAIL_REPLIED,
	EV_FORM_SUBMITTED,
	EV_CONTENT_DOWNLOADED,
	EV_WEBINAR_ATTENDED,
	EV_DEMO_REQUESTED,
	EV_INTENT_SURGED,
	EV_JOB_CHANGED,
	EV_COMPANY_FUNDED,
	EV_EMAIL_BOUNCED,
	EV_EMAIL_UNSUBSCRIBED,
	EV_SDR_OUTCOME,
	EV_OPPORTUNITY_CREATED,
	EV_DEAL_WON,
	EV_DEAL_LOST,
};

static const struct {
	const char *type;
	const char *channel;
} ev_info[] = {
    [EV_CONTACT_UPDATED] = {"contact.updated", "crm"},
    [EV_PAGE_VIEWED] = {"page.viewed", "web"},
    [EV_EMAIL_OPENED] = {"email.opened", "email"},
    [EV_EMAIL_CLICKED] = {"email.clicked", "email"},
    [EV_EMAIL_REPLIED] = {"email.replied", "email"},
    [EV_FORM_SUBMITTED] = {"form.submitted", "forms"},
    [EV_CONTENT_DOWNLOADED] = {"content.downloaded", "forms"},
    [EV_WEBINAR_ATTENDED] = {"webinar.attended", "forms"},
    [EV_DEMO_REQUESTED] = {"demo.requested", "forms"},
    [EV_INTENT_SURGED] = {"intent.surged", "intent"},
    [EV_JOB_CHANGED] = {"job.changed", "intent"},
    [EV_COMPANY_FUNDED] = {"company.funded", "intent"},
    [EV_EMAIL_BOUNCED] = {"email.bounced", "email"},
    [EV_EMAIL_UNSUBSCRIBED] = {"email.unsubscribed", "email"},
    [EV_SDR_OUTCOME] = {"sdr.outcome", "crm"},
    [EV_OPPORTUNITY_CREATED] = {"opportunity.created", "crm"},
    [EV_DEAL_WON] = {"deal.won", "crm"},
    [EV_DEAL_LOST] = {"deal.lost", "crm"},
};

/* ---- the plan: what is fixed before the first day ---- */

struct sim_account {
	uint32_t first;     /* index of its first contact */
	uint32_t size;      /* employees */
	float intent;       /* hidden */
	int16_t funded_day; /* -1: no funding in the window */
	uint8_t ncontacts, industry, country, owner, in_market, round, name_adj, name_noun;
};

struct sim_contact {
	uint32_t account;
	int32_t first_ms; /* first appearance, ms into first_day */
	float fit, intent, p_true;
	/* Days of planned events; -1: none. buy_day >= 0 means the contact converts. */
	int16_t first_day, buy_day, close_day, demo_day, meet_day, bounce_day, unsub_day, job_day,
	    bump_day;
	uint8_t seniority, function, new_seniority, new_function, consent, won;
};

/* One event before formatting: what it is, whose, when, and two small payload values. */
struct sim_rec {
	int64_t t_ms;
	uint32_t contact;
	uint8_t type;
	uint8_t a;
	uint16_t b;
};

struct sim {
	const struct sim_opts *o;
	int64_t start_ms, end_ms;
	struct sim_account *acc;
	size_t nacc;
	struct sim_contact *con;
	size_t ncon;
	struct sim_rec *rec;
	size_t nrec, caprec;
	int oom;
	uint64_t next_id;
	int webinar_phase;
};

/* One day of the window: [start, end) in unix milliseconds. */
struct sim_day {
	int d;
	int64_t start, end;
	double wk;          /* 1 on weekdays, lower at weekends */
	int webinar;        /* index into webinar_name, or -1 */
	int64_t webinar_ms; /* when it starts */
};

static void
sim_push(struct sim *s, int64_t t_ms, uint32_t contact, enum ev_type type, unsigned a, unsigned b)
{
	struct sim_rec *r;

	if (s->nrec == s->caprec) {
		size_t cap = s->caprec ? s->caprec * 2 : 4096;
		struct sim_rec *p = realloc(s->rec, cap * sizeof(*p));

		if (p == NULL) {
			s->oom = 1;
			return;
		}
		s->rec = p;
		s->caprec = cap;
	}
	r = &s->rec[s->nrec++];
	r->t_ms = t_ms;
	r->contact = contact;
	r->type = (uint8_t)type;
	r->a = (uint8_t)a;
	r->b = (uint16_t)b;
}

static int16_t
day_in(struct rng *r, int from, int days)
{
	return (int16_t)(from + (int)rng_below(r, (uint32_t)(days - from)));
}

static void
plan_account(struct sim *s, uint32_t ai, uint32_t first, size_t left)
{
	static const double small_w[] = {30, 25, 18, 12, 9, 6}, big_w[] = {15, 20, 20, 18, 15, 12};
	struct sim_account *ac = &s->acc[ai];
	int days = s->o->days;
	double size, p_funded, stage;
	struct rng r;
	unsigned n;

	rng_init(&r, s->o->seed, TAG_ACCOUNT, ai, 0);
	size = exp(log(150.0) + 1.6 * rng_normal(&r));
	size = size < 2.0 ? 2.0 : size > 300000.0 ? 300000.0 : size;
	ac->first = first;
	ac->size = (uint32_t)lround(size);
	ac->industry = (uint8_t)rng_weighted(&r, industry_w, NELEM(industry_w));
	ac->country = (uint8_t)rng_weighted(&r, country_w, NELEM(country_w));
	ac->owner = (uint8_t)rng_below(&r, NELEM(owner_name));
	ac->in_market = (uint8_t)rng_bern(&r, 0.14);
	ac->intent = (float)(ac->in_market ? 0.45 + 0.5 * rng_unit(&r)
	                                   : 0.03 + 0.25 * pow(rng_unit(&r), 2.0));
	p_funded = (0.03 + 0.09 * ac->in_market) * days / 30.0;
	ac->funded_day = rng_bern(&r, p_funded > 0.5 ? 0.5 : p_funded) ? day_in(&r, 0, days) : -1;
	stage = log10(size) + rng_unit(&r); /* bigger companies raise later rounds */
	ac->round = (uint8_t)(stage < 2.0   ? 0
	                      : stage < 3.0 ? 1
	                      : stage < 3.8 ? 2
	                      : stage < 4.5 ? 3
	                                    : 4);
	ac->name_adj = (uint8_t)rng_below(&r, NELEM(name_adj));
	ac->name_noun = (uint8_t)rng_below(&r, NELEM(name_noun));
	n = 1 + rng_weighted(&r, size >= 1000.0 ? big_w : small_w, NELEM(small_w));
	ac->ncontacts = (uint8_t)(n < left ? n : left);
}

static double
contact_fit(struct rng *r, const struct sim_account *ac, const struct sim_contact *c)
{
	double lsize = log10((double)ac->size) - 3.2;
	double size_term = 1.0 - 0.6 * lsize * lsize;

	if (size_term < -1.5)
		size_term = -1.5;
	return sigmoid(-0.6 + industry_fit[ac->industry] + seniority_fit[c->seniority] +
	               function_fit[c->function] + size_term + 0.5 * rng_normal(r));
}

static void
plan_converter(struct rng *r, struct sim_contact *c, int days)
{
	int lo = days / 4, b = lo + (int)rng_below(r, (uint32_t)(days - lo));
	int span = b >= 3 ? b - 2 : 1;
	int demo = b - (int)rng_below(r, 5), meet = b - 1 - (int)rng_below(r, 3);
	int close = b + 10 + (int)rng_below(r, 41);

	c->buy_day = (int16_t)b;
	c->first_day = (int16_t)(rng_bern(r, 0.6) ? 0 : (int)rng_below(r, (uint32_t)span));
	c->demo_day =
	    (int16_t)(rng_bern(r, 0.6) ? (demo > c->first_day ? demo : c->first_day) : -1);
	c->meet_day =
	    (int16_t)(rng_bern(r, 0.7) ? (meet > c->first_day ? meet : c->first_day) : -1);
	c->close_day = (int16_t)(close < days ? close : -1);
	c->won = (uint8_t)rng_bern(r, 0.3 + 0.4 * c->fit);
}

static void
plan_contact(struct sim *s, uint32_t ci, uint32_t ai)
{
	const struct sim_account *ac = &s->acc[ai];
	struct sim_contact *c = &s->con[ci];
	int days = s->o->days;
	double fit, intent, p_job;
	struct rng r;

	rng_init(&r, s->o->seed, TAG_CONTACT, ci, 0);
	memset(c, 0, sizeof(*c));
	c->account = ai;
	c->seniority = (uint8_t)rng_weighted(&r, seniority_w, NELEM(seniority_w));
	c->function = (uint8_t)rng_weighted(&r, function_w, NFUNCTIONS);
	c->consent = (uint8_t)rng_bern(&r, 0.95);
	fit = contact_fit(&r, ac, c);
	intent = clamp01(ac->intent * (0.55 + 0.45 * rng_unit(&r)) + 0.06 * rng_normal(&r));
	c->fit = (float)fit;
	c->intent = (float)intent;
	c->p_true = (float)sigmoid(-5.2 + 3.0 * fit + 4.5 * intent + 1.5 * fit * intent);
	c->buy_day = c->close_day = c->demo_day = c->meet_day = c->bump_day = -1;
	if (rng_unit(&r) < (double)c->p_true) {
		plan_converter(&r, c, days);
	} else {
		c->first_day =
		    (int16_t)(rng_bern(&r, 0.6) ? 0 : (int)rng_below(&r, (uint32_t)days));
		if (rng_bern(&r, 0.25))
			c->bump_day = day_in(&r, c->first_day, days);
	}
	c->first_ms = (int32_t)rng_below(&r, (uint32_t)(MS_PER_DAY * 8 / 10));
	c->bounce_day = c->consent && rng_bern(&r, 0.02) ? day_in(&r, c->first_day, days) : -1;
	c->unsub_day = c->consent && rng_bern(&r, 0.04 * (1.0 - 0.8 * intent))
	                   ? day_in(&r, c->first_day, days)
	                   : -1;
	p_job = 0.03 * days / 30.0;
	c->job_day = rng_bern(&r, p_job > 0.5 ? 0.5 : p_job) ? day_in(&r, c->first_day, days) : -1;
	c->new_seniority = c->seniority;
	c->new_function = c->function;
	if (c->seniority > 0 && rng_bern(&r, 0.6))
		c->new_seniority = (uint8_t)(c->seniority - 1);
	else
		c->new_function =
		    (uint8_t)((c->function + 1 + rng_below(&r, NFUNCTIONS - 1)) % NFUNCTIONS);
}

static int
sim_plan(struct sim *s, struct ls_err *err)
{
	size_t n = (size_t)s->o->contacts, done = 0;
	struct sim_account *shrunk;

	s->acc = calloc(n, sizeof(*s->acc));
	s->con = calloc(n, sizeof(*s->con));
	if (s->acc == NULL || s->con == NULL)
		return ls_err_set(err, "out of memory planning %zu contacts", n);
	while (done < n) {
		uint32_t ai = (uint32_t)s->nacc++;

		plan_account(s, ai, (uint32_t)done, n - done);
		for (unsigned k = 0; k < s->acc[ai].ncontacts; k++)
			plan_contact(s, (uint32_t)(done + k), ai);
		done += s->acc[ai].ncontacts;
	}
	s->ncon = n;
	shrunk = realloc(s->acc, s->nacc * sizeof(*s->acc));
	if (shrunk != NULL)
		s->acc = shrunk;
	return 0;
}

/* ---- one day ---- */

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* A time in [lo, hi), mostly in the contact's working hours. */
static int64_t
draw_time(struct rng *r, int64_t lo, int64_t hi, int utc_offset)
{
	int64_t t = lo;

	for (int i = 0; i < 6; i++) {
		int64_t local, hour;

		t = lo + (int64_t)(rng_unit(r) * (double)(hi - lo));
		if (t >= hi)
			t = hi - 1;
		local = t + utc_offset * MS_PER_HOUR;
		hour = (local - floor_div(local, MS_PER_DAY) * MS_PER_DAY) / MS_PER_HOUR;
		if ((hour >= 8 && hour < 19) || rng_bern(r, 0.2))
			break;
	}
	return t;
}

/* Today's activity level: grows with intent and fit, and toward the buying moment. */
static double
activity(const struct sim_contact *c, int d, int days)
{
	double tau = 3.0 + days / 15.0, ramp = 1.0;

	if (c->buy_day >= 0)
		ramp = d <= c->buy_day ? 1.0 + 2.5 * exp(-(c->buy_day - d) / tau) : 1.8;
	else if (c->bump_day >= 0)
		ramp = 1.0 + 2.0 * exp(-fabs((double)(d - c->bump_day)) / tau);
	return (double)c->intent * (0.35 + 0.65 * (double)c->fit) * ramp;
}

/* What one contact does on one day. */
struct cday {
	struct sim *s;
	const struct sim_day *day;
	const struct sim_contact *c;
	struct rng r;
	uint32_t ci;
	int utc_offset;
	int64_t lo;        /* the contact's events today fall in [lo, day->end) */
	double a, a1;      /* activity, and activity capped at 1 */
	int64_t raised_ms; /* earliest hand-raise today, or -1 */
};

static void
cday_push(struct cday *cd, int64_t t, enum ev_type type, unsigned a, unsigned b)
{
	if (t < cd->lo || t >= cd->day->end)
		return;
	sim_push(cd->s, t, cd->ci, type, a, b);
}

static void
cday_raise(struct cday *cd, int64_t t)
{
	if (t < cd->day->end && (cd->raised_ms < 0 || t < cd->raised_ms))
		cd->raised_ms = t;
}

static int64_t
cday_time(struct cday *cd)
{
	return draw_time(&cd->r, cd->lo, cd->day->end, cd->utc_offset);
}

static void
gen_web(struct cday *cd)
{
	unsigned sessions = rng_poisson(&cd->r, (0.03 + 0.7 * cd->a) * cd->day->wk);
	double bottom = 0.06 + 0.45 * cd->a1;

	for (unsigned i = 0; i < sessions; i++) {
		int64_t t = cday_time(cd);
		unsigned pages = 1 + rng_poisson(&cd->r, 0.7 + 1.5 * cd->a1);

		for (unsigned k = 0; k < pages; k++) {
			unsigned p = rng_bern(&cd->r, bottom)
			                 ? NPATHS_TOP + rng_weighted(&cd->r, path_bottom_w,
			                                             NELEM(path_bottom_w))
			                 : rng_weighted(&cd->r, path_top_w, NPATHS_TOP);

			cday_push(cd, t, EV_PAGE_VIEWED, p, 0);
			t += 15000 + (int64_t)rng_below(&cd->r, 225000);
		}
	}
}

static void
gen_email(struct cday *cd)
{
	const struct sim_contact *c = cd->c;
	int d = cd->day->d, sent;
	unsigned campaign;
	int64_t t;

	if (!c->consent || (c->bounce_day >= 0 && d > c->bounce_day) ||
	    (c->unsub_day >= 0 && d > c->unsub_day))
		return;
	sent = rng_bern(&cd->r, cd->day->wk >= 1.0 ? 0.35 : 0.05);
	campaign = rng_below(&cd->r, NELEM(campaign_name));
	t = cday_time(cd);
	if (d == c->bounce_day) {
		cday_push(cd, t, EV_EMAIL_BOUNCED, campaign, 0);
		return;
	}
	if (sent && rng_bern(&cd->r, 0.15 + 0.45 * cd->a1)) {
		t += (int64_t)(-log(1.0 - rng_unit(&cd->r)) * 2.0 * MS_PER_HOUR);
		cday_push(cd, t, EV_EMAIL_OPENED, campaign, 0);
		if (rng_bern(&cd->r, 0.08 + 0.35 * cd->a1))
			cday_push(cd, t + 20000 + (int64_t)rng_below(&cd->r, 580000),
			          EV_EMAIL_CLICKED, campaign, 0);
		if (rng_bern(&cd->r, 0.01 + 0.12 * cd->a1 * (double)c->fit)) {
			int64_t tr = t + 5 * MS_PER_MIN + (int64_t)rng_below(&cd->r, 175 * 60000);

			cday_push(cd, tr, EV_EMAIL_REPLIED, campaign, 0);
			cday_raise(cd, tr);
		}
	}
	if (d == c->unsub_day)
		cday_push(cd, t + MS_PER_MIN, EV_EMAIL_UNSUBSCRIBED, campaign, 0);
}

static void
gen_forms(struct cday *cd)
{
	const struct sim_contact *c = cd->c;
	unsigned forms = rng_poisson(&cd->r, (0.004 + 0.04 * cd->a1) * cd->day->wk);
	unsigned downloads = rng_poisson(&cd->r, (0.006 + 0.035 * cd->a1) * cd->day->wk);
	int d = cd->day->d;

	for (unsigned i = 0; i < forms; i++) {
		int64_t t = cday_time(cd);
		unsigned f = rng_bern(&cd->r, 0.1 + 0.5 * cd->a1 * (double)c->fit)
		                 ? FORM_FIRST_HAND_RAISE + rng_below(&cd->r, 2)
		                 : rng_below(&cd->r, FORM_FIRST_HAND_RAISE);

		cday_push(cd, t, EV_FORM_SUBMITTED, f, 0);
		if (f >= FORM_FIRST_HAND_RAISE)
			cday_raise(cd, t);
	}
	for (unsigned i = 0; i < downloads; i++)
		cday_push(cd, cday_time(cd), EV_CONTENT_DOWNLOADED,
		          rng_below(&cd->r, NELEM(asset_name)), 0);
	if (cd->day->webinar >= 0 && rng_bern(&cd->r, 0.01 + 0.12 * cd->a1))
		cday_push(cd, cd->day->webinar_ms, EV_WEBINAR_ATTENDED, (unsigned)cd->day->webinar,
		          10 + rng_below(&cd->r, 51));
	if (c->buy_day >= 0
	        ? d == c->demo_day
	        : rng_bern(&cd->r, (0.001 + 0.01 * cd->a1 * (double)c->fit) * cd->day->wk)) {
		int64_t t = cday_time(cd);

		cday_push(cd, t, EV_DEMO_REQUESTED, 0, 0);
		cday_raise(cd, t);
	}
}

/* Job changes and the pipeline: planned days. */
static void
gen_planned(struct cday *cd)
{
	const struct sim_contact *c = cd->c;
	int d = cd->day->d;

	if (d == c->job_day) {
		int64_t t = cday_time(cd);

		cday_push(cd, t, EV_JOB_CHANGED, 0, 0);
		cday_push(cd, t + MS_PER_MIN, EV_CONTACT_UPDATED, 1, 0);
	}
	if (d == c->buy_day)
		cday_push(cd, cday_time(cd), EV_OPPORTUNITY_CREATED, 0, 0);
	if (d == c->close_day)
		cday_push(cd, cday_time(cd), c->won ? EV_DEAL_WON : EV_DEAL_LOST,
		          rng_below(&cd->r, NELEM(lost_reason)), 0);
}

static enum outcome
draw_outcome(struct rng *r, const struct sim_contact *c, int raised)
{
	double w[5], sum;

	w[OUT_MEETING] = 0.03 + 0.5 * (double)c->p_true + (raised ? 0.15 : 0.0);
	w[OUT_DISQUALIFIED] = 0.05 + 0.3 * (1.0 - (double)c->fit);
	w[OUT_CONNECTED] = 0.18;
	w[OUT_NURTURE] = 0.12;
	sum = w[OUT_MEETING] + w[OUT_DISQUALIFIED] + w[OUT_CONNECTED] + w[OUT_NURTURE];
	if (sum > 0.9) {
		for (int i = 0; i < 5; i++)
			w[i] *= 0.9 / sum;
		sum = 0.9;
	}
	w[OUT_NO_ANSWER] = 1.0 - sum;
	return (enum outcome)rng_weighted(r, w, 5);
}

static void
gen_sdr(struct cday *cd)
{
	const struct sim_contact *c = cd->c;
	int d = cd->day->d;
	enum outcome out;
	struct rng *r = &cd->r;
	int64_t t;

	if (!c->consent || (c->bounce_day >= 0 && d >= c->bounce_day) ||
	    (c->unsub_day >= 0 && d >= c->unsub_day))
		return;
	rng_init(r, cd->s->o->seed, TAG_SDR_DAY, cd->ci, (uint64_t)d);
	if (d == c->meet_day) {
		t = cday_time(cd);
		out = OUT_MEETING;
	} else if (cd->raised_ms >= 0 && rng_bern(r, 0.7)) {
		t = cd->raised_ms + 10 * MS_PER_MIN + (int64_t)rng_below(r, 170 * 60000);
		out = draw_outcome(r, c, 1);
	} else if (cd->day->wk >= 1.0 && rng_bern(r, 0.025)) {
		t = cday_time(cd);
		out = draw_outcome(r, c, 0);
	} else {
		return;
	}
	cday_push(cd, t, EV_SDR_OUTCOME, out,
	          (unsigned)(outcome_min_minutes[out] +
	                     (int)rng_below(r, (uint32_t)(outcome_max_minutes[out] -
	                                                  outcome_min_minutes[out] + 1))));
}

static void
gen_contact_day(struct sim *s, uint32_t ci, const struct sim_day *day)
{
	struct cday cd = {.s = s, .day = day, .c = &s->con[ci], .ci = ci, .raised_ms = -1};
	const struct sim_contact *c = cd.c;

	cd.utc_offset = country_utc_offset[s->acc[c->account].country];
	cd.lo = day->start;
	if (c->first_day == day->d) {
		cd.lo += c->first_ms;
		sim_push(s, cd.lo, ci, EV_CONTACT_UPDATED, 0, 0);
		cd.lo++;
	}
	cd.a = activity(c, day->d, s->o->days);
	cd.a1 = cd.a > 1.0 ? 1.0 : cd.a;
	rng_init(&cd.r, s->o->seed, TAG_CONTACT_DAY, ci, (uint64_t)day->d);
	gen_web(&cd);
	gen_email(&cd);
	gen_forms(&cd);
	gen_planned(&cd);
	if (s->o->outcomes)
		gen_sdr(&cd);
}

/* Account-level news (intent feed, funding) reaches every contact known by then. */
struct acc_news {
	int64_t t;
	enum ev_type type;
	unsigned a, b;
};

static unsigned
gen_account_news(struct sim *s, uint32_t ai, const struct sim_day *day, struct acc_news *news)
{
	const struct sim_account *ac = &s->acc[ai];
	int off = country_utc_offset[ac->country];
	double p, strength;
	unsigned n = 0;
	struct rng r;

	rng_init(&r, s->o->seed, TAG_ACCOUNT_DAY, ai, (uint64_t)day->d);
	p = ac->in_market ? 0.10 + 0.35 * (double)ac->intent : 0.006;
	if (rng_bern(&r, p * (day->wk >= 1.0 ? 1.0 : 0.5))) {
		news[n].t = draw_time(&r, day->start, day->end, off);
		news[n].type = EV_INTENT_SURGED;
		if (ac->in_market) {
			news[n].a = rng_bern(&r, 0.8) ? rng_below(&r, 4) : 4 + rng_below(&r, 4);
			strength = 0.3 + 0.65 * (double)ac->intent * (0.6 + 0.4 * rng_unit(&r));
		} else {
			news[n].a = rng_below(&r, NELEM(topic_name));
			strength = 0.05 + 0.3 * rng_unit(&r);
		}
		news[n++].b = (unsigned)lround(clamp01(strength) * 1000.0);
	}
	if (day->d == ac->funded_day) {
		news[n].t = draw_time(&r, day->start, day->end, off);
		news[n].type = EV_COMPANY_FUNDED;
		news[n].a = ac->round;
		news[n++].b = (unsigned)lround(round_musd[ac->round] * (5.0 + 10.0 * rng_unit(&r)));
	}
	return n;
}

static void
gen_account_day(struct sim *s, uint32_t ai, const struct sim_day *day)
{
	const struct sim_account *ac = &s->acc[ai];
	struct acc_news news[2];
	unsigned nnews = gen_account_news(s, ai, day, news);

	for (uint32_t ci = ac->first; ci < ac->first + ac->ncontacts; ci++) {
		const struct sim_contact *c = &s->con[ci];
		int64_t known;

		if (c->first_day > day->d)
			continue;
		gen_contact_day(s, ci, day);
		known = c->first_day == day->d ? day->start + c->first_ms : day->start - 1;
		for (unsigned k = 0; k < nnews; k++)
			if (news[k].t > known)
				sim_push(s, news[k].t, ci, news[k].type, news[k].a, news[k].b);
	}
}

static void
sim_day_init(struct sim *s, int d, struct sim_day *day)
{
	int64_t mid, weekday;
	struct rng r;

	day->d = d;
	day->start = s->start_ms + d * MS_PER_DAY;
	day->end = day->start + MS_PER_DAY;
	mid = day->start + MS_PER_DAY / 2;
	weekday =
	    (floor_div(mid, MS_PER_DAY) % 7 + 11) % 7; /* 0: Monday; 1970-01-01 was a Thursday */
	day->wk = weekday >= 5 ? 0.3 : 1.0;
	day->webinar = -1;
	if ((d + s->webinar_phase) % 7 == 0) {
		rng_init(&r, s->o->seed, TAG_DAY, 0, (uint64_t)d);
		day->webinar = (int)((unsigned)(d / 7) % NELEM(webinar_name));
		day->webinar_ms = draw_time(&r, day->start, day->end, -5);
	}
}

static int
rec_cmp(const void *pa, const void *pb)
{
	const struct sim_rec *a = pa, *b = pb;

	if (a->t_ms != b->t_ms)
		return a->t_ms < b->t_ms ? -1 : 1;
	if (a->contact != b->contact)
		return a->contact < b->contact ? -1 : 1;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return (a->b > b->b) - (a->b < b->b);
}

/* ---- formatting: no printf, so no locale ---- */

struct line {
	size_t n;
	int overflow;
	char buf[1024];
};

static void
lput_mem(struct line *l, const char *p, size_t k)
{
	if (l->n + k >= sizeof(l->buf)) {
		l->overflow = 1;
		return;
	}
	memcpy(l->buf + l->n, p, k);
	l->n += k;
}

static void
lput(struct line *l, const char *s)
{
	lput_mem(l, s, strlen(s));
}

/* Decimal, zero-padded to at least width digits. */
static void
lput_uint(struct line *l, uint64_t v, int width)
{
	char tmp[24];
	int i = (int)sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 || (int)sizeof(tmp) - i < width);
	lput_mem(l, tmp + i, sizeof(tmp) - (size_t)i);
}

/* A number in [0, 1e12) with a fixed number of decimals. */
static void
lput_fixed(struct line *l, double x, int decimals)
{
	uint64_t scale = 1, v;

	for (int i = 0; i < decimals; i++)
		scale *= 10;
	if (x < 0.0)
		x = 0.0;
	v = (uint64_t)llround(x * (double)scale);
	lput_uint(l, v / scale, 1);
	if (decimals > 0) {
		lput(l, ".");
		lput_uint(l, v % scale, decimals);
	}
}

/* Howard Hinnant's civil_from_days. */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* RFC 3339 UTC with milliseconds; times here are never before 1970. */
static void
lput_time(struct line *l, int64_t ms)
{
	int64_t days = floor_div(ms, MS_PER_DAY), rem = ms - days * MS_PER_DAY, y;
	unsigned m, d;

	civil_from_days(days, &y, &m, &d);
	lput_uint(l, (uint64_t)y, 4);
	lput(l, "-");
	lput_uint(l, m, 2);
	lput(l, "-");
	lput_uint(l, d, 2);
	lput(l, "T");
	lput_uint(l, (uint64_t)(rem / MS_PER_HOUR), 2);
	lput(l, ":");
	lput_uint(l, (uint64_t)(rem / MS_PER_MIN % 60), 2);
	lput(l, ":");
	lput_uint(l, (uint64_t)(rem / 1000 % 60), 2);
	lput(l, ".");
	lput_uint(l, (uint64_t)(rem % 1000), 3);
	lput(l, "Z");
}

static void
lput_contact_id(struct line *l, uint32_t ci)
{
	lput(l, "c");
	lput_uint(l, (uint64_t)ci + 1, 6);
}

static void
lput_domain(struct line *l, const struct sim *s, uint32_t ai)
{
	lput(l, name_adj[s->acc[ai].name_adj]);
	lput(l, name_noun[s->acc[ai].name_noun]);
	lput(l, "-");
	lput_uint(l, (uint64_t)ai + 1, 1);
	lput(l, ".example");
}

/* ,"key":"value" (or without the leading comma when first) */
static void
lput_kv_str(struct line *l, int first, const char *key, const char *val)
{
	lput(l, first ? "\"" : ",\"");
	lput(l, key);
	lput(l, "\":\"");
	lput(l, val);
	lput(l, "\"");
}

static void
lput_kv_uint(struct line *l, int first, const char *key, uint64_t val)
{
	lput(l, first ? "\"" : ",\"");
	lput(l, key);
	lput(l, "\":");
	lput_uint(l, val, 1);
}

static void
lput_profile(struct line *l, const struct sim *s, const struct sim_contact *c, int after_job)
{
	const struct sim_account *ac = &s->acc[c->account];
	unsigned sen = after_job ? c->new_seniority : c->seniority;
	unsigned fn = after_job ? c->new_function : c->function;

	lput_kv_uint(l, 1, "company_size", ac->size);
	lput_kv_str(l, 0, "seniority", seniority_name[sen]);
	lput_kv_str(l, 0, "industry", industry_name[ac->industry]);
	lput_kv_str(l, 0, "country", country_name[ac->country]);
	lput_kv_str(l, 0, "title", title_name[sen][fn]);
	lput_kv_str(l, 0, "owner", owner_name[ac->owner]);
	lput(l, c->consent ? ",\"consent\":true" : ",\"consent\":false");
}

static uint64_t
deal_amount(const struct sim_account *ac)
{
	double usd = 6000.0 + 150.0 * pow((double)ac->size, 0.55);

	return (uint64_t)llround(usd / 100.0) * 100;
}

static void
lput_data(struct line *l, const struct sim *s, const struct sim_rec *e)
{
	const struct sim_contact *c = &s->con[e->contact];
	const struct sim_account *ac = &s->acc[c->account];

	switch ((enum ev_type)e->type) {
	case EV_CONTACT_UPDATED:
		lput_profile(l, s, c, e->a);
		break;
	case EV_PAGE_VIEWED:
		lput_kv_str(l, 1, "path", path_name[e->a]);
		break;
	case EV_EMAIL_OPENED:
	case EV_EMAIL_CLICKED:
	case EV_EMAIL_REPLIED:
	case EV_EMAIL_UNSUBSCRIBED:
		lput_kv_str(l, 1, "campaign", campaign_name[e->a]);
		break;
	case EV_EMAIL_BOUNCED:
		lput_kv_str(l, 1, "campaign", campaign_name[e->a]);
		lput_kv_str(l, 0, "bounce", "hard");
		break;
	case EV_FORM_SUBMITTED:
		lput_kv_str(l, 1, "form", form_name[e->a]);
		break;
	case EV_CONTENT_DOWNLOADED:
		lput_kv_str(l, 1, "asset", asset_name[e->a]);
		break;
	case EV_WEBINAR_ATTENDED:
		lput_kv_str(l, 1, "webinar", webinar_name[e->a]);
		lput_kv_uint(l, 0, "minutes", e->b);
		break;
	case EV_DEMO_REQUESTED:
		lput_kv_str(l, 1, "path", "/demo");
		break;
	case EV_INTENT_SURGED:
		lput_kv_str(l, 1, "topic", topic_name[e->a]);
		lput(l, ",\"strength\":");
		lput_fixed(l, e->b / 1000.0, 3);
		break;
	case EV_JOB_CHANGED:
		lput_kv_str(l, 1, "previous_title", title_name[c->seniority][c->function]);
		lput_kv_str(l, 0, "title", title_name[c->new_seniority][c->new_function]);
		break;
	case EV_COMPANY_FUNDED:
		lput_kv_str(l, 1, "round", round_name[e->a]);
		lput_kv_uint(l, 0, "amount_usd", (uint64_t)e->b * 100000);
		break;
	case EV_SDR_OUTCOME:
		lput_kv_str(l, 1, "outcome", outcome_name[e->a]);
		lput_kv_uint(l, 0, "minutes", e->b);
		lput_kv_str(l, 0, "sdr", owner_name[ac->owner]);
		break;
	case EV_OPPORTUNITY_CREATED:
	case EV_DEAL_WON:
		lput_kv_uint(l, 1, "amount_usd", deal_amount(ac));
		break;
	case EV_DEAL_LOST:
		lput_kv_uint(l, 1, "amount_usd", deal_amount(ac));
		lput_kv_str(l, 0, "reason", lost_reason[e->a]);
		break;
	}
}

static void
format_event(struct sim *s, const struct sim_rec *e, struct line *l)
{
	l->n = 0;
	lput(l, "{\"specversion\":\"1.0\",\"id\":\"sim-");
	lput_uint(l, s->o->seed, 1);
	lput(l, "-");
	lput_uint(l, ++s->next_id, 1);
	lput(l, "\",\"source\":\"sim://leadscore/");
	lput(l, ev_info[e->type].channel);
	lput(l, "\",\"type\":\"");
	lput(l, ev_info[e->type].type);
	lput(l, "\",\"subject\":\"");
	lput_contact_id(l, e->contact);
	lput(l, "\",\"time\":\"");
	lput_time(l, e->t_ms);
	lput(l, "\",\"account\":\"");
	lput_domain(l, s, s->con[e->contact].account);
	lput(l, "\",\"data\":{");
	lput_data(l, s, e);
	lput(l, "}}\n");
}

static int
write_line(FILE *out, const struct line *l, const char *what, struct ls_err *err)
{
	if (l->overflow)
		return ls_err_set(err, "writing %s: line too long", what);
	if (fwrite(l->buf, 1, l->n, out) != l->n)
		return ls_err_set(err, "writing %s: %s", what, strerror(errno));
	return 0;
}

static int
write_truth(struct sim *s, FILE *out, struct ls_err *err)
{
	struct line l = {0};

	lput(&l, "contact_id,account,p_true,converted\n");
	if (write_line(out, &l, "truth", err) == -1)
		return -1;
	for (uint32_t ci = 0; ci < s->ncon; ci++) {
		const struct sim_contact *c = &s->con[ci];

		l.n = 0;
		lput_contact_id(&l, ci);
		lput(&l, ",");
		lput_domain(&l, s, c->account);
		lput(&l, ",");
		lput_fixed(&l, (double)c->p_true, 6);
		lput(&l, c->buy_day >= 0 ? ",1\n" : ",0\n");
		if (write_line(out, &l, "truth", err) == -1)
			return -1;
	}
	if (fflush(out) != 0 || ferror(out))
		return ls_err_set(err, "writing truth: %s", strerror(errno));
	return 0;
}

static int
sim_day_run(struct sim *s, int d, FILE *out, struct ls_err *err)
{
	struct sim_day day;
	struct line l;

	sim_day_init(s, d, &day);
	s->nrec = 0;
	for (uint32_t ai = 0; ai < s->nacc; ai++)
		gen_account_day(s, ai, &day);
	if (s->oom)
		return ls_err_set(err, "out of memory on day %d (%zu events)", d, s->nrec);
	qsort(s->rec, s->nrec, sizeof(*s->rec), rec_cmp);
	l.overflow = 0;
	for (size_t i = 0; i < s->nrec; i++) {
		format_event(s, &s->rec[i], &l);
		if (write_line(out, &l, "events", err) == -1)
			return -1;
	}
	if (ferror(out))
		return ls_err_set(err, "writing events: %s", strerror(errno));
	return 0;
}

static int64_t
now_minute_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec / 60 * 60 * 1000000;
}

static int
check_opts(const struct sim_opts *o, int64_t end_us, struct ls_err *err)
{
	if (o->contacts < 1 || o->contacts > SIM_MAX_CONTACTS)
		return ls_err_set(err, "contacts must be from 1 to %ld", SIM_MAX_CONTACTS);
	if (o->days < 1 || o->days > SIM_MAX_DAYS)
		return ls_err_set(err, "days must be from 1 to %d", SIM_MAX_DAYS);
	if (end_us / 1000 - o->days * MS_PER_DAY < 0)
		return ls_err_set(err, "the window of %d days would start before 1970", o->days);
	return 0;
}

int
simulate_write(const struct sim_opts *o, FILE *events_out, FILE *truth_out, struct ls_err *err)
{
	struct sim s = {.o = o};
	int64_t end_us = o->end_us != 0 ? o->end_us : now_minute_us();
	int rc = 0;

	if (check_opts(o, end_us, err) == -1)
		return -1;
	s.end_ms = end_us / 1000;
	s.start_ms = s.end_ms - o->days * MS_PER_DAY;
	s.webinar_phase = (int)(mix64(o->seed ^ TAG_DAY) % 7);
	if (sim_plan(&s, err) == -1)
		rc = -1;
	if (rc == 0 && truth_out != NULL)
		rc = write_truth(&s, truth_out, err);
	for (int d = 0; rc == 0 && d < o->days; d++)
		rc = sim_day_run(&s, d, events_out, err);
	if (rc == 0 && fflush(events_out) != 0)
		rc = ls_err_set(err, "writing events: %s", strerror(errno));
	free(s.rec);
	free(s.con);
	free(s.acc);
	return rc;
}

/* ---- options ---- */

void
sim_opts_init(struct sim_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->contacts = 1000;
	o->days = 30;
	o->seed = 1;
}

void
sim_usage(FILE *fp)
{
	fputs(
	    "usage: leadscore simulate [--contacts N] [--days D] [--seed S] [--end RFC3339]\n"
	    "                          [--truth FILE] [--outcomes]\n"
	    "Writes a synthetic B2B funnel as CloudEvents JSON lines, sorted by time, to stdout.\n"
	    "Each contact has a hidden fit and intent that drive what it does and whether it\n"
	    "converts (opportunity.created, then deal.won or deal.lost).\n"
	    "  --contacts N   contacts to simulate, 1-10000000 (default 1000)\n"
	    "  --days D       length of the window in days, 1-3650 (default 30)\n"
	    "  --seed S       random seed, 0-18446744073709551615 (default 1); same options,\n"
	    "                 same bytes\n"
	    "  --end T        end of the window, e.g. 2026-11-21T00:00:00Z (default: now,\n"
	    "                 rounded down to the minute)\n"
	    "  --truth FILE   also write the hidden truth as CSV:\n"
	    "                 contact_id,account,p_true,converted\n"
	    "  --outcomes     also emit sdr.outcome events for contacts worked by reps\n",
	    fp);
}

static int
parse_digits(const char *s, unsigned n, unsigned *out)
{
	unsigned v = 0;

	for (unsigned i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static unsigned
days_in_month(int64_t y, unsigned m)
{
	static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : mdays[m - 1];
}

/* YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM), to unix microseconds. */
static int
parse_rfc3339(const char *s, int64_t *out_us)
{
	unsigned y, mo, d, h, mi, sec, oh = 0, om = 0;
	int64_t us = 0, scale = 100000, secs;
	const char *p = s + 19;
	int sign = 0;

	if (strlen(s) < 20 || parse_digits(s, 4, &y) || s[4] != '-' ||
	    parse_digits(s + 5, 2, &mo) || s[7] != '-' || parse_digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't') || parse_digits(s + 11, 2, &h) || s[13] != ':' ||
	    parse_digits(s + 14, 2, &mi) || s[16] != ':' || parse_digits(s + 17, 2, &sec))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
		return -1;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -1;
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			us += (*p - '0') * scale;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (parse_digits(p + 1, 2, &oh) || p[3] != ':' || parse_digits(p + 4, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
		p += 6;
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	       sign * (int64_t)(oh * 3600 + om * 60);
	*out_us = secs * 1000000 + us;
	return 0;
}

static int
parse_long(const char *flag, const char *v, long lo, long hi, long *out, struct ls_err *err)
{
	char *end;
	long x;

	if ((*v < '0' || *v > '9') && *v != '-')
		return ls_err_set(err, "%s: not a number: \"%s\"", flag, v);
	errno = 0;
	x = strtol(v, &end, 10);
	if (end == v || *end != '\0')
		return ls_err_set(err, "%s: not a number: \"%s\"", flag, v);
	if (errno == ERANGE || x < lo || x > hi)
		return ls_err_set(err, "%s must be from %ld to %ld, not %s", flag, lo, hi, v);
	*out = x;
	return 0;
}

static int
parse_seed(const char *v, uint64_t *out, struct ls_err *err)
{
	unsigned long long x;
	char *end;

	errno = 0;
	x = strtoull(v, &end, 10);
	if (*v < '0' || *v > '9' || *end != '\0')
		return ls_err_set(err, "--seed: not a whole number from 0 to 2^64-1: \"%s\"", v);
	if (errno == ERANGE)
		return ls_err_set(err, "--seed: too large: %s", v);
	*out = (uint64_t)x;
	return 0;
}

static int
apply_opt(struct sim_opts *o, const char *name, const char *v, struct ls_err *err)
{
	long x;

	if (strcmp(name, "--contacts") == 0) {
		if (parse_long(name, v, 1, SIM_MAX_CONTACTS, &x, err) == -1)
			return -1;
		o->contacts = x;
	} else if (strcmp(name, "--days") == 0) {
		if (parse_long(name, v, 1, SIM_MAX_DAYS, &x, err) == -1)
			return -1;
		o->days = (int)x;
	} else if (strcmp(name, "--seed") == 0) {
		return parse_seed(v, &o->seed, err);
	} else if (strcmp(name, "--end") == 0) {
		if (parse_rfc3339(v, &o->end_us) == -1)
			return ls_err_set(err, "--end: not an RFC 3339 date-time: \"%s\"", v);
	} else {
		if (*v == '\0')
			return ls_err_set(err, "--truth: empty file name");
		o->truth_path = v;
	}
	return 0;
}

int
sim_opts_parse(int argc, char **argv, struct sim_opts *o, struct ls_err *err)
{
	static const char *const valued[] = {"--contacts", "--days", "--seed", "--end", "--truth"};

	int end_given = 0;

	sim_opts_init(o);
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *eq = strchr(arg, '='), *v, *name = NULL;
		size_t len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);

		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			o->help = 1;
			return 0;
		}
		if (strcmp(arg, "--outcomes") == 0) {
			o->outcomes = 1;
			continue;
		}
		for (size_t k = 0; k < NELEM(valued) && name == NULL; k++)
			if (strlen(valued[k]) == len && strncmp(arg, valued[k], len) == 0)
				name = valued[k];
		if (name == NULL)
			return ls_err_set(err, "unknown option \"%s\" (see --help)", arg);
		if (eq != NULL)
			v = eq + 1;
		else if (i + 1 < argc)
			v = argv[++i];
		else
			return ls_err_set(err, "%s needs a value", name);
		if (apply_opt(o, name, v, err) == -1)
			return -1;
		end_given |= strcmp(name, "--end") == 0;
	}
	/* end_us 0 means "now", so an --end at (or before) 1970 must not slip through. */
	if (end_given && o->end_us / 1000 - o->days * MS_PER_DAY < 0)
		return ls_err_set(err,
		                  "--end is too early: the window of %d days would start "
		                  "before 1970",
		                  o->days);
	return 0;
}

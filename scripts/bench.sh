#!/bin/sh
# bench.sh: `make bench`: the database's ceiling, a naive baseline, the daemon end to end (and two
# daemons sharing the stream), latency, the API at scale, scoring, memory and training, side by side
# in one run on a private PostgreSQL cluster. Prints one table; writes nothing outside BENCH_DIR
# (default BUILD/bench).
# usage: scripts/bench.sh [BUILD]   (BUILD holds release/bin and release/bench; default build)
#
# Every BENCH_* variable below scales the run; the defaults are the sizes of issue 6.
# BENCH_PROFILE=1 profiles the daemon under the end-to-end load instead (callgrind, and perf
# sampling when perf works here) and prints where its time goes.
set -eu

build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=$(cd "$build" && pwd)
bin=$build/release/bin
bb=$build/release/bench

REPS=${BENCH_REPS:-3}                       # repetitions of items 1-4 (medians)
CONTACTS=${BENCH_CONTACTS:-50000}           # end to end: contacts (leadscore simulate)
EVENTS=${BENCH_EVENTS:-200000}              # end to end: at least this many events
BATCH=${BENCH_BATCH:-500}                   # batch.max_events, and the ceiling's batch
NAIVE_EVENTS=${BENCH_NAIVE_EVENTS:-5000}    # naive baseline: events per repetition
LAT_SECS=${BENCH_LAT_SECS:-10}              # latency: seconds per rate and repetition
SCORE_SECS=${BENCH_SCORE_SECS:-1}           # scoring: seconds per figure and repetition
MEM_CONTACTS=${BENCH_MEM_CONTACTS:-1000000} # memory: contacts loaded in the database
MEM_EVENTS=${BENCH_MEM_EVENTS:-100000}      # memory: events across them at full speed
SOAK=${BENCH_SOAK:-30}                      # memory: soak seconds at half the sustained rate (600: 10 minutes)
API_SECS=${BENCH_API_SECS:-20}              # API: seconds of requests (after 1 s of warm-up), under the soak's load
API_LEASES=${BENCH_API_LEASES:-50}          # API: leases held at once (past it the oldest is released)
TRAIN_ROWS=${BENCH_TRAIN_ROWS:-1000000}     # training: snapshot rows generated for leadscore train
TRAIN_REPS=${BENCH_TRAIN_REPS:-1}           # training: repetitions (each kind, and the read baseline)
SCALE=${BENCH_SCALE:-1}                     # scale out: 0 skips the two-daemon run of item 3
PROFILE=${BENCH_PROFILE:-0}
PROFILE_EVENTS=${BENCH_PROFILE_EVENTS:-20000} # callgrind run (about 50 times slower)
work=${BENCH_DIR:-$build/bench}

say() { echo "bench: $*" >&2; }
die() { say "$*"; exit 1; }
for p in leadscored leadscore; do [ -x "$bin/$p" ] || die "$bin/$p missing (make bench builds it)"; done
for p in bench_ceiling bench_naive bench_db bench_load bench_score bench_api bench_snap; do
	[ -x "$bb/$p" ] || die "$bb/$p missing (make bench builds it)"
done

rm -rf "$work"
mkdir -p "$work"
res=$work/results.txt
log=$work/bench.log
: >"$res"
: >"$log"

# ---- the private cluster ----

pgdir=$work/pg
export LEADSCORE_PGPORT=${BENCH_PGPORT:-5432}
daemons=""
cleanup() {
	for p in $daemons; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $daemons; do wait "$p" 2>/dev/null || true; done
	scripts/pgctl.sh stop "$pgdir" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# The daemon writes about 2 KB of WAL per event (30 MB/s at full speed): with the default
# max_wal_size (1 GB) a checkpoint would start every 20 to 30 seconds, driven by WAL volume
# instead of checkpoint_timeout, as docs/OPERATIONS.md says to size it for such a load.
scripts/pgctl.sh init "$pgdir" >/dev/null &&
	echo "max_wal_size = 8GB" >>"$pgdir/data/postgresql.conf" &&
	scripts/pgctl.sh start "$pgdir" >/dev/null ||
	die "could not start the bench PostgreSQL cluster in $pgdir"
eval "export $(scripts/pgctl.sh env "$pgdir")"
pgpid=$(head -n 1 "$pgdir/data/postmaster.pid")

newdb() {
	psql -qX -d postgres -c "CREATE DATABASE $1" >>"$log" 2>&1 &&
		"$bin/leadscore" migrate --dsn "dbname=$1" >>"$log" 2>&1 || die "cannot create database $1"
}

# Runs a bench program; its "result NAME VALUE" lines go to the results. 0 or 1.
run() {
	run_what=$1
	shift
	if "$@" >"$work/run.out" 2>>"$log"; then
		awk -v p="${run_prefix:-}" '$1 == "result" { print p $2, $3 }' "$work/run.out" >>"$res"
		return 0
	fi
	say "$run_what failed (see $log)"
	echo "failed_$run_what 1" >>"$res"
	return 1
}

# runp PREFIX WHAT CMD...: as run, with "PREFIX_" before each result's name (the same program run
# on another database must not mix its figures with the first's).
runp() {
	run_prefix=${1}_
	shift
	if run "$@"; then
		run_prefix=""
		return 0
	fi
	run_prefix=""
	return 1
}

last() { awk -v k="$1" '$1 == k { v = $2 } END { print v }' "$res"; }

median() {
	awk -v k="$1" '$1 == k { print $2 }' "$res" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2];
			else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ---- the daemon ----

# An SDR token for the API (item 5), kept in this shell only: the daemons' [auth] admits its hash.
token=""
auth=""
if grep -q '^\[auth\]' docs/leadscored.conf.example && tok=$("$bin/leadscore" token sdr 2>>"$log"); then
	token=$(echo "$tok" | sed -n 1p)
	auth="[auth]
$(echo "$tok" | sed -n 2p)"
fi

# start_daemon NAME DB: its own config (ephemeral ports, publish_delta 0), waits until ready.
start_daemon() {
	d=$work/$1
	mkdir -p "$d/models"
	api=""
	# Builds with the HTTP/REP API bind it on fixed ports by default: take ephemeral ones.
	if grep -q '^\[api\]' docs/leadscored.conf.example; then
		api="[api]
http = 127.0.0.1:0
rep = tcp://127.0.0.1:*"
	fi
	cat >"$d/leadscored.conf" <<CONF
[daemon]
log_level = warn
endpoints_file = $d/endpoints
[database]
dsn = dbname=$2
[ingest]
pull = tcp://127.0.0.1:*
router = tcp://127.0.0.1:*
[batch]
max_events = $BATCH
[publish]
pub = tcp://127.0.0.1:*
$api
[model]
dir = $d/models
[features]
spec = $top/model/features.json
[score]
publish_delta = 0
$auth
CONF
	rm -f "$d/endpoints"
	${DAEMON_WRAP:-} "$bin/leadscored" -c "$d/leadscored.conf" >"$d/log" 2>&1 &
	dpid=$!
	daemons="$daemons $dpid"
	i=0
	while [ ! -s "$d/endpoints" ]; do
		i=$((i + 1))
		[ $i -lt 600 ] && kill -0 "$dpid" 2>/dev/null || { cat "$d/log" >&2; die "daemon $1 did not start"; }
		sleep 0.1
	done
	pull=$(sed -n 's/^pull=//p' "$d/endpoints")
	pub=$(sed -n 's/^pub=//p' "$d/endpoints")
	http=$(sed -n 's/^http=//p' "$d/endpoints")
}

stop_pid() {
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	daemons=$(echo "$daemons" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
}
stop_daemon() { stop_pid "$dpid"; }

deadlocks() {
	n=$(psql -AtX -d postgres -c "SELECT deadlocks FROM pg_stat_database WHERE datname = '$1'" 2>>"$log")
	echo "${n:-0}"
}

# Scale out: two daemons on one database, one PUSH spreading the end-to-end stream over both
# PULL sockets, one SUB on both PUB sockets; then every event must be in the database once and
# every recorded score change must have been received.
scale_out() {
	runp scale reset "$bb/bench_db" reset --dsn dbname=bench_scale || return 1
	start_daemon scale1 bench_scale
	s1=$dpid s1pull=$pull s1pub=$pub
	start_daemon scale2 bench_scale
	s2=$dpid s2pull=$pull s2pub=$pub
	dl0=$(deadlocks bench_scale)
	if run scale "$bb/bench_load" push --name scale --events "$events" --pull "$s1pull" \
		--pull "$s2pull" --pub "$s1pub" --pub "$s2pub" --settle 1000 --pgpid "$pgpid"; then
		runp scale count "$bb/bench_db" count --dsn dbname=bench_scale || true
		dl1=$(deadlocks bench_scale)
		echo "scale_deadlocks $((dl1 - dl0))" >>"$res"
		if [ "$(last scale_events_rows)" != "$(last scale_events)" ] ||
			[ "$(last scale_score_changes_rows)" != "$(last scale_pubs)" ] || [ "$dl1" != "$dl0" ]; then
			say "scale out: $(last scale_events_rows) event rows for $(last scale_events) events," \
				"$(last scale_pubs) publications for $(last scale_score_changes_rows) score changes," \
				"$((dl1 - dl0)) deadlocks"
			echo "failed_scale_verify 1" >>"$res"
		fi
		awk -v s="$(last scale_eps)" -v e="$(last e2e_eps)" 'BEGIN {
			if (e > 0 && s > 0) print "ratio_scale_e2e", s / e }' >>"$res"
	fi
	stop_pid "$s1"
	stop_pid "$s2"
	# Batches that met the other daemon's (a conflict on the same contacts) and were retried.
	echo "scale_retried_batches $(cat "$work/scale1/log" "$work/scale2/log" | grep -c 'will be retried')" >>"$res"
}

# The end-to-end events: leadscore simulate, with days added until there are enough.
make_events() {
	days=$(( (EVENTS + CONTACTS * 2 - 1) / (CONTACTS * 2) ))
	[ "$days" -ge 1 ] || days=1
	while :; do
		"$bin/leadscore" simulate --contacts "$CONTACTS" --days "$days" --seed 1 \
			--end 2026-01-01T00:00:00Z >"$1" || die "leadscore simulate failed"
		[ "$(wc -l <"$1")" -ge "$EVENTS" ] && break
		days=$((days + 1))
	done
}

# ---- the table ----

# A figure: thousands grouped from 1,000, else three significant digits; "-" when missing.
fmt() {
	awk -v v="$1" 'BEGIN {
		if (v == "nan" || v == "") { print "-"; exit }
		if (v + 0 >= 1000) {
			s = sprintf("%.0f", v); o = ""
			while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) }
			print s o
		} else if (v + 0 >= 100) printf "%.0f\n", v
		else if (v + 0 >= 10) printf "%.1f\n", v
		else printf "%.2f\n", v }'
}
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "nan" || b == "nan" || a == "" || b == "" || b + 0 == 0) { print "-"; exit }
		r = a / b
		if (r >= 100) printf "%.0f\n", r; else if (r >= 10) printf "%.1f\n", r
		else if (r >= 0.1) printf "%.2f\n", r; else printf "%.3f\n", r }'
}
# verdict VALUE OP LIMIT: "yes" or "NO" (or "-" when not measured).
verdict() {
	awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN {
		if (a == "nan" || a == "" || a == "-") { print "-"; exit }
		ok = (op == ">=") ? (a + 0 >= b + 0) : (a + 0 <= b + 0)
		print ok ? "yes" : "NO" }'
}
auc3() { awk -v v="$1" 'BEGIN { if (v == "nan" || v == "") print "-"; else printf "%.3f\n", v }'; }
mb() { awk -v k="$1" 'BEGIN { if (k == "nan" || k == "") print "nan"; else printf "%.1f\n", k / 1024 }'; }
# The figures of KEY, run by run, as a/b/c ("-" when none).
each() {
	awk -v k="$1" '$1 == k { print $2 }' "$res" | while read -r v; do fmt "$v"; done |
		paste -sd/ - | awk 'NF { print; p = 1 } END { if (!p) print "-" }'
}

row() { printf '%-2s %-47s %17s  %-34s %7s  %s\n' "$1" "$2" "$3" "$4" "$5" "$6"; }

print_table() {
	cc=$(median ceiling_copy_eps); cp=$(median ceiling_pipeline_eps)
	ceil=$(awk -v a="$cc" -v b="$cp" 'BEGIN { if (a == "nan") print b; else if (b == "nan" || a + 0 >= b + 0) print a; else print b }')
	cname="COPY"; [ "$ceil" = "$cc" ] || cname="pipeline"
	nv=$(median naive_eps); e2e=$(median e2e_eps)
	cpu_name=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	mem_gib=$(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
	pgver=$(psql -AtX -d postgres -c 'SHOW server_version' 2>/dev/null | cut -d' ' -f1)
	echo
	echo "leadscore make bench: $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs ($cpu_name), $mem_gib GiB;" \
		"PostgreSQL $pgver (fsync on, synchronous_commit on, max_wal_size 8GB); Linux $(uname -r)"
	echo "medians of $REPS repetitions (items 1-4, 6; items 5, 7 are one run; item 8: $TRAIN_REPS); ratios against" \
		"baselines of this run (item 3 and scale out: median of each repetition's ratio); run took $(median elapsed_s) s"
	row "#" "measure" "median" "baseline (this run)" "ratio" "target"
	row 1 "ceiling: binary COPY, $BATCH events/txn (ev/s)" "$(fmt "$cc")" "ceiling ($cname)" "$(ratio "$cc" "$ceil")" ""
	row "" "ceiling: pipelined rows, $BATCH events/txn (ev/s)" "$(fmt "$cp")" "ceiling ($cname)" "$(ratio "$cp" "$ceil")" ""
	row 2 "naive: one transaction per event (ev/s)" "$(fmt "$nv")" "ceiling $(fmt "$ceil")" "$(ratio "$nv" "$ceil")" ""
	r1=$(ratio "$(median ratio_e2e_ceiling)" 1); r2=$(ratio "$(median ratio_e2e_naive)" 1)
	row 3 "daemon end to end (ev/s): $(fmt "$(median e2e_events)") events," "$(fmt "$e2e")" "ceiling $(fmt "$ceil")" "$r1" ">= 0.7: $(verdict "$r1" '>=' 0.7)"
	row "" "  $(fmt "$(median e2e_contacts)") contacts, until all published" "" "naive $(fmt "$nv")" "$r2" ">= 10: $(verdict "$r2" '>=' 10)"
	row "" "  CPU per event: daemon / PostgreSQL (us)" "$(fmt "$(median e2e_daemon_cpu_us)") / $(fmt "$(median e2e_pg_cpu_us)")" \
		"ceiling's PostgreSQL $(fmt "$(median ceiling_copy_pg_cpu_us)") us" "$(ratio "$(median e2e_pg_cpu_us)" "$(median ceiling_copy_pg_cpu_us)")" ""
	snaps=$(median contact_snapshots_rows)
	[ "$snaps" = nan ] || row "" "  also written: snapshot rows per 1,000 events" \
		"$(fmt "$(awk -v s="$snaps" -v e="$(median events_rows)" 'BEGIN { print 1000 * s / e }')")" "(not in the ceiling)" "" ""
	if [ "$SCALE" != 0 ]; then
		check=""
		grep -q '^failed_scale' "$res" && check="counts or deadlocks: see log"
		row "" "scale out: 2 daemons, one stream and DB (ev/s)" "$(fmt "$(median scale_eps)")" \
			"one daemon $(fmt "$e2e")" "$(ratio "$(median ratio_scale_e2e)" 1)" "$check"
		row "" "  event rows / publications received" \
			"$(fmt "$(median scale_events_rows)")/$(fmt "$(median scale_pubs)")" \
			"events $(fmt "$(median scale_events)"); changes $(fmt "$(median scale_score_changes_rows)")" "" \
			"deadlocks: $(median scale_deadlocks); retried batches: $(median scale_retried_batches)"
	fi
	p50=$(median naive_txn_p50_ms); p99=$(median naive_txn_p99_ms)
	for f in 25 50 75; do
		lp99=$(median lat${f}_p99_ms)
		target=""; [ $f = 50 ] && target="p99 <= 50 ms: $(verdict "$lp99" '<=' 50)"
		rate=$(awk -v s="$e2e" -v f=$f 'BEGIN { printf "%.0f", s * f / 100 }')
		[ "$(median lat${f}_lost)" = nan ] || [ "$(median lat${f}_lost)" = 0 ] ||
			target="$target lost $(median lat${f}_lost)"
		row "$([ $f = 25 ] && echo 4)" "latency at $f % = $(fmt "$rate") ev/s: p50/p99/p99.9 ms" \
			"$(fmt "$(median lat${f}_p50_ms)")/$(fmt "$lp99")/$(fmt "$(median lat${f}_p999_ms)")" \
			"one commit p50/p99 $(fmt "$p50")/$(fmt "$p99") ms" "$(ratio "$lp99" "$p99")" "$target"
	done
	row "" "  each 50 % run: p99 ms; CPU stolen, I/O waits %" "$(each lat50_p99_ms)" \
		"stolen $(each lat50_steal_pct); I/O $(each lat50_io_wait_pct)" "" ""
	rp50=$(median api_readyz_p50_ms); rp99=$(median api_readyz_p99_ms)
	qp99=$(median api_queue_p99_ms); cp99=$(median api_claim_p99_ms)
	qnote=""; cnote=""
	[ "$(median api_queue_failed)" = nan ] || [ "$(median api_queue_failed)" = 0 ] || qnote=" failed $(median api_queue_failed)"
	[ "$(median api_short_pages)" = nan ] || [ "$(median api_short_pages)" = 0 ] || qnote="$qnote short pages $(median api_short_pages)"
	[ "$(median api_claim_failed)" = nan ] || [ "$(median api_claim_failed)" = 0 ] || cnote=" failed $(median api_claim_failed)"
	[ "$(median api_empty_claims)" = nan ] || [ "$(median api_empty_claims)" = 0 ] || cnote="$cnote empty $(median api_empty_claims)"
	row 5 "API $(fmt "$(median api_queue_rows)") queued: GET /v1/queue p50/p99 ms" \
		"$(fmt "$(median api_queue_p50_ms)")/$(fmt "$qp99")" "/readyz (SELECT 1) p50/p99 $(fmt "$rp50")/$(fmt "$rp99")" \
		"$(ratio "$qp99" "$rp99")" "p99 <= 5 ms: $(verdict "$qp99" '<=' 5)$qnote"
	row "" "  POST /v1/queue/claim ($API_LEASES leased) p50/p99 ms" \
		"$(fmt "$(median api_claim_p50_ms)")/$(fmt "$cp99")" "/readyz (SELECT 1) p50/p99 $(fmt "$rp50")/$(fmt "$rp99")" \
		"$(ratio "$cp99" "$rp99")" "p99 <= 5 ms: $(verdict "$cp99" '<=' 5)$cnote"
	row "" "  event-to-score p50/p99 ms meanwhile ($(fmt "$(median apiload_sent_rate)")/s)" \
		"$(fmt "$(median apiload_p50_ms)")/$(fmt "$(median apiload_p99_ms)")" \
		"soak, no API load: $(fmt "$(median soak_p50_ms)")/$(fmt "$(median soak_p99_ms)")" \
		"$(ratio "$(median apiload_p99_ms)" "$(median soak_p99_ms)")" ""
	lr=$(median score_lr_predict); ll=$(median score_liblinear)
	rb=$(median score_rbf_predict); sv=$(median score_libsvm)
	row 6 "logistic: model_predict (pred/s, one core)" "$(fmt "$lr")" "liblinear predict_prob. $(fmt "$ll")" "$(ratio "$lr" "$ll")" ">= 1,000,000: $(verdict "$lr" '>=' 1000000)"
	row "" "  model_score with 6 reasons (pred/s)" "$(fmt "$(median score_lr_score)")" "liblinear predict_prob. $(fmt "$ll")" "$(ratio "$(median score_lr_score)" "$ll")" ""
	row "" "RBF, $(fmt "$(median score_rbf_sv)") SV: model_predict (pred/s)" "$(fmt "$rb")" "svm_predict_prob. $(fmt "$sv")" "$(ratio "$rb" "$sv")" ""
	row "" "  model_score with 6 reasons (pred/s)" "$(fmt "$(median score_rbf_score)")" "svm_predict_prob. $(fmt "$sv")" "$(ratio "$(median score_rbf_score)" "$sv")" ""
	hwm=$(mb "$(median mem_daemon_hwm_kb)"); idle=$(mb "$(median mem_idle_rss_kb)")
	row 7 "daemon peak RSS (VmHWM), $(fmt "$MEM_CONTACTS") contacts (MB)" "$(fmt "$hwm")" "idle after start $(fmt "$idle") MB" "$(ratio "$hwm" "$idle")" "<= 256 MB: $(verdict "$hwm" '<=' 256)"
	row "" "  $(fmt "$MEM_EVENTS") events across them (ev/s)" "$(fmt "$(median mem_eps)")" "end to end $(fmt "$e2e")" "$(ratio "$(median mem_eps)" "$e2e")" ""
	s0=$(mb "$(median soak_rss_start_kb)"); s1=$(mb "$(median soak_rss_end_kb)")
	grow=$(awk -v a="$s0" -v b="$s1" 'BEGIN { if (a == "nan" || b == "nan") print "nan"; else print b - a }')
	flat=$(awk -v a="$s0" -v g="$grow" 'BEGIN { if (g == "nan") print "nan"; else print (g <= 0.05 * a) ? 0 : 1 }')
	row "" "  soak ${SOAK} s at $(fmt "$(median soak_rate)") ev/s: RSS start/end (MB)" "$(fmt "$s0")/$(fmt "$s1")" \
		"slope $(awk -v k="$(median soak_rss_slope_kb_per_min)" 'BEGIN { if (k == "nan") print "-"; else printf "%+.2f", k / 1024 }') MB/min" "$(ratio "$s1" "$s0")" \
		"flat: $(verdict "$flat" '<=' 0)"
	row "" "  soak event-to-score p50/p99 ms" "$(fmt "$(median soak_p50_ms)")/$(fmt "$(median soak_p99_ms)")" \
		"latency at 50 %: $(fmt "$(median lat50_p50_ms)")/$(fmt "$(median lat50_p99_ms)")" "$(ratio "$(median soak_p99_ms)" "$(median lat50_p99_ms)")" ""
	rd=$(median train_read_s); tl=$(median train_lr_s); tr=$(median train_rbf_s)
	row 8 "training logistic, $(fmt "$(median snap_rows)") snapshot rows (s)" "$(fmt "$tl")" \
		"reading them (its query) $(fmt "$rd") s" "$(ratio "$tl" "$rd")" ""
	row "" "  $(fmt "$(median train_lr_rows_train)") train, $(fmt "$(median train_lr_rows_test)") holdout rows; AUC $(auc3 "$(median train_lr_auc)")" \
		"" "read + parse + label $(fmt "$(median train_load_s)") s" "$(ratio "$(median train_load_s)" "$rd")" ""
	row "" "svm-rbf, default sample: $(fmt "$(median train_rbf_sample)") fit rows (s)" "$(fmt "$tr")" \
		"reading them (its query) $(fmt "$rd") s" "$(ratio "$tr" "$rd")" ""
	row "" "  $(fmt "$(median train_rbf_support_vectors)") SV; AUC $(auc3 "$(median train_rbf_auc)")" "" \
		"logistic on all rows $(fmt "$tl") s" "$(ratio "$tr" "$tl")" ""
	if grep -q '^failed_' "$res"; then
		echo "failed steps: $(sed -n 's/^failed_\([^ ]*\) .*/\1/p' "$res" | sort -u | tr '\n' ' ')(see $log)"
	fi
}

# ---- profile mode ----

# The daemon's client backends: the connections to its database other than ours.
backends() {
	psql -AtX -d postgres -c "SELECT string_agg(pid::text, ',') FROM pg_stat_activity
		WHERE datname = '$1' AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
}

profile() {
	pdir=$work/profile
	mkdir -p "$pdir"
	newdb bench_prof
	events=$work/events.jsonl
	make_events "$events"
	if perf record -q -o "$pdir/probe.data" -e cpu-clock true >/dev/null 2>&1; then
		say "perf: sampling the daemon and its backend under the full end-to-end load"
		start_daemon prof bench_prof
		"$bb/bench_load" push --name perf --events "$events" --pull "$pull" --pub "$pub" \
			>"$pdir/perf-push.txt" 2>>"$log" &
		loader=$!
		sleep 2
		perf record -q -F 999 -g -p "$dpid,$(backends bench_prof)" -o "$pdir/perf.data" \
			-- sleep 20 >>"$log" 2>&1 || say "perf record failed (see $log)"
		wait "$loader" || true
		stop_daemon
		for sort in comm comm,dso comm,dso,sym; do
			perf report -i "$pdir/perf.data" --no-children -g none --sort $sort --stdio \
				2>/dev/null | grep -E '^ +[0-9]' >"$pdir/perf-$sort.txt" || true
		done
		perf report -i "$pdir/perf.data" --children -g none --sort comm,sym --stdio 2>/dev/null |
			grep -E '^ +[0-9]' >"$pdir/perf-inclusive.txt" || true
		echo "perf (cpu-clock samples), daemon and its PostgreSQL backends, by process and library:"
		cat "$pdir/perf-comm.txt"
		head -n 15 "$pdir/perf-comm,dso.txt"
		echo "perf, self time by symbol (top 40; $pdir/perf-comm,dso,sym.txt):"
		head -n 40 "$pdir/perf-comm,dso,sym.txt"
		run reset "$bb/bench_db" reset --dsn dbname=bench_prof
	fi
	head -n "$PROFILE_EVENTS" "$events" >"$work/profile.jsonl"
	say "callgrind: the daemon under valgrind, $PROFILE_EVENTS events"
	DAEMON_WRAP="valgrind --tool=callgrind --callgrind-out-file=$pdir/callgrind.out"
	start_daemon callgrind bench_prof
	DAEMON_WRAP=""
	"$bb/bench_load" push --name callgrind --events "$work/profile.jsonl" --pull "$pull" \
		--pub "$pub" --timeout 600 >"$pdir/callgrind-push.txt" 2>>"$log" || say "callgrind push failed"
	stop_daemon
	callgrind_annotate --inclusive=no "$pdir/callgrind.out" >"$pdir/callgrind-self.txt" 2>>"$log" || true
	callgrind_annotate --inclusive=yes "$pdir/callgrind.out" >"$pdir/callgrind-inclusive.txt" 2>>"$log" || true
	echo "callgrind, daemon instructions, self (top 40; $pdir/callgrind-self.txt):"
	grep -E '^ *[0-9,]+ \(' "$pdir/callgrind-self.txt" | head -n 41
	echo "callgrind, inclusive (top 50; $pdir/callgrind-inclusive.txt):"
	grep -E '^ *[0-9,]+ \(' "$pdir/callgrind-inclusive.txt" | head -n 51
}

if [ "$PROFILE" = 1 ]; then
	profile
	exit 0
fi

# ---- items 5 and 8 ----

# Item 5, on the memory daemon and its 1,000,000 contacts: the API's queue and claim, request by
# request on one keep-alive connection, while events arrive at the soak's rate.
api_item() {
	if [ -z "$http" ] || [ -z "$token" ]; then
		say "API: this build serves no HTTP API: item 5 skipped"
		return 0
	fi
	# Listable: what the queue may return (schema/003_api.sql's partial index, not leased).
	psql -AtX -d bench_mem -c "SELECT 'api_queue_rows', count(*) FROM contacts c WHERE
		score IS NOT NULL AND consent AND NOT bounced AND NOT unsubscribed AND NOT EXISTS
		(SELECT 1 FROM leases l WHERE l.contact_id = c.contact_id AND l.expires_at > now())" |
		tr '|' ' ' >>"$res"
	say "API: ${API_SECS}s of queue reads and claims at $(fmt "$(last api_queue_rows)") listable contacts," \
		"events at $soak_rate/s"
	"$bb/bench_load" rate --name apiload --tag api --rate "$soak_rate" --secs $((API_SECS + 4)) \
		--spread "$MEM_CONTACTS" --prefix m --pull "$pull" --pub "$pub" >"$work/apiload.out" 2>>"$log" &
	loader=$!
	sleep 1
	run api "$bb/bench_api" --port "$http" --token "$token" --secs "$API_SECS" \
		--leases "$API_LEASES" || true
	if wait "$loader"; then
		awk '$1 == "result" { print $2, $3 }' "$work/apiload.out" >>"$res"
	else
		say "API: the event load failed (see $log)"
		echo "failed_apiload 1" >>"$res"
	fi
}

# train NAME KIND REP: one `leadscore train` from the snapshots, timed from start to exit.
train() {
	out=$work/train/$1-$3
	mkdir -p "$work/train"
	t0=$(date +%s.%N)
	if "$bin/leadscore" train --dsn dbname=bench_train --spec "$top/model/features.json" \
		--kind "$2" --out "$out" >"$out.json" 2>>"$log"; then
		t1=$(date +%s.%N)
		echo "train_$1_s $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" >>"$res"
		# The report is compact JSON; its first "auc" is the holdout's.
		for k in rows_train rows_test positives_train auc seconds support_vectors; do
			v=$(grep -o "\"$k\":[0-9.e+-]*" "$out.json" | head -n 1 | cut -d: -f2)
			[ -z "$v" ] || echo "train_$1_$k $v" >>"$res"
		done
		v=$(grep -o '"sample_size":{[^}]*}' "$out.json" | grep -o '"fit":[0-9]*' | cut -d: -f2)
		[ -z "$v" ] || echo "train_$1_sample $v" >>"$res"
	else
		say "training $2 failed (see $log)"
		echo "failed_train_$1 1" >>"$res"
	fi
	rm -rf "$out"
}

# ---- the run ----

t_start=$(date +%s)
say "events: $CONTACTS contacts, >= $EVENTS events (leadscore simulate)"
events=$work/events.jsonl
make_events "$events"
for db in bench_ceiling bench_naive bench_e2e bench_mem bench_train; do newdb $db; done
[ "$SCALE" = 0 ] || newdb bench_scale

start_daemon e2e bench_e2e
e2e_pid=$dpid e2e_pull=$pull e2e_pub=$pub
r=1
while [ $r -le "$REPS" ]; do
	say "repetition $r of $REPS: ceiling (COPY, pipeline), naive, daemon end to end"
	run reset "$bb/bench_db" reset --dsn dbname=bench_ceiling &&
		run ceiling_copy "$bb/bench_ceiling" copy --dsn dbname=bench_ceiling --events "$events" \
			--batch "$BATCH" --pgpid "$pgpid" || true
	run reset "$bb/bench_db" reset --dsn dbname=bench_ceiling &&
		run ceiling_pipeline "$bb/bench_ceiling" pipeline --dsn dbname=bench_ceiling \
			--events "$events" --batch "$BATCH" --pgpid "$pgpid" || true
	run reset "$bb/bench_db" reset --dsn dbname=bench_naive &&
		run naive "$bb/bench_naive" --dsn dbname=bench_naive --events "$events" \
			--count "$NAIVE_EVENTS" || true
	if run reset "$bb/bench_db" reset --dsn dbname=bench_e2e &&
		run e2e "$bb/bench_load" push --name e2e --events "$events" --pull "$pull" --pub "$pub" \
			--pid "$e2e_pid" --pgpid "$pgpid"; then
		run count "$bb/bench_db" count --dsn dbname=bench_e2e || true
		# Every event committed once, every recorded score change received on SUB.
		if [ "$(last events_rows)" != "$(last e2e_events)" ] ||
			[ "$(last score_changes_rows)" != "$(last e2e_pubs)" ]; then
			say "end to end: $(last events_rows) event rows for $(last e2e_events) events," \
				"$(last e2e_pubs) publications for $(last score_changes_rows) score changes"
			echo "failed_verify 1" >>"$res"
		fi
		# Ratios within one repetition, so that the machine's drift between them cancels.
		awk -v c="$(last ceiling_copy_eps)" -v p="$(last ceiling_pipeline_eps)" \
			-v n="$(last naive_eps)" -v e="$(last e2e_eps)" 'BEGIN {
			m = c + 0 > p + 0 ? c : p
			if (m > 0) print "ratio_e2e_ceiling", e / m
			if (n > 0) print "ratio_e2e_naive", e / n }' >>"$res"
		if [ "$SCALE" != 0 ]; then
			say "repetition $r of $REPS: scale out, two daemons sharing the stream and the database"
			scale_out || true
			dpid=$e2e_pid pull=$e2e_pull pub=$e2e_pub
		fi
	fi
	r=$((r + 1))
done

# The machine around one run: "total_ticks steal_ticks io_some_us wall_us" (/proc/stat over all
# CPUs; /proc/pressure/io's "some" total, nan where the kernel has no PSI).
machine_stat() {
	awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; printf "%s %s ", t, $9 }' /proc/stat
	awk -F'total=' '/^some/ { printf "%s ", $2; f = 1 } END { if (!f) printf "nan " }' \
		/proc/pressure/io 2>/dev/null || printf 'nan '
	date +%s%6N
}

# machine_share NAME BEFORE: the share of CPU time the hypervisor took (steal) and of wall time
# in which some task waited for I/O (PSI), since BEFORE: two signs of the machine's part in a
# slow latency run.
machine_share() {
	echo "$2 $(machine_stat)" | awk -v n="$1" '{
		if ($5 > $1) printf "%s_steal_pct %.2f\n", n, 100 * ($6 - $2) / ($5 - $1)
		if ($3 != "nan" && $7 != "nan" && $8 > $4) printf "%s_io_wait_pct %.2f\n", n, 100 * ($7 - $3) / ($8 - $4) }'
}

sustained=$(median e2e_eps)
if [ "$sustained" != nan ]; then
	r=1
	while [ $r -le "$REPS" ]; do
		for f in 25 50 75; do
			rate=$(awk -v s="$sustained" -v f=$f 'BEGIN { printf "%.0f", s * f / 100 }')
			say "repetition $r of $REPS: latency at $f % ($rate events/s, ${LAT_SECS}s)"
			before=$(machine_stat)
			run lat$f "$bb/bench_load" rate --name lat$f --tag "l${f}r$r" --rate "$rate" \
				--secs "$LAT_SECS" --pull "$pull" --pub "$pub" \
				--trace "$work/latency-$f-r$r.txt" || true
			machine_share lat$f "$before" >>"$res"
		done
		r=$((r + 1))
	done
fi
stop_daemon

say "scoring: logistic and RBF bundles ($REPS x ${SCORE_SECS}s per figure)"
mkdir -p "$work/models"
run score "$bb/bench_score" --dir "$work/models" --reps "$REPS" --secs "$SCORE_SECS" || true

say "memory: $MEM_CONTACTS contacts bulk-loaded, $MEM_EVENTS events across them, ${SOAK}s soak"
if run load "$bb/bench_db" load --dsn dbname=bench_mem --count "$MEM_CONTACTS" --prefix m; then
	start_daemon mem bench_mem
	sleep 1
	awk '/^VmRSS:/ { print "mem_idle_rss_kb", $2 }' "/proc/$dpid/status" >>"$res"
	"$bb/bench_load" gen --count "$MEM_EVENTS" --contacts "$MEM_CONTACTS" --prefix m --tag mem \
		>"$work/mem.jsonl"
	run mem "$bb/bench_load" push --name mem --events "$work/mem.jsonl" --pull "$pull" \
		--pub "$pub" --pid "$dpid" --pgpid "$pgpid" || true
	soak_rate=$(awk -v s="$(median mem_eps)" 'BEGIN { printf "%.0f", (s == "nan" ? 1000 : s) / 2 }')
	echo "soak_rate $soak_rate" >>"$res"
	run soak "$bb/bench_load" rate --name soak --tag soak --rate "$soak_rate" --secs "$SOAK" \
		--spread "$MEM_CONTACTS" --prefix m --pull "$pull" --pub "$pub" --pid "$dpid" || true
	awk '/^VmHWM:/ { print "mem_daemon_hwm_kb", $2 }' "/proc/$dpid/status" >>"$res"
	api_item
	stop_daemon
fi

say "training: $TRAIN_ROWS snapshot rows, leadscore train (logistic, then svm-rbf on its default sample)"
if run snap "$bb/bench_snap" gen --dsn dbname=bench_train --spec "$top/model/features.json" \
	--rows "$TRAIN_ROWS"; then
	r=1
	while [ $r -le "$TRAIN_REPS" ]; do
		run read "$bb/bench_snap" read --dsn dbname=bench_train --spec "$top/model/features.json" || true
		train lr logistic $r
		train rbf svm-rbf $r
		r=$((r + 1))
	done
fi
echo "elapsed_s $(( $(date +%s) - t_start ))" >>"$res"

print_table

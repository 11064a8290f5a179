#!/bin/sh
# eval.sh: `make eval`: each model kind on the real leads data beside scikit-learn (same split,
# same columns, same run), then on a simulated funnel beside the simulator's hidden truth.
# usage: scripts/eval.sh BUILD_DIR   (a release build holding bin/leadscore and bin/leadscored)
#        scripts/eval.sh --check-data (only whether the data file is there)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
data="$(cd "$top/.." && pwd)/shared/data/leads.csv"
py=/usr/bin/python3 # Debian's, which python3-sklearn installs into

if [ ! -f "$data" ]; then
	echo "make eval: $data is not there: the evaluation needs the Leads X Education export" \
		"(see docs/BENCHMARKS.md); make check does not" >&2
	exit 1
fi
[ "${1:-}" = --check-data ] && exit 0
bin=$(cd "${1:?usage: scripts/eval.sh BUILD_DIR}/bin" && pwd)
if ! "$py" -c 'import sklearn' 2>/dev/null; then
	"$top/scripts/install-deps.sh" eval ||
		{ echo "make eval: scikit-learn is missing (apt-get install python3-sklearn)" >&2; exit 1; }
fi

work=$(mktemp -d /tmp/leadscore-eval.XXXXXX)
chmod 755 "$work" # the private cluster runs as postgres when we are root
pgdir="$work/pg"
daemon_pid=""
cleanup() {
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -TERM "$daemon_pid"
		wait "$daemon_pid" || true
	fi
	[ -d "$pgdir" ] && "$top/scripts/pgctl.sh" stop "$pgdir"
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

# The data's README: ids and the columns staff fill in after working a lead are left out.
exclude="Prospect ID,Lead Number,Tags,Lead Quality,Lead Profile,Asymmetrique Activity Index"
exclude="$exclude,Asymmetrique Profile Index,Asymmetrique Activity Score,Asymmetrique Profile Score"
mkdir -p "$work/leads" "$work/sim"
for kind in logistic svm-linear svm-rbf; do
	echo "eval: leads.csv, $kind" >&2
	"$bin/leadscore" train --csv "$data" --label Converted --exclude "$exclude" \
		--split random --seed 1 --holdout-fraction 0.2 --kind "$kind" \
		--out "$work/leads/$kind" --dataset "$work/leads/rows-$kind.csv" --quiet \
		>"$work/leads/$kind.json"
done

# A simulated funnel through the real daemon: its snapshots are what training reads.
echo "eval: simulating 3,000 contacts over 120 days and streaming them to the daemon" >&2
export LEADSCORE_PGPORT=$((20000 + $$ % 20000))
"$top/scripts/pgctl.sh" init "$pgdir" >/dev/null
"$top/scripts/pgctl.sh" start "$pgdir"
eval "export $("$top/scripts/pgctl.sh" env "$pgdir")"
psql -q -d postgres -c "CREATE DATABASE leadscore_eval" >/dev/null
export PGDATABASE=leadscore_eval
"$bin/leadscore" migrate >/dev/null
cat >"$work/leadscored.conf" <<CONF
[daemon]
log_level = warn
endpoints_file = $work/endpoints
[ingest]
pull = tcp://127.0.0.1:*
router = tcp://127.0.0.1:*
[publish]
pub = tcp://127.0.0.1:*
[api]
http =
rep =
[model]
dir = $work/models
[features]
spec = $top/model/features.json
CONF
"$bin/leadscored" -c "$work/leadscored.conf" 2>"$work/leadscored.log" &
daemon_pid=$!
i=0
while [ ! -s "$work/endpoints" ]; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 "$daemon_pid" 2>/dev/null; then
		echo "make eval: the daemon did not start:" >&2
		cat "$work/leadscored.log" >&2
		exit 1
	fi
	sleep 0.1
done
"$bin/leadscore" simulate --contacts 3000 --days 120 --seed 7 --end 2026-11-20T00:00:00Z \
	--truth "$work/truth.csv" >"$work/events.jsonl"
"$bin/leadscore" send --ack --batch 500 --endpoint "$(sed -n 's/^router=//p' "$work/endpoints")" \
	"$work/events.jsonl" >&2
kill -TERM "$daemon_pid"
wait "$daemon_pid"
daemon_pid=""
for kind in logistic svm-linear svm-rbf; do
	echo "eval: simulated funnel, $kind" >&2
	"$bin/leadscore" train --spec "$top/model/features.json" --kind "$kind" \
		--out "$work/sim/$kind" --dataset "$work/sim/rows-$kind.csv" --quiet \
		>"$work/sim/$kind.json"
done

echo
"$py" "$top/scripts/eval_compare.py" leads "$work/leads"
echo
"$py" "$top/scripts/eval_compare.py" sim "$work/sim" "$work/truth.csv"

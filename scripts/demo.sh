#!/bin/sh
# demo.sh: the product end to end on a private PostgreSQL cluster under var/ (no system service):
# migrate, start the daemon, stream a simulated week of events, show the top 10 leads, stop.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
state="$top/var"
pgdir="$state/pg"
run="$state/demo"
mkdir -p "$run"

export LEADSCORE_PGPORT=${LEADSCORE_PGPORT:-5433}
scripts/pgctl.sh init "$pgdir"
scripts/pgctl.sh start "$pgdir"
eval "export $(scripts/pgctl.sh env "$pgdir")"
daemon_pid=""
cleanup() {
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -TERM "$daemon_pid"
		wait "$daemon_pid" || true
	fi
	scripts/pgctl.sh stop "$pgdir"
}
trap cleanup EXIT INT TERM

# A fresh demo database each run, so the output is the same every time.
psql -q -d postgres -c "DROP DATABASE IF EXISTS leadscore_demo WITH (FORCE)" \
	-c "CREATE DATABASE leadscore_demo" >/dev/null
export PGDATABASE=leadscore_demo
bin/leadscore migrate

token_out=$(bin/leadscore token sdr 2>/dev/null)
token=$(echo "$token_out" | sed -n 1p)
token_line=$(echo "$token_out" | sed -n 2p)
cat >"$run/leadscored.conf" <<CONF
[daemon]
log_level = info
endpoints_file = $run/endpoints
[database]
dsn =
[ingest]
pull = tcp://127.0.0.1:*
router = tcp://127.0.0.1:*
[publish]
pub = tcp://127.0.0.1:*
[model]
dir = $run/models
[features]
spec = $top/model/features.json
[api]
http = 127.0.0.1:0
rep = tcp://127.0.0.1:*
[auth]
$token_line
[roi]
holdout_percent = 20
hourly_cost = 60
value_per_meeting = 400
annual_tco = 60000
initial_investment = 40000
CONF
bin/leadscored -c "$run/leadscored.conf" --check-config
rm -f "$run/endpoints"
bin/leadscored -c "$run/leadscored.conf" 2>"$run/leadscored.log" &
daemon_pid=$!
i=0
while [ ! -s "$run/endpoints" ]; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 "$daemon_pid" 2>/dev/null; then
		echo "demo: the daemon did not start; its log:" >&2
		cat "$run/leadscored.log" >&2
		exit 1
	fi
	sleep 0.1
done
router=$(sed -n 's/^router=//p' "$run/endpoints")
rep=$(sed -n 's/^rep=//p' "$run/endpoints")

echo "== simulating a week of a B2B funnel: 2,000 contacts"
bin/leadscore simulate --contacts 2000 --days 7 --seed 7 --end 2026-11-20T18:00:00Z \
	--truth "$run/truth.csv" >"$run/events.jsonl"
echo "   $(wc -l <"$run/events.jsonl") events"
echo "== streaming them to the daemon, acknowledged after commit"
start=$(date +%s.%N)
bin/leadscore send --ack --endpoint "$router" --batch 500 "$run/events.jsonl"
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" -v n="$(wc -l <"$run/events.jsonl")" \
	'BEGIN { printf "   %.1f s, %.0f events/s end to end\n", e - s, n / (e - s) }'
echo "== top 10 leads"
bin/leadscore queue --limit 10
echo "== five simulated reps work the queue for a week (claim, call, report the outcome)"
bin/leadscore sdr-sim --truth "$run/truth.csv" --endpoint "$rep" --token "$token" \
	--reps 5 --calls 1000 --seed 7 --from 2026-11-14T08:00:00Z --to 2026-11-20T20:00:00Z
echo "== time saved and ROI, measured against the hold-out group (20 % held out in this demo)"
bin/leadscore roi -c "$run/leadscored.conf" --from 2026-11-14 --to 2026-11-21
kill -TERM "$daemon_pid"
wait "$daemon_pid"
daemon_pid=""
echo "== daemon stopped cleanly; its last words:"
tail -n 1 "$run/leadscored.log"

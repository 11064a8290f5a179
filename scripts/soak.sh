#!/bin/sh
# soak.sh: the daemon under a steady load (half the sustained rate by default) for SOAK_SECONDS:
# RSS and open file descriptors sampled every 10 s, errors in its log counted. Fails when RSS
# grows by more than 10 % after warm-up (its peaks, or its trend), descriptors by more than 2,
# when anything is logged at error level, or when the daemon does not stop cleanly.
# usage: scripts/soak.sh BUILD_DIR   (SOAK_SECONDS=600, SOAK_RATE=2400 events/s)
set -eu
build=$(cd "${1:?usage: scripts/soak.sh BUILD_DIR}" && pwd)
secs=${SOAK_SECONDS:-600}
rate=${SOAK_RATE:-2400}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
dir="$build/soak"
rm -rf "$dir"
mkdir -p "$dir"
export LEADSCORE_PGPORT=$((30000 + $$ % 20000))
scripts/pgctl.sh init "$dir/pg" >/dev/null
scripts/pgctl.sh start "$dir/pg"
eval "export $(scripts/pgctl.sh env "$dir/pg")"
pid=""
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	scripts/pgctl.sh stop "$dir/pg"
}
trap cleanup EXIT INT TERM
psql -q -d postgres -c "CREATE DATABASE soak" >/dev/null
export PGDATABASE=soak
"$build/release/bin/leadscore" migrate >/dev/null
cat >"$dir/leadscored.conf" <<CONF
[daemon]
log_level = info
endpoints_file = $dir/endpoints
[ingest]
pull = tcp://127.0.0.1:*
router = tcp://127.0.0.1:*
[publish]
pub = tcp://127.0.0.1:*
[api]
http = 127.0.0.1:0
rep = tcp://127.0.0.1:*
[score]
publish_delta = 0
[features]
spec = $top/model/features.json
[model]
dir = $dir/models
CONF
"$build/release/bin/leadscored" -c "$dir/leadscored.conf" 2>"$dir/daemon.log" &
pid=$!
while [ ! -s "$dir/endpoints" ]; do sleep 0.1; done
pull=$(sed -n 's/^pull=//p' "$dir/endpoints")
pub=$(sed -n 's/^pub=//p' "$dir/endpoints")

sample() {
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
	fds=$(ls "/proc/$pid/fd" | wc -l)
	echo "$1 $rss $fds" >>"$dir/samples"
}
"$build/release/bench/bench_load" rate --rate "$rate" --secs "$secs" --pull "$pull" --pub "$pub" \
	--tag soak --spread 50000 --prefix soak --name soak --pid "$pid" >"$dir/load.out" 2>&1 &
load=$!
t=0
while kill -0 "$load" 2>/dev/null; do
	sample "$t"
	sleep 10
	t=$((t + 10))
done
wait "$load" || { echo "soak: the load generator failed"; cat "$dir/load.out"; exit 1; }
sample "$t"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
errors=$(grep -c '\[error\]' "$dir/daemon.log" || true)
# The first tenth (a minute at most) is warm-up: buffers, prepared plans; flat means flat after.
# The daemon gives free memory back at least once a minute, so RSS saw-tooths and one sample
# can fall on a tooth's top or its foot. Growth is judged on each minute's peak (the median
# of the peaks of the first half against that of the second, so one burst does not decide)
# and on the least-squares trend of every sample after warm-up, over the whole run.
warm=$((secs / 10 < 60 ? secs / 10 : 60))
awk -v rc="$rc" -v errors="$errors" -v secs="$secs" -v rate="$rate" -v warm="$warm" '
	function median(a, k,   i, j, v) {
		for (i = 2; i <= k; i++) {
			v = a[i]
			for (j = i - 1; j >= 1 && a[j] > v; j--) a[j + 1] = a[j]
			a[j + 1] = v
		}
		return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
	}
	$1 >= warm {
		if (!base) { f0 = $3; base = 1 }
		n++; t[n] = $1; r[n] = $2; f1 = $3; last = $1
		m = int(($1 - warm) / 60)
		if ($2 > peak[m]) peak[m] = $2
		if (m > mmax) mmax = m
		if ($2 > rmax) rmax = $2
		if ($3 > fmax) fmax = $3
	}
	END {
		minutes = mmax + 1
		for (m = 0; m < minutes; m++)
			if (m < int(minutes / 2)) a[++ka] = peak[m]; else b[++kb] = peak[m]
		p0 = ka ? median(a, ka) : median(b, kb)
		p1 = median(b, kb)
		for (i = 1; i <= n; i++) {
			st += t[i]; sr += r[i]; stt += t[i] * t[i]; str += t[i] * r[i]; all[i] = r[i]
		}
		mid = median(all, n)
		d = n * stt - st * st
		slope = d > 0 ? (n * str - st * sr) / d * 60 : 0 # kB a minute
		trend = slope * (last - warm) / 60
		printf "soak: %d s at %d events/s\n", secs, rate
		printf "  RSS after warm-up (%d s): minute peaks %.1f MB (first half, median) and %.1f MB (second half): %+.1f %%; max %.1f MB\n",
			warm, p0 / 1024, p1 / 1024, 100 * (p1 - p0) / p0, rmax / 1024
		printf "  RSS trend %+.2f MB a minute: %+.1f MB over the run, %+.1f %% of its median %.1f MB\n",
			slope / 1024, trend / 1024, 100 * trend / mid, mid / 1024
		printf "  open descriptors after warm-up %d, at the end %d (max %d)\n", f0, f1, fmax
		printf "  errors logged: %d; exit status on SIGTERM: %d\n", errors, rc
		ok = (p1 - p0) / p0 <= 0.10 && trend / mid <= 0.10 && f1 - f0 <= 2 && errors == 0 && rc == 0
		print ok ? "soak: flat, no errors" : "soak: FAILED"
		exit ok ? 0 : 1
	}' "$dir/samples" || failed=1
# Publications the load generator never received (dropped to it as a slow subscriber, or
# still owed when it stopped waiting): reported, not judged.
grep -E "^soak|lost|p50|p99|published|events" "$dir/load.out" | head -n 8 | sed 's/^/  load: /'
[ -z "${failed:-}" ]

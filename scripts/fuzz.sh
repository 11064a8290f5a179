#!/bin/sh
# fuzz.sh: builds the libFuzzer targets in tests/fuzz with clang and runs each for a bounded time.
# usage: scripts/fuzz.sh BUILD_DIR [SECONDS_PER_TARGET]
# Seeds come from the data-driven test cases; a crash leaves its input under BUILD_DIR/fuzz/crashes
# and fails the run (add it to tests/cases as a regression case).
set -eu
build=${1:?usage: scripts/fuzz.sh BUILD_DIR [SECONDS]}
secs=${2:-60}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out="$build/fuzz"
mkdir -p "$out/obj" "$out/crashes"
flags="-std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -g -O1 -I/usr/include/libsvm
$(pkg-config --cflags libpq libzmq jansson inih libmicrohttpd libsystemd libcrypto)"
san="-fsanitize=address,undefined -fno-sanitize-recover=all"
libs="$(pkg-config --libs libpq libzmq jansson inih libmicrohttpd libsystemd libcrypto) -lsvm -llinear -lm -lpthread"

# The library once, instrumented for coverage but without libFuzzer's main.
objs=""
for src in daemon/*.c model/*.c; do
	case "$src" in daemon/leadscored.c) continue ;; esac
	obj="$out/obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')"
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then
		# shellcheck disable=SC2086
		clang $flags $san -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
	fi
	objs="$objs $obj"
done
scripts/embed-sql.sh schema/[0-9]*.sql >"$out/schema_sql.c"
# shellcheck disable=SC2086
clang $flags $san -fsanitize=fuzzer-no-link -I. -c "$out/schema_sql.c" -o "$out/obj/schema_sql.o"
rm -f "$out/libfuzz.a"
# shellcheck disable=SC2086
ar rcs "$out/libfuzz.a" $objs "$out/obj/schema_sql.o"

seed() { # target: copy the cases that suit it into its corpus
	corpus="$out/corpus-$1"
	mkdir -p "$corpus"
	case "$1" in
	fuzz_event)
		cp tests/cases/events/valid/*.json "$corpus/" 2>/dev/null || true
		for d in tests/cases/events/invalid/*/; do cp "$d/input" "$corpus/$(basename "$d")"; done
		;;
	fuzz_csv) for d in tests/cases/csv/*/; do cp "$d/input.csv" "$corpus/$(basename "$d")"; done ;;
	fuzz_featspec) cp model/features.json tests/cases/featspec/*.json "$corpus/" ;;
	fuzz_config) cp docs/leadscored.conf.example tests/cases/config/*.conf "$corpus/" ;;
	fuzz_manifest) cp tests/cases/manifests/*.json "$corpus/" ;;
	fuzz_http)
		grep -oE "^  /[^:]*" docs/openapi.yaml | sed 's/^  //; s/{[a-z]*}/c%2F1/' |
			while read -r path; do printf '%s' "$path" >"$corpus/$(echo "$path" | tr / _)"; done
		printf '127.0.0.1:5580' >"$corpus/address"
		;;
	*) ;;
	esac
}

failed=0
for target in tests/fuzz/fuzz_*.c; do
	name=$(basename "$target" .c)
	# shellcheck disable=SC2086
	clang $flags $san -fsanitize=fuzzer "$target" "$out/libfuzz.a" $libs -o "$out/$name"
	seed "$name"
	echo "fuzz: $name for ${secs}s"
	if ! "$out/$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$out/crashes/$name-" -print_final_stats=1 "$out/corpus-$name" \
		>"$out/$name.log" 2>&1; then
		echo "fuzz: $name FAILED; see $out/$name.log and $out/crashes/"
		tail -n 30 "$out/$name.log"
		failed=$((failed + 1))
	else
		grep -E '^stat::number_of_executed_units' "$out/$name.log" | sed "s/^/fuzz: $name /"
	fi
done
[ "$failed" -eq 0 ]

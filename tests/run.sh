#!/bin/sh
# run.sh: runs the unit and integration tests of one build against a throwaway PostgreSQL
# cluster, and ends with one line "total: N passed, N failed".
# usage: tests/run.sh BUILD_DIR [unit|integration|all] [name-filter]
set -u
build=${1:?usage: tests/run.sh BUILD_DIR [unit|integration|all] [filter]}
mode=${2:-all}
filter=${3:-}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
build=$(cd "$build" && pwd)
passed=0
failed=0
export LEADSCORE_BIN="$build/bin"
export LEADSCORE_TOP="$top"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"

if [ "$mode" != unit ]; then
	pgdir="$build/testpg-$$"
	export LEADSCORE_PGDIR="$pgdir"
	export LEADSCORE_PGPORT=$((20000 + $$ % 20000))
	scripts/pgctl.sh stop "$pgdir" 2>/dev/null
	rm -rf "$pgdir"
	scripts/pgctl.sh init "$pgdir" && scripts/pgctl.sh start "$pgdir" ||
		{ echo "run.sh: could not start the test PostgreSQL cluster"; echo "total: 0 passed, 1 failed"; exit 1; }
	eval "export $(scripts/pgctl.sh env "$pgdir")"
	trap 'scripts/pgctl.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT
fi

run_one() {
	t=$1
	name=${t#"$build"/tests/}
	out=$(mktemp)
	start=$(date +%s)
	if [ -n "${LEADSCORE_VALGRIND:-}" ]; then
		valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
			--track-fds=no "$t" >"$out" 2>&1
	else
		"$t" >"$out" 2>&1
	fi
	rc=$?
	secs=$(( $(date +%s) - start ))
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
	if [ -n "$line" ]; then
		p=${line%% passed*}
		f=${line#*passed, }
		f=${f%% failed*}
	else
		# No summary line: it crashed, or reported nothing; either way not a pass.
		p=0
		f=1
		echo "no 'N passed, N failed' line from $name" >>"$out"
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # crashed or exited badly without reporting a failure
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		echo "FAIL $name ($p passed, $f failed, exit $rc, ${secs}s)"
		# The failed checks first (a daemon log can be long), then the end of the output.
		grep -E '^FAIL |ERROR: |runtime error' "$out" | head -n 20 | sed 's/^/  > /'
		sed 's/^/    /' "$out" | tail -n 40
	else
		echo "ok   $name ($p passed, ${secs}s)"
	fi
	rm -f "$out"
}

for kind in unit integration; do
	[ "$mode" = all ] || [ "$mode" = "$kind" ] || continue
	for t in "$build"/tests/"$kind"/test_*; do
		[ -x "$t" ] || continue
		case "$t" in *"$filter"*) ;; *) continue ;; esac
		run_one "$t"
	done
done
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]

#!/bin/sh
# pgctl.sh: a private PostgreSQL cluster under a folder of ours (no system service needed).
# usage: pgctl.sh init|start|stop|status|env DIR
# The cluster listens only on a Unix socket in DIR/sock; superuser "leadscore", trust auth.
set -eu
cmd=${1:?usage: pgctl.sh init|start|stop|status|env DIR}
dir=${2:?usage: pgctl.sh init|start|stop|status|env DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$pgbin" ] || { echo "pgctl: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
port=${LEADSCORE_PGPORT:-5432}

# PostgreSQL refuses to run as root: run it as the postgres system user then.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

case "$cmd" in
init)
	if [ -f "$dir/data/PG_VERSION" ]; then exit 0; fi
	mkdir -p "$dir/data" "$dir/sock"
	[ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$dir"
	as_owner "$pgbin/initdb" -D "$dir/data" -U leadscore --auth=trust -E UTF8 \
		--locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir/sock'
port = $port
fsync = on
max_connections = 200
shared_buffers = 256MB
log_min_messages = warning
CONF
	;;
start)
	if as_owner "$pgbin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then exit 0; fi
	as_owner "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
		{ tail -n 20 "$dir/server.log" >&2; exit 1; }
	;;
stop)
	as_owner "$pgbin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
	;;
status)
	as_owner "$pgbin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
	;;
env)
	echo "PGHOST=$dir/sock PGPORT=$port PGUSER=leadscore"
	;;
*)
	echo "pgctl: unknown command $cmd" >&2
	exit 2
	;;
esac

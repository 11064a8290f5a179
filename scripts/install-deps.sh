#!/bin/sh
# install-deps.sh: installs the Debian packages leadscore builds, tests and runs with, when missing.
set -eu
PKGS="build-essential pkg-config clang libpq-dev libzmq3-dev libsvm-dev liblinear-dev
libjansson-dev libinih-dev libmicrohttpd-dev libsystemd-dev libssl-dev postgresql
postgresql-contrib curl valgrind util-linux prometheus"
# `install-deps.sh eval`: also what `make eval` compares against (never needed by make check).
[ "${1:-}" = eval ] && PKGS="$PKGS python3-sklearn"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing Debian packages:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null

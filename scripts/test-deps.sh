#!/usr/bin/env bash
# Debian packages the tests need, installed when missing: chromium renders the --html report,
# valgrind (lackey) and a C compiler make a real program's page trace, redis-server and redis-cli
# run the Redis device's servers and cluster on loopback, prometheus brings promtool, which checks
# the metrics' exposition. Runs before `npm test`.
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v valgrind >/dev/null || missing+=(valgrind)
command -v cc >/dev/null || missing+=(gcc)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
command -v promtool >/dev/null || missing+=(prometheus)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${missing[*]} for the tests" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "the tests need ${missing[*]}: install them (Debian: apt-get install -y ${missing[*]})" >&2
fi

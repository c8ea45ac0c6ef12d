#!/usr/bin/env bash
# Starts (or stops) a private PostgreSQL and Redis for the tests and the benchmark, from Debian's
# packages, on loopback ports inside .tmp/services. Prints the env lines to export.
#   scripts/services.sh start   → installs if missing, starts both, writes .tmp/services/env
#   scripts/services.sh stop    → stops both by their pids
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.tmp/services"
# Ports follow from the checkout's path, so two checkouts on one machine do not collide.
slot=$(( $(printf '%s' "$root" | cksum | cut -d' ' -f1) % 900 ))
pg_port=${COUNTERSIGN_PG_PORT:-$(( 54000 + slot ))}
redis_port=${COUNTERSIGN_REDIS_PORT:-$(( 63000 + slot ))}
# As root, PostgreSQL runs as the postgres user, who may not enter a private checkout (a home
# folder, a mktemp -d): its data then lives in a folder of its own under /tmp, per checkout.
pg_dir="$dir/pg"
if [ "$(id -u)" -eq 0 ]; then pg_dir="/tmp/countersign-pg-$slot"; fi
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_missing() {
  local need=()
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  command -v redis-server >/dev/null || need+=(redis-server)
  if [ ${#need[@]} -gt 0 ]; then
    echo "Installing ${need[*]} from Debian's packages..."
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

start() {
  install_missing
  mkdir -p "$dir"
  local pg_bin
  pg_bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
  local run_as=()
  if [ "$(id -u)" -eq 0 ]; then run_as=(runuser -u postgres --); fi
  if [ ! -f "$pg_dir/PG_VERSION" ]; then
    mkdir -p "$pg_dir" && chmod 700 "$pg_dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$pg_dir"; fi
    (cd / && "${run_as[@]}" "$pg_bin/initdb" -D "$pg_dir" -U postgres --auth=trust >/dev/null)
  fi
  if ! (cd / && "${run_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir" status >/dev/null 2>&1); then
    (cd / && "${run_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir" -l "$pg_dir/pg.log" -w \
      -o "-c listen_addresses=127.0.0.1 -c port=$pg_port -c unix_socket_directories=$pg_dir -c max_connections=200 -c fsync=off" start >/dev/null)
  fi
  "$pg_bin/pg_isready" -h 127.0.0.1 -p "$pg_port" -q
  if ! psql -h 127.0.0.1 -p "$pg_port" -U postgres -tAc "select 1 from pg_database where datname='countersign'" | grep -q 1; then
    psql -h 127.0.0.1 -p "$pg_port" -U postgres -qc "create database countersign" >/dev/null
  fi
  if ! redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
      --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
    for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  cat > "$dir/env" <<ENV
COUNTERSIGN_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$pg_port/countersign
COUNTERSIGN_TEST_REDIS_URL=redis://127.0.0.1:$redis_port
ENV
  cat "$dir/env"
}

stop() {
  local pg_bin
  pg_bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1)" 2>/dev/null || true)
  if [ -n "$pg_bin" ] && [ -f "$pg_dir/postmaster.pid" ]; then
    if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir" -m fast stop >/dev/null) || true
    else "$pg_bin/pg_ctl" -D "$pg_dir" -m fast stop >/dev/null || true; fi
  fi
  [ -f "$dir/redis.pid" ] && kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
  rm -f "$dir/redis.pid"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac

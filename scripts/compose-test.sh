#!/usr/bin/env bash
# Brings the compose stack up from binaries built on this host, runs the
# contract suite against it on the compose network (callbacks go container to
# container), and tears everything down, also on failure. Installs Debian's
# docker.io and docker-compose when missing and starts dockerd when none runs
# (stopping only the one it started). Needs root for those two steps.
set -euo pipefail
cd "$(dirname "$0")/.."

started_dockerd=""
project="tssim-compose-test-$$"
log() { printf '== %s\n' "$*"; }

if ! command -v dockerd >/dev/null || ! { command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1; }; then
  log "installing docker.io and docker-compose"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io docker-compose >/dev/null
fi
if docker compose version >/dev/null 2>&1; then
  compose() { docker compose -p "$project" "$@"; }
else
  compose() { docker-compose -p "$project" "$@"; }
fi

cleanup() {
  local code=$?
  log "tearing down"
  compose --profile test down -v --remove-orphans >/dev/null 2>&1 || true
  if [ -n "$started_dockerd" ]; then
    kill "$started_dockerd" 2>/dev/null || true
    wait "$started_dockerd" 2>/dev/null || true
  fi
  exit $code
}
trap cleanup EXIT

if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  dockerd >/tmp/tssim-dockerd.log 2>&1 &
  started_dockerd=$!
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -20 /tmp/tssim-dockerd.log; echo "dockerd did not start"; exit 1; }
fi

start=$(date +%s)
log "building the images from host binaries"
make --no-print-directory docker-bin

export TSSIM_CLOCK=manual TSSIM_PORT="${TSSIM_PORT:-18080}"
log "starting tssim and the listener"
compose up -d --no-build tssim listener
for _ in $(seq 60); do
  [ "$(docker inspect -f '{{.State.Health.Status}}' "$(compose ps -q listener)" 2>/dev/null)" = healthy ] && break
  sleep 1
done
curl -fsS "http://127.0.0.1:$TSSIM_PORT/_sim/health" >/dev/null || { compose logs; echo "tssim is not reachable on 127.0.0.1:$TSSIM_PORT"; exit 1; }

log "a delete with the callback in the listener's log"
compose exec -T listener /usr/local/bin/tsclient delete --url http://tssim:8080 \
  --eid 666456789123456789123456784008 --iccid 89148000000840784259
for _ in $(seq 20); do compose logs listener | grep -q 'status=Success' && break; sleep 0.5; done
compose logs listener | grep 'callback ' || { echo "the listener got no callback"; exit 1; }

log "contract suite with the Go client, on the compose network"
compose --profile test run --rm suite
log "contract suite with tsclient through the adapter protocol"
TSSIM_SUITE_ADAPTER="/usr/local/bin/tsclient adapter" compose --profile test run --rm suite

log "compose test passed in $(( $(date +%s) - start ))s; image $(docker image inspect -f '{{.Size}}' tssim:local | awk '{printf "%.1f MB", $1/1e6}')"

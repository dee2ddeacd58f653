#!/usr/bin/env bash
# Brings the compose stack up on the image tssim, built by make docker from
# binaries built on this host (FROM scratch: nothing pulled), and runs
# `tssim contract` from the tssim image against a client in another
# container (tsclient adapter --http), so that requests and callbacks go
# container to container; then checks the JUnit report it wrote, and the
# one-line `docker run` of the README. Tears everything down, also on
# failure. Installs Debian's docker.io and docker-compose when missing and
# starts dockerd when none runs (stopping only the one it started), with
# scripts/lib.sh. Needs root for those two steps.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

project="tssim-compose-test-$$"
reports="$PWD/reports"
image=tssim
log() { printf '== %s\n' "$*"; }

# compose is Compose v2 (docker compose) where there is one, else v1.
compose() {
  if docker compose version >/dev/null 2>&1; then
    docker compose -p "$project" "$@"
  else
    docker-compose -p "$project" "$@"
  fi
}

cleanup() {
  local code=$?
  log "tearing down"
  compose --profile test down -v --remove-orphans >/dev/null 2>&1 || true
  docker rm -f "$project-adapter" "$project-sim" "$project-bin" >/dev/null 2>&1 || true
  docker_down
  exit $code
}
trap cleanup EXIT
docker_up

start=$(date +%s)
log "building the image from host binaries"
make --no-print-directory docker IMAGE=$image

uid=$(id -u)
export TSSIM_IMAGE=$image:latest TSSIM_CLOCK=manual TSSIM_PORT="${TSSIM_PORT:-18080}" TSSIM_UID="$uid"
log "starting tssim, the listener and the client under test"
compose --profile test up -d --no-build tssim listener client
for service in listener client; do
  for _ in $(seq 60); do
    [ "$(docker inspect -f '{{.State.Health.Status}}' "$(compose ps -q $service)" 2>/dev/null)" = healthy ] && break
    sleep 1
  done
done
curl -fsS "http://127.0.0.1:$TSSIM_PORT/_sim/health" >/dev/null || { compose logs; echo "tssim is not reachable on 127.0.0.1:$TSSIM_PORT"; exit 1; }

log "a delete with the callback in the listener's log"
compose exec -T listener /usr/local/bin/tsclient delete --url http://tssim:8080 \
  --eid 666456789123456789123456784008 --iccid 89148000000840784259
for _ in $(seq 20); do compose logs listener | grep -q 'status=Success' && break; sleep 0.5; done
compose logs listener | grep 'callback ' || { echo "the listener got no callback"; exit 1; }

log "tssim contract in its container, against the client in another one (--adapter-url)"
rm -rf "$reports" && mkdir -p "$reports"
compose --profile test run --rm contract
check_junit "$reports/junit.xml"

log "the README's docker run, against an adapter on the host network"
rm -rf "$reports" && mkdir -p "$reports"
docker run -d --rm --name "$project-adapter" --network host --entrypoint /usr/local/bin/tsclient "$image" \
  adapter --http 127.0.0.1:19000 >/dev/null
for _ in $(seq 20); do curl -fsS http://127.0.0.1:19000/health >/dev/null 2>&1 && break; sleep 0.5; done
(cd "$reports" && docker run --rm --network host --user "$(id -u)" -v "$PWD:/out" "$image" contract \
  --adapter-url http://127.0.0.1:19000/ --format progress --format junit:/out/junit.xml)
check_junit "$reports/junit.xml"

log "the tssim binary copied out of the image, against a running tssim container, with the Python adapter"
rm -rf "$reports" && mkdir -p "$reports"
docker run -d --rm --name "$project-sim" --network host -e TSSIM_CLOCK=manual -e TSSIM_ADDR=127.0.0.1:18082 "$image" >/dev/null
docker create --name "$project-bin" "$image" >/dev/null && docker cp "$project-bin:/usr/local/bin/tssim" "$reports/tssim" && docker rm "$project-bin" >/dev/null
for _ in $(seq 20); do "$reports/tssim" healthcheck --addr 127.0.0.1:18082 >/dev/null 2>&1 && break; sleep 0.5; done
(cd features && "$reports/tssim" contract --url http://127.0.0.1:18082 --adapter "python3 adapters/python/tsclient_adapter.py" \
  --format progress --format "junit:$reports/junit.xml")
check_junit "$reports/junit.xml"

log "the Testcontainers module's test, against $image"
(cd testcontainers && TSSIM_IMAGE=$image:latest TESTCONTAINERS_RYUK_DISABLED=true go test -count=1 ./...)

log "compose test passed in $(( $(date +%s) - start ))s; image $(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.1f MB", $1/1e6}')"

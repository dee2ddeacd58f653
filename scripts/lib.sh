# shellcheck shell=bash
# Sourced by compose-test.sh and release-test.sh. docker_up installs
# Debian's docker.io and docker-compose when dockerd or compose is missing,
# and starts dockerd when none runs; docker_down stops the dockerd docker_up
# started, and only that one (both need root). check_junit checks a report
# of tssim contract.

started_dockerd=""

docker_up() {
  if ! command -v dockerd >/dev/null || ! { command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1; }; then
    echo "== installing docker.io and docker-compose"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io docker-compose >/dev/null
  fi
  if ! docker info >/dev/null 2>&1; then
    echo "== starting dockerd"
    dockerd >/tmp/tssim-dockerd.log 2>&1 &
    started_dockerd=$!
    for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || { tail -20 /tmp/tssim-dockerd.log; echo "dockerd did not start"; return 1; }
  fi
}

docker_down() {
  if [ -n "$started_dockerd" ]; then
    kill "$started_dockerd" 2>/dev/null || true
    wait "$started_dockerd" 2>/dev/null || true
    started_dockerd=""
  fi
}

# check_junit FILE: one test case per scenario run, none failed.
check_junit() {
  local tests failures cases
  tests=$(grep -o '<testsuites[^>]*tests="[0-9]*"' "$1" | grep -o 'tests="[0-9]*"' | tr -dc 0-9)
  failures=$(grep -o '<testsuites[^>]*failures="[0-9]*"' "$1" | grep -o 'failures="[0-9]*"' | tr -dc 0-9)
  cases=$(grep -c '<testcase ' "$1")
  echo "$1: $cases test cases, tests=$tests, failures=$failures"
  if ! { [ "$cases" -gt 0 ] && [ "$cases" = "$tests" ] && [ "$failures" = 0 ]; }; then
    cat "$1"
    echo "bad JUnit report $1"
    exit 1
  fi
}

#!/usr/bin/env bash
# The release as a team without Go meets it. Runs make dist, checks its
# files (every platform's archive, with its binaries, and SHA256SUMS), then
# serves dist/ on 127.0.0.1 as GitHub serves a release (VERSION/FILE) and,
# in an empty folder, with no go on PATH, runs the README's marked blocks
# of "Without Go" as printed, only the version and the download URL set to
# this release and this server; then examples/ci/contract.sh the same way.
# Installs and starts Docker as compose-test.sh does (scripts/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

repo=$PWD
version=${VERSION:-$(git describe --tags --always --dirty)}
work=$(mktemp -d /tmp/tssim-release-test.XXXXXX)
server=""
readme=""
log() { printf '== %s\n' "$*"; }

cleanup() {
  local code=$?
  # The README's blocks ran in a process group of their own: end what is
  # left of it (the adapter they start in the background, after a failure).
  if [ -n "$readme" ]; then
    kill -- "-$readme" 2>/dev/null || true
  fi
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  docker_down
  rm -rf "$work"
  exit $code
}
trap cleanup EXIT
docker_up

start=$(date +%s)
log "make dist VERSION=$version"
make --no-print-directory dist VERSION="$version"

log "the release files"
(cd dist && sha256sum -c SHA256SUMS)
for platform in linux_amd64 linux_arm64 darwin_amd64 darwin_arm64 windows_amd64 windows_arm64; do
  name="tssim_${version}_$platform"
  case $platform in
    windows_*) list=$(unzip -Z1 "dist/$name.zip") exe=.exe ;;
    *) list=$(tar -tzf "dist/$name.tar.gz") exe="" ;;
  esac
  for f in "tssim$exe" "tsclient$exe" README.md ADAPTER.md adapters/python/tsclient_adapter.py; do
    grep -qx "$name/$f" <<<"$list" || { echo "$name has no $f:"; echo "$list"; exit 1; }
  done
  grep -q " $name\.\(tar\.gz\|zip\)\$" dist/SHA256SUMS || { echo "SHA256SUMS has no line for $name"; exit 1; }
done
[ "$(wc -l <dist/SHA256SUMS)" = 6 ] || { cat dist/SHA256SUMS; echo "SHA256SUMS should list 6 archives"; exit 1; }

log "dist/ served on 127.0.0.1 as a release"
mkdir -p "$work/releases/$version" "$work/user" "$work/ci"
cp dist/*.tar.gz dist/*.zip dist/SHA256SUMS "$work/releases/$version/"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$work/releases" "$port" >"$work/http.log" 2>&1 &
server=$!
for _ in $(seq 50); do curl -fsS -o /dev/null "http://127.0.0.1:$port/$version/SHA256SUMS" 2>/dev/null && break; sleep 0.1; done

# The PATH of a machine without Go: this one's, less every folder holding a go.
nogo=""
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}"; do
  [ -x "$d/go" ] || nogo="${nogo:+$nogo:}$d"
done

# The README's blocks marked <!-- release-test -->, with the version and
# the URL of this release.
awk '/^<!-- release-test/ { marked = 1; next }
     marked && /^```/ { if (inside) { marked = 0; inside = 0 } else inside = 1; next }
     inside' README.md |
  sed -e "s|^version=[^ ]*|version=$version|" \
    -e "s|^url=https://github.com/tssim/tssim/releases/download/|url=http://127.0.0.1:$port/|" >"$work/readme.sh"
if ! grep -q "^url=http://127.0.0.1:$port/" "$work/readme.sh" || ! grep -q '^docker build' "$work/readme.sh"; then
  cat "$work/readme.sh"
  echo "the README's marked blocks are not the ones this test knows"
  exit 1
fi

log "the README's \"Without Go\", as printed, with no go on PATH"
(cd "$work/user" && PATH=$nogo exec setsid bash -c '! command -v go >/dev/null || { echo "go is still on PATH"; exit 1; }
  set -ex
  . ../readme.sh') &
readme=$!
wait "$readme"
check_junit "$work/user/tssim_${version}_linux_amd64/junit.xml"

log "examples/ci/contract.sh, with no go on PATH"
(cd "$work/ci" && PATH=$nogo TSSIM_VERSION="$version" TSSIM_RELEASES="http://127.0.0.1:$port" \
  "$repo/examples/ci/contract.sh" "python3 $repo/features/adapters/python/tsclient_adapter.py")
check_junit "$work/ci/contract-junit.xml"

log "release test passed in $(($(date +%s) - start))s"

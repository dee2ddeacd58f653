#!/usr/bin/env bash
# Builds tssim's image from the linux release folders that make dist (or
# make docker) wrote, and from them alone: the Dockerfile is FROM scratch
# and copies the folder's two binaries, so nothing is pulled, no network is
# needed, and the classic builder does it as well as BuildKit.
#
#   scripts/image.sh VERSION [DIST [IMAGE]]
#
# Each folder DIST/tssim_VERSION_linux_ARCH becomes IMAGE:VERSION-ARCH
# (the architecture set with --platform: a scratch image runs nothing
# while it is built, so arm64 builds on amd64 without emulation). The one
# of the Docker host's architecture is also tagged IMAGE:VERSION and
# IMAGE:latest, and is asked for its version.
set -euo pipefail
version=${1:?usage: scripts/image.sh VERSION [DIST [IMAGE]]}
dist=${2:-dist}
image=${3:-tssim}

host=$(docker version -f '{{.Server.Arch}}')
found=""
for dir in "$dist/tssim_${version}_linux_"*/; do
  [ -f "$dir/Dockerfile" ] || continue
  arch=$(basename "$dir")
  arch=${arch##*_}
  tag="$image:$version-$arch"
  # --no-cache: the classic builder's cache keys leave the platform out,
  # so that only the copied bytes keep one architecture's build from being
  # taken for another's; the check below holds either way.
  docker build -q --no-cache --platform "linux/$arch" \
    --label "org.opencontainers.image.version=$version" -t "$tag" "$dir" >/dev/null
  got=$(docker image inspect -f '{{.Os}}/{{.Architecture}}' "$tag")
  [ "$got" = "linux/$arch" ] || { echo "image.sh: $tag is $got, not linux/$arch" >&2; exit 1; }
  echo "$tag"
  if [ "$arch" = "$host" ]; then
    found=$tag
  fi
done
if [ -z "$found" ]; then
  echo "image.sh: no folder $dist/tssim_${version}_linux_$host for this Docker host (make docker builds it)" >&2
  exit 1
fi
docker tag "$found" "$image:$version"
docker tag "$found" "$image:latest"
echo "$image:$version"
echo "$image:latest"
said=$(docker run --rm "$image:$version" version)
case "$said" in
  "tssim $version commit "*) echo "$said" ;;
  *) echo "image.sh: $image:$version says \"$said\", not version $version" >&2; exit 1 ;;
esac

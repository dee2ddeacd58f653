#!/bin/sh
# tssim's contract against your client in any CI (Jenkins, Buildkite,
# CircleCI, Azure Pipelines...) or on a laptop, with sh, curl and
# sha256sum (or shasum), and neither Go nor Docker: downloads the tssim
# release for this machine once, checks it against the release's
# SHA256SUMS, and runs `tssim contract` with your adapter
# (features/ADAPTER.md) and a simulator in process, writing JUnit XML for
# the CI to show. Its exit code is tssim contract's: 0 every scenario
# passed, 1 one failed, 2 bad usage or an adapter that does not answer.
#
#   contract.sh "python3 tests/tssim_adapter.py" [more tssim contract flags]
#
# Settings, from the environment:
#   TSSIM_VERSION   the release (default v0.1.0)
#   TSSIM_RELEASES  where releases are downloaded from, as VERSION/FILE
#                   (default https://github.com/tssim/tssim/releases/download;
#                   a mirror of yours with the same layout works too)
#   TSSIM_DIR       where the release is kept between runs (default .tssim)
#   TSSIM_JUNIT     the JUnit file (default contract-junit.xml)
set -eu

adapter=${1:?usage: contract.sh ADAPTER_COMMAND [tssim contract flags]}
shift
version=${TSSIM_VERSION:-v0.1.0}
releases=${TSSIM_RELEASES:-https://github.com/tssim/tssim/releases/download}
dir=${TSSIM_DIR:-.tssim}

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) echo "contract.sh: no tar.gz release for $(uname -s) (Windows has the .zip)" >&2; exit 2 ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "contract.sh: no release for $(uname -m)" >&2; exit 2 ;;
esac
name=tssim_${version}_${os}_$arch

if [ ! -x "$dir/$name/tssim" ]; then
  mkdir -p "$dir"
  (
    cd "$dir"
    curl -fsSLO "$releases/$version/$name.tar.gz"
    curl -fsSLO "$releases/$version/SHA256SUMS"
    grep " $name.tar.gz\$" SHA256SUMS >"$name.sha256" || { echo "contract.sh: SHA256SUMS names no $name.tar.gz" >&2; exit 2; }
    if command -v sha256sum >/dev/null; then sha256sum -c "$name.sha256"; else shasum -a 256 -c "$name.sha256"; fi
    tar -xzf "$name.tar.gz"
  )
fi
"$dir/$name/tssim" version
exec "$dir/$name/tssim" contract --adapter "$adapter" \
  --format progress --format "junit:${TSSIM_JUNIT:-contract-junit.xml}" "$@"

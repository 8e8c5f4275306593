#!/usr/bin/env bash
# Install what is missing (Debian packages only), then run a make target.
#   bash tools/bootstrap.sh demo    build and run the main job on bundled data
#   bash tools/bootstrap.sh test    build and run every test
#   bash tools/bootstrap.sh hardening   sanitizer build + tests, then the fuzzers (adds clang)
set -euo pipefail
cd "$(dirname "$0")/.."

target="${1:-build}"
packages=(g++ make cmake pkg-config liblua5.4-dev libeigen3-dev libnlopt-cxx-dev libfmt-dev
          doctest-dev nlohmann-json3-dev libsimdjson-dev libpng-dev gnuplot-nox)
# The fuzzers need clang and its libFuzzer runtime (only for those targets).
case "$target" in
  fuzz|fuzz-build|hardening) packages+=(clang libclang-rt-dev) ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

exec make "$target"

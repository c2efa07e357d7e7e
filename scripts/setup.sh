#!/usr/bin/env bash
# Installs what capsfusion needs on Debian 12 and builds it (build/capsfusion).
# Safe to rerun: packages already present are not fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libcli11-dev nlohmann-json3-dev zlib1g-dev libzstd-dev libsnappy-dev liblz4-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libsentencepiece-dev sentencepiece
  libcpp-httplib-dev libcurl4-openssl-dev
  libtorch-dev libopenblas0-pthread
  slurm-wlm munge openmpi-bin  # tests/cluster: a private Slurm cluster and mpirun
)
# Node.js and npm run the test references (scripts/setup-test-deps.sh):
# DuckDB for the Parquet tests, the openai client for the server, and
# playwright-core with chromium for the browser tests. An image that ships its
# own node keeps it.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"
echo "setup: built build/capsfusion"

#!/usr/bin/env bash
# Runs the test suite (fast tests; `scripts/test.sh -L slow` runs the slow ones).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/capsfusion ] || scripts/setup.sh
scripts/setup-test-deps.sh
cmake --build build -j"$(nproc)"
if [ $# -eq 0 ]; then set -- -LE slow; fi
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"

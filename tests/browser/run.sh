#!/usr/bin/env bash
# Runs one browser test (tests/browser/<name>.test.mjs) with node, headless
# Debian chromium and playwright-core from the project's node_modules. Exits 77
# (ctest: skipped) with a clear message when one of them is missing; install
# them with scripts/setup-test-deps.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
test="$1"
build="$2"
source "$here/../node_runner.sh"
require_node "$test" playwright-core
if [ ! -x "${CAPSFUSION_CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "SKIPPED $test: ${CAPSFUSION_CHROMIUM:-/usr/bin/chromium} is missing (run scripts/setup-test-deps.sh)"
  exit 77
fi
require_built "$test" "$build" capsfusion
mkdir -p "$build/test-artifacts"
exec node "$here/$test" "$build"

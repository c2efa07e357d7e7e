#!/usr/bin/env bash
# Runs one browser test (tests/browser/<name>.test.mjs) with node, headless
# Debian chromium and playwright-core from the project's node_modules. Exits 77
# (ctest: skipped) with a clear message when one of them is missing; install
# them with scripts/setup-test-deps.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
test="$1"
build="$2"
if ! command -v node >/dev/null 2>&1; then
  echo "SKIPPED $test: node is not installed (scripts/setup.sh installs it)"
  exit 77
fi
if [ ! -f "$root/node_modules/playwright-core/package.json" ]; then
  echo "SKIPPED $test: node_modules/playwright-core is missing (run scripts/setup-test-deps.sh)"
  exit 77
fi
if [ ! -x "${CAPSFUSION_CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "SKIPPED $test: ${CAPSFUSION_CHROMIUM:-/usr/bin/chromium} is missing (run scripts/setup-test-deps.sh)"
  exit 77
fi
if [ ! -x "$build/capsfusion" ]; then
  echo "FAILED $test: $build/capsfusion is not built"
  exit 1
fi
mkdir -p "$build/test-artifacts"
exec node "$here/$test" "$build"

#!/usr/bin/env bash
# Runs one client test of `capsfusion serve` (tests/serve/<name>.mjs) with node
# and the `openai` npm package from the project's node_modules. Exits 77
# (ctest: skipped) with a clear message when node or the package is missing;
# install them with scripts/setup-test-deps.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
test="$1"
build="$2"
if ! command -v node >/dev/null 2>&1; then
  echo "SKIPPED $test: node is not installed (scripts/setup.sh installs it)"
  exit 77
fi
if [ ! -f "$root/node_modules/openai/package.json" ]; then
  echo "SKIPPED $test: node_modules/openai is missing (run scripts/setup-test-deps.sh)"
  exit 77
fi
for bin in capsfusion capsfusion_random_model; do
  if [ ! -x "$build/$bin" ]; then
    echo "FAILED $test: $bin is not built"
    exit 1
  fi
done
exec node "$here/$test" "$build"

#!/usr/bin/env bash
# Runs one client test of `capsfusion serve` (tests/serve/<name>.mjs) with node
# and the `openai` npm package from the project's node_modules. Exits 77
# (ctest: skipped) with a clear message when node or the package is missing;
# install them with scripts/setup-test-deps.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
test="$1"
build="$2"
source "$here/../node_runner.sh"
require_node "$test" openai
require_built "$test" "$build" capsfusion capsfusion_random_model
exec node "$here/$test" "$build"

# Sourced by the runners of the node tests (tests/serve/run.sh,
# tests/browser/run.sh): skips the test (exit 77, ctest's "skipped") with a
# clear message when node or an npm package of the project is missing, and
# fails it when a binary it drives is not built.

# require_node TEST PACKAGE: node and node_modules/PACKAGE of the project root.
require_node() {
  local test="$1" package="$2"
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  if ! command -v node >/dev/null 2>&1; then
    echo "SKIPPED $test: node is not installed (scripts/setup.sh installs it)"
    exit 77
  fi
  if [ ! -f "$root/node_modules/$package/package.json" ]; then
    echo "SKIPPED $test: node_modules/$package is missing (run scripts/setup-test-deps.sh)"
    exit 77
  fi
}

# require_built TEST BUILD BINARY...: each BUILD/BINARY is an executable.
require_built() {
  local test="$1" build="$2"
  shift 2
  local bin
  for bin in "$@"; do
    if [ ! -x "$build/$bin" ]; then
      echo "FAILED $test: $build/$bin is not built"
      exit 1
    fi
  done
}

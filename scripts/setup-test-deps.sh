#!/usr/bin/env bash
# Installs the test-only dependencies: Debian's chromium (the browser tests of
# the stats report and the viewer drive it headless) and, into ./node_modules,
# the npm packages of package.json: DuckDB (@duckdb/node-api), the independent
# Parquet implementation the Parquet tests compare against, playwright-core
# (drives /usr/bin/chromium; it never downloads a browser of its own), and
# openai, the independent client of the `capsfusion serve` tests.
# Quiet and quick when everything is there. Without npm or chromium it says so
# and the tests that need them skip.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "setup-test-deps: installing chromium (browser tests)"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    { $SUDO apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium; } ||
      echo "setup-test-deps: chromium could not be installed; the browser tests will be skipped" >&2
  else
    echo "setup-test-deps: no chromium and no apt-get; the browser tests will be skipped" >&2
  fi
fi

if [ -f node_modules/@duckdb/node-api/package.json ] && [ -f node_modules/playwright-core/package.json ] &&
  [ -f node_modules/openai/package.json ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "setup-test-deps: npm not found; the DuckDB Parquet checks and the browser tests will be skipped" >&2
  exit 0
fi
echo "setup-test-deps: npm ci (DuckDB for the Parquet checks, playwright-core for the browser tests)"
npm ci --no-audit --no-fund --loglevel=error

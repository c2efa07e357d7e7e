#!/usr/bin/env bash
# Installs the test-only dependencies into ./node_modules: DuckDB (@duckdb/node-api),
# the independent Parquet implementation the Parquet tests compare against.
# Quiet and quick when they are already there; without node/npm it says so and
# the DuckDB tests skip.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f node_modules/@duckdb/node-api/package.json ]; then exit 0; fi
if ! command -v npm >/dev/null 2>&1; then
  echo "setup-test-deps: npm not found; the DuckDB Parquet checks will be skipped" >&2
  exit 0
fi
echo "setup-test-deps: npm ci (DuckDB for the Parquet checks)"
npm ci --no-audit --no-fund --loglevel=error

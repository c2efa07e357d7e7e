#!/usr/bin/env bash
# The main job on the shipped data: fuse every row and score the result.
# Uses ../shared/data/capsfusion/dev.json when it is there, else examples/sample.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/capsfusion ] || scripts/setup.sh

input=examples/sample.jsonl
ref=reference
if [ -f ../shared/data/capsfusion/dev.json ]; then
  input=../shared/data/capsfusion/dev.json
  ref=capsfuion_official
fi
mkdir -p out
# The concat baseline first (field `concat`), then the shipped model (field `capsfusion`).
build/capsfusion fuse "$input" -o out/concat.jsonl --method concat --output-field concat -q --overwrite
build/capsfusion fuse out/concat.jsonl -o out/fused.jsonl --overwrite
echo
echo "Scores against $ref in $input (raw = laion_2b, synthetic = laion_coco, concat, capsfusion = the model):"
build/capsfusion eval out/fused.jsonl --reference-field "$ref" \
  --candidate-field laion_2b --candidate-field laion_coco --candidate-field concat --candidate-field capsfusion \
  --candidate-field "$ref"
build/capsfusion stats out/fused.jsonl --reference-field "$ref" --html out/report.html > /dev/null
echo "Dataset report: out/report.html (capsfusion view out/fused.jsonl browses the rows)"

# Shared by the cluster tests (sourced): inputs, reference runs and checks.
# Each test script is called by ctest as `SCRIPT BUILD_DIR` and exits 0 (pass), 1 (fail) or
# 77 (skipped: the cluster software is not installed).

set -euo pipefail

test_name=$(basename "$0" .sh)
build=${1:?usage: $0 BUILD_DIR}
build=$(cd "$build" && pwd)
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
cli="$build/capsfusion"
random_model="$build/capsfusion_random_model"

say() { echo "$test_name: $*"; }
fail() { echo "$test_name: FAIL: $*" >&2; exit 1; }
skip() { echo "$test_name: SKIP: $*"; exit 77; }

# skip_unless_installed TOOL...: exit 77 naming what is missing (scripts/setup.sh installs them).
skip_unless_installed() {
  local missing=()
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("$tool")
  done
  [ ${#missing[@]} -eq 0 ] ||
    skip "not installed: ${missing[*]} (Debian packages slurm-wlm, munge, openmpi-bin; scripts/setup.sh installs them)"
}

[ -x "$cli" ] || fail "$cli is not built"
[ -x "$random_model" ] || fail "$random_model is not built (target capsfusion_random_model)"

# The test itself may run inside a Slurm job or an MPI launch: none of that may reach the
# single-process runs, and the launchers below set their own.
for v in $(env | sed -n 's/^\(SLURM_[A-Z0-9_]*\|OMPI_[A-Z0-9_]*\|PMIX\?_[A-Z0-9_]*\|JOB_COMPLETION_INDEX\)=.*/\1/p'); do
  unset "$v"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/capsfusion-$test_name.XXXXXX")
keep_work=${CAPSFUSION_KEEP_TEST_DIR:-0}
cleanup_hooks=()
cleanup() {
  local rc=$?
  for hook in "${cleanup_hooks[@]}"; do eval "$hook" || true; done
  if [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ]; then
    [ "$keep_work" = 1 ] || rm -rf "$work"
  else
    echo "$test_name: files kept in $work" >&2
  fi
}
trap cleanup EXIT

# make_inputs DIR: two JSONL inputs (4,000 + 1,500 rows) of generated captions, with quotes,
# backslashes, non-ASCII text, extra fields and a few rows that must be rejected.
make_inputs() {
  local dir=$1
  mkdir -p "$dir"
  awk -v n=4000 -v seed=7 'BEGIN {
    split("a man|two dogs|the old bridge|a red car|children|a bowl of soup|the city skyline|a café", subj, "|");
    split("standing near|running across|painted on|parked by|playing in|served with|seen from|next to", verb, "|");
    split("the river|a \\\"wooden\\\" fence|snowy mountains|the beach at dusk|a market in Zürich|C:\\\\photos|東京の公園|green hills", obj, "|");
    srand(seed);
    for (i = 0; i < n; i++) {
      if (i == 17) { print "{\"laion_2b\": \"this line is cut"; continue }
      if (i == 2345) { print "{\"laion_2b\": \"no synthetic caption here\"}"; continue }
      s = subj[int(rand() * 8) + 1]; v = verb[int(rand() * 8) + 1]; o = obj[int(rand() * 8) + 1];
      printf "{\"url\": \"https://example.org/img/%06d.jpg\", \"laion_2b\": \"%s %s %s | stock photo %d\", \"laion_coco\": \"%s %s %s\", \"similarity\": %.4f}\n",
             i, s, v, o, i, s, v, o, rand();
    }
  }' >"$dir/part-1.jsonl"
  awk -v n=1500 -v seed=11 'BEGIN {
    srand(seed);
    for (i = 0; i < n; i++) {
      if (i == 999) { print "not json at all"; continue }
      printf "{\"laion_2b\": \"IMG_%04d.JPG %s\", \"laion_coco\": \"a photo of item %d\"}\n", i, (rand() < 0.5 ? "sale!" : "\\t tab"), i;
    }
  }' >"$dir/part-2.jsonl"
  printf 'Sentence 1: {raw}\nSentence 2: {synthetic}\nNew Sentence:\n' >"$dir/template.txt"
  "$random_model" "$dir/tiny.gguf" --ctx 512 --seed 3 || fail "could not write the test model"
  # The model fusion runs on the first rows only: a random model on two cores is slow.
  head -n 300 "$dir/part-1.jsonl" >"$dir/model-in.jsonl"
}

# The two fusions every test runs, as arguments after `capsfusion fuse` (OUT_DIR is where
# fused.jsonl goes). Unit sizes are small so that every shard gets several units.
concat_args() {  # concat_args IN_DIR OUT_DIR
  echo "$1/part-1.jsonl $1/part-2.jsonl -o $2/fused.jsonl --method concat --shard-unit 250 -q"
}
model_args() {  # model_args IN_DIR OUT_DIR
  echo "$1/model-in.jsonl -o $2/model.jsonl --method model --model $1/tiny.gguf --template $1/template.txt" \
       "--max-new-tokens 6 --threads 1 --batch-size 8 --shard-unit 20 -q"
}

# single_runs IN_DIR OUT_DIR: the reference, one process.
single_runs() {
  mkdir -p "$2"
  # shellcheck disable=SC2046
  "$cli" fuse $(concat_args "$1" "$2") || fail "single-process concat fusion failed"
  # shellcheck disable=SC2046
  "$cli" fuse $(model_args "$1" "$2") || fail "single-process model fusion failed"
  [ "$(wc -l <"$2/fused.jsonl")" -eq 5497 ] || fail "single-process run wrote $(wc -l <"$2/fused.jsonl") rows, not 5497"
  [ "$(wc -l <"$2/fused.jsonl.rejects.jsonl")" -eq 3 ] || fail "single-process run rejected other than 3 rows"
  [ "$(wc -l <"$2/model.jsonl")" -eq 299 ] || fail "single-process model run wrote $(wc -l <"$2/model.jsonl") rows, not 299"
}

# check_sharded REF_DIR OUT_DIR N: OUT_DIR holds N shards of both fusions, and after
# `capsfusion merge` the outputs and rejects equal the single-process ones byte for byte.
check_sharded() {
  local ref=$1 out=$2 n=$3 name shard rows total
  for name in fused model; do
    total=0
    for ((i = 0; i < n; i++)); do
      shard=$(printf '%s/%s.shard-%05d-of-%05d.jsonl' "$out" "$name" "$i" "$n")
      [ -f "$shard" ] || fail "shard output $shard is missing (ls: $(ls "$out" | tr '\n' ' '))"
      rows=$(wc -l <"$shard")
      [ "$rows" -gt 0 ] || fail "$shard is empty: the rows were not spread over the shards"
      total=$((total + rows))
    done
    [ "$total" -eq "$(wc -l <"$ref/$name.jsonl")" ] ||
      fail "the $n shards of $name.jsonl hold $total rows, the single-process run $(wc -l <"$ref/$name.jsonl")"
    [ ! -e "$out/$name.jsonl" ] || fail "$out/$name.jsonl exists before the merge"
    "$cli" merge "$out/$name.jsonl" || fail "capsfusion merge $out/$name.jsonl failed"
    cmp "$ref/$name.jsonl" "$out/$name.jsonl" ||
      fail "merged $out/$name.jsonl differs from the single-process run (diff: $(diff "$ref/$name.jsonl" "$out/$name.jsonl" | head -n 6))"
    if [ -s "$ref/$name.jsonl.rejects.jsonl" ]; then
      cmp "$ref/$name.jsonl.rejects.jsonl" "$out/$name.jsonl.rejects.jsonl" ||
        fail "merged rejects of $name.jsonl differ from the single-process run"
    fi
    say "$n shards of $name.jsonl merged: $(wc -l <"$out/$name.jsonl") rows, identical to one process"
  done
}

#!/usr/bin/env bash
# llama_cpp_reference.sh: engine_bench's table with ratios to llama.cpp measured
# on the same files, in the same minute.
#
# engine_bench prints ratios to llama.cpp figures measured once, long ago; on a
# shared machine, memory bandwidth and CPU share move by tens of percent from
# one minute to the next, so only a baseline measured next to our figures
# separates the engines from the machine. This script
#   1. builds llama.cpp's llama-bench and llama-batched-bench (once; cached),
#   2. writes engine_bench's random LLaMA files (engine_bench --models-dir),
#   3. for each round and each file, runs llama.cpp, then engine_bench on the
#      same file with --reference set to llama.cpp's figures,
#   4. prints both rows per file and round, then the medians over the rounds.
# Figures are the best of --runs runs, as in engine_bench: pp128 and tg128 from
# llama-bench; agg@N is llama-batched-bench's S_TG with N distinct 100-token
# prompts and 40 generated tokens. llama.cpp runs with 2 threads and with flash
# attention both off and on; the better of the two counts.
#
# usage: bench/llama_cpp_reference.sh [--build DIR] [--rounds N] [--runs N]
#            [--only a-F32,b-F32,...] [--llama-cpp DIR] [--threads N]
#   --build DIR      our build directory (default: build)
#   --llama-cpp DIR  a llama.cpp source tree; its build/bin tools are built if
#                    missing (default: a cache of the llama.cpp source shipped
#                    in the npm package node-llama-cpp, fetched with npm)
#
# Needs npm (first run only), git, cmake, ninja and a C++ compiler; the llama.cpp
# build takes about ten minutes on two cores.
set -euo pipefail

source "$(dirname "$0")/../scripts/llama_cpp.sh"

build=build rounds=3 runs=3 only="a-F32,a-Q8_0,a-Q4_0,b-F32,b-Q8_0" threads=2 llama_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --llama-cpp) llama_dir=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "llama_cpp_reference: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

engine_bench="$build/bench/engine_bench"
[ -x "$engine_bench" ] || { echo "llama_cpp_reference: $engine_bench is missing: build the project first" >&2; exit 1; }

# 1. llama.cpp
llama_cpp_build "$llama_dir" llama-bench llama-batched-bench
llama_bench="$LLAMA_CPP_BIN/llama-bench"
batched_bench="$LLAMA_CPP_BIN/llama-batched-bench"
llama_version=$LLAMA_CPP_VERSION
# Flash attention: "-fa on|off" today; a bare "-fa" switched it on before
# mid-2025 (e.g. in b4748).
if "$batched_bench" --help 2>&1 | grep -q -- '--flash-attn \[on|off'; then
  fa_off=("-fa off") fa_on=("-fa on")
else
  fa_off=("") fa_on=("-fa")
fi

# 2. the model files
models=$(mktemp -d)
trap 'rm -rf "$models"' EXIT
"$engine_bench" --models-dir "$models" --only "$only" --columns none --runs 1 >/dev/null

# Best of a JSON line's "samples_ts" list (llama-bench -o jsonl), for the lines
# whose n_prompt and n_gen match.
best_llama_bench() {  # FILE N_PROMPT N_GEN
  grep "\"n_prompt\": $2, \"n_gen\": $3," "$1" | grep -o '"samples_ts": \[[^]]*\]' | sed 's/.*\[//; s/\]//' |
    tr ',' '\n' | awk 'NF { if ($1 > m) m = $1 } END { printf "%.0f", m }'
}
# Best S_TG of llama-batched-bench -o jsonl lines for `pl` parallel sequences.
best_batched() {  # FILE PL
  grep "\"pl\": $2," "$1" | grep -o '"speed_tg": [0-9.]*' | awk '{ if ($2 > m) m = $2 } END { printf "%.0f", m }'
}

summary=$(mktemp)
trap 'rm -rf "$models" "$summary"' EXIT
header_done=0
for round in $(seq 1 "$rounds"); do
  for name in ${only//,/ }; do
    file="$models/$name.gguf"
    [ -f "$file" ] || { echo "llama_cpp_reference: no random model named $name" >&2; exit 2; }
    out=$(mktemp)
    "$llama_bench" -m "$file" -t "$threads" -p 128 -n 128 -r "$runs" -fa 0,1 -o jsonl >"$out" 2>/dev/null
    pp=$(best_llama_bench "$out" 128 0)
    tg=$(best_llama_bench "$out" 0 128)
    : >"$out"
    for fa in "${fa_off[@]}" "${fa_on[@]}"; do
      for _ in $(seq 1 "$runs"); do
        # shellcheck disable=SC2086  # $fa is zero, one or two words
        "$batched_bench" -m "$file" -c 4608 -b 2048 -ub 512 -npp 100 -ntg 40 -npl 1,8,32 -t "$threads" \
          -tb "$threads" $fa --output-format jsonl >>"$out" 2>/dev/null
      done
    done
    agg1=$(best_batched "$out" 1) agg8=$(best_batched "$out" 8) agg32=$(best_batched "$out" 32)
    rm -f "$out"
    table=$("$engine_bench" --model "$file" --name "$name" --threads "$threads" --runs "$runs" \
      --reference "pp=$pp,tg=$tg,agg1=$agg1,agg8=$agg8,agg32=$agg32" \
      --reference-label "llama.cpp ($llama_version) on the same file just before, $threads threads")
    if [ "$header_done" = 0 ]; then
      echo "$table" | sed -n '1,/^|---/p'
      header_done=1
    fi
    printf '| %-8s | %-16s | %-15s | %-16s | %-15s | %-15s | %-15s | %8s | %7s | %4s |\n' \
      "llama.cpp" "$pp" "$tg" "" "$agg1" "$agg8" "$agg32" "" "" ""
    row=$(echo "$table" | grep "^| $name ")
    echo "$row"
    # model, then (ours, llama.cpp) for pp tg agg1 agg8 agg32
    echo "$row" | awk -F'|' -v n="$name" -v ref="$pp $tg $agg1 $agg8 $agg32" '
      BEGIN { split(ref, r, " ") }
      { split("3 4 6 7 8", col, " "); line = n
        for (i = 1; i <= 5; i++) { v = $(col[i]); sub(/^ */, "", v); sub(/ .*/, "", v); line = line " " v " " r[i] }
        print line }' >>"$summary"
  done
done

echo
echo "medians over $rounds rounds (ours / llama.cpp = ratio):"
printf '| %-8s | %-24s | %-24s | %-24s | %-24s | %-24s |\n' model pp128 tg agg@1 agg@8 agg@32
echo "|----------|--------------------------|--------------------------|--------------------------|--------------------------|--------------------------|"
for name in ${only//,/ }; do
  cells=""
  for i in 0 1 2 3 4; do
    ours=$(awk -v n="$name" -v c=$((2 + 2 * i)) '$1 == n && $c != "-" { print $c }' "$summary" | sort -n |
      awk '{ a[NR] = $1 } END { if (NR) printf "%.0f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
    ref=$(awk -v n="$name" -v c=$((3 + 2 * i)) '$1 == n && $c > 0 { print $c }' "$summary" | sort -n |
      awk '{ a[NR] = $1 } END { if (NR) printf "%.0f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
    if [ -n "$ours" ] && [ -n "$ref" ] && [ "$ref" != 0 ]; then
      cells="$cells$(printf '| %-24s ' "$ours / $ref = $(awk -v a="$ours" -v b="$ref" 'BEGIN { printf "%.2fx", a / b }')")"
    else
      cells="$cells$(printf '| %-24s ' "-")"
    fi
  done
  printf '| %-8s %s|\n' "$name" "$cells"
done

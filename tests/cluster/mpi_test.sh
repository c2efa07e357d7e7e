#!/usr/bin/env bash
# OpenMPI launches `capsfusion fuse` as several processes (mpirun -np 2, then -np 3), each
# finding its shard in OMPI_COMM_WORLD_RANK/SIZE; `capsfusion merge` of each must equal a
# single-process run byte for byte (outputs and rejects), for a baseline and a model fusion.
# With two input files, -np 2 deals whole files (--shard-by auto) and -np 3 units of rows.
#   tests/cluster/mpi_test.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"

skip_unless_installed mpirun
mpirun --version 2>/dev/null | grep -q "Open MPI" || skip "mpirun is not Open MPI's (package openmpi-bin)"

make_inputs "$work/in"
single_runs "$work/in" "$work/single"

# Root needs --allow-run-as-root; --oversubscribe lets more ranks than cores run.
mpi=(mpirun --allow-run-as-root --oversubscribe --bind-to none)
for np in 2 3; do
  out="$work/np$np"
  mkdir -p "$out"
  say "mpirun -np $np"
  # shellcheck disable=SC2046
  timeout 120 "${mpi[@]}" -np "$np" "$cli" fuse $(concat_args "$work/in" "$out") ||
    fail "mpirun -np $np capsfusion fuse (concat) failed"
  # shellcheck disable=SC2046
  timeout 120 "${mpi[@]}" -np "$np" "$cli" fuse $(model_args "$work/in" "$out") ||
    fail "mpirun -np $np capsfusion fuse (model) failed"
  check_sharded "$work/single" "$out" "$np"
done

say "PASS"

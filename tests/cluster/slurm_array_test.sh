#!/usr/bin/env bash
# A real Slurm cluster (single node, started and stopped by scripts/cluster/slurm-up.sh and
# slurm-down.sh) runs `capsfusion fuse` as a job array (sbatch --wait --array=0-3), each task
# finding its shard in the Slurm environment, and as an array of multi-task steps
# (--array=0-1 --ntasks=2 with srun: 4 shards); `capsfusion merge` of each must equal a
# single-process run byte for byte (outputs and rejects), for a baseline and a model fusion.
#   tests/cluster/slurm_array_test.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"

skip_unless_installed munged slurmctld slurmd sbatch srun sinfo scontrol

make_inputs "$work/in"
single_runs "$work/in" "$work/single"

state="$work/slurm"
# Four CPUs at least, so that all array tasks can run together on a small machine.
cpus=$(nproc)
[ "$cpus" -ge 4 ] || cpus=4
cleanup_hooks+=("'$source_dir/scripts/cluster/slurm-down.sh' --keep '$state' >/dev/null 2>&1")
CAPSFUSION_SLURM_CPUS=$cpus "$source_dir/scripts/cluster/slurm-up.sh" "$state" || fail "the test cluster did not start"
export SLURM_CONF="$state/slurm.conf"

# job_failed JOB_DIR: prints what the tasks and daemons said.
show_job_logs() {
  for log in "$1"/logs/*; do
    [ -f "$log" ] || continue
    echo "---- $log ----" >&2
    tail -n 20 "$log" >&2
  done
  for log in "$state"/slurmctld.log "$state"/slurmd.log; do
    echo "---- $log (last 20 lines) ----" >&2
    tail -n 20 "$log" >&2
  done
}

# submit JOB_DIR SBATCH_ARGS...: runs JOB_DIR/job.sh with sbatch --wait, fails with the logs.
submit() {
  local dir=$1
  shift
  mkdir -p "$dir/logs"
  if ! timeout 180 sbatch --wait --quiet --job-name="capsfusion-test" --chdir="$dir" \
         --output="$dir/logs/%x-%A_%a.out" "$@" "$dir/job.sh"; then
    show_job_logs "$dir"
    fail "sbatch --wait $* failed (job logs above)"
  fi
}

# 1. One array task per shard; the batch script runs fuse directly.
job="$work/array"
mkdir -p "$job"
cat >"$job/job.sh" <<EOF
#!/usr/bin/env bash
set -euo pipefail
echo "task \$SLURM_ARRAY_TASK_ID of \$SLURM_ARRAY_TASK_COUNT on \$(hostname -s)"
"$cli" fuse $(concat_args "$work/in" "$job")
"$cli" fuse $(model_args "$work/in" "$job")
EOF
chmod +x "$job/job.sh"
say "sbatch --wait --array=0-3"
submit "$job" --array=0-3 --ntasks=1 --cpus-per-task=1
check_sharded "$work/single" "$job" 4

# 2. Two array tasks of two srun tasks each: shard = array index * 2 + SLURM_PROCID. The batch
#    script itself (allocated two tasks, but one process) must not count as a two-task step.
job="$work/array-steps"
mkdir -p "$job"
cat >"$job/job.sh" <<EOF
#!/usr/bin/env bash
set -euo pipefail
srun --ntasks=2 --cpus-per-task=1 "$cli" fuse $(concat_args "$work/in" "$job")
srun --ntasks=2 --cpus-per-task=1 "$cli" fuse $(model_args "$work/in" "$job")
EOF
chmod +x "$job/job.sh"
say "sbatch --wait --array=0-1 --ntasks=2 with srun"
submit "$job" --array=0-1 --ntasks=2 --cpus-per-task=1
check_sharded "$work/single" "$job" 4

say "PASS"

// Which shard of a sharded `capsfusion fuse` run this process is: from `--shard I/N`, or found in
// the environment that a cluster scheduler or MPI launcher sets (see docs/cluster.md).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "capsfusion/status.h"

namespace capsfusion {

//! One shard of a run: this process does units u with u % count == index.
struct ShardSpec {
  uint32_t index = 0;  //!< 0-based, index < count
  uint32_t count = 1;  //!< 1: the run is not sharded
  //! Where the spec came from: "flag", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_ID+SLURM_PROCID",
  //! "SLURM_ARRAY_TASK_ID+OMPI_COMM_WORLD_RANK", "SLURM_ARRAY_TASK_ID+PMI_RANK", "SLURM_PROCID",
  //! "OMPI_COMM_WORLD_RANK", "PMI_RANK", "JOB_COMPLETION_INDEX"; empty when none was found.
  std::string source;
};

//! Parses `--shard I/N` ("2/4": shard 2 of 4, 0-based, I < N); source is "flag".
StatusOr<ShardSpec> ParseShardSpec(std::string_view text);

//! Looks up an environment variable; returns nullptr when it is not set (like std::getenv).
using GetEnvFunction = std::function<const char*(const char*)>;

//! The shard from the environment, looked up through `getenv` (injectable for tests).
//! Precedence: Slurm job array (SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT or
//! SLURM_ARRAY_TASK_MIN/MAX, optional SLURM_ARRAY_TASK_STEP) > Slurm step of several tasks
//! (SLURM_PROCID/SLURM_NTASKS with NTASKS > 1, in a step srun started: SLURM_STEP_ID set; the
//! batch script itself is one process) > OpenMPI (OMPI_COMM_WORLD_RANK/SIZE) > PMI
//! (PMI_RANK/PMI_SIZE: MPICH, Intel MPI) > Kubernetes indexed job (JOB_COMPLETION_INDEX, with
//! `k8s_count` from --shard-count; 0 when not given). An array task run as several tasks
//! (srun, or mpirun inside the task) is split further: index = array_index * tasks + rank,
//! count = array_count * tasks. When a Slurm step and an MPI world of more than one process
//! disagree (rank or size), the processes were started by mpirun inside a Slurm job (not by
//! srun), and the MPI ranks are used. No source found: {0, 1, ""}.
//! Non-numbers, missing partners (a rank without a size) and index >= count are errors that
//! name the variable.
StatusOr<ShardSpec> DetectShard(const GetEnvFunction& getenv, uint32_t k8s_count);

//! DetectShard with the process environment (std::getenv).
StatusOr<ShardSpec> DetectShardFromProcessEnv(uint32_t k8s_count);

//! "shard 2 of 4 (from SLURM_ARRAY_TASK_ID)" for logs and messages.
std::string DescribeShard(const ShardSpec& spec);

}  // namespace capsfusion

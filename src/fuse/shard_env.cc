#include "fuse/shard_env.h"

#include <cstdlib>
#include <limits>
#include <optional>

namespace capsfusion {

namespace {

constexpr uint64_t kMaxValue = std::numeric_limits<uint32_t>::max();

// "  12 " -> 12; anything but an optional run of spaces around decimal digits fails.
std::optional<uint64_t> ParseDecimal(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  if (s.empty() || s.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > kMaxValue) return std::nullopt;
  return v;
}

// One variable of the environment: set (non-empty) or not.
struct EnvVar {
  const char* name;
  std::optional<std::string> text;
  bool set() const { return text.has_value(); }
};

EnvVar Read(const GetEnvFunction& getenv, const char* name) {
  const char* v = getenv(name);
  if (v == nullptr || *v == '\0') return {name, std::nullopt};
  return {name, std::string(v)};
}

// The value of a variable that is set; an error naming it when it is not a number.
StatusOr<uint64_t> Number(const EnvVar& var) {
  std::optional<uint64_t> v = ParseDecimal(*var.text);
  if (!v) {
    return Status::InvalidArgument(std::string(var.name) + "=\"" + *var.text +
                                   "\" is not a non-negative whole number");
  }
  return *v;
}

std::string Show(const EnvVar& var) { return std::string(var.name) + "=" + *var.text; }

// Rank and size within one job: a Slurm step of several tasks or an MPI world.
struct Tasks {
  uint32_t rank = 0, size = 1;
  std::string source;  // empty: none found
};

// A rank/size pair of variables (OpenMPI, PMI): both or neither, rank < size.
StatusOr<Tasks> RankAndSize(const GetEnvFunction& getenv, const char* rank_name, const char* size_name) {
  EnvVar rank = Read(getenv, rank_name), size = Read(getenv, size_name);
  if (!rank.set() && !size.set()) return Tasks{};
  if (!rank.set()) return Status::InvalidArgument(Show(size) + " is set but " + rank_name + " is not");
  if (!size.set()) return Status::InvalidArgument(Show(rank) + " is set but " + size_name + " is not");
  StatusOr<uint64_t> r = Number(rank);
  if (!r.ok()) return r.status();
  StatusOr<uint64_t> n = Number(size);
  if (!n.ok()) return n.status();
  if (*n == 0) return Status::InvalidArgument(Show(size) + ": the size must be at least 1");
  if (*r >= *n) {
    return Status::InvalidArgument(Show(rank) + " is not below " + Show(size) + " (ranks count from 0)");
  }
  return Tasks{static_cast<uint32_t>(*r), static_cast<uint32_t>(*n), rank_name};
}

// SLURM_PROCID/SLURM_NTASKS (SLURM_NPROCS in old releases) when this process is one task of a
// step of several tasks that srun started. The batch script is not such a step: Slurm gives it
// SLURM_NTASKS (the allocation's tasks) and SLURM_PROCID=0 but no SLURM_STEP_ID, and it is one
// process however many tasks were allocated.
StatusOr<Tasks> SlurmStep(const GetEnvFunction& getenv) {
  EnvVar step = Read(getenv, "SLURM_STEP_ID");
  if (!step.set()) step = Read(getenv, "SLURM_STEPID");
  if (!step.set()) return Tasks{};
  EnvVar ntasks = Read(getenv, "SLURM_STEP_NUM_TASKS");
  if (!ntasks.set()) ntasks = Read(getenv, "SLURM_NTASKS");
  if (!ntasks.set()) ntasks = Read(getenv, "SLURM_NPROCS");
  if (!ntasks.set()) return Tasks{};
  StatusOr<uint64_t> n = Number(ntasks);
  if (!n.ok()) return n.status();
  if (*n <= 1) return Tasks{};
  EnvVar procid = Read(getenv, "SLURM_PROCID");
  if (!procid.set()) return Status::InvalidArgument(Show(ntasks) + " is set but SLURM_PROCID is not");
  StatusOr<uint64_t> p = Number(procid);
  if (!p.ok()) return p.status();
  if (*p >= *n) {
    return Status::InvalidArgument(Show(procid) + " is not below " + Show(ntasks) + " (task ids count from 0)");
  }
  return Tasks{static_cast<uint32_t>(*p), static_cast<uint32_t>(*n), "SLURM_PROCID"};
}

// The tasks of this job: Slurm step, else OpenMPI, else PMI. A Slurm step and an MPI world of
// more than one process that disagree (rank or size) mean mpirun inside a Slurm job: MPI wins.
StatusOr<Tasks> DetectTasks(const GetEnvFunction& getenv) {
  StatusOr<Tasks> slurm = SlurmStep(getenv);
  if (!slurm.ok()) return slurm.status();
  StatusOr<Tasks> mpi = RankAndSize(getenv, "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE");
  if (!mpi.ok()) return mpi.status();
  if (mpi->source.empty()) {
    mpi = RankAndSize(getenv, "PMI_RANK", "PMI_SIZE");
    if (!mpi.ok()) return mpi.status();
  }
  if (!slurm->source.empty()) {
    if (!mpi->source.empty() && mpi->size > 1 && (mpi->size != slurm->size || mpi->rank != slurm->rank)) {
      return mpi;
    }
    return slurm;
  }
  return mpi;
}

// The array task's place among the array's tasks, or source "" when this is not an array job.
StatusOr<Tasks> SlurmArray(const GetEnvFunction& getenv) {
  EnvVar id = Read(getenv, "SLURM_ARRAY_TASK_ID");
  if (!id.set()) return Tasks{};
  EnvVar count = Read(getenv, "SLURM_ARRAY_TASK_COUNT");
  EnvVar min = Read(getenv, "SLURM_ARRAY_TASK_MIN");
  EnvVar max = Read(getenv, "SLURM_ARRAY_TASK_MAX");
  EnvVar step = Read(getenv, "SLURM_ARRAY_TASK_STEP");
  StatusOr<uint64_t> task = Number(id);
  if (!task.ok()) return task.status();

  uint64_t lo = 0, stride = 1;
  if (min.set()) {
    StatusOr<uint64_t> v = Number(min);
    if (!v.ok()) return v.status();
    lo = *v;
  }
  if (step.set()) {
    StatusOr<uint64_t> v = Number(step);
    if (!v.ok()) return v.status();
    if (*v == 0) return Status::InvalidArgument(Show(step) + ": the step must be at least 1");
    stride = *v;
  }
  // The number of ids from MIN to MAX in steps of STEP, when both ends are known.
  std::optional<uint64_t> span;
  if (min.set() && max.set()) {
    StatusOr<uint64_t> hi = Number(max);
    if (!hi.ok()) return hi.status();
    if (*hi < lo) return Status::InvalidArgument(Show(max) + " is below " + Show(min));
    span = (*hi - lo) / stride + 1;
  }
  uint64_t n = 0;
  if (count.set()) {
    StatusOr<uint64_t> v = Number(count);
    if (!v.ok()) return v.status();
    if (*v == 0) return Status::InvalidArgument(Show(count) + ": the count must be at least 1");
    n = *v;
    if (span && *span != n) {
      return Status::InvalidArgument(
          Show(count) + " does not match the ids " + *min.text + ".." + *max.text +
          (step.set() ? " in steps of " + *step.text : std::string()) +
          ": the array's ids are not an evenly spaced range (use e.g. --array=0-" + std::to_string(n - 1) +
          ", or --shard I/N)");
    }
  } else if (span) {
    n = *span;
  } else {
    return Status::InvalidArgument(Show(id) +
                                   " is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MIN and "
                                   "SLURM_ARRAY_TASK_MAX are: the number of shards is unknown (use --shard I/N)");
  }
  if (*task < lo || (*task - lo) % stride != 0 || (*task - lo) / stride >= n) {
    std::string range = min.set() ? "from " + *min.text : std::string("from 0");
    if (step.set()) range += " in steps of " + *step.text;
    return Status::InvalidArgument(Show(id) + " is not one of the " + std::to_string(n) + " array ids " + range);
  }
  return Tasks{static_cast<uint32_t>((*task - lo) / stride), static_cast<uint32_t>(n), "SLURM_ARRAY_TASK_ID"};
}

}  // namespace

StatusOr<ShardSpec> ParseShardSpec(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("--shard \"" + std::string(text) + "\": " + why);
  };
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return bad("expected I/N (shard I of N, 0-based), e.g. 0/4");
  std::optional<uint64_t> i = ParseDecimal(text.substr(0, slash));
  std::optional<uint64_t> n = ParseDecimal(text.substr(slash + 1));
  if (!i || !n) return bad("expected I/N with whole numbers (shard I of N, 0-based), e.g. 0/4");
  if (*n == 0) return bad("the number of shards N must be at least 1");
  if (*i >= *n) return bad("the shard index I must be below N (shards count from 0: 0/" + std::to_string(*n) +
                           " .. " + std::to_string(*n - 1) + "/" + std::to_string(*n) + ")");
  return ShardSpec{static_cast<uint32_t>(*i), static_cast<uint32_t>(*n), "flag"};
}

StatusOr<ShardSpec> DetectShard(const GetEnvFunction& getenv, uint32_t k8s_count) {
  StatusOr<Tasks> array = SlurmArray(getenv);
  if (!array.ok()) return array.status();
  StatusOr<Tasks> tasks = DetectTasks(getenv);
  if (!tasks.ok()) return tasks.status();

  if (!array->source.empty()) {
    if (tasks->source.empty() || tasks->size <= 1) return ShardSpec{array->rank, array->size, array->source};
    uint64_t count = uint64_t{array->size} * tasks->size;
    if (count > kMaxValue) return Status::OutOfRange("array tasks times tasks per array task is too many shards");
    uint64_t index = uint64_t{array->rank} * tasks->size + tasks->rank;
    return ShardSpec{static_cast<uint32_t>(index), static_cast<uint32_t>(count),
                     array->source + "+" + tasks->source};
  }
  if (!tasks->source.empty()) return ShardSpec{tasks->rank, tasks->size, tasks->source};

  EnvVar k8s = Read(getenv, "JOB_COMPLETION_INDEX");
  if (k8s.set()) {
    StatusOr<uint64_t> index = Number(k8s);
    if (!index.ok()) return index.status();
    if (k8s_count == 0) {
      return Status::InvalidArgument(Show(k8s) +
                                     " is set (a Kubernetes indexed job) but the number of shards is not: "
                                     "pass --shard-count N with N the job's completions");
    }
    if (*index >= k8s_count) {
      return Status::InvalidArgument(Show(k8s) + " is not below --shard-count " + std::to_string(k8s_count) +
                                     " (indexes count from 0; --shard-count must be the job's completions)");
    }
    return ShardSpec{static_cast<uint32_t>(*index), k8s_count, "JOB_COMPLETION_INDEX"};
  }
  if (k8s_count != 0) {
    return Status::InvalidArgument("--shard-count " + std::to_string(k8s_count) +
                                   " is given but JOB_COMPLETION_INDEX is not set (it is set in Kubernetes "
                                   "indexed jobs); elsewhere use --shard I/N");
  }
  return ShardSpec{};
}

StatusOr<ShardSpec> DetectShardFromProcessEnv(uint32_t k8s_count) {
  return DetectShard([](const char* name) -> const char* { return std::getenv(name); }, k8s_count);
}

std::string DescribeShard(const ShardSpec& spec) {
  std::string s = "shard " + std::to_string(spec.index) + " of " + std::to_string(spec.count);
  if (!spec.source.empty()) s += " (from " + (spec.source == "flag" ? std::string("--shard") : spec.source) + ")";
  return s;
}

}  // namespace capsfusion

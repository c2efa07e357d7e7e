#include "fuse/shard_env.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace capsfusion {
namespace {

using Env = std::map<std::string, std::string>;

StatusOr<ShardSpec> Detect(const Env& env, uint32_t k8s_count = 0) {
  return DetectShard(
      [&env](const char* name) -> const char* {
        auto it = env.find(name);
        return it == env.end() ? nullptr : it->second.c_str();
      },
      k8s_count);
}

void ExpectShard(const StatusOr<ShardSpec>& got, uint32_t index, uint32_t count, const std::string& source) {
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->index, index);
  EXPECT_EQ(got->count, count);
  EXPECT_EQ(got->source, source);
}

// The error names `variable` (and is not OK).
void ExpectErrorNaming(const StatusOr<ShardSpec>& got, const std::string& variable) {
  ASSERT_FALSE(got.ok()) << "expected an error naming " << variable;
  EXPECT_EQ(got.status().code(), Status::Code::kInvalidArgument) << got.status().ToString();
  EXPECT_NE(got.status().message().find(variable), std::string::npos) << got.status().message();
}

TEST(ShardSpecTest, ParsesFlag) {
  ExpectShard(ParseShardSpec("0/1"), 0, 1, "flag");
  ExpectShard(ParseShardSpec("2/4"), 2, 4, "flag");
  ExpectShard(ParseShardSpec("4294967294/4294967295"), 4294967294u, 4294967295u, "flag");
  ExpectShard(ParseShardSpec(" 3 / 8 "), 3, 8, "flag");
}

TEST(ShardSpecTest, RejectsBadFlags) {
  for (const char* bad : {"", "3", "/4", "1/", "a/4", "1/b", "-1/4", "1/-4", "1.5/4", "1/4/8", "4/4", "5/4", "0/0",
                          "4294967296/4294967297", "1 /4x", "0x1/4"}) {
    StatusOr<ShardSpec> got = ParseShardSpec(bad);
    EXPECT_FALSE(got.ok()) << "accepted --shard " << bad;
    if (!got.ok()) {
      EXPECT_NE(got.status().message().find("--shard"), std::string::npos) << got.status().message();
    }
  }
  EXPECT_NE(ParseShardSpec("4/4").status().message().find("below N"), std::string::npos);
}

TEST(ShardEnvTest, NothingSetIsOneShard) {
  ExpectShard(Detect({}), 0, 1, "");
  // Empty values count as unset; a one-task Slurm step is not sharded.
  ExpectShard(Detect({{"SLURM_ARRAY_TASK_ID", ""}, {"OMPI_COMM_WORLD_RANK", ""}}), 0, 1, "");
  ExpectShard(Detect({{"SLURM_NTASKS", "1"}, {"SLURM_PROCID", "0"}, {"SLURM_JOB_ID", "17"}}), 0, 1, "");
}

TEST(ShardEnvTest, SlurmArrayWithCount) {
  ExpectShard(Detect({{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}), 2, 4, "SLURM_ARRAY_TASK_ID");
  // As Slurm sets them for --array=0-3.
  ExpectShard(Detect({{"SLURM_ARRAY_TASK_ID", "3"},
                      {"SLURM_ARRAY_TASK_COUNT", "4"},
                      {"SLURM_ARRAY_TASK_MIN", "0"},
                      {"SLURM_ARRAY_TASK_MAX", "3"},
                      {"SLURM_ARRAY_TASK_STEP", "1"},
                      {"SLURM_NTASKS", "1"},
                      {"SLURM_PROCID", "0"}}),
              3, 4, "SLURM_ARRAY_TASK_ID");
  // --array=1-4: ids count from MIN.
  ExpectShard(Detect({{"SLURM_ARRAY_TASK_ID", "1"},
                      {"SLURM_ARRAY_TASK_COUNT", "4"},
                      {"SLURM_ARRAY_TASK_MIN", "1"},
                      {"SLURM_ARRAY_TASK_MAX", "4"}}),
              0, 4, "SLURM_ARRAY_TASK_ID");
}

TEST(ShardEnvTest, SlurmArrayWithMinMaxAndStep) {
  ExpectShard(Detect({{"SLURM_ARRAY_TASK_ID", "12"}, {"SLURM_ARRAY_TASK_MIN", "10"}, {"SLURM_ARRAY_TASK_MAX", "17"}}),
              2, 8, "SLURM_ARRAY_TASK_ID");
  // --array=0-15:4 runs ids 0, 4, 8, 12.
  ExpectShard(Detect({{"SLURM_ARRAY_TASK_ID", "8"},
                      {"SLURM_ARRAY_TASK_COUNT", "4"},
                      {"SLURM_ARRAY_TASK_MIN", "0"},
                      {"SLURM_ARRAY_TASK_MAX", "12"},
                      {"SLURM_ARRAY_TASK_STEP", "4"}}),
              2, 4, "SLURM_ARRAY_TASK_ID");
}

TEST(ShardEnvTest, SlurmArrayCombinedWithStepTasks) {
  // sbatch --array=0-3 --ntasks=2 with `srun capsfusion fuse ...`: 8 shards.
  Env env{{"SLURM_ARRAY_TASK_ID", "2"},
          {"SLURM_ARRAY_TASK_COUNT", "4"},
          {"SLURM_STEP_ID", "0"},
          {"SLURM_NTASKS", "2"},
          {"SLURM_PROCID", "1"}};
  ExpectShard(Detect(env), 5, 8, "SLURM_ARRAY_TASK_ID+SLURM_PROCID");
  env["SLURM_PROCID"] = "0";
  ExpectShard(Detect(env), 4, 8, "SLURM_ARRAY_TASK_ID+SLURM_PROCID");
  // The batch script of such a job is one process: SLURM_NTASKS is the allocation's, and there
  // is no SLURM_STEP_ID (as Slurm 22.05 sets them).
  env.erase("SLURM_STEP_ID");
  ExpectShard(Detect(env), 2, 4, "SLURM_ARRAY_TASK_ID");
  // Old releases name the task count SLURM_NPROCS and the step SLURM_STEPID.
  ExpectShard(Detect({{"SLURM_ARRAY_TASK_ID", "0"},
                      {"SLURM_ARRAY_TASK_COUNT", "2"},
                      {"SLURM_STEPID", "3"},
                      {"SLURM_NPROCS", "3"},
                      {"SLURM_PROCID", "2"}}),
              2, 6, "SLURM_ARRAY_TASK_ID+SLURM_PROCID");
}

TEST(ShardEnvTest, SlurmArrayCombinedWithMpiRanks) {
  // mpirun -np 2 inside each array task (the Slurm step is the one-task batch step).
  ExpectShard(Detect({{"SLURM_ARRAY_TASK_ID", "1"},
                      {"SLURM_ARRAY_TASK_COUNT", "3"},
                      {"SLURM_NTASKS", "1"},
                      {"SLURM_PROCID", "0"},
                      {"OMPI_COMM_WORLD_RANK", "1"},
                      {"OMPI_COMM_WORLD_SIZE", "2"}}),
              3, 6, "SLURM_ARRAY_TASK_ID+OMPI_COMM_WORLD_RANK");
  ExpectShard(
      Detect({{"SLURM_ARRAY_TASK_ID", "0"}, {"SLURM_ARRAY_TASK_COUNT", "2"}, {"PMI_RANK", "3"}, {"PMI_SIZE", "4"}}), 3,
      8, "SLURM_ARRAY_TASK_ID+PMI_RANK");
}

TEST(ShardEnvTest, SlurmStep) {
  ExpectShard(Detect({{"SLURM_STEP_ID", "0"}, {"SLURM_NTASKS", "4"}, {"SLURM_PROCID", "3"}}), 3, 4, "SLURM_PROCID");
  // SLURM_STEP_NUM_TASKS is the step's own count (srun -n 2 in a four-task allocation).
  ExpectShard(Detect({{"SLURM_STEP_ID", "1"},
                      {"SLURM_STEP_NUM_TASKS", "2"},
                      {"SLURM_NTASKS", "4"},
                      {"SLURM_PROCID", "1"}}),
              1, 2, "SLURM_PROCID");
  // The batch script (no SLURM_STEP_ID) is one process whatever --ntasks was.
  ExpectShard(Detect({{"SLURM_JOB_ID", "9"}, {"SLURM_NTASKS", "4"}, {"SLURM_PROCID", "0"}}), 0, 1, "");
  // srun --mpi=pmix: Slurm and MPI agree; the Slurm step comes first.
  ExpectShard(Detect({{"SLURM_STEP_ID", "0"},
                      {"SLURM_NTASKS", "4"},
                      {"SLURM_PROCID", "1"},
                      {"OMPI_COMM_WORLD_RANK", "1"},
                      {"OMPI_COMM_WORLD_SIZE", "4"},
                      {"PMI_RANK", "1"},
                      {"PMI_SIZE", "4"}}),
              1, 4, "SLURM_PROCID");
  // mpirun -np 6 inside a two-task allocation: the MPI world is what runs (on the first node the
  // ranks see the batch script's variables; on the others those of the step that started orted).
  ExpectShard(Detect({{"SLURM_NTASKS", "2"},
                      {"SLURM_PROCID", "0"},
                      {"OMPI_COMM_WORLD_RANK", "5"},
                      {"OMPI_COMM_WORLD_SIZE", "6"}}),
              5, 6, "OMPI_COMM_WORLD_RANK");
  ExpectShard(Detect({{"SLURM_STEP_ID", "0"},
                      {"SLURM_NTASKS", "2"},
                      {"SLURM_PROCID", "0"},
                      {"OMPI_COMM_WORLD_RANK", "5"},
                      {"OMPI_COMM_WORLD_SIZE", "6"}}),
              5, 6, "OMPI_COMM_WORLD_RANK");
}

TEST(ShardEnvTest, OpenMpiAndPmi) {
  ExpectShard(Detect({{"OMPI_COMM_WORLD_RANK", "1"}, {"OMPI_COMM_WORLD_SIZE", "2"}}), 1, 2, "OMPI_COMM_WORLD_RANK");
  ExpectShard(Detect({{"OMPI_COMM_WORLD_RANK", "0"}, {"OMPI_COMM_WORLD_SIZE", "1"}}), 0, 1, "OMPI_COMM_WORLD_RANK");
  ExpectShard(Detect({{"OMPI_COMM_WORLD_RANK", "0"},
                      {"OMPI_COMM_WORLD_SIZE", "2"},
                      {"PMI_RANK", "5"},
                      {"PMI_SIZE", "8"}}),
              0, 2, "OMPI_COMM_WORLD_RANK");
  ExpectShard(Detect({{"PMI_RANK", "5"}, {"PMI_SIZE", "8"}}), 5, 8, "PMI_RANK");
}

TEST(ShardEnvTest, KubernetesIndexedJob) {
  ExpectShard(Detect({{"JOB_COMPLETION_INDEX", "7"}}, 8), 7, 8, "JOB_COMPLETION_INDEX");
  ExpectShard(Detect({{"JOB_COMPLETION_INDEX", "0"}}, 1), 0, 1, "JOB_COMPLETION_INDEX");
  // Anything above it wins; --shard-count only applies to JOB_COMPLETION_INDEX.
  ExpectShard(Detect({{"JOB_COMPLETION_INDEX", "7"}, {"PMI_RANK", "1"}, {"PMI_SIZE", "2"}}, 8), 1, 2, "PMI_RANK");
}

TEST(ShardEnvTest, PrecedenceArrayOverStepOverMpiOverK8s) {
  Env env{{"SLURM_ARRAY_TASK_ID", "1"},  {"SLURM_ARRAY_TASK_COUNT", "2"}, {"SLURM_NTASKS", "1"},
          {"SLURM_PROCID", "0"},         {"OMPI_COMM_WORLD_RANK", "0"},   {"OMPI_COMM_WORLD_SIZE", "1"},
          {"PMI_RANK", "0"},             {"PMI_SIZE", "1"},               {"JOB_COMPLETION_INDEX", "2"}};
  ExpectShard(Detect(env, 3), 1, 2, "SLURM_ARRAY_TASK_ID");
  env.erase("SLURM_ARRAY_TASK_ID");
  env.erase("SLURM_ARRAY_TASK_COUNT");
  env["SLURM_STEP_ID"] = "0";
  env["SLURM_NTASKS"] = "3";
  env["SLURM_PROCID"] = "2";
  ExpectShard(Detect(env, 3), 2, 3, "SLURM_PROCID");
  env["SLURM_NTASKS"] = "1";
  ExpectShard(Detect(env, 3), 0, 1, "OMPI_COMM_WORLD_RANK");
  env.erase("OMPI_COMM_WORLD_RANK");
  env.erase("OMPI_COMM_WORLD_SIZE");
  ExpectShard(Detect(env, 3), 0, 1, "PMI_RANK");
  env.erase("PMI_RANK");
  env.erase("PMI_SIZE");
  ExpectShard(Detect(env, 3), 2, 3, "JOB_COMPLETION_INDEX");
}

TEST(ShardEnvTest, ErrorsNameTheVariable) {
  ExpectErrorNaming(Detect({{"SLURM_ARRAY_TASK_ID", "x"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}), "SLURM_ARRAY_TASK_ID");
  ExpectErrorNaming(Detect({{"SLURM_ARRAY_TASK_ID", "-1"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}), "SLURM_ARRAY_TASK_ID");
  ExpectErrorNaming(Detect({{"SLURM_ARRAY_TASK_ID", "4"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}), "SLURM_ARRAY_TASK_ID");
  ExpectErrorNaming(Detect({{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_COUNT", "four"}}),
                    "SLURM_ARRAY_TASK_COUNT");
  ExpectErrorNaming(Detect({{"SLURM_ARRAY_TASK_ID", "0"}, {"SLURM_ARRAY_TASK_COUNT", "0"}}), "SLURM_ARRAY_TASK_COUNT");
  ExpectErrorNaming(Detect({{"SLURM_ARRAY_TASK_ID", "1"}}), "SLURM_ARRAY_TASK_COUNT");
  ExpectErrorNaming(Detect({{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_MIN", "0"}}), "SLURM_ARRAY_TASK_MAX");
  ExpectErrorNaming(Detect({{"SLURM_ARRAY_TASK_ID", "0"}, {"SLURM_ARRAY_TASK_MIN", "1"}, {"SLURM_ARRAY_TASK_MAX", "4"}}),
                    "SLURM_ARRAY_TASK_ID");
  ExpectErrorNaming(Detect({{"SLURM_ARRAY_TASK_ID", "5"}, {"SLURM_ARRAY_TASK_MIN", "1"}, {"SLURM_ARRAY_TASK_MAX", "4"}}),
                    "SLURM_ARRAY_TASK_ID");
  ExpectErrorNaming(Detect({{"SLURM_ARRAY_TASK_ID", "3"}, {"SLURM_ARRAY_TASK_MIN", "4"}, {"SLURM_ARRAY_TASK_MAX", "1"}}),
                    "SLURM_ARRAY_TASK_MAX");
  ExpectErrorNaming(
      Detect({{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_MIN", "0"}, {"SLURM_ARRAY_TASK_MAX", "1y"}}),
      "SLURM_ARRAY_TASK_MAX");
  // --array=1,3,7: three tasks whose ids are not evenly spaced.
  ExpectErrorNaming(Detect({{"SLURM_ARRAY_TASK_ID", "3"},
                            {"SLURM_ARRAY_TASK_COUNT", "3"},
                            {"SLURM_ARRAY_TASK_MIN", "1"},
                            {"SLURM_ARRAY_TASK_MAX", "7"},
                            {"SLURM_ARRAY_TASK_STEP", "2"}}),
                    "SLURM_ARRAY_TASK_COUNT");
  // --array=0-15:4 but this id is not on the step.
  ExpectErrorNaming(Detect({{"SLURM_ARRAY_TASK_ID", "5"},
                            {"SLURM_ARRAY_TASK_MIN", "0"},
                            {"SLURM_ARRAY_TASK_MAX", "12"},
                            {"SLURM_ARRAY_TASK_STEP", "4"}}),
                    "SLURM_ARRAY_TASK_ID");
  ExpectErrorNaming(Detect({{"SLURM_ARRAY_TASK_ID", "0"}, {"SLURM_ARRAY_TASK_COUNT", "1"}, {"SLURM_ARRAY_TASK_STEP", "0"}}),
                    "SLURM_ARRAY_TASK_STEP");

  ExpectErrorNaming(Detect({{"SLURM_STEP_ID", "0"}, {"SLURM_NTASKS", "4"}, {"SLURM_PROCID", "4"}}), "SLURM_PROCID");
  ExpectErrorNaming(Detect({{"SLURM_STEP_ID", "0"}, {"SLURM_NTASKS", "4"}, {"SLURM_PROCID", "one"}}), "SLURM_PROCID");
  ExpectErrorNaming(Detect({{"SLURM_STEP_ID", "0"}, {"SLURM_NTASKS", "4"}}), "SLURM_PROCID");
  ExpectErrorNaming(Detect({{"SLURM_STEP_ID", "0"}, {"SLURM_NTASKS", "4x"}, {"SLURM_PROCID", "0"}}), "SLURM_NTASKS");
  ExpectErrorNaming(Detect({{"SLURM_STEP_ID", "0"}, {"SLURM_STEP_NUM_TASKS", "2"}, {"SLURM_PROCID", "2"}}),
                    "SLURM_STEP_NUM_TASKS");
  // A broken step also breaks an array task run as several tasks.
  ExpectErrorNaming(Detect({{"SLURM_ARRAY_TASK_ID", "0"},
                            {"SLURM_ARRAY_TASK_COUNT", "2"},
                            {"SLURM_STEP_ID", "0"},
                            {"SLURM_NTASKS", "2"},
                            {"SLURM_PROCID", "2"}}),
                    "SLURM_PROCID");

  ExpectErrorNaming(Detect({{"OMPI_COMM_WORLD_RANK", "2"}, {"OMPI_COMM_WORLD_SIZE", "2"}}), "OMPI_COMM_WORLD_RANK");
  ExpectErrorNaming(Detect({{"OMPI_COMM_WORLD_RANK", "1"}}), "OMPI_COMM_WORLD_SIZE");
  ExpectErrorNaming(Detect({{"OMPI_COMM_WORLD_SIZE", "2"}}), "OMPI_COMM_WORLD_RANK");
  ExpectErrorNaming(Detect({{"OMPI_COMM_WORLD_RANK", "0"}, {"OMPI_COMM_WORLD_SIZE", "0"}}), "OMPI_COMM_WORLD_SIZE");
  ExpectErrorNaming(Detect({{"OMPI_COMM_WORLD_RANK", "0"}, {"OMPI_COMM_WORLD_SIZE", "2.0"}}), "OMPI_COMM_WORLD_SIZE");
  ExpectErrorNaming(Detect({{"PMI_RANK", "9"}, {"PMI_SIZE", "8"}}), "PMI_RANK");
  ExpectErrorNaming(Detect({{"PMI_RANK", "0"}}), "PMI_SIZE");
  ExpectErrorNaming(Detect({{"PMI_SIZE", "abc"}, {"PMI_RANK", "0"}}), "PMI_SIZE");

  ExpectErrorNaming(Detect({{"JOB_COMPLETION_INDEX", "3"}}, 0), "--shard-count");
  ExpectErrorNaming(Detect({{"JOB_COMPLETION_INDEX", "3"}}, 0), "JOB_COMPLETION_INDEX");
  ExpectErrorNaming(Detect({{"JOB_COMPLETION_INDEX", "3"}}, 3), "JOB_COMPLETION_INDEX");
  ExpectErrorNaming(Detect({{"JOB_COMPLETION_INDEX", "x"}}, 3), "JOB_COMPLETION_INDEX");
  ExpectErrorNaming(Detect({}, 4), "JOB_COMPLETION_INDEX");
}

TEST(ShardEnvTest, ErrorsShowTheValue) {
  StatusOr<ShardSpec> got = Detect({{"SLURM_ARRAY_TASK_ID", "7"}, {"SLURM_ARRAY_TASK_COUNT", "4"}});
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("SLURM_ARRAY_TASK_ID=7"), std::string::npos) << got.status().message();
  got = Detect({{"OMPI_COMM_WORLD_RANK", "0"}, {"OMPI_COMM_WORLD_SIZE", "two"}});
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("OMPI_COMM_WORLD_SIZE=\"two\""), std::string::npos) << got.status().message();
}

TEST(ShardEnvTest, DescribeNamesTheSource) {
  EXPECT_EQ(DescribeShard(ShardSpec{2, 4, "SLURM_ARRAY_TASK_ID"}), "shard 2 of 4 (from SLURM_ARRAY_TASK_ID)");
  EXPECT_EQ(DescribeShard(ShardSpec{1, 3, "flag"}), "shard 1 of 3 (from --shard)");
  EXPECT_EQ(DescribeShard(ShardSpec{}), "shard 0 of 1");
}

}  // namespace
}  // namespace capsfusion

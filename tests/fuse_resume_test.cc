// Exactly-once resume of `capsfusion fuse`: the real binary is killed with
// SIGKILL at random points (and in every state the final combine can be cut
// in), rerun until it completes, and the output must equal an uninterrupted
// run byte for byte: every valid row once, in input order, the malformed ones
// in the rejects file.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <random>

#include "engine/random_llama.h"
#include "fuse_test_helpers.h"

namespace capsfusion {
namespace {

using namespace capsfusion::testing;

bool Exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

// Runs `args` (writing `out`), SIGKILLed after a random delay below
// `max_delay_ms`, again and again until a run completes. Returns the kills.
int KillUntilComplete(const std::vector<std::string>& args, const std::string& out, int max_delay_ms, std::mt19937* rng,
                      const std::string& log) {
  int landed = 0;
  for (int attempt = 0; attempt < 200; ++attempt) {
    int delay = static_cast<int>((*rng)() % static_cast<uint32_t>(std::max(1, max_delay_ms)));
    int rc = RunAndSignal(args, log, delay, SIGKILL);
    if (rc == 128 + SIGKILL) {
      ++landed;
      continue;
    }
    EXPECT_EQ(rc, 0) << ReadFile(log);
    break;
  }
  EXPECT_TRUE(Exists(out + ".summary.json"));
  return landed;
}

void RemoveOutput(const std::string& out) {
  std::string log;
  RunCommand("rm -rf " + out + " " + out + ".work " + out + ".summary.json " + out + ".rejects.jsonl", &log);
}

TEST(FuseResumeTest, SigkillAtRandomPointsGivesTheUninterruptedOutput) {
  TempDir dir;
  const size_t valid = WriteFuseInput(dir.File("in.jsonl"), 3000, 7);
  const std::string base = Cli() + " fuse " + dir.File("in.jsonl") + " --method concat --chunk-rows 100 -q -o ";
  ASSERT_EQ(RunToEnd(SplitArgs(base + dir.File("ref.jsonl")), dir.File("log")), 0) << ReadFile(dir.File("log"));
  const std::string ref = ReadFile(dir.File("ref.jsonl"));
  const std::string ref_rejects = ReadFile(dir.File("ref.jsonl.rejects.jsonl"));
  ASSERT_EQ(ReadJsonlRows(dir.File("ref.jsonl")).size(), valid);
  ASSERT_EQ(ReadJsonlRows(dir.File("ref.jsonl.rejects.jsonl")).size(), 3000 - valid);

  // How long an uninterrupted run takes bounds the random kill times.
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(RunToEnd(SplitArgs(base + dir.File("timing.jsonl")), dir.File("log")), 0);
  int run_ms = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());

  std::mt19937 rng(20261126);
  const std::string out = dir.File("out.jsonl");
  int landed = 0;
  for (int round = 0; round < 20 && landed < 20; ++round) {
    SCOPED_TRACE(round);
    RemoveOutput(out);
    landed += KillUntilComplete(SplitArgs(base + out), out, std::max(20, run_ms * 3 / 4), &rng, dir.File("log"));
    ASSERT_EQ(ReadFile(out), ref);
    ASSERT_EQ(ReadFile(out + ".rejects.jsonl"), ref_rejects);
  }
  EXPECT_GE(landed, 15) << "kills should land before the run ends (a run takes " << run_ms << " ms)";
  EXPECT_FALSE(Exists(out + ".work"));

  // Every valid row exactly once, in input order.
  auto rows = ReadJsonlRows(out);
  ASSERT_EQ(rows.size(), valid);
  for (size_t i = 1; i < rows.size(); ++i) ASSERT_LT(rows[i - 1]["id"].get<int>(), rows[i]["id"].get<int>()) << i;
  auto summary = nlohmann::json::parse(ReadFile(out + ".summary.json"));
  EXPECT_TRUE(summary["complete"].get<bool>());
  EXPECT_EQ(summary["written"], valid);
  EXPECT_EQ(summary["rows"], 3000);
}

// Each state a kill during the final combine can leave behind: the combined
// output half written, the output renamed but not the rejects, both but no
// summary, the summary but the work dir not yet removed.
TEST(FuseResumeTest, CutsDuringTheFinalCombineResume) {
  TempDir dir;
  WriteFuseInput(dir.File("in.jsonl"), 800, 3);
  const std::string base = Cli() + " fuse " + dir.File("in.jsonl") + " --method raw --chunk-rows 64 -q -o ";
  const std::string ref_path = dir.File("ref.jsonl");
  ASSERT_EQ(RunToEnd(SplitArgs(base + ref_path), dir.File("log")), 0);
  const std::string ref = ReadFile(ref_path), ref_rejects = ReadFile(ref_path + ".rejects.jsonl");
  const std::string out = dir.File("out.jsonl");
  for (int state = 0; state < 4; ++state) {
    SCOPED_TRACE(state);
    ASSERT_EQ(RunToEnd(SplitArgs(base + out + " --keep-work --overwrite"), dir.File("log")), 0) << ReadFile(dir.File("log"));
    ASSERT_TRUE(Exists(out + ".work/manifest.json"));
    if (state <= 2) {
      ASSERT_EQ(unlink((out + ".summary.json").c_str()), 0);
    }
    if (state == 0) {
      WriteFile(out + ".work/combined.jsonl", ref.substr(0, ref.size() / 2));  // the temporary, cut short
      WriteFile(out, "stale");
      unlink((out + ".rejects.jsonl").c_str());
    }
    if (state == 1) unlink((out + ".rejects.jsonl").c_str());
    ASSERT_EQ(RunToEnd(SplitArgs(base + out), dir.File("log")), 0) << ReadFile(dir.File("log"));
    EXPECT_EQ(ReadFile(out), ref);
    EXPECT_EQ(ReadFile(out + ".rejects.jsonl"), ref_rejects);
    EXPECT_TRUE(Exists(out + ".summary.json"));
    EXPECT_FALSE(Exists(out + ".work"));
  }
  // Real SIGKILLs late in the run, where the combine happens.
  std::mt19937 rng(5);
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(RunToEnd(SplitArgs(base + dir.File("t.jsonl")), dir.File("log")), 0);
  int run_ms = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
  const std::string late = dir.File("late.jsonl");
  for (int k = 0; k < 5; ++k) {
    int delay = run_ms * 7 / 10 + static_cast<int>(rng() % static_cast<uint32_t>(std::max(1, run_ms / 2)));
    RunAndSignal(SplitArgs(base + late), dir.File("log"), delay, SIGKILL);
  }
  if (!Exists(late + ".summary.json")) {
    ASSERT_EQ(RunToEnd(SplitArgs(base + late), dir.File("log")), 0);
  }
  EXPECT_EQ(ReadFile(late), ref);
}

// SIGTERM: the run commits its chunk, says how to resume, exits 128+15; the
// rerun completes the same output. A rerun of a complete output says so.
TEST(FuseResumeTest, SigtermCommitsAndTellsHowToResume) {
  TempDir dir;
  WriteFuseInput(dir.File("in.jsonl"), 20000, 11);
  const std::string base = Cli() + " fuse " + dir.File("in.jsonl") + " --method concat --chunk-rows 500 -o ";
  ASSERT_EQ(RunToEnd(SplitArgs(base + dir.File("ref.jsonl") + " -q"), dir.File("log")), 0);
  const std::string out = dir.File("out.jsonl");
  // Signal once the run has committed something.
  pid_t pid = Spawn(SplitArgs(base + out), dir.File("log"));
  for (int i = 0; i < 5000 && !Exists(out + ".work/chunk-000000.jsonl"); ++i) {
    int st = 0;
    if (waitpid(pid, &st, WNOHANG) == pid) GTEST_SKIP() << "the run finished before the signal";
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  kill(pid, SIGTERM);
  int rc = Wait(pid);
  if (rc == 0) GTEST_SKIP() << "the run finished before the signal";
  EXPECT_EQ(rc, 128 + SIGTERM);
  std::string log = ReadFile(dir.File("log"));
  EXPECT_NE(log.find("interrupted"), std::string::npos) << log;
  EXPECT_NE(log.find("Run the same command again to resume"), std::string::npos) << log;
  EXPECT_TRUE(Exists(out + ".work/manifest.json"));
  ASSERT_EQ(RunToEnd(SplitArgs(base + out), dir.File("log")), 0) << ReadFile(dir.File("log"));
  EXPECT_NE(ReadFile(dir.File("log")).find("resumed after"), std::string::npos) << ReadFile(dir.File("log"));
  EXPECT_EQ(ReadFile(out), ReadFile(dir.File("ref.jsonl")));
  ASSERT_EQ(RunToEnd(SplitArgs(base + out), dir.File("log")), 0);
  EXPECT_NE(ReadFile(dir.File("log")).find("already complete"), std::string::npos) << ReadFile(dir.File("log"));
}

// A changed setting is refused, naming it; --overwrite starts over.
TEST(FuseResumeTest, ChangedSettingsAreRefusedByName) {
  TempDir dir;
  WriteFuseInput(dir.File("in.jsonl"), 3000, 2);
  const std::string in = dir.File("in.jsonl"), out = dir.File("out.jsonl");
  const auto args = SplitArgs(Cli() + " fuse " + in + " --method concat --chunk-rows 10 -o " + out);
  // Leave an unfinished work dir behind.
  auto committed = [&] {
    return Exists(out + ".work/manifest.json") &&
           ReadFile(out + ".work/manifest.json").find("chunk-000000.jsonl") != std::string::npos;
  };
  for (int delay = 30; delay < 4000 && !committed(); delay = delay * 3 / 2) {
    RunAndSignal(args, dir.File("log"), delay, SIGKILL);
  }
  if (Exists(out + ".summary.json")) GTEST_SKIP() << "could not stop the run before it finished";
  std::string log;
  EXPECT_EQ(RunCommand(Cli() + " fuse " + in + " --method raw --chunk-rows 10 -o " + out, &log), 1);
  EXPECT_NE(log.find("method (was \"concat\", now \"raw\")"), std::string::npos) << log;
  EXPECT_NE(log.find("--overwrite"), std::string::npos) << log;
  EXPECT_EQ(RunCommand(Cli() + " fuse " + in + " --method concat --output-field fused -o " + out, &log), 1);
  EXPECT_NE(log.find("fields.output"), std::string::npos) << log;
  EXPECT_EQ(RunCommand(Cli() + " fuse " + in + " --method raw -q --overwrite -o " + out, &log), 0) << log;
  EXPECT_EQ(ReadJsonlRows(out).front()["capsfusion"], ReadJsonlRows(out).front()["laion_2b"]);
  // A changed input is a changed setting too.
  WriteFuseInput(in, 3000, 99);
  EXPECT_EQ(RunCommand(Cli() + " fuse " + in + " --method raw -o " + out, &log), 1);
  EXPECT_NE(log.find("inputs[0].sample_sha256"), std::string::npos) << log;
}

// The model path: kills while a small random model fuses, then the output
// equals an uninterrupted run (with another batch size and chunking).
TEST(FuseResumeTest, SigkillWithAModel) {
  TempDir dir;
  engine::RandomLlamaConfig cfg;
  cfg.n_ctx = 512;
  ASSERT_TRUE(engine::MakeRandomLlama(cfg).Write(dir.File("m.gguf")).ok());
  WriteFuseInput(dir.File("in.jsonl"), 240, 17);
  WriteFile(dir.File("t.txt"), "Sentence 1: {raw}\nSentence 2: {synthetic}\nNew Sentence:\n");
  const std::string base = Cli() + " fuse " + dir.File("in.jsonl") + " --method model --model " + dir.File("m.gguf") +
                           " --template " + dir.File("t.txt") + " --max-new-tokens 5 --threads 1 -q -o ";
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(RunToEnd(SplitArgs(base + dir.File("ref.jsonl") + " --batch-size 16 --chunk-rows 1000"), dir.File("log")), 0)
      << ReadFile(dir.File("log"));
  int run_ms = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
  std::mt19937 rng(42);
  const std::string out = dir.File("out.jsonl");
  int landed = 0;
  for (int round = 0; round < 3 && landed < 2; ++round) {
    RemoveOutput(out);
    landed += KillUntilComplete(SplitArgs(base + out + " --batch-size 5 --chunk-rows 30"), out, std::max(20, run_ms), &rng,
                                dir.File("log"));
  }
  EXPECT_GE(landed, 1) << "no kill landed before the model run ended (a run takes " << run_ms << " ms)";
  EXPECT_EQ(ReadFile(out), ReadFile(dir.File("ref.jsonl")));
  EXPECT_EQ(ReadFile(out + ".rejects.jsonl"), ReadFile(dir.File("ref.jsonl.rejects.jsonl")));
  auto rows = ReadJsonlRows(out);
  ASSERT_FALSE(rows.empty());
  EXPECT_TRUE(rows[0]["qc_reasons"].is_array());
}

}  // namespace
}  // namespace capsfusion

// `capsfusion train|export` start the trainer executable (capsfusion-train) found next to the
// CLI. A copy of the CLI in a temporary directory with a stand-in trainer script next to it
// shows what the trainer receives (arguments, argv[0], the same process) and that its exit
// code and signals are the command's; without any trainer the command says how to build it.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "test_util.h"

namespace capsfusion {
namespace {

using testing::RunCommand;
using testing::TempDir;
using testing::WriteFile;

using testing::Cli;

// A copy of the CLI alone in `dir` (so that it finds no trainer but the one a test puts there).
std::string CopyCli(const TempDir& dir) {
  std::string copy = dir.File("capsfusion");
  std::filesystem::copy_file(Cli(), copy);
  return copy;
}

class CliTrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    struct stat st;
    if (stat(Cli().c_str(), &st) != 0) GTEST_SKIP() << "build/capsfusion is not built";
    cli_ = CopyCli(dir_);
  }
  TempDir dir_;
  std::string cli_;
};

TEST_F(CliTrainerTest, WithoutTheTrainerSaysHowToBuildIt) {
  std::string out;
  for (const char* cmd : {"train", "export"}) {
    EXPECT_EQ(RunCommand(cli_ + " " + cmd + " runs/x -o m.gguf", &out), 1) << out;
    EXPECT_NE(out.find(std::string("capsfusion ") + cmd + ": error: the trainer was not built: configure with "
                                                          "-DCAPSFUSION_BUILD_TRAIN=ON"),
              std::string::npos)
        << out;
    EXPECT_EQ(RunCommand(cli_ + " " + cmd + " --help", &out), 1) << out;
    EXPECT_NE(out.find("-DCAPSFUSION_BUILD_TRAIN=ON"), std::string::npos) << out;
  }
  // The listing does not need the trainer.
  ASSERT_EQ(RunCommand(cli_ + " --help", &out), 0) << out;
  EXPECT_NE(out.find("train"), std::string::npos) << out;
  EXPECT_NE(out.find("export"), std::string::npos) << out;
}

TEST_F(CliTrainerTest, TheTrainerGetsTheArgumentsAndGivesTheExitCode) {
  // The stand-in prints its pid, argv[0] and each argument on its own line, then exits with
  // the code in $CF_EXIT (or kills itself with the signal in $CF_SIGNAL).
  WriteFile(dir_.File("capsfusion-train"),
            "#!/bin/sh\n"
            "echo \"pid=$$\"\n"
            "echo \"argv0=$0\"\n"
            "for a in \"$@\"; do echo \"arg=[$a]\"; done\n"
            "if [ -n \"$CF_SIGNAL\" ]; then kill -\"$CF_SIGNAL\" $$; fi\n"
            "exit \"${CF_EXIT:-0}\"\n");
  std::filesystem::permissions(dir_.File("capsfusion-train"), std::filesystem::perms::owner_all);

  std::string out;
  ASSERT_EQ(RunCommand(cli_ + " train 'a b' --dev \"x'y\" -o runs/r --resume '' --help", &out), 0) << out;
  EXPECT_NE(out.find("arg=[train]\narg=[a b]\narg=[--dev]\narg=[x'y]\narg=[-o]\narg=[runs/r]\narg=[--resume]\n"
                     "arg=[]\narg=[--help]\n"),
            std::string::npos)
      << out;
  // execv with argv[0] "capsfusion": a shell script sees its own path as $0, so check the
  // process instead: the CLI's pid is the trainer's (nothing stands between them).
  ASSERT_EQ(RunCommand("sh -c '" + cli_ + " export run -o m.gguf & echo \"cli=$!\"; wait $!'", &out), 0) << out;
  size_t cli_at = out.find("cli="), pid_at = out.find("pid=");
  ASSERT_NE(cli_at, std::string::npos) << out;
  ASSERT_NE(pid_at, std::string::npos) << out;
  EXPECT_EQ(out.substr(cli_at + 4, out.find('\n', cli_at) - cli_at - 4),
            out.substr(pid_at + 4, out.find('\n', pid_at) - pid_at - 4))
      << out;
  EXPECT_NE(out.find("arg=[export]\narg=[run]\narg=[-o]\narg=[m.gguf]\n"), std::string::npos) << out;

  for (int code : {1, 2, 3, 42}) {
    EXPECT_EQ(RunCommand("CF_EXIT=" + std::to_string(code) + " " + cli_ + " train x", &out), code) << out;
  }
  // A signal that ends the trainer ends the command the same way (the shell reports 128 + n).
  EXPECT_EQ(RunCommand("sh -c 'CF_SIGNAL=TERM " + cli_ + " train x; echo \"status=$?\"'", &out), 0) << out;
  EXPECT_NE(out.find("status=143"), std::string::npos) << out;
}

TEST_F(CliTrainerTest, AnUnrunnableTrainerIsAClearError) {
  WriteFile(dir_.File("capsfusion-train"), "not a program\n");
  std::filesystem::permissions(dir_.File("capsfusion-train"), std::filesystem::perms::owner_read);
  std::string out;
  EXPECT_EQ(RunCommand(cli_ + " train x", &out), 1) << out;
  EXPECT_NE(out.find("capsfusion train: error: cannot run the trainer " + dir_.File("capsfusion-train")),
            std::string::npos)
      << out;
}

// The runtime CLI must start without LibTorch: it is linked against none of it.
TEST(CliTrainerLinkTest, RuntimeDoesNotLinkLibTorch) {
  struct stat st;
  if (stat(Cli().c_str(), &st) != 0) GTEST_SKIP() << "build/capsfusion is not built";
  std::string out;
  if (RunCommand("command -v ldd", &out) != 0) GTEST_SKIP() << "ldd is not installed";
  ASSERT_EQ(RunCommand("ldd " + Cli(), &out), 0) << out;
  EXPECT_NE(out.find("libc.so"), std::string::npos) << out;
  for (const char* lib : {"libtorch", "libc10", "libgomp"}) {
    EXPECT_EQ(out.find(lib), std::string::npos) << lib << " in\n" << out;
  }
}

}  // namespace
}  // namespace capsfusion

#include "trainer_launcher.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace capsfusion::cli {

bool IsTrainerCommand(const char* arg) {
  return arg != nullptr && (std::strcmp(arg, "train") == 0 || std::strcmp(arg, "export") == 0);
}

std::string TrainerPath() { return ExecutableDir() + "/capsfusion-train"; }

int ExecTrainer(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "train";
  const std::string path = TrainerPath();
  if (access(path.c_str(), F_OK) != 0) {
    return Fail(command, "the trainer was not built: configure with -DCAPSFUSION_BUILD_TRAIN=ON (it needs "
                         "LibTorch, package libtorch-dev) and build target capsfusion-train (" + path +
                         " does not exist)");
  }
  std::vector<char*> args;
  static char name[] = "capsfusion";
  args.push_back(name);
  for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  std::fflush(nullptr);
  execv(path.c_str(), args.data());
  return Fail(command, "cannot run the trainer " + path + ": " + std::strerror(errno));
}

void AddTrainerCommands(CLI::App& app, Runner* run) {
  for (const auto& [name, what] :
       {std::pair<const char*, const char*>{"train", "Train a compact fusion model on (raw, synthetic) -> fused "
                                                     "captions (runs capsfusion-train)"},
        {"export", "Write a training run's model as a GGUF file (runs capsfusion-train)"}}) {
    CLI::App* sub = app.add_subcommand(name, what);
    sub->allow_extras();
    // main() hands these commands over before parsing; should one get here anyway, the
    // trainer still gets the command and its arguments.
    std::string command = name;
    sub->callback([run, sub, command] {
      std::vector<std::string> words = {"capsfusion", command};
      for (const std::string& extra : sub->remaining()) words.push_back(extra);
      *run = [words]() mutable {
        std::vector<char*> argv;
        for (std::string& w : words) argv.push_back(w.data());
        argv.push_back(nullptr);
        return ExecTrainer(static_cast<int>(words.size()), argv.data());
      };
    });
  }
}

}  // namespace capsfusion::cli

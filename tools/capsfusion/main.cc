// capsfusion: turn noisy web image-text data into high-quality captions.

#include "command.h"
#include "trainer_launcher.h"

int main(int argc, char** argv) {
  using namespace capsfusion::cli;
  // The trainer is its own executable (it links LibTorch): it gets these arguments as they are.
  if (argc > 1 && IsTrainerCommand(argv[1])) return ExecTrainer(argc, argv);
  CLI::App app{
      "capsfusion: fuse raw web alt-text and synthetic captions into one caption that keeps\n"
      "the real-world knowledge of the first and the structure of the second (CapsFusion).\n"
      "Run `capsfusion <command> --help` for the options of each command."};
  app.name("capsfusion");
  app.set_version_flag("--version", std::string("capsfusion ") + CAPSFUSION_VERSION);
  app.require_subcommand(1, 1);
  app.fallthrough(false);

  Runner run;
  AddPromptCommand(app, &run);
  AddFuseCommand(app, &run);
  AddMergeCommand(app, &run);
  AddEvalCommand(app, &run);
  AddGenerateCommand(app, &run);
  AddStatsCommand(app, &run);
  AddViewCommand(app, &run);
  AddQcCommand(app, &run);
  AddServeCommand(app, &run);
  AddTeachCommand(app, &run);
  AddCaptionCommand(app, &run);
  AddSetDecodingCommand(app, &run);
  AddTrainerCommands(app, &run);
  return RunApp(app, run, argc, argv);
}

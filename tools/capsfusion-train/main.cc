// capsfusion-train: the LibTorch trainer (train, export). Users run it as `capsfusion train ...`
// and `capsfusion export ...`, which start this executable with the same arguments; it can also
// be run directly.
#include <cstring>
#include <string>

#include "train_commands.h"

int main(int argc, char** argv) {
  using namespace capsfusion::cli;
  // Started by `capsfusion train|export`, argv[0] is "capsfusion": usage lines and messages then
  // name the command the user typed.
  const char* slash = argc > 0 ? std::strrchr(argv[0], '/') : nullptr;
  std::string name = argc > 0 ? (slash != nullptr ? slash + 1 : argv[0]) : "";
  if (name != "capsfusion") name = "capsfusion-train";

  CLI::App app{
      "capsfusion-train: train the compact fusion model and export it as GGUF (LibTorch).\n"
      "Usually run as `capsfusion train ...` and `capsfusion export ...`.\n"
      "Run `" + name + " <command> --help` for the options of each command."};
  app.name(name);
  app.set_version_flag("--version", std::string("capsfusion-train ") + CAPSFUSION_VERSION);
  app.require_subcommand(1, 1);
  app.fallthrough(false);

  Runner run;
  AddTrainCommand(app, &run);
  AddExportCommand(app, &run);
  return RunApp(app, run, argc, argv);
}

#include "command.h"

#include <unistd.h>

#include <cstdio>
#include <exception>

namespace capsfusion::cli {

int Fail(const std::string& command, const std::string& message) {
  std::fprintf(stderr, "capsfusion %s: error: %s\n", command.c_str(), message.c_str());
  return kExitFailure;
}

int Fail(const std::string& command, const Status& status) {
  return Fail(command, status.ToString());
}

std::string ExecutableDir() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string path(buf, static_cast<size_t>(n));
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

bool StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }

int RunApp(CLI::App& app, const Runner& run, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (!run) return kExitUsage;
  try {
    return run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: internal error: %s\n", app.get_name().c_str(), e.what());
    return kExitFailure;
  }
}

}  // namespace capsfusion::cli

#include "command.h"

#include <unistd.h>

#include <cstdio>

namespace capsfusion::cli {

int Fail(const std::string& command, const std::string& message) {
  std::fprintf(stderr, "capsfusion %s: error: %s\n", command.c_str(), message.c_str());
  return kExitFailure;
}

int Fail(const std::string& command, const Status& status) {
  return Fail(command, status.ToString());
}

bool StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }

}  // namespace capsfusion::cli

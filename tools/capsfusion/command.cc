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

std::string ExecutableDir() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string path(buf, static_cast<size_t>(n));
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

bool StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }

}  // namespace capsfusion::cli

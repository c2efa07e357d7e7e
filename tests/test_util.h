// Helpers shared by the tests: temporary directories, file I/O, ../shared lookup,
// the CLI binary and its JSONL output.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace capsfusion::testing {

//! A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  //! path() + "/" + name
  std::string File(const std::string& name) const;

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& contents);
std::string ReadFile(const std::string& path);

//! The project's source directory (for tests/fixtures and examples).
std::string SourceDir();
//! The build directory (build/capsfusion lives there).
std::string BinaryDir();

//! Path to ../shared/data/<relative> next to the checkout, or "" when the shared
//! data is absent. Tests that need it call GTEST_SKIP() with SharedMissing().
std::string SharedData(const std::string& relative);
std::string SharedMissing(const std::string& relative);

//! Runs a shell command; returns its exit status and captures stdout+stderr.
int RunCommand(const std::string& command, std::string* output);

//! The capsfusion binary of this build.
std::string Cli();

//! The JSON values of a JSON Lines file (blank lines skipped); throws on bad JSON.
std::vector<nlohmann::json> ReadJsonl(const std::string& path);

}  // namespace capsfusion::testing

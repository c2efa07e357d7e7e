// Replays fuzz/corpus/gguf_reader through the reader: seeds (*.gguf) must parse, every other
// input (regressions found by fuzzing) must give a Status or a file, never a crash.
#include <gtest/gtest.h>

#include <filesystem>

#include "gguf/gguf.h"
#include "test_util.h"

namespace capsfusion::gguf {
namespace {

TEST(GgufFuzzCorpusTest, ReplaysCorpus) {
  const std::filesystem::path dir = capsfusion::testing::SourceDir() + "/fuzz/corpus/gguf_reader";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  int seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string bytes = capsfusion::testing::ReadFile(entry.path().string());
    auto f = GgufFile::FromBytes(bytes);
    if (entry.path().extension() == ".gguf") {
      ++seeds;
      ASSERT_TRUE(f.ok()) << entry.path() << ": " << f.status().ToString();
      auto mapped = GgufFile::Open(entry.path().string());
      ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
      EXPECT_EQ((*mapped)->keys(), (*f)->keys());
      EXPECT_EQ((*mapped)->tensors().size(), (*f)->tensors().size());
    } else if (!f.ok()) {
      EXPECT_FALSE(f.status().message().empty()) << entry.path();
    }
  }
  EXPECT_GE(seeds, 4);
}

}  // namespace
}  // namespace capsfusion::gguf

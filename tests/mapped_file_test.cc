#include "util/mapped_file.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace capsfusion {
namespace {

TEST(MappedFileTest, MapsContents) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("f"), "hello world");
  auto m = MappedFile::Open(dir.File("f"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)->size(), 11u);
  EXPECT_EQ((*m)->view(), "hello world");
  EXPECT_EQ((*m)->path(), dir.File("f"));
  EXPECT_EQ(reinterpret_cast<uintptr_t>((*m)->data()) % 4096, 0u);
  (*m)->WillNeed();
}

TEST(MappedFileTest, EmptyFile) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("empty"), "");
  auto m = MappedFile::Open(dir.File("empty"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)->size(), 0u);
  EXPECT_EQ((*m)->data(), nullptr);
  EXPECT_TRUE((*m)->view().empty());
  (*m)->WillNeed();
}

TEST(MappedFileTest, MissingFileAndDirectory) {
  testing::TempDir dir;
  auto m = MappedFile::Open(dir.File("nope"));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Status::Code::kIOError);
  EXPECT_NE(m.status().message().find("nope"), std::string::npos);
  auto d = MappedFile::Open(dir.path());
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("not a regular file"), std::string::npos);
}

}  // namespace
}  // namespace capsfusion

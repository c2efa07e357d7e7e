#include "capsfusion/record.h"
#include "capsfusion/status.h"

#include <gtest/gtest.h>

namespace capsfusion {

TEST(RecordTest, SetReplacesOrAppendsInOrder) {
  Record r;
  r.Set("a", "1");
  r.SetString("b", "x");
  r.Set("a", "2");
  ASSERT_EQ(r.fields.size(), 2u);
  EXPECT_EQ(r.fields[0].name, "a");
  EXPECT_EQ(r.fields[0].json, "2");
  EXPECT_EQ(r.Find("b")->json, "\"x\"");
  EXPECT_EQ(r.Find("c"), nullptr);
}

TEST(RecordTest, JsonStringEscapesControlAndQuotes) {
  EXPECT_EQ(JsonString("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
  EXPECT_EQ(JsonString("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
}

TEST(StatusTest, ToStringAndContext) {
  EXPECT_EQ(Status::OK().ToString(), "OK");
  Status s = Status::NotFound("no such field").WithContext("x.json:3");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.ToString(), "Not found: x.json:3: no such field");
  StatusOr<int> v(7);
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(*v, 7);
  StatusOr<int> e(Status::Corruption("bad"));
  EXPECT_FALSE(e.ok());
}

}  // namespace capsfusion

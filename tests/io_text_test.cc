// Caption clean-up, UTF-8, JSON scanning and stable-id building blocks.
#include <gtest/gtest.h>

#include <vector>

#include "io/caption_text.h"
#include "io/json_scanner.h"
#include "io/json_skimmer.h"
#include "io/stable_id.h"
#include "io/utf8.h"

namespace capsfusion::io {
namespace {

std::string Ws(std::string_view s) {
  std::string out;
  NormalizeWhitespace(s, &out);
  return out;
}

std::string Ent(std::string_view s) {
  std::string out;
  DecodeHtmlEntities(s, &out);
  return out;
}

TEST(IoTextTest, WhitespaceCollapsesAndTrims) {
  EXPECT_EQ(Ws("  a  b\t\tc\n\nd\r\n "), "a b c d");
  EXPECT_EQ(Ws(""), "");
  EXPECT_EQ(Ws(" \n\t "), "");
  EXPECT_EQ(Ws("one"), "one");
  // NBSP, ideographic space, line separator, BOM, control bytes.
  EXPECT_EQ(Ws("a\xC2\xA0\xC2\xA0" "b\xE3\x80\x80" "c\xE2\x80\xA8" "d\xEF\xBB\xBF" "e\x01" "f"), "a b c d e f");
  // Non-space multi-byte characters stay.
  EXPECT_EQ(Ws(" caf\xC3\xA9  \xE2\x80\x94 ok "), "caf\xC3\xA9 \xE2\x80\x94 ok");
}

// The eight-bytes-at-a-time fast path agrees with a plain token split.
TEST(IoTextTest, WhitespaceFastPathMatchesReference) {
  const char* pieces[] = {"a", "bc", "word", " ", " ", "  ", "\t", "\n", "\xC2\xA0", "\xE6\x97\xA5",
                          "\xC3\xA9", "!", "\xE2\x80\x83", "x y", "\x7F", "\xF0\x9F\x98\x80"};
  const std::vector<std::string> spaces = {" ", "\t", "\n", "  ", "\xC2\xA0", "\xE2\x80\x83", "\x7F"};
  uint64_t x = 42;
  for (int trial = 0; trial < 5000; ++trial) {
    std::string in;
    int n = static_cast<int>(x % 30);
    for (int i = 0; i < n; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      in += pieces[(x >> 33) % (sizeof pieces / sizeof pieces[0])];
    }
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    // Reference: split on the whitespace pieces, join non-empty tokens with one space.
    std::string marked = in;
    for (const std::string& sp : spaces) {
      for (size_t at = marked.find(sp); at != std::string::npos; at = marked.find(sp, at)) {
        marked.replace(at, sp.size(), std::string(sp.size(), '\x01'));
      }
    }
    std::string expect, token;
    for (char c : marked + '\x01') {
      if (c == '\x01') {
        if (!token.empty()) expect += (expect.empty() ? "" : " ") + token;
        token.clear();
      } else {
        token += c;
      }
    }
    ASSERT_EQ(Ws(in), expect) << "input: " << in;
  }
}

TEST(IoTextTest, EntitiesDecodeOnce) {
  EXPECT_EQ(Ent("&quot;A&quot; &amp; B &#39;c&#39; &apos;d&apos; &lt;b&gt;"), "\"A\" & B 'c' 'd' <b>");
  EXPECT_EQ(Ent("a&nbsp;b"), "a\xC2\xA0" "b");
  EXPECT_EQ(Ent("&#233;t&#xE9; &#X41;"), "\xC3\xA9t\xC3\xA9 A");
  // Double-escaped text is decoded one level only.
  EXPECT_EQ(Ent("&amp;quot;x&amp;quot;"), "&quot;x&quot;");
  // No ';', unknown names and invalid code points stay as written.
  EXPECT_EQ(Ent("AT&T &amp &bogus; &#0; &#xD800; &#1114112; &#; &#x;"),
            "AT&T &amp &bogus; &#0; &#xD800; &#1114112; &#; &#x;");
  // 128..159 go through Windows-1252, as browsers do.
  EXPECT_EQ(Ent("it&#146;s &#150;"), "it\xE2\x80\x99s \xE2\x80\x93");
  EXPECT_EQ(Ent("&hellip;&mdash;&rsquo;"), "\xE2\x80\xA6\xE2\x80\x94\xE2\x80\x99");
  EXPECT_EQ(Ent("&"), "&");
  EXPECT_EQ(Ent("&&amp;"), "&&");
}

TEST(IoTextTest, EntitiesThenWhitespace) {
  EXPECT_EQ(Ws(Ent("  Jr. &quot;A&quot;&nbsp;&nbsp;Championship&#10;x ")), "Jr. \"A\" Championship x");
}

TEST(IoTextTest, Utf8Validation) {
  EXPECT_EQ(FindInvalidUtf8("plain ascii text that is long enough"), std::string_view::npos);
  EXPECT_EQ(FindInvalidUtf8("caf\xC3\xA9 \xF0\x9F\x98\x80"), std::string_view::npos);
  EXPECT_EQ(FindInvalidUtf8("abc\xFF"), 3u);
  EXPECT_EQ(FindInvalidUtf8("0123456789\xC3"), 10u);       // cut sequence
  EXPECT_EQ(FindInvalidUtf8("ab\xC0\xAF"), 2u);             // overlong
  EXPECT_EQ(FindInvalidUtf8("ab\xED\xA0\x80"), 2u);         // surrogate
  EXPECT_EQ(FindInvalidUtf8("ab\xF4\x90\x80\x80"), 2u);     // over U+10FFFF
  EXPECT_EQ(SafeExcerpt("ab\xFF" "c", 100), "ab\xEF\xBF\xBD" "c");
  EXPECT_EQ(SafeExcerpt("abcdef", 4), "abcd...");
  EXPECT_EQ(SafeExcerpt("ab\xC3\xA9", 3), "ab...");  // never cuts a character
  EXPECT_EQ(ToValidUtf8("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(ToValidUtf8("a\xE2\x82"), "a\xEF\xBF\xBD\xEF\xBF\xBD");  // cut mid-character
  EXPECT_EQ(ToValidUtf8("\xFFx"), "\xEF\xBF\xBDx");
}

TEST(IoTextTest, StableIdIsXxh64) {
  // Reference values from the xxHash library (XXH64).
  EXPECT_EQ(HexId(Xxh64("")), "ef46db3751d8e999");
  EXPECT_EQ(HexId(Xxh64("a")), "d24ec4f1a98c6e5b");
  const std::string long_text = "0123456789abcdefghijklmnopqrstuvwxyz0123456789";  // > 32 bytes
  EXPECT_EQ(HexId(Xxh64(long_text)), "4ae5684cd402fbb4");
  EXPECT_EQ(HexId(Xxh64(long_text, 7)), "12163b10950ce955");
  EXPECT_EQ(HexId(0), "0000000000000000");
}

JsonScanner::Result Scan(std::string_view text, JsonType* type = nullptr, size_t* end = nullptr) {
  JsonScanner s;
  size_t e = 0;
  JsonType t;
  auto r = s.Scan(text, &e, &t);
  if (type) *type = t;
  if (end) *end = e;
  return r;
}

TEST(IoJsonScannerTest, ValidValues) {
  using R = JsonScanner::Result;
  JsonType t;
  size_t end;
  EXPECT_EQ(Scan(" {\"a\": [1, -2.5e+3, 0, true, false, null, {\"b\": \"\\u00e9\\n\"}]} x", &t, &end), R::kOk);
  EXPECT_EQ(t, JsonType::kObject);
  EXPECT_EQ(end, 61u);
  EXPECT_EQ(Scan("-0.5E-2", &t), R::kOk);
  EXPECT_EQ(t, JsonType::kNumber);
  EXPECT_EQ(Scan("\"caf\xC3\xA9\"", &t), R::kOk);
  EXPECT_EQ(t, JsonType::kString);
}

TEST(IoJsonScannerTest, ErrorsAndTruncation) {
  using R = JsonScanner::Result;
  for (const char* bad : {"{\"a\" 1}", "{\"a\":01}", "{\"a\":1.}x", "{\"a\":+1}", "{a:1}", "{\"a\":tru}",
                          "{\"a\":\"\\x\"}", "{\"a\":\"tab\there\"}", "{\"a\":1,}", "[1 2]", "{\"a\":\"\xFF\"}",
                          "{\"a\":1]", "'x'"}) {
    EXPECT_EQ(Scan(bad), R::kError) << bad;
  }
  for (const char* cut : {"", "{", "{\"a\"", "{\"a\":", "{\"a\":\"xy", "{\"a\":[1,", "{\"a\":tr", "{\"a\":\"\\u00",
                          "{\"a\":\"\xC3", "{\"a\":-", "{\"a\":1.5e"}) {
    EXPECT_EQ(Scan(cut), R::kTruncated) << cut;
  }
  JsonScanner s;
  size_t end;
  JsonType t;
  ASSERT_EQ(s.Scan("{\"k\": \"ab\xC3\x28\"}", &end, &t), R::kError);
  EXPECT_TRUE(s.error_is_utf8());
  EXPECT_EQ(s.error_offset(), 9u);
  std::string deep(300, '[');
  EXPECT_EQ(Scan(deep + std::string(300, ']')), R::kError);
  std::string ok_depth(200, '[');
  EXPECT_EQ(Scan(ok_depth + std::string(200, ']')), R::kOk);
}

TEST(IoJsonScannerTest, MembersAreExactSpans) {
  JsonScanner s;
  size_t end;
  JsonType t;
  ASSERT_EQ(s.Scan("{\"n\": 1.50e3, \"t\\u0061gs\" : [1, \"a\"] ,\"s\":\"x\\\"y\"}", &end, &t),
            JsonScanner::Result::kOk);
  ASSERT_EQ(s.members().size(), 3u);
  EXPECT_EQ(s.members()[0].key, "n");
  EXPECT_EQ(s.members()[0].value, "1.50e3");
  EXPECT_EQ(s.members()[0].type, JsonType::kNumber);
  EXPECT_EQ(s.members()[1].key, "t\\u0061gs");
  EXPECT_TRUE(s.members()[1].key_escaped);
  EXPECT_EQ(s.members()[1].value, "[1, \"a\"]");
  EXPECT_EQ(s.members()[2].value, "\"x\\\"y\"");
  EXPECT_TRUE(s.members()[2].value_escaped);
}

TEST(IoJsonScannerTest, DecodeStrings) {
  std::string out;
  DecodeJsonString("a\\\"b\\\\c\\/d\\n\\t\\u00e9\\ud83d\\ude00", &out);
  EXPECT_EQ(out, "a\"b\\c/d\n\t\xC3\xA9\xF0\x9F\x98\x80");
  out.clear();
  DecodeJsonString("x\\ud800y\\udc00", &out);  // lone surrogates
  EXPECT_EQ(out, "x\xEF\xBF\xBDy\xEF\xBF\xBD");
  out.clear();
  EXPECT_TRUE(DecodeJsonStringLiteral("\"a\\u0041\"", &out));
  EXPECT_EQ(out, "aA");
  EXPECT_FALSE(DecodeJsonStringLiteral("\"a\" 1", &out));
  EXPECT_FALSE(DecodeJsonStringLiteral("12", &out));
}

TEST(IoJsonSkimmerTest, FindsValueEndsAcrossChunks) {
  JsonSkimmer k;
  std::string v = "{\"a\": \"}]\\\"\", \"b\": [1, {\"c\": \"\\\\\"}]}\n, next";
  // Feed one byte at a time.
  k.Reset();
  size_t used_total = 0;
  for (size_t i = 0; i < v.size() && !k.done(); ++i) used_total += k.Feed(&v[i], 1);
  EXPECT_TRUE(k.done());
  EXPECT_EQ(used_total, v.find('\n'));
  k.Reset();
  EXPECT_EQ(k.Feed("123, 4", 6), 3u);
  EXPECT_TRUE(k.done());
  k.Reset();
  EXPECT_EQ(k.Feed("\"a,b\" ,", 7), 5u);
  k.Reset();
  k.Feed("{\"a\": [1}", 9);
  EXPECT_TRUE(k.failed());
  k.Reset();
  k.Feed("{\n\"a\":\n1", 8);
  EXPECT_FALSE(k.done());
  EXPECT_EQ(k.newlines(), 2u);
}

}  // namespace
}  // namespace capsfusion::io

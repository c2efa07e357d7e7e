// Utf8Constraint against the definition: a token is allowed exactly when the
// bytes written so far, followed by it, are still the start of well-formed
// UTF-8 (every proper prefix of every encoded code point enumerated).
#include "engine/utf8_constraint.h"

#include <gtest/gtest.h>

#include <limits>
#include <set>
#include <string>
#include <vector>

#include "engine/sampler.h"
#include "tokenizer/utf8.h"

namespace capsfusion::engine {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// Vocabulary: 0 EOS, 1-2 text pieces, 3-258 the bytes 0x00-0xFF.
constexpr int kText = 3;
constexpr int64_t kVocab = kText + 256;

std::vector<int16_t> ByteTable() {
  std::vector<int16_t> t(kVocab, -1);
  for (int b = 0; b < 256; ++b) t[kText + b] = static_cast<int16_t>(b);
  return t;
}

std::string Encode(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

// Every proper, non-empty prefix of a well-formed encoded code point.
const std::set<std::string>& Prefixes() {
  static const std::set<std::string> p = [] {
    std::set<std::string> out;
    for (uint32_t cp = 0x80; cp <= 0x10FFFF; ++cp) {
      if (cp >= 0xD800 && cp <= 0xDFFF) continue;
      const std::string e = Encode(cp);
      for (size_t n = 1; n < e.size(); ++n) out.insert(e.substr(0, n));
    }
    return out;
  }();
  return p;
}

// Whether `s` is well-formed UTF-8, or (`open`) well-formed followed by the
// start of a character.
bool WellFormed(const std::string& s, bool open) {
  const auto* u = reinterpret_cast<const unsigned char*>(s.data());
  size_t i = 0;
  while (i < s.size()) {
    const size_t n = Utf8CharLength(u + i, s.size() - i);
    if (n == 0) return open && Prefixes().count(s.substr(i)) > 0;
    i += n;
  }
  return true;
}

std::string Bytes(const std::vector<int32_t>& tokens) {
  std::string s;
  for (int32_t t : tokens) {
    if (t >= kText) s += static_cast<char>(t - kText);
    if (t == 1) s += "ab";  // text pieces are whole characters
    if (t == 2) s += "\xC3\xA9";
  }
  return s;
}

TEST(Utf8ConstraintTest, AllowsExactlyTheTokensThatKeepTheBytesWellFormed) {
  const Utf8Constraint c(ByteTable());
  ASSERT_TRUE(c.active());
  const std::vector<std::vector<uint8_t>> heads = {
      {}, {0x41}, {0xC3}, {0xE0}, {0xE0, 0xA0}, {0xED}, {0xEF, 0xBF}, {0xF0}, {0xF0, 0x90, 0x80}, {0xF4}, {0xF4, 0x8F},
      {0xE2, 0x82, 0xAC}, {0xF3, 0xBF, 0xBF, 0xBF}};
  for (const auto& head : heads) {
    for (int text_before : {0, 1}) {
      std::vector<int32_t> gen;
      if (text_before) gen.push_back(2);
      for (uint8_t b : head) gen.push_back(kText + b);
      std::vector<float> s(kVocab, 0.0f);
      c.Apply(s.data(), kVocab, gen.data(), gen.size());
      for (int32_t t = 0; t < kVocab; ++t) {
        auto next = gen;
        next.push_back(t);
        // EOS ends the text: it must be well-formed as it stands.
        const bool allowed = t == 0 ? WellFormed(Bytes(gen), false) : WellFormed(Bytes(next), true);
        EXPECT_EQ(s[t] != -kInf, allowed) << "head of " << head.size() << " bytes, token " << t;
      }
    }
  }
}

TEST(Utf8ConstraintTest, AnyPathThroughAllowedTokensIsWellFormed) {
  const Utf8Constraint c(ByteTable());
  Rng rng(3);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<int32_t> gen;
    for (int step = 0; step < 40; ++step) {
      std::vector<float> s(kVocab);
      for (auto& x : s) x = static_cast<float>(rng.Uniform());
      for (int b = 0x80; b < 0x100; ++b) s[kText + b] += 1.0f;  // favour the risky bytes
      c.Apply(s.data(), kVocab, gen.data(), gen.size());
      const int32_t t = Argmax(s.data(), kVocab);
      ASSERT_NE(s[t], -kInf);
      if (t == 0) break;
      gen.push_back(t);
      ASSERT_TRUE(WellFormed(Bytes(gen), true)) << "trial " << trial;
    }
  }
}

TEST(Utf8ConstraintTest, BannedScoresStayBannedAndIllFormedInputStartsAfresh) {
  const Utf8Constraint c(ByteTable());
  // Inside a character, a banned continuation stays banned.
  std::vector<float> s(kVocab, 0.0f);
  s[kText + 0xA9] = -kInf;
  const std::vector<int32_t> gen = {kText + 0xC3};
  c.Apply(s.data(), kVocab, gen.data(), gen.size());
  EXPECT_EQ(s[kText + 0xA9], -kInf);
  EXPECT_NE(s[kText + 0xA8], -kInf);
  EXPECT_EQ(s[0], -kInf);
  // Bytes written without the constraint ("\xC3" then "A"): the next character starts afresh.
  std::fill(s.begin(), s.end(), 0.0f);
  const std::vector<int32_t> broken = {kText + 0xC3, kText + 0x41};
  c.Apply(s.data(), kVocab, broken.data(), broken.size());
  EXPECT_NE(s[0], -kInf);
  EXPECT_EQ(s[kText + 0x80], -kInf);
  EXPECT_NE(s[kText + 0xC3], -kInf);
}

TEST(Utf8ConstraintTest, VocabulariesWithoutByteTokensAreLeftAlone) {
  const Utf8Constraint none(std::vector<int16_t>(10, -1));
  EXPECT_FALSE(none.active());
  std::vector<float> s(10, 0.5f);
  const std::vector<int32_t> gen = {1, 2};
  none.Apply(s.data(), 10, gen.data(), gen.size());
  for (float x : s) EXPECT_EQ(x, 0.5f);
  // A vocabulary with a lead byte but none of its continuations: nothing could
  // finish the character, so the row is not emptied.
  std::vector<int16_t> partial(5, -1);
  partial[3] = 0xC3;
  const Utf8Constraint c(partial);
  std::vector<float> row(5, 0.0f);
  const std::vector<int32_t> lead = {3};
  c.Apply(row.data(), 5, lead.data(), lead.size());
  for (float x : row) EXPECT_EQ(x, 0.0f);
}

}  // namespace
}  // namespace capsfusion::engine

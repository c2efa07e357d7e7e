// Golden tests of PtbTokenize / PtbTokenizeBatch against the jar's output
// (shared/data/golden; skipped when that data is absent).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "capsfusion/metrics.h"
#include "test_util.h"

namespace capsfusion {
namespace {

using capsfusion::testing::SharedData;
using capsfusion::testing::SharedMissing;

struct GoldenLine {
  std::string caption, expected;
};

std::vector<GoldenLine> ReadGoldenTsv(const std::string& path) {
  std::vector<GoldenLine> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    GoldenLine g;
    g.caption = nlohmann::json::parse(line.substr(0, tab)).get<std::string>();
    g.expected = line.substr(tab + 1);
    out.push_back(std::move(g));
  }
  return out;
}

TEST(PtbTokenizerGolden, EveryTsvLineAlone) {
  const std::string rel = "golden/ptb_tokenizer_golden.tsv";
  std::string path = SharedData(rel);
  if (path.empty()) GTEST_SKIP() << SharedMissing(rel);
  std::vector<GoldenLine> lines = ReadGoldenTsv(path);
  ASSERT_GT(lines.size(), 26000u);
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> got;
  got.reserve(lines.size());
  for (const GoldenLine& g : lines) got.push_back(PtbTokenize(g.caption));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  size_t bad = 0;
  std::ostringstream report;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (got[i] == lines[i].expected) continue;
    if (++bad <= 40) {
      report << "line " << i + 1 << "\n  caption:  " << nlohmann::json(lines[i].caption).dump()
             << "\n  expected: " << lines[i].expected << "\n  got:      " << got[i] << "\n";
    }
  }
  if (const char* dump = std::getenv("PTB_GOLDEN_DUMP")) {  // all mismatches, for debugging
    std::ofstream out(dump);
    for (size_t i = 0; i < lines.size(); ++i) {
      if (got[i] != lines[i].expected) {
        out << nlohmann::json(lines[i].caption).dump() << "\n  E: " << lines[i].expected
            << "\n  G: " << got[i] << "\n";
      }
    }
  }
  std::cout << "[ptb golden] " << lines.size() - bad << "/" << lines.size() << " lines match; "
            << lines.size() << " captions in " << secs << " s\n";
  EXPECT_EQ(bad, 0u) << "first mismatches:\n" << report.str();
}

// Reads sets/<name>.{refs,results}.json and tokenized/<name>.*.tok.json, and
// checks that tokenizing each side as one stream reproduces the jar exactly.
void CheckSet(const std::string& name) {
  const std::string refs_rel = "golden/sets/" + name + ".refs.json";
  const std::string res_rel = "golden/sets/" + name + ".results.json";
  const std::string refs_tok_rel = "golden/tokenized/" + name + ".refs.tok.json";
  const std::string res_tok_rel = "golden/tokenized/" + name + ".results.tok.json";
  for (const std::string& rel : {refs_rel, res_rel, refs_tok_rel, res_tok_rel}) {
    if (SharedData(rel).empty()) GTEST_SKIP() << SharedMissing(rel);
  }
  auto load = [](const std::string& rel) {
    std::ifstream in(SharedData(rel));
    return nlohmann::json::parse(in);
  };
  nlohmann::json refs = load(refs_rel), res = load(res_rel);
  nlohmann::json refs_tok = load(refs_tok_rel), res_tok = load(res_tok_rel);

  // pycocoevalcap order: ascending image id, then annotation order.
  std::map<long, std::vector<std::string>> ref_caps, res_caps;
  for (const auto& a : refs["annotations"]) {
    ref_caps[a["image_id"].get<long>()].push_back(a["caption"].get<std::string>());
  }
  for (const auto& a : res) res_caps[a["image_id"].get<long>()].push_back(a["caption"].get<std::string>());

  auto check = [&](const std::map<long, std::vector<std::string>>& caps, const nlohmann::json& tok,
                   const char* side) {
    std::vector<std::string> stream;
    std::vector<std::pair<long, size_t>> where;
    for (const auto& [id, v] : caps) {
      for (size_t k = 0; k < v.size(); ++k) {
        stream.push_back(v[k]);
        where.emplace_back(id, k);
      }
    }
    std::vector<std::string> got = PtbTokenizeBatch(stream);
    ASSERT_EQ(got.size(), stream.size());
    size_t bad = 0;
    std::ostringstream report;
    for (size_t i = 0; i < got.size(); ++i) {
      auto [id, k] = where[i];
      std::string expected = tok[std::to_string(id)][k].get<std::string>();
      if (got[i] == expected) continue;
      if (++bad <= 20) {
        report << side << " image " << id << " #" << k << "\n  caption:  "
               << nlohmann::json(stream[i]).dump() << "\n  expected: " << expected
               << "\n  got:      " << got[i] << "\n";
      }
    }
    std::cout << "[ptb golden set " << name << "] " << side << ": " << got.size() - bad << "/"
              << got.size() << " lines match\n";
    EXPECT_EQ(bad, 0u) << report.str();
  };
  check(ref_caps, refs_tok, "refs");
  check(res_caps, res_tok, "results");
}

TEST(PtbTokenizerGolden, BatchSetA) { CheckSet("A_cand_laion_coco"); }
TEST(PtbTokenizerGolden, BatchSetB) { CheckSet("B_cand_laion_2b"); }
TEST(PtbTokenizerGolden, BatchSetC) { CheckSet("C_cand_laion_2b_plus_laion_coco"); }
TEST(PtbTokenizerGolden, BatchSetM) { CheckSet("M_multiref_cand_laion_2b"); }

}  // namespace
}  // namespace capsfusion

// ScoreTokenized against the golden pycocoevalcap numbers of
// ../shared/data/golden (4 sets of 1000 dev items). The inputs are the exact
// tokenized captions the Python scorers received.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "capsfusion/metrics.h"
#include "test_util.h"

namespace capsfusion {
namespace {

using nlohmann::json;
using testing::SharedData;
using testing::SharedMissing;

json LoadJson(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

// {"<image_id>": [captions]} -> per image id 0..n-1.
std::vector<std::vector<std::string>> ById(const json& j) {
  std::vector<std::vector<std::string>> out(j.size());
  for (auto it = j.begin(); it != j.end(); ++it) {
    const size_t id = std::stoul(it.key());
    if (id >= out.size()) out.resize(id + 1);
    out[id] = it.value().get<std::vector<std::string>>();
  }
  return out;
}

double Hex(const json& j) { return std::strtod(j.get<std::string>().c_str(), nullptr); }

// Exact form of a double for failure messages.
std::string Exact(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g (%a)", v, v);
  return buf;
}

class GoldenScoresTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenScoresTest, MatchesPycocoevalcapBitForBit) {
  const std::string rel = "golden/golden_scores.json";
  const std::string golden_path = SharedData(rel);
  if (golden_path.empty()) GTEST_SKIP() << SharedMissing(rel);
  const json golden = LoadJson(golden_path);
  const std::string set = GetParam();
  const json& g = golden.at("sets").at(set);

  const std::string refs_path = SharedData("golden/tokenized/" + set + ".refs.tok.json");
  const std::string res_path = SharedData("golden/tokenized/" + set + ".results.tok.json");
  ASSERT_FALSE(refs_path.empty());
  ASSERT_FALSE(res_path.empty());
  const auto refs = ById(LoadJson(refs_path));
  const auto res = ById(LoadJson(res_path));
  ASSERT_EQ(refs.size(), 1000u);
  ASSERT_EQ(res.size(), refs.size());
  std::vector<std::string> cands;
  for (const auto& r : res) {
    ASSERT_EQ(r.size(), 1u);
    cands.push_back(r[0]);
  }

  const CorpusScores s = ScoreTokenized(refs, cands);

  // Corpus: the README's rules are all followed, so every number is bit-exact.
  const json& c = g.at("corpus");
  const json& ch = g.at("corpus_hex");
  const char* bleu_names[4] = {"Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4"};
  for (int k = 0; k < 4; ++k) {
    EXPECT_EQ(s.corpus.bleu[k], c.at(bleu_names[k]).get<double>())
        << set << " " << bleu_names[k] << ": got " << Exact(s.corpus.bleu[k]);
    EXPECT_EQ(s.corpus.bleu[k], Hex(ch.at(bleu_names[k])));
  }
  EXPECT_EQ(s.corpus.rouge_l, c.at("ROUGE_L").get<double>()) << set << ": got " << Exact(s.corpus.rouge_l);
  EXPECT_EQ(s.corpus.rouge_l, Hex(ch.at("ROUGE_L")));
  EXPECT_EQ(s.corpus.cider_d, c.at("CIDEr").get<double>()) << set << ": got " << Exact(s.corpus.cider_d);
  EXPECT_EQ(s.corpus.cider_d, Hex(ch.at("CIDEr")));
  // The looser bound the brief asks for, reported separately for clarity.
  EXPECT_NEAR(s.corpus.cider_d, c.at("CIDEr").get<double>(), 1e-9);

  // BLEU totals.
  const json& t = g.at("bleu_totalcomps");
  EXPECT_EQ(s.bleu_totals.testlen, t.at("testlen").get<uint64_t>());
  EXPECT_EQ(s.bleu_totals.reflen, t.at("reflen").get<uint64_t>());
  for (int k = 0; k < 4; ++k) {
    EXPECT_EQ(s.bleu_totals.guess[k], t.at("guess")[k].get<uint64_t>());
    EXPECT_EQ(s.bleu_totals.correct[k], t.at("correct")[k].get<uint64_t>());
  }

  // Every item.
  const json& items = g.at("per_item");
  ASSERT_EQ(items.size(), s.per_item.size());
  int mismatches = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const json& it = items[i];
    ASSERT_EQ(it.at("image_id").get<size_t>(), i);
    const CaptionScores& p = s.per_item[i];
    bool ok = p.cider_d == it.at("CIDEr").get<double>() && p.cider_d == Hex(it.at("CIDEr_hex")) &&
              p.rouge_l == it.at("ROUGE_L").get<double>() && p.rouge_l == Hex(it.at("ROUGE_L_hex"));
    for (int k = 0; k < 4; ++k) ok = ok && p.bleu[k] == it.at(bleu_names[k]).get<double>();
    if (!ok && ++mismatches <= 5) {
      ADD_FAILURE() << set << " item " << i << ": got CIDEr " << Exact(p.cider_d) << " ROUGE_L "
                    << Exact(p.rouge_l) << " Bleu " << Exact(p.bleu[0]) << " " << Exact(p.bleu[1]) << " "
                    << Exact(p.bleu[2]) << " " << Exact(p.bleu[3]) << "; golden " << it.dump();
    }
  }
  EXPECT_EQ(mismatches, 0) << set;
}

INSTANTIATE_TEST_SUITE_P(Sets, GoldenScoresTest,
                         ::testing::Values("A_cand_laion_coco", "B_cand_laion_2b",
                                           "C_cand_laion_2b_plus_laion_coco",
                                           "M_multiref_cand_laion_2b"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param.substr(0, 1);
                         });

}  // namespace
}  // namespace capsfusion

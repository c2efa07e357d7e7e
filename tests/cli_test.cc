// End-to-end tests of the capsfusion binary: fuse baselines, eval, prompt, exit codes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/random_llama.h"
#include "test_util.h"

namespace capsfusion {
namespace {

using testing::BinaryDir;
using testing::ReadFile;
using testing::RunCommand;
using testing::TempDir;
using testing::WriteFile;

using testing::Cli;

using testing::ReadJsonl;

TEST(CliTest, HelpListsTheCommands) {
  std::string out;
  ASSERT_EQ(RunCommand(Cli() + " --help", &out), 0) << out;
  for (const char* cmd : {"fuse", "eval", "prompt"}) EXPECT_NE(out.find(cmd), std::string::npos) << cmd;
  EXPECT_EQ(RunCommand(Cli() + " fuse --help", &out), 0);
  EXPECT_NE(out.find("--method"), std::string::npos);
}

TEST(CliTest, UnknownCommandOrMissingArgsIsUsageError) {
  std::string out;
  EXPECT_EQ(RunCommand(Cli() + " frobnicate", &out), 2);
  EXPECT_EQ(RunCommand(Cli() + " fuse", &out), 2);
}

TEST(CliTest, FuseConcatPassesFieldsThroughAndRejectsBadRows) {
  TempDir dir;
  WriteFile(dir.File("in.jsonl"),
            "{\"id\": 7, \"laion_2b\": \"Tom &amp; Jerry  poster\", \"laion_coco\": \"a cartoon cat\", \"x\": [1, 2]}\n"
            "{\"laion_2b\": \"broken\n"
            "{\"laion_2b\": \"only raw\"}\n"
            "{\"laion_2b\": \"Paris\", \"laion_coco\": \"a city at night\"}\n");
  std::string out;
  int rc = RunCommand(Cli() + " fuse " + dir.File("in.jsonl") + " -o " + dir.File("out.jsonl") +
                          " --method concat --summary-json " + dir.File("sum.json"),
                      &out);
  ASSERT_EQ(rc, 0) << out;
  auto rows = ReadJsonl(dir.File("out.jsonl"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["capsfusion"], "Tom & Jerry poster a cartoon cat");
  EXPECT_EQ(rows[0]["id"], 7);
  EXPECT_EQ(rows[0]["x"], nlohmann::json::parse("[1, 2]"));
  EXPECT_EQ(rows[0]["laion_2b"], "Tom &amp; Jerry  poster");  // input fields untouched
  EXPECT_EQ(rows[1]["capsfusion"], "Paris a city at night");
  auto rejects = ReadJsonl(dir.File("out.jsonl.rejects.jsonl"));
  ASSERT_EQ(rejects.size(), 2u);
  EXPECT_NE(rejects[0]["origin"].get<std::string>().find("in.jsonl:2"), std::string::npos);
  EXPECT_NE(rejects[1]["reason"].get<std::string>().find("laion_coco"), std::string::npos);
  auto sum = nlohmann::json::parse(ReadFile(dir.File("sum.json")));
  EXPECT_EQ(sum["rows"], 4);
  EXPECT_EQ(sum["written"], 2);
  EXPECT_EQ(sum["rejected"], 2);

  EXPECT_EQ(RunCommand(Cli() + " fuse " + dir.File("in.jsonl") + " -o " + dir.File("o2.jsonl") + " --strict -q", &out), 3);
}

TEST(CliTest, FuseMissingInputFailsWithOneLine) {
  TempDir dir;
  std::string out;
  EXPECT_EQ(RunCommand(Cli() + " fuse " + dir.File("nope.json") + " -o " + dir.File("o.jsonl"), &out), 1);
  EXPECT_NE(out.find("nope.json"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
}

TEST(CliTest, FuseWritesCsv) {
  TempDir dir;
  WriteFile(dir.File("in.csv"), "laion_2b,laion_coco,n\n\"Big, \"\"Red\"\" Barn\",a barn,3\n");
  std::string out;
  ASSERT_EQ(RunCommand(Cli() + " fuse " + dir.File("in.csv") + " -o " + dir.File("out.csv") + " -m raw", &out), 0) << out;
  EXPECT_EQ(ReadFile(dir.File("out.csv")), "laion_2b,laion_coco,n,capsfusion\n\"Big, \"\"Red\"\" Barn\",a barn,3,\"Big, \"\"Red\"\" Barn\"\n");
}

TEST(CliTest, PromptPrintsThePaperPrompt) {
  std::string out;
  ASSERT_EQ(RunCommand(Cli() + " prompt --raw ' Nike Air Max ' --synthetic 'a shoe'", &out), 0) << out;
  EXPECT_NE(out.find("Avoid simply concatenating the sentences.\n\nSentence 1: Nike Air Max\nSentence 2: a shoe\nNew Sentence:"),
            std::string::npos)
      << out;
}

TEST(CliTest, EvalOnExamplesPrintsJsonKeys) {
  TempDir dir;
  std::string out;
  std::string sample = testing::SourceDir() + "/examples/sample.jsonl";
  ASSERT_EQ(RunCommand(Cli() + " fuse " + sample + " -o " + dir.File("f.jsonl") + " -q", &out), 0) << out;
  ASSERT_EQ(RunCommand(Cli() + " eval " + dir.File("f.jsonl") + " --reference-field reference --json 2>/dev/null", &out), 0) << out;
  auto j = nlohmann::json::parse(out);
  for (const char* k : {"bleu_1", "bleu_2", "bleu_3", "bleu_4", "rouge_l", "cider_d"}) {
    ASSERT_TRUE(j.contains(k)) << k;
    EXPECT_GT(j[k].get<double>(), 0.0) << k;
  }
  EXPECT_EQ(j["items"], 12);
}

// The golden sets of pycocoevalcap 1.2, scored through the CLI's COCO input path.
TEST(CliTest, EvalCocoFilesMatchPycocoevalcapGolden) {
  std::string golden = testing::SharedData("golden/golden_scores.json");
  if (golden.empty()) GTEST_SKIP() << testing::SharedMissing("golden/golden_scores.json");
  auto g = nlohmann::json::parse(ReadFile(golden));
  const std::vector<std::string> sets = {"A_cand_laion_coco", "B_cand_laion_2b", "C_cand_laion_2b_plus_laion_coco",
                                         "M_multiref_cand_laion_2b"};
  for (const std::string& set : sets) {
    std::string base = testing::SharedData("golden/sets") + "/" + set;
    std::string out;
    ASSERT_EQ(RunCommand(Cli() + " eval --coco-results " + base + ".results.json --coco-annotations " + base +
                             ".refs.json --json",
                         &out),
              0)
        << out;
    auto j = nlohmann::json::parse(out);
    const auto& corpus = g["sets"][set]["corpus"];
    EXPECT_NEAR(j["bleu_1"].get<double>(), corpus["Bleu_1"].get<double>(), 1e-9) << set;
    EXPECT_NEAR(j["bleu_2"].get<double>(), corpus["Bleu_2"].get<double>(), 1e-9) << set;
    EXPECT_NEAR(j["bleu_3"].get<double>(), corpus["Bleu_3"].get<double>(), 1e-9) << set;
    EXPECT_NEAR(j["bleu_4"].get<double>(), corpus["Bleu_4"].get<double>(), 1e-9) << set;
    EXPECT_NEAR(j["rouge_l"].get<double>(), corpus["ROUGE_L"].get<double>(), 1e-9) << set;
    EXPECT_NEAR(j["cider_d"].get<double>(), corpus["CIDEr"].get<double>(), 1e-9) << set;
  }
}

}  // namespace
}  // namespace capsfusion

namespace capsfusion {
namespace {

// fuse --method model through the engine: every row gets a caption, a prompt
// that cannot fit is a per-row reject, and batching does not change the output.
TEST(CliModelTest, FuseWithAModelIsCompleteAndBatchIndependent) {
  TempDir dir;
  engine::RandomLlamaConfig cfg;
  cfg.n_ctx = 512;
  ASSERT_TRUE(engine::MakeRandomLlama(cfg).Write(dir.File("m.gguf")).ok());
  std::string rows;
  for (int i = 0; i < 7; ++i) {
    rows += "{\"laion_2b\": \"the cat " + std::to_string(i) + "\", \"laion_coco\": \"a dog on a mat\"}\n";
  }
  WriteFile(dir.File("in.jsonl"), rows);
  WriteFile(dir.File("t.txt"), "Sentence 1: {raw}\nSentence 2: {synthetic}\nNew Sentence:\n");
  std::string out;
  std::string base = Cli() + " fuse " + dir.File("in.jsonl") + " --method model --model " + dir.File("m.gguf") +
                     " --template " + dir.File("t.txt") + " --max-new-tokens 6 -q --threads 1";
  ASSERT_EQ(RunCommand(base + " -o " + dir.File("a.jsonl") + " --batch-size 3", &out), 0) << out;
  ASSERT_EQ(RunCommand(base + " -o " + dir.File("b.jsonl") + " --batch-size 1", &out), 0) << out;
  auto a = ReadJsonl(dir.File("a.jsonl"));
  auto b = ReadJsonl(dir.File("b.jsonl"));
  ASSERT_EQ(a.size(), 7u);
  ASSERT_EQ(b.size(), 7u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(a[i]["capsfusion"].is_string());
    EXPECT_EQ(a[i]["capsfusion"], b[i]["capsfusion"]) << i;
    EXPECT_EQ(a[i]["laion_2b"], "the cat " + std::to_string(i));
  }

  // A budget smaller than the template itself: every row is rejected with the reason.
  EXPECT_EQ(RunCommand(base + " -o " + dir.File("c.jsonl") + " --max-prompt-tokens 5", &out), 0) << out;
  auto rejects = ReadJsonl(dir.File("c.jsonl.rejects.jsonl"));
  ASSERT_EQ(rejects.size(), 7u);
  EXPECT_NE(rejects[0]["reason"].get<std::string>().find("budget"), std::string::npos);

  // A missing model file is a one-line failure.
  EXPECT_EQ(RunCommand(Cli() + " fuse " + dir.File("in.jsonl") + " -o " + dir.File("d.jsonl") +
                           " --method model --model " + dir.File("none.gguf"),
                       &out),
            1);
  EXPECT_NE(out.find("none.gguf"), std::string::npos) << out;
}

//! A random model file m.gguf (with the given metadata), a one-row input and a
//! template in a temporary directory, for fuse runs with a model.
struct ModelFuseRun {
  explicit ModelFuseRun(const std::vector<std::pair<std::string, gguf::Value>>& keys = {}) {
    engine::RandomLlamaConfig cfg;
    cfg.n_ctx = 512;
    engine::GgufSpec spec = engine::MakeRandomLlama(cfg);
    for (const auto& [key, value] : keys) spec.Set(key, value);
    EXPECT_TRUE(spec.Write(dir.File("m.gguf")).ok());
    WriteFile(dir.File("in.jsonl"), "{\"laion_2b\": \"the cat\", \"laion_coco\": \"a dog on a mat\"}\n");
    WriteFile(dir.File("t.txt"), "Sentence 1: {raw}\nSentence 2: {synthetic}\nNew Sentence:\n");
  }
  //! The fuse command line with `model` (in the directory), to which -o and flags are added.
  std::string Base(const std::string& model = "m.gguf") const {
    return Cli() + " fuse " + dir.File("in.jsonl") + " --method model --model " + dir.File(model) + " --template " +
           dir.File("t.txt") + " --max-new-tokens 4 -q --threads 1";
  }
  //! The provenance in the summary of output `name`.
  nlohmann::json Provenance(const std::string& name) const {
    return nlohmann::json::parse(ReadFile(dir.File(name) + ".summary.json"))["provenance"];
  }
  TempDir dir;
};

// A model file that names its tuned beam width gets it unless --num-beams is
// given; QC asks beam search for the other beams (provenance records both).
TEST(CliModelTest, FuseUsesTheModelsBeamWidthUnlessTold) {
  ModelFuseRun run({{"capsfusion.decoding.num_beams", gguf::Value::Uint32(4)}});
  const TempDir& dir = run.dir;
  const std::string base = run.Base();
  auto decoding = [&](const std::string& name) { return run.Provenance(name)["decoding"]; };
  std::string out;
  ASSERT_EQ(RunCommand(base + " -o " + dir.File("a.jsonl"), &out), 0) << out;
  EXPECT_EQ(decoding("a.jsonl")["num_beams"], 4);
  EXPECT_EQ(decoding("a.jsonl")["num_return_sequences"], 4);
  ASSERT_EQ(RunCommand(base + " -o " + dir.File("b.jsonl") + " --num-beams 2 --qc-alternatives 0", &out), 0) << out;
  EXPECT_EQ(decoding("b.jsonl")["num_beams"], 2);
  EXPECT_EQ(decoding("b.jsonl")["num_return_sequences"], 1);
  ASSERT_EQ(RunCommand(base + " -o " + dir.File("c.jsonl") + " --no-qc", &out), 0) << out;
  EXPECT_EQ(decoding("c.jsonl")["num_return_sequences"], 1);
  // Sampling decodes one sequence per row (and per retry) unless told otherwise.
  ASSERT_EQ(RunCommand(base + " -o " + dir.File("d.jsonl") + " --temperature 0.7 --seed 3", &out), 0) << out;
  EXPECT_EQ(decoding("d.jsonl")["num_beams"], 1);
  EXPECT_EQ(run.Provenance("d.jsonl")["retry_decoding"]["num_beams"], 1);
  EXPECT_EQ(RunCommand(base + " -o " + dir.File("e.jsonl") + " --temperature 0.7 --num-beams 2", &out), 1) << out;
  // No tuned length penalty or span continuation: the defaults (span continuation off).
  EXPECT_EQ(decoding("a.jsonl")["length_penalty"], 2.0);
  EXPECT_FALSE(decoding("a.jsonl").contains("span_bonus"));
}

// set-decoding shows a file's tuned settings, stores new ones, and fuse follows them.
TEST(CliModelTest, SetDecodingStoresWhatFuseUses) {
  ModelFuseRun run;
  const TempDir& dir = run.dir;
  std::string out;
  ASSERT_EQ(RunCommand(Cli() + " set-decoding " + dir.File("m.gguf"), &out), 0) << out;
  EXPECT_NE(out.find("no tuned decoding settings"), std::string::npos) << out;
  ASSERT_EQ(RunCommand(Cli() + " set-decoding " + dir.File("m.gguf") + " -o " + dir.File("t.gguf") +
                           " --num-beams 2 --span-bonus 1.5 --span-min-match 2",
                       &out),
            0)
      << out;
  ASSERT_EQ(RunCommand(Cli() + " set-decoding " + dir.File("t.gguf"), &out), 0) << out;
  EXPECT_NE(out.find("capsfusion.decoding.num_beams 2"), std::string::npos) << out;
  EXPECT_NE(out.find("capsfusion.decoding.span_bonus 1.5"), std::string::npos) << out;
  EXPECT_NE(out.find("capsfusion.decoding.span_min_match 2"), std::string::npos) << out;
  ASSERT_EQ(RunCommand(run.Base("t.gguf") + " -o " + dir.File("f.jsonl"), &out), 0) << out;
  auto d = run.Provenance("f.jsonl")["decoding"];
  EXPECT_EQ(d["num_beams"], 2);
  EXPECT_EQ(d["span_bonus"], 1.5);
  EXPECT_EQ(d["span_min_match"], 2);
  // Bad values are usage errors; a broken file is a one-line failure naming it.
  EXPECT_EQ(RunCommand(Cli() + " set-decoding " + dir.File("m.gguf") + " --span-min-match 0", &out), 2) << out;
  WriteFile(dir.File("junk.gguf"), "junk");
  EXPECT_EQ(RunCommand(Cli() + " set-decoding " + dir.File("junk.gguf") + " --span-bonus 1", &out), 1) << out;
  EXPECT_NE(out.find("junk.gguf"), std::string::npos) << out;
}

// The same for the tuned length penalty and span continuation; the command line wins.
TEST(CliModelTest, FuseUsesTheModelsTunedDecodingUnlessTold) {
  ModelFuseRun run({{"capsfusion.decoding.length_penalty", gguf::Value::Float32(2.5f)},
                    {"capsfusion.decoding.span_bonus", gguf::Value::Float32(1.5f)},
                    {"capsfusion.decoding.span_min_match", gguf::Value::Uint32(4)}});
  const TempDir& dir = run.dir;
  const std::string base = run.Base();
  auto provenance = [&](const std::string& name) { return run.Provenance(name); };
  std::string out;
  ASSERT_EQ(RunCommand(base + " -o " + dir.File("a.jsonl"), &out), 0) << out;
  for (const char* which : {"decoding", "retry_decoding"}) {
    auto d = provenance("a.jsonl")[which];
    EXPECT_EQ(d["length_penalty"], 2.5) << which;
    EXPECT_EQ(d["span_bonus"], 1.5) << which;
    EXPECT_EQ(d["span_min_match"], 4) << which;
  }
  ASSERT_EQ(RunCommand(base + " -o " + dir.File("b.jsonl") + " --length-penalty 1 --span-bonus 0", &out), 0) << out;
  for (const char* which : {"decoding", "retry_decoding"}) {
    auto d = provenance("b.jsonl")[which];
    EXPECT_EQ(d["length_penalty"], 1.0) << which;
    EXPECT_FALSE(d.contains("span_bonus")) << which;
  }
  ASSERT_EQ(RunCommand(base + " -o " + dir.File("c.jsonl") + " --span-min-match 2", &out), 0) << out;
  EXPECT_EQ(provenance("c.jsonl")["decoding"]["span_min_match"], 2);
  EXPECT_EQ(provenance("c.jsonl")["decoding"]["span_bonus"], 1.5);
  EXPECT_EQ(RunCommand(base + " -o " + dir.File("d.jsonl") + " --span-bonus -1", &out), 2) << out;  // a usage error
}

// Adjacent repeats: off for the first decoding unless asked, 2 tokens for
// retries (which QC asks for when a word is written twice in a row).
TEST(CliModelTest, FuseRecordsTheAdjacentRepeatBan) {
  ModelFuseRun run;
  const TempDir& dir = run.dir;
  const std::string base = run.Base();
  std::string out;
  ASSERT_EQ(RunCommand(base + " -o " + dir.File("a.jsonl"), &out), 0) << out;
  EXPECT_FALSE(run.Provenance("a.jsonl")["decoding"].contains("no_adjacent_repeat"));
  EXPECT_EQ(run.Provenance("a.jsonl")["retry_decoding"]["no_adjacent_repeat"], 2);
  ASSERT_EQ(RunCommand(base + " -o " + dir.File("b.jsonl") + " --no-adjacent-repeat 3 --retry-no-adjacent-repeat 0",
                       &out),
            0)
      << out;
  EXPECT_EQ(run.Provenance("b.jsonl")["decoding"]["no_adjacent_repeat"], 3);
  EXPECT_FALSE(run.Provenance("b.jsonl")["retry_decoding"].contains("no_adjacent_repeat"));
  EXPECT_EQ(RunCommand(base + " -o " + dir.File("c.jsonl") + " --no-adjacent-repeat 33", &out), 2) << out;
}

// set-decoding fits and stores the expected length; fuse takes the length
// choice from the model (asking for every beam, even without QC) unless told.
TEST(CliModelTest, TheLengthChoiceIsFittedStoredAndUsed) {
  ModelFuseRun run;
  const TempDir& dir = run.dir;
  std::string rows;
  for (int i = 1; i <= 12; ++i) {
    std::string r, s, f;
    for (int k = 0; k < 2 * (i % 5) + 1; ++k) r += "r ";
    for (int k = 0; k < i % 3 + 1; ++k) s += "s ";
    for (int k = 0; k < 3 + 2 * (2 * (i % 5) + 1) + (i % 3 + 1); ++k) f += "f ";  // 3 + 2 raw + 1 synthetic
    rows += "{\"laion_2b\": \"" + r + "\", \"laion_coco\": \"" + s + "\", \"fused\": \"" + f + "\"}\n";
  }
  rows += "{\"laion_2b\": \"r\", \"laion_coco\": \"s\"}\n";  // no target: left out
  WriteFile(dir.File("fit.jsonl"), rows);
  std::string out;
  ASSERT_EQ(RunCommand(Cli() + " set-decoding " + dir.File("m.gguf") + " -o " + dir.File("l.gguf") +
                           " --fit-expected-length " + dir.File("fit.jsonl") + " --target-field fused" +
                           " --min-length-ratio 0.7",
                       &out),
            0)
      << out;
  EXPECT_NE(out.find("fitted on 12 rows: words = 3.000 + 2.000 x raw + 1.000 x synthetic"), std::string::npos) << out;
  EXPECT_NE(out.find("1 rows without a readable 'fused'"), std::string::npos) << out;
  ASSERT_EQ(RunCommand(run.Base("l.gguf") + " -o " + dir.File("a.jsonl") + " --num-beams 3 --no-qc", &out), 0) << out;
  auto p = run.Provenance("a.jsonl");
  EXPECT_EQ(p["length_choice"]["min_length_ratio"].get<double>(), 0.699999988079071);
  EXPECT_NEAR(p["length_choice"]["expected_length"][1].get<double>(), 2.0, 1e-5);
  EXPECT_EQ(p["decoding"]["num_return_sequences"], 3);
  // Off on the command line; or set there for a model without it.
  ASSERT_EQ(RunCommand(run.Base("l.gguf") + " -o " + dir.File("b.jsonl") + " --min-length-ratio 0", &out), 0) << out;
  EXPECT_FALSE(run.Provenance("b.jsonl").contains("length_choice"));
  ASSERT_EQ(RunCommand(run.Base() + " -o " + dir.File("c.jsonl") + " --min-length-ratio 0.8 --expected-length 1,2,3",
                       &out),
            0)
      << out;
  EXPECT_EQ(run.Provenance("c.jsonl")["length_choice"]["expected_length"], (nlohmann::json{1.0, 2.0, 3.0}));
  // A ratio without an expected length, or a malformed one, is a usage error.
  EXPECT_EQ(RunCommand(run.Base() + " -o " + dir.File("d.jsonl") + " --min-length-ratio 0.8", &out), 2) << out;
  EXPECT_NE(out.find("--expected-length"), std::string::npos) << out;
  EXPECT_EQ(RunCommand(run.Base() + " -o " + dir.File("e.jsonl") + " --expected-length 1,2", &out), 2) << out;
  EXPECT_EQ(RunCommand(Cli() + " set-decoding " + dir.File("m.gguf") + " --min-length-ratio 0.5", &out), 2) << out;
  // Too little data to fit is a failure naming the cause.
  WriteFile(dir.File("tiny.jsonl"), "{\"laion_2b\": \"r\", \"laion_coco\": \"s\", \"fused\": \"f\"}\n");
  EXPECT_EQ(RunCommand(Cli() + " set-decoding " + dir.File("m.gguf") + " --fit-expected-length " +
                           dir.File("tiny.jsonl") + " --target-field fused",
                       &out),
            1)
      << out;
  EXPECT_NE(out.find("at least 3 rows"), std::string::npos) << out;
}

// The consensus choice among beams: stored by set-decoding, used by fuse
// (asking for every beam, recorded in provenance and the resume fingerprint),
// overridden on the command line.
TEST(CliModelTest, TheConsensusBeamChoiceIsStoredAndUsed) {
  ModelFuseRun run;
  const TempDir& dir = run.dir;
  std::string out;
  ASSERT_EQ(RunCommand(Cli() + " set-decoding " + dir.File("m.gguf") + " -o " + dir.File("c.gguf") +
                           " --beam-choice consensus --consensus-source-weight 0.5",
                       &out),
            0)
      << out;
  EXPECT_NE(out.find("capsfusion.decoding.beam_choice \"consensus\""), std::string::npos) << out;
  EXPECT_NE(out.find("capsfusion.decoding.consensus_source_weight 0.5"), std::string::npos) << out;
  ASSERT_EQ(RunCommand(run.Base("c.gguf") + " -o " + dir.File("a.jsonl") + " --num-beams 3 --no-qc", &out), 0) << out;
  auto p = run.Provenance("a.jsonl");
  EXPECT_EQ(p["beam_choice"]["choice"], "consensus");
  EXPECT_EQ(p["beam_choice"]["source_weight"], 0.5);
  EXPECT_EQ(p["decoding"]["num_return_sequences"], 3);
  // The same output with the other choice is another run: refused without --overwrite.
  EXPECT_NE(RunCommand(run.Base("c.gguf") + " -o " + dir.File("a.jsonl") + " --num-beams 3 --no-qc --beam-choice model",
                       &out),
            0);
  EXPECT_NE(out.find("beam_choice"), std::string::npos) << out;
  // The command line wins; a model without the setting uses the model's order.
  ASSERT_EQ(RunCommand(run.Base("c.gguf") + " -o " + dir.File("b.jsonl") + " --beam-choice model", &out), 0) << out;
  EXPECT_FALSE(run.Provenance("b.jsonl").contains("beam_choice"));
  ASSERT_EQ(RunCommand(run.Base() + " -o " + dir.File("d.jsonl") + " --num-beams 2 --beam-choice consensus" +
                           " --consensus-source-weight 2",
                       &out),
            0)
      << out;
  EXPECT_EQ(run.Provenance("d.jsonl")["beam_choice"]["source_weight"], 2.0);
  // Bad values are usage errors.
  EXPECT_EQ(RunCommand(run.Base() + " -o " + dir.File("e.jsonl") + " --beam-choice best", &out), 2) << out;
  EXPECT_EQ(RunCommand(run.Base() + " -o " + dir.File("e.jsonl") + " --consensus-source-weight -1", &out), 2) << out;
  EXPECT_EQ(RunCommand(Cli() + " set-decoding " + dir.File("m.gguf") + " --beam-choice best", &out), 2) << out;
}

}  // namespace
}  // namespace capsfusion

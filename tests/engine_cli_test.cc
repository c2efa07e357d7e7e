// `capsfusion generate` end to end on a tiny random model (skipped when the CLI
// binary has not been built).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "capsfusion/engine.h"
#include "engine/random_llama.h"
#include "test_util.h"

namespace capsfusion {
namespace {

using testing::Cli;

bool HaveCli() {
  struct stat st {};
  return stat(Cli().c_str(), &st) == 0;
}

TEST(EngineCliTest, GenerateWritesOneJsonObjectPerPrompt) {
  if (!HaveCli()) GTEST_SKIP() << "build/capsfusion is not built";
  testing::TempDir dir;
  const std::string model = dir.File("m.gguf");
  ASSERT_TRUE(engine::MakeRandomLlama(engine::RandomLlamaConfig()).Write(model).ok());
  testing::WriteFile(dir.File("p.jsonl"), "\"a photo of a dog\"\n{\"prompt\": \"two cats\\non a sofa\"}\n");
  std::string out;
  const std::string cmd = Cli() + " generate --model " + model + " --prompt 'New image' --prompts-file " +
                          dir.File("p.jsonl") + " --max-new-tokens 6 --num-beams 2 --num-return-sequences 2 --json" +
                          " --threads 2";
  ASSERT_EQ(testing::RunCommand(cmd, &out), 0) << out;
  std::istringstream lines(out);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '{') continue;  // the summary on stderr
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["index"], n);
    EXPECT_LE(j["new_tokens"].get<int>(), 6);
    EXPECT_TRUE(j["finish_reason"] == "stop" || j["finish_reason"] == "length");
    // The second beam, when it finished too.
    if (j.contains("alternatives")) {
      ASSERT_EQ(j["alternatives"].size(), 1u);
      EXPECT_LE(j["alternatives"][0]["logprob"].get<double>(), 0.0);
      EXPECT_TRUE(j["alternatives"][0]["text"].is_string());
    }
    ++n;
  }
  EXPECT_EQ(n, 3);
}

// --tokenize prints the ids Generate feeds the model: BOS, then the prompt's.
TEST(EngineCliTest, TokenizePrintsThePromptIds) {
  if (!HaveCli()) GTEST_SKIP() << "build/capsfusion is not built";
  testing::TempDir dir;
  const std::string model = dir.File("m.gguf");
  ASSERT_TRUE(engine::MakeRandomLlama(engine::RandomLlamaConfig()).Write(model).ok());
  ModelOptions mo;
  mo.threads = 1;
  mo.hash_file = false;
  auto m = Model::Load(model, mo);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const std::vector<std::string> prompts = {"a photo of a dog", "Zürich 2019"};
  std::string want_text, want_json;
  for (size_t i = 0; i < prompts.size(); ++i) {
    const std::vector<int32_t> ids = (*m)->PromptTokens(prompts[i]);
    EXPECT_EQ(ids, (*m)->tokenizer().Encode(prompts[i], true));
    ASSERT_GT(ids.size(), 1u);
    EXPECT_EQ(ids[0], (*m)->tokenizer().bos_id());
    std::string line;
    for (int32_t id : ids) line += (line.empty() ? "" : " ") + std::to_string(id);
    want_text += line + "\n";
    want_json += nlohmann::json({{"index", i}, {"tokens", ids}}).dump() + "\n";
  }
  const std::string cmd = Cli() + " generate --model " + model + " --prompt 'a photo of a dog' --prompt 'Zürich 2019'" +
                          " --tokenize";
  std::string out;
  ASSERT_EQ(testing::RunCommand(cmd, &out), 0) << out;
  EXPECT_EQ(out, want_text);
  ASSERT_EQ(testing::RunCommand(cmd + " --json", &out), 0) << out;
  EXPECT_EQ(out, want_json);
}

TEST(EngineCliTest, ErrorsAreReportedWithTheirCause) {
  if (!HaveCli()) GTEST_SKIP() << "build/capsfusion is not built";
  testing::TempDir dir;
  std::string out;
  EXPECT_EQ(testing::RunCommand(Cli() + " generate --model " + dir.File("missing.gguf") + " --prompt x 2>&1", &out),
            1);
  EXPECT_NE(out.find("capsfusion generate: error:"), std::string::npos) << out;
  EXPECT_NE(out.find("missing.gguf"), std::string::npos) << out;
  const std::string model = dir.File("m.gguf");
  ASSERT_TRUE(engine::MakeRandomLlama(engine::RandomLlamaConfig()).Write(model).ok());
  EXPECT_EQ(testing::RunCommand(Cli() + " generate --model " + model + " --prompt x --top-p 0 2>&1", &out), 1);
  EXPECT_NE(out.find("top_p"), std::string::npos) << out;
  EXPECT_EQ(testing::RunCommand(Cli() + " generate --model " + model + " 2>&1", &out), 1);
  EXPECT_NE(out.find("no prompts"), std::string::npos) << out;
}

}  // namespace
}  // namespace capsfusion

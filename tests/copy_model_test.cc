// The capsfusion-copy architecture on the shipped model: its logits do not
// depend on the thread count, on how sequences are batched, or on packing.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "engine/architecture.h"
#include "engine/kv_cache.h"
#include "engine/thread_pool.h"
#include "gguf/gguf.h"
#include "test_util.h"

namespace capsfusion::engine {
namespace {

struct Loaded {
  std::unique_ptr<gguf::GgufFile> file;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<LanguageModel> lm;
};

Loaded Load(int threads, bool pack) {
  Loaded m;
  auto file = gguf::GgufFile::Open(testing::SourceDir() + "/models/capsfusion-default.gguf");
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  m.file = std::move(*file);
  m.pool = std::make_unique<ThreadPool>(threads);
  ArchitectureOptions o;
  o.pool = m.pool.get();
  o.pack_weights = pack;
  auto lm = LoadLanguageModel(*m.file, o);
  EXPECT_TRUE(lm.ok()) << lm.status().ToString();
  m.lm = std::move(*lm);
  return m;
}

// Logits of every position of each prompt; all prompts in one call, or one call each.
std::vector<float> AllLogits(LanguageModel* lm, const std::vector<std::vector<int32_t>>& prompts, bool together) {
  KvCache cache(lm->kv_cache_config());
  std::vector<float> all, logits;
  std::vector<BatchToken> batch;
  for (const auto& p : prompts) {
    const int seq = cache.NewSequence();
    for (size_t i = 0; i < p.size(); ++i) batch.push_back({p[i], seq, static_cast<int32_t>(i), true});
    if (!together) {
      EXPECT_TRUE(lm->Forward(batch, &cache, &logits).ok());
      all.insert(all.end(), logits.begin(), logits.end());
      batch.clear();
    }
  }
  if (together) {
    EXPECT_TRUE(lm->Forward(batch, &cache, &all).ok());
  }
  return all;
}

TEST(CopyModelTest, LogitsDoNotDependOnThreadsBatchingOrPacking) {
  Loaded one = Load(1, true), two = Load(2, true), unpacked = Load(2, false);
  ASSERT_TRUE(one.lm && two.lm && unpacked.lm);
  const uint32_t V = one.lm->shape().n_vocab;
  std::mt19937 rng(11);
  std::vector<std::vector<int32_t>> prompts;
  for (int len : {9, 20, 33}) {
    std::vector<int32_t> p;
    for (int i = 0; i < len; ++i) p.push_back(static_cast<int32_t>(3 + rng() % (V - 3)));
    prompts.push_back(p);
  }
  const std::vector<float> want = AllLogits(two.lm.get(), prompts, true);
  ASSERT_EQ(want.size(), static_cast<size_t>(9 + 20 + 33) * V);
  const std::vector<float> single_thread = AllLogits(one.lm.get(), prompts, true);
  const std::vector<float> separate = AllLogits(two.lm.get(), prompts, false);
  const std::vector<float> view_only = AllLogits(unpacked.lm.get(), prompts, true);
  EXPECT_EQ(0, std::memcmp(want.data(), single_thread.data(), want.size() * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(want.data(), separate.data(), want.size() * sizeof(float)));
  // The shipped model is Q8_0: packed and file layouts give the same bits.
  EXPECT_EQ(0, std::memcmp(want.data(), view_only.data(), want.size() * sizeof(float)));
}

}  // namespace
}  // namespace capsfusion::engine

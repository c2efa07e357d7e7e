// Grouped attention (attention_group.h) gives the same bits as attending one
// query at a time: prompts attended token by token, beams that share a prompt
// and own diverging tails, unrelated sequences, GQA, F16 and F32 caches.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "engine/attention.h"
#include "engine/kv_cache.h"
#include "engine/thread_pool.h"

namespace capsfusion::engine {
namespace {

struct Batch {
  std::vector<int32_t> seq, pos;
};

class AttentionGroupTest : public ::testing::TestWithParam<std::tuple<KvType, int, int>> {};

TEST_P(AttentionGroupTest, GroupedEqualsOneQueryAtATime) {
  const auto [type, head_dim, group] = GetParam();
  const int n_kv_head = 2;
  AttentionShape shape{n_kv_head * group, n_kv_head, head_dim, 1.0f / std::sqrt(static_cast<float>(head_dim))};
  KvCache cache(KvCacheConfig{type, 1, n_kv_head, head_dim, 16, 0});
  std::mt19937 rng(static_cast<uint32_t>(head_dim * 10 + group));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> k(n_kv_head * head_dim), v(n_kv_head * head_dim);
  auto append = [&](int s, int n) {
    const int len = cache.length(s);
    ASSERT_TRUE(cache.Reserve(s, len + n).ok());
    for (int p = len; p < len + n; ++p) {
      for (float& x : k) x = normal(rng);
      for (float& x : v) x = normal(rng);
      StoreKv(cache, 0, s, p, k.data(), v.data());
    }
    cache.SetLength(s, len + n);
  };
  // A prompt of 70 positions; three beams forked from it with their own tails
  // (the partial last block is copied on write); an unrelated sequence.
  const int prompt = cache.NewSequence();
  append(prompt, 70);
  std::vector<int> beams;
  for (int b = 0; b < 3; ++b) {
    beams.push_back(cache.Fork(prompt));
    append(beams.back(), 5 + 12 * b);
  }
  const int other = cache.NewSequence();
  append(other, 33);

  Batch batch;
  for (int p = 41; p < 70; ++p) batch.seq.push_back(prompt), batch.pos.push_back(p);  // a prompt's tokens
  for (int b = 0; b < 3; ++b) batch.seq.push_back(beams[b]), batch.pos.push_back(cache.length(beams[b]) - 1);
  batch.seq.push_back(other), batch.pos.push_back(32);
  for (int p = 0; p < 9; ++p) batch.seq.push_back(other), batch.pos.push_back(p);
  batch.seq.push_back(beams[2]), batch.pos.push_back(3);  // a beam's early position
  const int64_t n = static_cast<int64_t>(batch.seq.size());
  int32_t max_pos = 0;
  for (int32_t p : batch.pos) max_pos = std::max(max_pos, p);

  const size_t width = static_cast<size_t>(shape.n_head) * head_dim;
  std::vector<float> q(n * width);
  for (float& x : q) x = normal(rng);
  ThreadPool pool(2);
  std::vector<float> one(n * width), grouped(n * width), grouped_serial(n * width);
  SetOneQueryAttentionForTesting(true);
  AttendBatch(cache, 0, shape, q.data(), batch.seq.data(), batch.pos.data(), n, max_pos, one.data(), &pool);
  SetOneQueryAttentionForTesting(false);
  AttendBatch(cache, 0, shape, q.data(), batch.seq.data(), batch.pos.data(), n, max_pos, grouped.data(), &pool);
  AttendBatch(cache, 0, shape, q.data(), batch.seq.data(), batch.pos.data(), n, max_pos, grouped_serial.data(),
              nullptr);
  for (int64_t t = 0; t < n; ++t) {
    ASSERT_EQ(std::memcmp(one.data() + t * width, grouped.data() + t * width, width * sizeof(float)), 0)
        << "token " << t << " (seq " << batch.seq[t] << ", pos " << batch.pos[t] << ")";
  }
  EXPECT_EQ(std::memcmp(grouped.data(), grouped_serial.data(), grouped.size() * sizeof(float)), 0);
  for (float x : grouped) ASSERT_TRUE(std::isfinite(x));
}

INSTANTIATE_TEST_SUITE_P(Shapes, AttentionGroupTest,
                         ::testing::Values(std::make_tuple(KvType::kF16, 32, 1), std::make_tuple(KvType::kF16, 64, 2),
                                           std::make_tuple(KvType::kF32, 32, 4), std::make_tuple(KvType::kF32, 48, 1),
                                           std::make_tuple(KvType::kF16, 16, 8)));

}  // namespace
}  // namespace capsfusion::engine

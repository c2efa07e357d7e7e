// The copy head's kernels: the vector scan of a sequence's sources gives the
// same bits as the plain loop, and the double-precision exp sum stays within
// 1e-15 of a long double reference.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "engine/copy_sources.h"
#include "engine/kv_cache.h"
#include "engine/vec_exp.h"
#include "gguf/tensor_types.h"

namespace capsfusion::engine {
namespace {

//! A cache with one copy layer (layer 1 of 2) holding `len` random positions
//! of one sequence; about half of them are sources.
struct CopyCache {
  KvCache cache;
  int seq = 0;
  CopyCache(KvType type, int n_kv_head, int head_dim, int len, uint32_t seed)
      : cache(KvCacheConfig{type, 2, n_kv_head, head_dim, 16, 0}) {
    seq = cache.NewSequence();
    EXPECT_TRUE(cache.Reserve(seq, len).ok());
    cache.SetLength(seq, len);
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    const bool f16 = type == KvType::kF16;
    auto put = [&](void* base, size_t i, float v) {
      if (f16) {
        static_cast<uint16_t*>(base)[i] = gguf::Fp32ToFp16(v);
      } else {
        static_cast<float*>(base)[i] = v;
      }
    };
    for (int p = 0; p < len; ++p) {
      const int32_t block = cache.blocks(seq)[p / 16];
      const int r = p % 16;
      const bool source = rng() % 2 == 0;
      const int id = static_cast<int>(rng() % 5000);
      for (int h = 0; h < n_kv_head; ++h) {
        for (int d = 0; d < head_dim; ++d) {
          put(cache.keys(block, 1, h), static_cast<size_t>(d) * 16 + r, source ? normal(rng) : 0.0f);
          put(cache.values(block, 1, h), static_cast<size_t>(r) * head_dim + d, 0.0f);
        }
      }
      void* v = cache.values(block, 1, 0);
      const size_t at = static_cast<size_t>(r) * head_dim;
      put(v, at + 0, source ? 1.0f : 0.0f);
      put(v, at + 2, std::floor(id / kCopyIdBase));
      put(v, at + 3, static_cast<float>(id % 2048));
    }
  }
};

TEST(CopySourcesTest, VectorScanIsBitIdenticalToThePlainLoop) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (KvType type : {KvType::kF16, KvType::kF32}) {
    for (int head_dim : {4, 16, 32}) {
      const int n_kv_head = 4, kv_dim = n_kv_head * head_dim;
      CopyCache c(type, n_kv_head, head_dim, 77, 11 + head_dim);
      for (int C : {1, head_dim - 1, head_dim, kv_dim / 2 + 3, kv_dim}) {
        if (C < 1 || C > kv_dim) continue;
        std::vector<float> q(C);
        for (float& x : q) x = normal(rng);
        for (int pos : {0, 5, 15, 16, 31, 40, 76}) {
          std::vector<float> s0, s1;
          std::vector<int32_t> i0, i1;
          CollectCopySourcesGeneric(c.cache, 1, c.seq, pos, q.data(), C, 0.25f, &s0, &i0);
          CollectCopySources(c.cache, 1, c.seq, pos, q.data(), C, 0.25f, &s1, &i1);
          ASSERT_EQ(i0, i1) << "head_dim " << head_dim << " C " << C << " pos " << pos;
          ASSERT_EQ(s0.size(), s1.size());
          for (size_t k = 0; k < s0.size(); ++k) {
            ASSERT_EQ(std::memcmp(&s0[k], &s1[k], sizeof(float)), 0)
                << "score " << k << " head_dim " << head_dim << " C " << C << " pos " << pos;
          }
          for (int32_t id : i0) ASSERT_TRUE(id >= 0 && id < 5000);
        }
      }
    }
  }
}

TEST(CopySourcesTest, ScanSeesOnlySourcesUpToThePosition) {
  CopyCache c(KvType::kF16, 2, 8, 40, 3);
  std::vector<float> q(16, 1.0f), all_scores;
  std::vector<int32_t> all_ids;
  CollectCopySourcesGeneric(c.cache, 1, c.seq, 39, q.data(), 16, 1.0f, &all_scores, &all_ids);
  for (int pos = 0; pos < 40; ++pos) {
    std::vector<float> s;
    std::vector<int32_t> ids;
    CollectCopySources(c.cache, 1, c.seq, pos, q.data(), 16, 1.0f, &s, &ids);
    ASSERT_LE(ids.size(), all_ids.size());
    for (size_t k = 0; k < ids.size(); ++k) ASSERT_EQ(ids[k], all_ids[k]);  // a prefix of the full scan
  }
}

long double ReferenceSum(const std::vector<float>& x, float shift) {
  long double s = 0;
  for (float v : x) s += std::exp(static_cast<long double>(v - shift));
  return s;
}

TEST(SumExpPreciseTest, MatchesALongDoubleReference) {
  std::mt19937 rng(5);
  for (int n : {0, 1, 7, 16, 17, 100, 4000, 8003}) {
    std::vector<float> x(n);
    std::normal_distribution<float> normal(0.0f, 6.0f);
    for (float& v : x) v = normal(rng);
    float mx = -std::numeric_limits<float>::infinity();
    for (float v : x) mx = std::max(mx, v);
    const double got = SumExpPrecise(x.data(), n, n > 0 ? mx : 0.0f);
    const long double want = ReferenceSum(x, n > 0 ? mx : 0.0f);
    EXPECT_NEAR(got, static_cast<double>(want), 1e-15 * static_cast<double>(want) + 1e-300) << "n " << n;
  }
}

TEST(SumExpPreciseTest, HandlesTheEdgesOfTheRange) {
  const float inf = std::numeric_limits<float>::infinity();
  // -inf and very negative differences give 0; exp(0) is exactly 1.
  std::vector<float> x = {0.0f, -inf, -1000.0f, -708.5f, -700.0f, -0.5f, 0.0f};
  x.resize(37, -3.25f);
  const double got = SumExpPrecise(x.data(), static_cast<int64_t>(x.size()), 0.0f);
  EXPECT_NEAR(got, static_cast<double>(ReferenceSum(x, 0.0f)), 1e-15 * got);
  std::vector<float> zeros(48, 2.0f);
  EXPECT_EQ(SumExpPrecise(zeros.data(), 48, 2.0f), 48.0);
  std::vector<float> nan(20, 0.0f);
  nan[18] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(SumExpPrecise(nan.data(), 20, 0.0f)));
  nan[18] = 0.0f;
  nan[3] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(SumExpPrecise(nan.data(), 20, 0.0f)));
}

TEST(SubtractThenAddTest, RoundsLikeThePlainLoops) {
  std::mt19937 rng(9);
  std::normal_distribution<float> normal(0.0f, 10.0f);
  for (int n : {0, 1, 15, 16, 33, 4000}) {
    std::vector<float> x(n);
    for (float& v : x) v = normal(rng);
    for (bool add : {false, true}) {
      std::vector<float> got = x, want = x;
      SubtractThenAdd(got.data(), n, 3.3f, add, -0.7f);
      for (float& v : want) {
        v -= 3.3f;
        if (add) v += -0.7f;
      }
      ASSERT_EQ(std::memcmp(got.data(), want.data(), sizeof(float) * n), 0) << "n " << n << " add " << add;
    }
  }
}

}  // namespace
}  // namespace capsfusion::engine

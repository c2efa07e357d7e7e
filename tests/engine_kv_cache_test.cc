// The paged KV cache: forks share blocks, writes copy a shared block first,
// releases return blocks, and a byte limit turns into an error.
#include "engine/kv_cache.h"

#include <gtest/gtest.h>

#include "engine/attention.h"

namespace capsfusion::engine {
namespace {

KvCacheConfig Small() {
  KvCacheConfig c;
  c.n_layer = 2;
  c.n_kv_head = 2;
  c.head_dim = 4;
  c.block_size = 4;
  return c;
}

// Writes a recognisable value for (seq tag, pos) at every layer and head.
void Put(KvCache* cache, int seq, int pos, float tag) {
  ASSERT_TRUE(cache->Reserve(seq, pos + 1).ok());
  const int kvd = cache->config().n_kv_head * cache->config().head_dim;
  std::vector<float> k(kvd, tag + pos), v(kvd, -(tag + pos));
  for (int l = 0; l < cache->config().n_layer; ++l) StoreKv(*cache, l, seq, pos, k.data(), v.data());
  cache->SetLength(seq, pos + 1);
}

float KeyAt(const KvCache& cache, int seq, int pos, int layer = 1, int head = 1) {
  const int bs = cache.block_size();
  return static_cast<const float*>(cache.keys(cache.blocks(seq)[pos / bs], layer, head))[2 * bs + pos % bs];
}

float ValueAt(const KvCache& cache, int seq, int pos) {
  const int bs = cache.block_size(), hd = cache.config().head_dim;
  return static_cast<const float*>(cache.values(cache.blocks(seq)[pos / bs], 0, 0))[(pos % bs) * hd + 3];
}

TEST(KvCacheTest, ForkSharesBlocksAndCopiesOnWrite) {
  KvCache cache(Small());
  const int a = cache.NewSequence();
  for (int p = 0; p < 6; ++p) Put(&cache, a, p, 100);
  EXPECT_EQ(cache.blocks(a).size(), 2u);
  EXPECT_EQ(cache.blocks_in_use(), 2u);

  const int b = cache.Fork(a);
  EXPECT_EQ(cache.length(b), 6);
  EXPECT_EQ(cache.blocks(b), cache.blocks(a));
  EXPECT_EQ(cache.refcount(cache.blocks(a)[0]), 2);
  EXPECT_EQ(cache.blocks_in_use(), 2u);

  // b writes position 6, inside the shared partial block: that block is copied.
  Put(&cache, b, 6, 200);
  EXPECT_EQ(cache.blocks(b)[0], cache.blocks(a)[0]);
  EXPECT_NE(cache.blocks(b)[1], cache.blocks(a)[1]);
  EXPECT_EQ(cache.blocks_in_use(), 3u);
  EXPECT_EQ(KeyAt(cache, b, 5), 105);  // copied data
  EXPECT_EQ(KeyAt(cache, b, 6), 206);
  EXPECT_EQ(ValueAt(cache, b, 6), -206);
  // a writes its own position 6 without seeing b's.
  Put(&cache, a, 6, 300);
  EXPECT_EQ(KeyAt(cache, a, 6), 306);
  EXPECT_EQ(KeyAt(cache, b, 6), 206);
  EXPECT_EQ(cache.blocks_in_use(), 3u);  // a's block was no longer shared: no copy

  cache.Release(a);
  EXPECT_EQ(cache.blocks_in_use(), 2u);
  EXPECT_EQ(cache.refcount(cache.blocks(b)[0]), 1);
  cache.Release(b);
  EXPECT_EQ(cache.blocks_in_use(), 0u);
  EXPECT_EQ(cache.live_sequences(), 0);
}

TEST(KvCacheTest, PartialForkAndTruncate) {
  KvCache cache(Small());
  const int a = cache.NewSequence();
  for (int p = 0; p < 10; ++p) Put(&cache, a, p, 0);
  const int b = cache.Fork(a, 5);  // positions 0..4: blocks 0 and 1 (partial)
  EXPECT_EQ(cache.length(b), 5);
  EXPECT_EQ(cache.blocks(b).size(), 2u);
  Put(&cache, b, 5, 50);  // copies block 1, a keeps its 5..7
  EXPECT_EQ(KeyAt(cache, a, 5), 5);
  EXPECT_EQ(KeyAt(cache, b, 5), 55);
  EXPECT_EQ(KeyAt(cache, b, 4), 4);

  cache.Truncate(a, 3);
  EXPECT_EQ(cache.length(a), 3);
  EXPECT_EQ(cache.blocks(a).size(), 1u);
  Put(&cache, a, 3, 70);  // block 0 is shared with b: copied
  EXPECT_EQ(KeyAt(cache, a, 3), 73);
  EXPECT_EQ(KeyAt(cache, b, 3), 3);
}

TEST(KvCacheTest, AssignAndSequenceIdsAreReused) {
  KvCache cache(Small());
  const int a = cache.NewSequence();
  for (int p = 0; p < 3; ++p) Put(&cache, a, p, 10);
  const int b = cache.NewSequence();
  for (int p = 0; p < 7; ++p) Put(&cache, b, p, 20);
  cache.Assign(a, b);
  EXPECT_EQ(cache.length(a), 7);
  EXPECT_EQ(cache.blocks(a), cache.blocks(b));
  EXPECT_EQ(cache.blocks_in_use(), 2u);
  cache.Assign(a, a);
  EXPECT_EQ(cache.length(a), 7);
  cache.Release(a);
  const int c = cache.NewSequence();
  EXPECT_EQ(c, a);
  EXPECT_EQ(cache.length(c), 0);
  EXPECT_TRUE(cache.live(c));
}

TEST(KvCacheTest, ByteLimitIsAnError) {
  KvCacheConfig cfg = Small();
  cfg.n_layer = 32;
  cfg.head_dim = 256;
  cfg.block_size = 16;  // 2 MiB per block: two blocks per 4 MiB chunk
  cfg.max_bytes = size_t{4} << 20;
  KvCache cache(cfg);
  const int a = cache.NewSequence();
  EXPECT_TRUE(cache.Reserve(a, 32).ok());
  Status s = cache.Reserve(a, 33);
  EXPECT_EQ(s.code(), Status::Code::kOutOfRange);
  EXPECT_NE(s.message().find("KV cache is full"), std::string::npos);
  // Released blocks are reused without new storage.
  cache.Release(a);
  const int b = cache.NewSequence();
  EXPECT_TRUE(cache.Reserve(b, 32).ok());
  EXPECT_EQ(cache.bytes_allocated(), size_t{4} << 20);
}

}  // namespace
}  // namespace capsfusion::engine

// WeightArena: aligned slices, bounds, moves; packing into external storage.
#include "engine/weight_arena.h"

#include <gtest/gtest.h>

#include <cstring>
#include <new>
#include <random>
#include <utility>
#include <vector>

#include "engine/kernel_table.h"
#include "engine/packed_weights.h"

namespace capsfusion::engine {
namespace {

TEST(WeightArenaTest, SlicesAreAlignedAndBounded) {
  WeightArena arena(3 * 1000);
  EXPECT_GE(arena.capacity(), 3000u);
  EXPECT_EQ(0u, reinterpret_cast<uintptr_t>(arena.Take(1)) % (size_t{2} << 20)) << "the start is 2 MB-aligned";
  uint8_t* b = arena.Take(100);
  EXPECT_EQ(0u, reinterpret_cast<uintptr_t>(b) % 64);
  std::memset(b, 7, 100);  // writable
  EXPECT_EQ(64u + 128u, arena.used());
  EXPECT_THROW(arena.Take(arena.capacity()), std::bad_alloc);
  WeightArena moved = std::move(arena);
  EXPECT_EQ(192u, moved.used());
  EXPECT_EQ(0u, arena.capacity());  // NOLINT: moved-from state is defined
  EXPECT_EQ(7, b[99]);
  WeightArena empty(0);
  EXPECT_THROW(empty.Take(1), std::bad_alloc);
}

TEST(WeightArenaTest, PackingIntoStorageEqualsOwnMemory) {
  const KernelTable* k = KernelsFor(KernelPath::kAvx512);
  if (k == nullptr) GTEST_SKIP() << "no AVX-512 on this machine: no packed forms";
  const int64_t rows = 70, cols = 96;
  std::vector<float> w(rows * cols);
  std::mt19937 rng(3);
  for (float& v : w) v = std::uniform_real_distribution<float>(-1, 1)(rng);
  WeightView view{TensorType::kF32, reinterpret_cast<const uint8_t*>(w.data()), rows, cols};
  const int64_t n = PackedWeights::StorageBytes(view, *k);
  ASSERT_GT(n, 0);
  WeightArena arena(static_cast<size_t>(n));
  const PackedWeights own(view, *k), ext(view, *k, arena.Take(static_cast<size_t>(n)));
  ASSERT_TRUE(ext.packed());
  EXPECT_EQ(own.packed_bytes(), ext.packed_bytes());
  EXPECT_EQ(0, std::memcmp(own.data(), ext.data(), own.packed_bytes()));
  std::vector<uint8_t> misaligned(static_cast<size_t>(n) + 64);
  const uintptr_t addr = reinterpret_cast<uintptr_t>(misaligned.data());
  uint8_t* odd = misaligned.data() + ((addr % 64) == 1 ? 0 : (65 - addr % 64) % 64);
  EXPECT_THROW(PackedWeights(view, *k, odd), std::invalid_argument);
}

}  // namespace
}  // namespace capsfusion::engine

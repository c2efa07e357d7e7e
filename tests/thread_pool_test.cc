#include "engine/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace capsfusion::engine {
namespace {

// Every index in [0, n) is visited exactly once, for many sizes and chunkings.
TEST(ThreadPoolTest, CoversEveryIndexOnce) {
  for (int threads : {1, 2, 3, 4}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int64_t n : {0, 1, 2, 3, 7, 64, 1000, 100003}) {
      for (int64_t min_chunk : {1, 5, 64}) {
        std::vector<std::atomic<int>> hits(n);
        pool.ParallelFor(n, [&](int64_t b, int64_t e) {
          ASSERT_LE(0, b);
          ASSERT_LT(b, e);
          ASSERT_LE(e, n);
          for (int64_t i = b; i < e; ++i) hits[i].fetch_add(1);
        }, min_chunk);
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
      }
    }
  }
}

// Many back-to-back calls (the forward pass pattern) with results checked each time.
TEST(ThreadPoolTest, ManySmallCalls) {
  ThreadPool pool(2);
  std::vector<int64_t> out(256);
  for (int iter = 0; iter < 20000; ++iter) {
    pool.ParallelFor(256, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) out[i] = i * iter;
    }, 16);
    ASSERT_EQ(out[0], 0);
    ASSERT_EQ(out[255], 255 * iter);
    ASSERT_EQ(out[100], 100 * iter);
  }
}

// Workers that went to sleep between calls wake up and finish the work.
TEST(ThreadPoolTest, WorksAfterIdleSleep) {
  ThreadPool pool(3);
  for (int iter = 0; iter < 5; ++iter) {
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    std::atomic<int64_t> sum{0};
    pool.ParallelFor(1000, [&](int64_t b, int64_t e) {
      int64_t s = 0;
      for (int64_t i = b; i < e; ++i) s += i;
      sum += s;
    });
    EXPECT_EQ(sum.load(), 999 * 1000 / 2);
  }
}

// A ParallelFor inside a ParallelFor runs serially instead of deadlocking.
TEST(ThreadPoolTest, NestedCallRunsSerially) {
  ThreadPool pool(2);
  std::vector<std::atomic<int>> hits(64 * 64);
  pool.ParallelFor(64, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      pool.ParallelFor(64, [&](int64_t b2, int64_t e2) {
        for (int64_t j = b2; j < e2; ++j) hits[i * 64 + j].fetch_add(1);
      });
    }
  });
  for (auto& h : hits) ASSERT_EQ(h.load(), 1);
}

// Two threads sharing one pool are serialised, not mixed up.
TEST(ThreadPoolTest, ConcurrentCallers) {
  ThreadPool pool(2);
  auto worker = [&](int64_t seed, std::atomic<bool>* ok) {
    std::vector<int64_t> v(500);
    for (int iter = 0; iter < 2000; ++iter) {
      pool.ParallelFor(500, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) v[i] = seed + i + iter;
      }, 8);
      for (int64_t i = 0; i < 500; i += 37) {
        if (v[i] != seed + i + iter) ok->store(false);
      }
    }
  };
  std::atomic<bool> ok1{true}, ok2{true};
  std::thread a(worker, 1000, &ok1), b(worker, 7, &ok2);
  a.join();
  b.join();
  EXPECT_TRUE(ok1.load());
  EXPECT_TRUE(ok2.load());
}

TEST(ThreadPoolTest, SerialHelperWithoutPool) {
  int calls = 0;
  ParallelForOrSerial(nullptr, 10, [&](int64_t b, int64_t e) {
    EXPECT_EQ(b, 0);
    EXPECT_EQ(e, 10);
    ++calls;
  });
  EXPECT_EQ(calls, 1);
  ThreadPool pool(0);
  EXPECT_GE(pool.size(), 1);
}

}  // namespace
}  // namespace capsfusion::engine

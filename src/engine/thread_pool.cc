// ThreadPool implementation.
//
// One job at a time is described by a few plain fields (fn, n, chunk bounds) and a
// single 64-bit atomic `state_` = generation (24 bits) | chunk count (20 bits) |
// next unclaimed chunk (20 bits). A thread claims a chunk by a compare-and-swap
// on state_; because the generation is part of the word, a worker that wakes up
// late can never claim a chunk of a job that is already finished, so the caller
// only waits for the chunks to be done, never for slow or sleeping workers. The
// job fields are written before state_ is published (release) and read only
// after a successful claim (acquire), and the caller does not touch them again
// until every chunk has been reported done.
//
// Chunks shrink as the job goes (guided scheduling): each is 1/(2 * threads) of
// the indices still unclaimed, so the first chunks are long (few claims) and
// the last are short, and the threads finish close together. A single-token
// MatMul is one such job per weight matrix; with equal chunks a thread could
// wait for up to a whole chunk of the other's work at every matrix.
#include "engine/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace capsfusion::engine {
namespace {

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

constexpr int kGenBits = 24;
constexpr int kCountBits = 20;
constexpr uint64_t kCountMask = (uint64_t{1} << kCountBits) - 1;
//! Each chunk is 1 / (kGuidedDivisor * threads) of the indices left.
constexpr int64_t kGuidedDivisor = 2;
//! How long an idle worker spins before it blocks, and how long a caller spins
//! waiting for the last chunks before it starts yielding.
constexpr auto kWorkerSpin = std::chrono::microseconds(300);
constexpr auto kCallerSpin = std::chrono::microseconds(2000);

inline uint64_t Pack(uint64_t gen, uint64_t count, uint64_t next) {
  return (gen << (2 * kCountBits)) | (count << kCountBits) | next;
}
inline uint64_t Count(uint64_t s) { return (s >> kCountBits) & kCountMask; }
inline uint64_t Next(uint64_t s) { return s & kCountMask; }
inline uint64_t Gen(uint64_t s) { return s >> (2 * kCountBits); }
inline bool HasWork(uint64_t s) { return Next(s) < Count(s); }

thread_local bool t_inside_pool = false;

}  // namespace

struct ThreadPool::Impl {
  int n_threads = 1;
  std::vector<std::thread> workers;

  alignas(64) std::atomic<uint64_t> state{0};
  alignas(64) std::atomic<int64_t> done{0};
  alignas(64) std::atomic<int> sleepers{0};
  std::atomic<bool> stop{false};

  // The current job (valid while its chunks are not all done).
  const std::function<void(int64_t, int64_t)>* fn = nullptr;
  int64_t n = 0;
  //! Chunk c is [bounds[c], bounds[c + 1]); the vector keeps its capacity.
  std::vector<int64_t> bounds;

  std::mutex sleep_mu;
  std::condition_variable sleep_cv;
  std::mutex caller_mu;

  //! Claims one chunk of the current job; returns its index or -1.
  int64_t Claim() {
    uint64_t s = state.load(std::memory_order_acquire);
    while (HasWork(s)) {
      if (state.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
        return static_cast<int64_t>(Next(s));
      }
    }
    return -1;
  }

  void RunChunk(int64_t c) {
    (*fn)(bounds[c], bounds[c + 1]);
    done.fetch_add(1, std::memory_order_acq_rel);
  }

  //! Runs chunks of the current job until none is left.
  void Drain() {
    for (int64_t c = Claim(); c >= 0; c = Claim()) RunChunk(c);
  }

  void WorkerLoop() {
    t_inside_pool = true;
    while (!stop.load(std::memory_order_acquire)) {
      Drain();
      // Spin a while for the next job, then block.
      auto spin_start = std::chrono::steady_clock::now();
      bool got_work = false;
      for (int i = 0;; ++i) {
        if (HasWork(state.load(std::memory_order_relaxed)) || stop.load(std::memory_order_relaxed)) {
          got_work = true;
          break;
        }
        CpuRelax();
        if ((i & 63) == 63 && std::chrono::steady_clock::now() - spin_start > kWorkerSpin) break;
      }
      if (got_work) continue;
      std::unique_lock<std::mutex> lock(sleep_mu);
      sleepers.fetch_add(1, std::memory_order_seq_cst);
      sleep_cv.wait(lock, [&] {
        return stop.load(std::memory_order_seq_cst) || HasWork(state.load(std::memory_order_seq_cst));
      });
      sleepers.fetch_sub(1, std::memory_order_relaxed);
    }
  }

  void WakeSleepers() {
    if (sleepers.load(std::memory_order_seq_cst) > 0) {
      { std::lock_guard<std::mutex> lock(sleep_mu); }
      sleep_cv.notify_all();
    }
  }
};

ThreadPool::ThreadPool(int n_threads) : impl_(std::make_unique<Impl>()) {
  if (n_threads <= 0) n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  impl_->n_threads = n_threads;
  impl_->workers.reserve(n_threads - 1);
  for (int i = 1; i < n_threads; ++i) {
    impl_->workers.emplace_back([this] { impl_->WorkerLoop(); });
  }
}

ThreadPool::~ThreadPool() {
  impl_->stop.store(true, std::memory_order_seq_cst);
  { std::lock_guard<std::mutex> lock(impl_->sleep_mu); }
  impl_->sleep_cv.notify_all();
  for (auto& t : impl_->workers) t.join();
}

int ThreadPool::size() const { return impl_->n_threads; }

void ThreadPool::ParallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                             int64_t min_chunk) {
  if (n <= 0) return;
  min_chunk = std::max<int64_t>(1, min_chunk);
  Impl& p = *impl_;
  const int64_t max_useful = (n + min_chunk - 1) / min_chunk;
  if (p.n_threads <= 1 || max_useful <= 1 || t_inside_pool) {
    fn(0, n);
    return;
  }
  std::lock_guard<std::mutex> caller_lock(p.caller_mu);
  p.bounds.clear();
  p.bounds.push_back(0);
  const int64_t divisor = kGuidedDivisor * p.n_threads;
  for (int64_t at = 0; at < n;) {
    const int64_t left = n - at;
    int64_t size = std::max(min_chunk, (left + divisor - 1) / divisor);
    if (left - size < min_chunk) size = left;  // no chunk shorter than min_chunk
    at += size;
    p.bounds.push_back(at);
  }
  const int64_t n_chunks = static_cast<int64_t>(p.bounds.size()) - 1;
  t_inside_pool = true;
  p.fn = &fn;
  p.n = n;
  p.done.store(0, std::memory_order_relaxed);
  const uint64_t gen = (Gen(p.state.load(std::memory_order_relaxed)) + 1) & ((uint64_t{1} << kGenBits) - 1);
  p.state.store(Pack(gen, static_cast<uint64_t>(n_chunks), 0), std::memory_order_seq_cst);
  p.WakeSleepers();

  p.Drain();

  // Wait for chunks still running on workers.
  if (p.done.load(std::memory_order_acquire) != n_chunks) {
    auto spin_start = std::chrono::steady_clock::now();
    for (int i = 0; p.done.load(std::memory_order_acquire) != n_chunks; ++i) {
      CpuRelax();
      if ((i & 63) == 63 && std::chrono::steady_clock::now() - spin_start > kCallerSpin) {
        std::this_thread::yield();
      }
    }
  }
  t_inside_pool = false;
}

}  // namespace capsfusion::engine

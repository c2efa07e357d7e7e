// ThreadPool: persistent worker threads for the data-parallel loops of the engine.
//
// The forward pass calls ParallelFor about ten times per layer per token, so one
// call must cost a few microseconds: workers spin on an atomic for a while after
// each job (a new job is usually only microseconds away) and block on a condition
// variable only when the pool has been idle for longer.
//
//   ThreadPool pool(0);  // one thread per core; the calling thread counts as one
//   pool.ParallelFor(rows, [&](int64_t begin, int64_t end) { ... }, /*min_chunk=*/16);
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace capsfusion::engine {

class ThreadPool {
 public:
  //! A pool of `n_threads` threads in all: the caller of ParallelFor plus
  //! n_threads - 1 workers. 0 means one per hardware thread.
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  //! Threads that take part in a ParallelFor, the caller included.
  int size() const;

  //! Runs fn(begin, end) over [0, n) split into chunks of at least `min_chunk`
  //! indices; the calling thread takes part; returns when every chunk is done.
  //! The chunk boundaries depend only on n, min_chunk and size(); which thread
  //! runs a chunk does not matter for results as long as fn computes each index
  //! independently. A call from inside fn (nested) runs serially on that thread.
  //! Calls from different threads are serialised. fn must not throw.
  void ParallelFor(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn,
                   int64_t min_chunk = 1);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

//! Runs fn over [0, n) with `pool`, or serially in one call when pool is null.
inline void ParallelForOrSerial(ThreadPool* pool, int64_t n,
                                const std::function<void(int64_t, int64_t)>& fn,
                                int64_t min_chunk = 1) {
  if (n <= 0) return;
  if (pool == nullptr || pool->size() <= 1) {
    fn(0, n);
  } else {
    pool->ParallelFor(n, fn, min_chunk);
  }
}

}  // namespace capsfusion::engine

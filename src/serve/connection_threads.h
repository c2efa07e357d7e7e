// ConnectionThreads: cpp-httplib's task queue for `capsfusion serve`, one
// thread per open connection up to a limit.
//
// The library's own pool has a fixed number of threads, and a connection holds
// its thread while it idles between keep-alive requests; a few hundred idle
// clients would then stall every new request for seconds. Here each accepted
// connection gets its own thread (small stack, started on demand, gone when
// the connection closes) while fewer than `max_threads` run; connections
// beyond that wait in arrival order for a thread to finish.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

namespace capsfusion::serve {

class ConnectionThreads : public httplib::TaskQueue {
 public:
  explicit ConnectionThreads(size_t max_threads);
  ~ConnectionThreads() override;

  void enqueue(std::function<void()> fn) override;
  //! Waits until every queued and running connection has finished.
  void shutdown() override;

  //! Connections being served and waiting.
  size_t running() const;
  size_t waiting() const;

 private:
  struct State {
    std::mutex mu;
    std::condition_variable idle;
    std::deque<std::function<void()>> queue;
    size_t running = 0;
    size_t max_threads = 1;
  };
  static void* Main(void* arg);
  std::shared_ptr<State> state_;
};

}  // namespace capsfusion::serve

// BatchWorker: runs a function over batches on a thread of its own, in the
// order they were pushed, with a bounded queue (Push blocks while it is
// full). Drain() waits until every pushed batch is done; after it returns,
// whatever the function wrote may be read by the caller. Internal to
// src/report.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace capsfusion::report {

template <typename Batch>
class BatchWorker {
 public:
  BatchWorker(std::function<void(Batch&)> run, size_t max_queued = 2) : run_(std::move(run)), max_(max_queued) {}
  ~BatchWorker() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closing_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  BatchWorker(const BatchWorker&) = delete;
  BatchWorker& operator=(const BatchWorker&) = delete;

  void Push(Batch batch) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
    cv_.wait(lock, [this] { return queue_.size() < max_; });
    queue_.push_back(std::move(batch));
    lock.unlock();
    cv_.notify_all();
  }

  void Drain() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing
      Batch batch = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
      lock.unlock();
      cv_.notify_all();
      run_(batch);
      lock.lock();
      busy_ = false;
      cv_.notify_all();
    }
  }

  std::function<void(Batch&)> run_;
  size_t max_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Batch> queue_;
  bool busy_ = false;
  bool closing_ = false;
  std::thread thread_;
};

}  // namespace capsfusion::report

#include "serve/connection_threads.h"

#include <pthread.h>

#include <algorithm>
#include <cstdio>

namespace capsfusion::serve {

namespace {

constexpr size_t kStackBytes = 512 * 1024;

struct ThreadArg {
  std::shared_ptr<void> state;
  std::function<void()> first;
};

}  // namespace

ConnectionThreads::ConnectionThreads(size_t max_threads) : state_(std::make_shared<State>()) {
  state_->max_threads = std::max<size_t>(1, max_threads);
}

ConnectionThreads::~ConnectionThreads() { shutdown(); }

size_t ConnectionThreads::running() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->running;
}

size_t ConnectionThreads::waiting() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->queue.size();
}

void* ConnectionThreads::Main(void* raw) {
  std::unique_ptr<ThreadArg> arg(static_cast<ThreadArg*>(raw));
  // The state is shared with the queue object, so it outlives a queue that is
  // destroyed right after shutdown() returns.
  std::shared_ptr<State> state = std::static_pointer_cast<State>(arg->state);
  std::function<void()> fn = std::move(arg->first);
  for (;;) {
    fn();
    std::lock_guard<std::mutex> lock(state->mu);
    if (state->queue.empty()) {
      --state->running;
      state->idle.notify_all();
      return nullptr;
    }
    fn = std::move(state->queue.front());
    state->queue.pop_front();
  }
}

void ConnectionThreads::enqueue(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->running >= state_->max_threads) {
      state_->queue.push_back(std::move(fn));
      return;
    }
    ++state_->running;
  }
  auto* arg = new ThreadArg{state_, std::move(fn)};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kStackBytes);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t tid;
  const int rc = pthread_create(&tid, &attr, &ConnectionThreads::Main, arg);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    // No thread: the connection waits for a running one (or, with none
    // running, is served on this thread so that it is never lost).
    std::function<void()> task = std::move(arg->first);
    delete arg;
    bool run_here = false;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      --state_->running;
      if (state_->running == 0) {
        run_here = true;
      } else {
        state_->queue.push_back(std::move(task));
      }
    }
    if (run_here) task();
  }
}

void ConnectionThreads::shutdown() {
  std::unique_lock<std::mutex> lock(state_->mu);
  state_->idle.wait(lock, [&] { return state_->running == 0 && state_->queue.empty(); });
}

}  // namespace capsfusion::serve

// Scheduler: continuous batching for requests that arrive at any time (the
// server's engine loop).
//
// Submit() queues a tokenised prompt with its own decoding settings and a
// callback; one worker thread loops forward steps over every live request.
// Each step holds one token per decoding request plus prompt tokens of newly
// admitted ones (up to a token budget), exactly as Generator schedules one
// call, so a request that arrives while others decode joins the running batch
// at the next step. New text goes to the callback as soon as it is certain:
// text that could still become a stop string, and an unfinished UTF-8
// sequence, are held back until the next token decides. Cancel() (a client
// went away, a timeout) frees the request's slot and cache blocks before the
// next step.
//
// Prefix sharing: the prompt of the request prefilled last stays in the
// cache (all but its last token); a new request that starts with the same
// tokens (at least 8) forks those cache blocks and computes only the rest. A
// fixed instruction in front of every prompt is therefore computed about once.
// Outputs do not change: a token's keys and values depend only on the tokens
// before it.
//
// Per request: greedy or sampling (temperature, top_k, top_p, seed: the random
// stream is seeded with `seed`, as Generator seeds prompt 0, so a request gives
// what Model::Generate gives for that prompt alone), repetition penalty,
// no-repeat n-grams, stop strings. Beam search (num_beams > 1) runs through
// Generator, alone: the worker waits until the running batch has drained,
// decodes the beam request in one call and sends its text in one piece.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "capsfusion/status.h"
#include "capsfusion/tokenizer.h"
#include "engine/generator.h"
#include "engine/kv_cache.h"
#include "engine/language_model.h"
#include "engine/sampler.h"

namespace capsfusion::engine {

//! What the callback of a request receives.
struct StreamEvent {
  std::string delta;            //!< text since the previous event (may be empty on the last one)
  bool done = false;            //!< the last event of the request
  std::string finish_reason;    //!< when done: "stop", "length", "cancelled" or "error"
  std::string text;             //!< when done: the whole text (stop string removed)
  size_t prompt_tokens = 0;
  size_t completion_tokens = 0;  //!< tokens generated so far (a final EOS not counted)
  Status status;                //!< when finish_reason is "error"
  //! When done, beam search with num_return_sequences > 1: the next best
  //! beams, best first.
  struct Alternative {
    std::string text;
    std::string finish_reason;  //!< "stop" or "length"
    size_t completion_tokens = 0;
  };
  std::vector<Alternative> alternatives;
};

//! Called on the worker thread; must return quickly (queue the event).
using StreamCallback = std::function<void(const StreamEvent&)>;

struct SchedulerStats {
  size_t queued = 0;             //!< requests waiting for a slot
  size_t live = 0;               //!< requests in the running batch
  uint64_t forward_calls = 0;
  uint64_t prompt_tokens = 0;    //!< prompt tokens computed
  uint64_t generated_tokens = 0;
  uint64_t finished = 0;         //!< requests ended by stop or length
  uint64_t cancelled = 0;
  uint64_t failed = 0;
  size_t kv_blocks_in_use = 0;   //!< cache blocks held by requests, beyond the cached prefix (0 when idle)
  uint64_t prefix_tokens_reused = 0;  //!< prompt tokens taken from the cached prefix instead of computed
};

class Scheduler {
 public:
  //! `model` and `tokenizer` must outlive the scheduler. At most `max_batch`
  //! requests decode together (a beam request runs alone); at most `max_queue`
  //! more wait for a slot.
  Scheduler(LanguageModel* model, const Tokenizer* tokenizer, int32_t eos_id, size_t max_batch, size_t max_queue);
  //! Stop().
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  //! Observes every forward step: sequences decoding, tokens in the batch.
  //! Set before the first Submit.
  void SetStepObserver(std::function<void(size_t sequences, size_t tokens)> observer) {
    step_observer_ = std::move(observer);
  }

  //! Checks the request (the rules of Generator::Generate) and queues it;
  //! returns its id. Unavailable when max_batch requests run and max_queue
  //! wait, or the scheduler is stopping. The callback is called on the worker thread, the
  //! last time with done = true (also after Cancel). With `ignore_eos` the
  //! end-of-sequence token is an ordinary token (fixed-length outputs for
  //! benchmarks; not with beam search).
  StatusOr<uint64_t> Submit(std::vector<int32_t> prompt, const DecodeOptions& options, StreamCallback callback,
                            bool ignore_eos = false);
  //! Ends a request before its next step (no effect when already finished).
  void Cancel(uint64_t id);
  //! Cancels every request, ends the worker thread; Submit fails afterwards.
  void Stop();

  SchedulerStats stats() const;

 private:
  struct Slot;
  Status Validate(const std::vector<int32_t>& prompt, const DecodeOptions& o) const;
  void Loop();
  void Step(std::vector<std::shared_ptr<Slot>>* live);
  void RunBeam(const std::shared_ptr<Slot>& slot);
  void Sample(Slot& s, const float* logits);
  void Finish(Slot& s, const std::string& reason, const Status& status = Status::OK());
  void UpdateBlockCount();

  LanguageModel* model_;
  const Tokenizer* tokenizer_;
  int32_t eos_id_;
  size_t max_batch_;
  size_t max_queue_;
  int64_t n_vocab_;
  std::unique_ptr<KvCache> cache_;
  std::unique_ptr<Generator> beam_generator_;  // made on first use
  std::unique_ptr<Utf8Constraint> utf8_;       // null without a tokenizer
  std::function<void(size_t, size_t)> step_observer_;
  // Worker-thread scratch.
  TokenSampler sampler_;
  std::vector<float> work_;
  std::vector<uint8_t> seen_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  uint64_t next_id_ = 1;
  std::deque<std::shared_ptr<Slot>> queue_;
  std::unordered_map<uint64_t, std::shared_ptr<Slot>> index_;  // queued and live requests
  std::atomic<size_t> live_count_{0}, kv_blocks_{0};
  std::atomic<uint64_t> prefix_tokens_reused_{0};
  // The prompt (all but its last token) of the request prefilled last, kept
  // in the cache for the next requests that start the same way (worker thread).
  int cached_seq_ = -1;
  std::vector<int32_t> cached_tokens_;
  std::atomic<uint64_t> forward_calls_{0}, prompt_tokens_{0}, generated_tokens_{0}, finished_{0}, cancelled_{0},
      failed_{0};
  std::thread worker_;
};

}  // namespace capsfusion::engine

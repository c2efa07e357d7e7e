#include "engine/scheduler.h"

#include <algorithm>
#include <cmath>

namespace capsfusion::engine {

namespace {

//! Prompt tokens per forward step (decoding tokens come first).
constexpr size_t kStepTokens = 512;
constexpr int kMaxBeams = 64;

size_t FindStop(const std::string& text, const std::vector<std::string>& stops) {
  size_t best = std::string::npos;
  for (const std::string& s : stops) best = std::min(best, text.find(s));
  return best;
}

//! Bytes at the end of `text` that must wait for the next token: the longest
//! tail that is a proper prefix of a stop string, or an unfinished UTF-8
//! sequence, whichever is longer.
size_t HoldBack(const std::string& text, const std::vector<std::string>& stops) {
  size_t hold = 0;
  for (const std::string& s : stops) {
    for (size_t n = std::min(text.size(), s.size() - 1); n > hold; --n) {
      if (text.compare(text.size() - n, n, s, 0, n) == 0) {
        hold = n;
        break;
      }
    }
  }
  // An unfinished UTF-8 sequence: a lead byte within the last 3 bytes whose
  // sequence runs past the end.
  for (size_t back = 1; back <= std::min<size_t>(3, text.size()); ++back) {
    const unsigned char c = static_cast<unsigned char>(text[text.size() - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    const size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (len > back) hold = std::max(hold, back);
    break;
  }
  return hold;
}

//! Shorter common prefixes are computed again rather than shared.
constexpr size_t kMinSharedPrefix = 8;

size_t CommonPrefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b, size_t limit) {
  const size_t n = std::min({a.size(), b.size(), limit});
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

struct Scheduler::Slot {
  uint64_t id = 0;
  std::vector<int32_t> history;  // prompt, then generated tokens
  int n_prompt = 0;
  int max_new = 0;
  DecodeOptions o;
  StreamCallback callback;
  std::atomic<bool> cancel{false};
  int seq = -1;
  int prefill_pos = 0;
  bool decoding = false;
  Rng rng;
  int32_t eos = -1;  // the end-of-sequence token of this request (-1: none)
  std::string sent;  // text given to the callback so far
  bool counted_live = false;  // counted in live_count_ (engine thread only)
  std::vector<StreamEvent::Alternative> alternatives;  // beam search's next best beams

  int generated() const { return static_cast<int>(history.size()) - n_prompt; }
};

Scheduler::Scheduler(LanguageModel* model, const Tokenizer* tokenizer, int32_t eos_id, size_t max_batch,
                     size_t max_queue)
    : model_(model), tokenizer_(tokenizer), eos_id_(eos_id), max_batch_(std::max<size_t>(1, max_batch)),
      max_queue_(max_queue), n_vocab_(static_cast<int64_t>(model->shape().n_vocab)) {
  cache_ = std::make_unique<KvCache>(model_->kv_cache_config());
  if (tokenizer_ != nullptr) utf8_ = std::make_unique<Utf8Constraint>(*tokenizer_, n_vocab_);
  worker_ = std::thread([this] { Loop(); });
}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (auto& [id, slot] : index_) slot->cancel = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

Status Scheduler::Validate(const std::vector<int32_t>& p, const DecodeOptions& o) const {
  CF_RETURN_IF_ERROR(ValidateDecodeOptions(o));
  if (tokenizer_ == nullptr) return Status::InvalidArgument("the scheduler needs a tokenizer");
  if (p.empty()) return Status::InvalidArgument("the prompt has no tokens");
  const uint32_t n_ctx = model_->context_length();
  if (p.size() > n_ctx) {
    return Status::OutOfRange("the prompt has " + std::to_string(p.size()) + " tokens, more than the context length " +
                              std::to_string(n_ctx));
  }
  for (int32_t t : p) {
    if (t < 0 || t >= n_vocab_) {
      return Status::InvalidArgument("the prompt holds token " + std::to_string(t) + " outside the vocabulary");
    }
  }
  return Status::OK();
}

StatusOr<uint64_t> Scheduler::Submit(std::vector<int32_t> prompt, const DecodeOptions& options,
                                     StreamCallback callback, bool ignore_eos) {
  CF_RETURN_IF_ERROR(Validate(prompt, options));
  if (ignore_eos && options.num_beams > 1) return Status::InvalidArgument("ignore_eos does not work with beam search");
  auto slot = std::make_shared<Slot>();
  slot->n_prompt = static_cast<int>(prompt.size());
  slot->history = std::move(prompt);
  slot->o = options;
  slot->callback = std::move(callback);
  slot->rng = Rng(options.seed);
  slot->eos = ignore_eos ? -1 : eos_id_;
  const int64_t room = int64_t{model_->context_length()} - slot->n_prompt + 1;
  slot->max_new = static_cast<int>(std::min<int64_t>(options.max_new_tokens, room));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return Status::Unavailable("the server is shutting down");
    // At most max_batch running and max_queue waiting.
    if (queue_.size() + live_count_ >= max_batch_ + max_queue_) {
      return Status::Unavailable("too many requests: " + std::to_string(max_batch_) + " running and " +
                                 std::to_string(max_queue_) + " waiting");
    }
    slot->id = next_id_++;
    queue_.push_back(slot);
    index_[slot->id] = slot;
  }
  cv_.notify_all();
  return slot->id;
}

void Scheduler::Cancel(uint64_t id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(id);
    if (it == index_.end()) return;
    it->second->cancel = true;
  }
  cv_.notify_all();
}

SchedulerStats Scheduler::stats() const {
  SchedulerStats s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    s.queued = queue_.size();
  }
  s.live = live_count_.load();
  s.forward_calls = forward_calls_.load();
  s.prompt_tokens = prompt_tokens_.load();
  s.generated_tokens = generated_tokens_.load();
  s.finished = finished_.load();
  s.cancelled = cancelled_.load();
  s.failed = failed_.load();
  s.kv_blocks_in_use = kv_blocks_.load();
  s.prefix_tokens_reused = prefix_tokens_reused_.load();
  return s;
}

void Scheduler::Finish(Slot& s, const std::string& reason, const Status& status) {
  if (s.seq >= 0) cache_->Release(s.seq);
  // Counters before the callback: whoever waits on it sees the slot and blocks freed.
  if (s.counted_live && live_count_ > 0) --live_count_;
  s.counted_live = false;
  UpdateBlockCount();
  s.seq = -1;
  StreamEvent ev;
  ev.done = true;
  ev.finish_reason = reason;
  ev.status = status;
  ev.prompt_tokens = static_cast<size_t>(s.n_prompt);
  std::vector<int32_t> gen(s.history.begin() + s.n_prompt, s.history.end());
  if (!gen.empty() && s.eos >= 0 && gen.back() == s.eos) gen.pop_back();
  ev.completion_tokens = gen.size();
  if (reason == "stop" || reason == "length") {
    ev.text = tokenizer_->Decode(gen);
    const size_t at = FindStop(ev.text, s.o.stop);
    if (at != std::string::npos) ev.text.resize(at);
    if (ev.text.compare(0, s.sent.size(), s.sent) == 0) ev.delta = ev.text.substr(s.sent.size());
    ev.alternatives = std::move(s.alternatives);
    ++finished_;
  } else {
    ev.text = s.sent;
    if (reason == "cancelled") ++cancelled_; else ++failed_;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    index_.erase(s.id);
  }
  s.callback(ev);
}

void Scheduler::Sample(Slot& s, const float* logits) {
  const DecodeOptions& o = s.o;
  const int32_t token =
      PickToken(logits, n_vocab_, o, s.history, s.n_prompt, &sampler_, &s.rng, &work_, &seen_, utf8_.get());
  s.history.push_back(token);
  ++generated_tokens_;

  const bool eos = s.eos >= 0 && token == s.eos;
  if (eos) return Finish(s, "stop");
  std::vector<int32_t> gen(s.history.begin() + s.n_prompt, s.history.end());
  const std::string text = tokenizer_->Decode(gen);
  if (!o.stop.empty() && FindStop(text, o.stop) != std::string::npos) return Finish(s, "stop");
  if (s.generated() >= s.max_new) return Finish(s, "length");
  const size_t ready = text.size() - HoldBack(text, o.stop);
  if (ready > s.sent.size() && text.compare(0, s.sent.size(), s.sent) == 0) {
    StreamEvent ev;
    ev.delta = text.substr(s.sent.size(), ready - s.sent.size());
    ev.prompt_tokens = static_cast<size_t>(s.n_prompt);
    ev.completion_tokens = gen.size();
    s.sent.append(ev.delta);
    s.callback(ev);
  }
}

void Scheduler::RunBeam(const std::shared_ptr<Slot>& slot) {
  if (!beam_generator_) {
    beam_generator_ = std::make_unique<Generator>(model_, tokenizer_, eos_id_, max_batch_);
  }
  live_count_ = 1;
  slot->counted_live = true;
  std::vector<std::vector<int32_t>> prompts{std::vector<int32_t>(slot->history.begin(), slot->history.end())};
  auto out = beam_generator_->Generate(prompts, slot->o);
  if (!out.ok()) {
    Finish(*slot, "error", out.status());
  } else {
    const TokenGeneration& g = (*out)[0];
    const GeneratorStats& st = beam_generator_->stats();
    forward_calls_ += st.forward_calls;
    prompt_tokens_ += st.prompt_tokens_computed;
    generated_tokens_ += st.generated_tokens;
    slot->history.insert(slot->history.end(), g.tokens.begin(), g.tokens.end());
    for (const TokenGeneration& a : g.alternatives) {
      slot->alternatives.push_back({a.text, a.stopped ? "stop" : "length", a.tokens.size()});
    }
    Finish(*slot, g.stopped ? "stop" : "length");
  }
  live_count_ = 0;
}

void Scheduler::UpdateBlockCount() {
  const size_t cached = cached_seq_ >= 0 ? cache_->blocks(cached_seq_).size() : 0;
  const size_t used = cache_->blocks_in_use();
  kv_blocks_ = used > cached ? used - cached : 0;
}

void Scheduler::Loop() {
  std::vector<std::shared_ptr<Slot>> live;
  for (;;) {
    std::vector<std::shared_ptr<Slot>> dropped;  // cancelled while queued
    std::shared_ptr<Slot> beam;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty() || !live.empty(); });
      for (auto it = queue_.begin(); it != queue_.end();) {
        if ((*it)->cancel) {
          dropped.push_back(*it);
          it = queue_.erase(it);
        } else {
          ++it;
        }
      }
      while (!queue_.empty() && live.size() < max_batch_) {
        const std::shared_ptr<Slot>& next = queue_.front();
        if (next->o.num_beams > 1) {
          if (live.empty()) {
            beam = next;
            queue_.pop_front();
          }
          break;  // a beam request runs alone
        }
        next->counted_live = true;
        live.push_back(next);
        queue_.pop_front();
        live_count_ = live.size();
      }
      if (stopping_ && queue_.empty() && live.empty() && dropped.empty() && !beam) return;
    }
    for (auto& s : dropped) Finish(*s, "cancelled");
    UpdateBlockCount();
    if (beam) {
      if (beam->cancel) {
        Finish(*beam, "cancelled");
      } else {
        RunBeam(beam);
      }
      continue;
    }
    // Cancelled live requests free their slot before the step.
    for (auto& s : live) {
      if (s->cancel) Finish(*s, "cancelled");
    }
    live.erase(std::remove_if(live.begin(), live.end(), [](const auto& s) { return s->cancel.load(); }),
               live.end());
    // Requests with nothing to generate end at once.
    for (auto& s : live) {
      if (s->max_new <= 0) Finish(*s, "length");
    }
    live.erase(std::remove_if(live.begin(), live.end(), [](const auto& s) { return s->max_new <= 0; }), live.end());
    live_count_ = live.size();
    if (!live.empty()) Step(&live);
    live_count_ = live.size();
    UpdateBlockCount();
  }
}

void Scheduler::Step(std::vector<std::shared_ptr<Slot>>* live_ptr) {
  auto& live = *live_ptr;
  std::vector<BatchToken> batch;
  std::vector<Slot*> consumers;
  size_t decoding = 0;
  for (auto& sp : live) {
    Slot& s = *sp;
    if (!s.decoding) continue;
    batch.push_back(BatchToken{s.history.back(), s.seq, static_cast<int32_t>(s.history.size()) - 1, true});
    consumers.push_back(&s);
    ++decoding;
  }
  for (auto& sp : live) {
    Slot& s = *sp;
    if (s.decoding) continue;
    if (batch.size() >= kStepTokens) break;
    if (s.seq < 0) {
      // Start from the cached prompt of an earlier request when they share a
      // prefix (an instruction in front of every prompt): its cache blocks are
      // shared, not computed again. Every prompt keeps its last token to compute.
      const size_t common = cached_seq_ >= 0 ? CommonPrefix(cached_tokens_, s.history, s.n_prompt - 1) : 0;
      if (common >= kMinSharedPrefix) {
        s.seq = cache_->Fork(cached_seq_, static_cast<int>(common));
        s.prefill_pos = static_cast<int>(common);
        prefix_tokens_reused_ += common;
      } else {
        s.seq = cache_->NewSequence();
        s.prefill_pos = 0;
      }
    }
    const size_t take = std::min<size_t>(kStepTokens - batch.size(), static_cast<size_t>(s.n_prompt - s.prefill_pos));
    for (size_t k = 0; k < take; ++k) {
      const int32_t pos = s.prefill_pos + static_cast<int32_t>(k);
      batch.push_back(BatchToken{s.history[pos], s.seq, pos, pos == s.n_prompt - 1});
    }
    s.prefill_pos += static_cast<int>(take);
    prompt_tokens_ += take;
    if (s.prefill_pos == s.n_prompt) consumers.push_back(&s);
  }
  if (batch.empty()) return;
  std::vector<float> logits;
  Status st = model_->Forward(batch, cache_.get(), &logits);
  ++forward_calls_;
  if (step_observer_) step_observer_(consumers.size(), batch.size());
  if (!st.ok()) {
    // The batch failed as a whole: every request in it ends with the error.
    for (auto& sp : live) Finish(*sp, "error", st);
    live.clear();
    return;
  }
  for (size_t i = 0; i < consumers.size(); ++i) {
    Slot& s = *consumers[i];
    if (!s.decoding && s.n_prompt - 1 >= static_cast<int>(kMinSharedPrefix)) {
      // The prompt just computed becomes the cached prefix for later requests.
      if (cached_seq_ >= 0) cache_->Release(cached_seq_);
      cached_seq_ = cache_->Fork(s.seq, s.n_prompt - 1);
      cached_tokens_.assign(s.history.begin(), s.history.begin() + (s.n_prompt - 1));
    }
    s.decoding = true;
    Sample(s, logits.data() + i * static_cast<size_t>(n_vocab_));
  }
  live.erase(std::remove_if(live.begin(), live.end(), [](const auto& s) { return s->seq < 0 && s->decoding; }),
             live.end());
}

}  // namespace capsfusion::engine

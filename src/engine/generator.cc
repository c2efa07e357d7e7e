#include "engine/generator.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/sampler.h"

namespace capsfusion::engine {

namespace {

//! Tokens per forward call (prompt tokens fill what decoding leaves).
constexpr size_t kStepTokens = 512;

size_t CommonPrefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

//! Position of the earliest stop string in `text`, or npos.
size_t FindStop(const std::string& text, const std::vector<std::string>& stops) {
  size_t best = std::string::npos;
  for (const std::string& s : stops) best = std::min(best, text.find(s));
  return best;
}

}  // namespace

struct Generator::Request {
  enum class Phase { kWaiting, kPrefill, kDecode, kDone };
  size_t index = 0;
  const std::vector<int32_t>* prompt = nullptr;
  int n_prompt = 0;
  int max_new = 0;
  Phase phase = Phase::kWaiting;
  int fork_from = -1;  // cache sequence the request starts from (-1: empty)
  int start = 0;       // prompt tokens already in that sequence
  int prefill_pos = 0;
  int seq = -1;        // greedy/sampling sequence, or the prefill sequence of a beam request
  // Greedy / sampling.
  std::vector<int32_t> history;  // prompt + generated
  double logprob = 0;
  Rng rng;
  // Beam search.
  std::unique_ptr<BeamSearch> beam;
  std::vector<int> beam_seqs;
  TokenGeneration result;

  int generated() const { return static_cast<int>(history.size()) - n_prompt; }
};

// Per-call state and the step logic.
struct Generator::Run {
  Generator* g;
  const DecodeOptions& o;
  LanguageModel* model;
  KvCache* cache;
  int64_t n_vocab;
  std::vector<Request> reqs;
  size_t live = 0;
  TokenSampler sampler;
  std::vector<float> work;           // processed logits / log-probs
  std::vector<float> beam_raw;       // raw log-probs of each running beam
  std::vector<float> beam_proc;      // processed log-probs of each running beam
  std::vector<uint8_t> seen;         // repetition-penalty scratch
  std::vector<int32_t> scratch_tokens;

  Run(Generator* gen, const DecodeOptions& opt)
      : g(gen), o(opt), model(gen->model_), cache(gen->cache_.get()),
        n_vocab(static_cast<int64_t>(gen->model_->shape().n_vocab)) {}

  // The UTF-8 constraint when it applies, else null.
  const Utf8Constraint* Utf8() const { return o.valid_utf8 && g->utf8_ && g->utf8_->active() ? g->utf8_.get() : nullptr; }

  bool beam_mode() const { return o.num_beams > 1; }
  size_t need(const Request&) const { return static_cast<size_t>(o.num_beams); }

  bool HasPenalties() const {
    return o.repetition_penalty != 1.0f || o.no_repeat_ngram_size > 0 || o.span_bonus != 0.0f ||
           o.no_adjacent_repeat > 0 || Utf8();
  }

  void ApplyPenalties(float* scores, const int32_t* hist, size_t n_hist) {
    ApplyRepetitionPenalty(scores, n_vocab, hist, n_hist, o.repetition_penalty, &seen);
    ApplyNoRepeatNgram(scores, n_vocab, hist, n_hist, o.no_repeat_ngram_size);
  }

  // Text of `tokens` (EOS excluded by the caller) and where a stop string starts.
  size_t StopIn(const std::vector<int32_t>& tokens, std::string* text) const {
    *text = g->tokenizer_->Decode(tokens);
    return FindStop(*text, o.stop);
  }

  void Finish(Request& r, std::vector<int32_t> tokens, bool stopped, double logprob) {
    Fill(r, std::move(tokens), stopped, logprob, &r.result);
    r.phase = Request::Phase::kDone;
  }

  void Fill(const Request& r, std::vector<int32_t> tokens, bool stopped, double logprob, TokenGeneration* result) {
    TokenGeneration& out = *result;
    if (!tokens.empty() && g->eos_id_ >= 0 && tokens.back() == g->eos_id_) tokens.pop_back();
    out.tokens = std::move(tokens);
    out.stopped = stopped;
    out.logprob = logprob;
    out.prompt_tokens = static_cast<size_t>(r.n_prompt);
    if (g->tokenizer_ != nullptr) {
      out.text = g->tokenizer_->Decode(out.tokens);
      if (!o.stop.empty()) {
        const size_t at = FindStop(out.text, o.stop);
        if (at != std::string::npos) out.text.resize(at);
      }
    }
  }

  void ReleaseRequest(Request& r) {
    if (r.seq >= 0) cache->Release(r.seq);
    r.seq = -1;
    for (int s : r.beam_seqs) cache->Release(s);
    r.beam_seqs.clear();
    if (r.phase != Request::Phase::kWaiting) live -= need(r);
  }

  // Greedy / sampling: one new token from a row of logits.
  void StepSingle(Request& r, const float* logits) {
    const double lse = LogSumExp(logits, n_vocab);
    const int32_t token =
        PickToken(logits, n_vocab, o, r.history, r.n_prompt, &sampler, &r.rng, &work, &seen, g->utf8_.get());
    r.logprob += logits[token] - lse;
    r.history.push_back(token);
    ++g->stats_.generated_tokens;

    bool stopped = g->eos_id_ >= 0 && token == g->eos_id_;
    if (!stopped && !o.stop.empty()) {
      scratch_tokens.assign(r.history.begin() + r.n_prompt, r.history.end());
      std::string text;
      stopped = StopIn(scratch_tokens, &text) != std::string::npos;
    }
    if (stopped || r.generated() >= r.max_new) {
      Finish(r, std::vector<int32_t>(r.history.begin() + r.n_prompt, r.history.end()), stopped, r.logprob);
      ReleaseRequest(r);
    }
  }

  // Beam search: one step from the logits rows of every running beam.
  void StepBeams(Request& r, const float* rows) {
    BeamSearch& bs = *r.beam;
    const auto& running = bs.running();
    const size_t nb = running.size();
    beam_raw.resize(nb * n_vocab);
    std::vector<const float*> lp(nb);
    const bool penalties = HasPenalties();
    if (penalties) beam_proc.resize(nb * n_vocab);
    for (size_t b = 0; b < nb; ++b) {
      float* raw = beam_raw.data() + b * n_vocab;
      LogSoftmax(rows + b * n_vocab, n_vocab, raw);
      lp[b] = raw;
      if (penalties) {
        float* proc = beam_proc.data() + b * n_vocab;
        std::copy(raw, raw + n_vocab, proc);
        scratch_tokens.clear();
        if (o.penalize_prompt) scratch_tokens.assign(r.prompt->begin(), r.prompt->end());
        scratch_tokens.insert(scratch_tokens.end(), running[b].tokens.begin(), running[b].tokens.end());
        ApplyPenalties(proc, scratch_tokens.data(), scratch_tokens.size());
        ApplyNoAdjacentRepeat(proc, n_vocab, r.prompt->data(), r.prompt->size(), running[b].tokens.data(),
                              running[b].tokens.size(), o.no_adjacent_repeat);
        if (const Utf8Constraint* u = Utf8()) u->Apply(proc, n_vocab, running[b].tokens.data(), running[b].tokens.size());
        ApplySpanContinuation(proc, n_vocab, r.prompt->data(), r.prompt->size(), running[b].tokens.data(),
                              running[b].tokens.size(), o.span_bonus, o.span_min_match, /*log_probs=*/true);
        lp[b] = proc;
      }
    }
    auto stops = [&](int b, int32_t token) {
      if (g->eos_id_ >= 0 && token == g->eos_id_) return true;
      if (o.stop.empty()) return false;
      scratch_tokens.assign(running[b].tokens.begin(), running[b].tokens.end());
      scratch_tokens.push_back(token);
      std::string text;
      return StopIn(scratch_tokens, &text) != std::string::npos;
    };
    auto raw_logprob = [&](int b, int32_t token) {
      return static_cast<double>(beam_raw[static_cast<size_t>(b) * n_vocab + token]);
    };
    std::vector<int> parents;
    bs.Step(lp, n_vocab, stops, raw_logprob, &parents);
    g->stats_.generated_tokens += nb;

    if (bs.done()) {
      const auto& fin = bs.finished();
      if (fin.empty()) {
        Finish(r, {}, false, 0);
      } else {
        Finish(r, fin.front().tokens, fin.front().stopped, fin.front().logprob);
        const size_t n_ret = std::min(fin.size(), static_cast<size_t>(o.num_return_sequences));
        for (size_t i = 1; i < n_ret; ++i) {
          r.result.alternatives.emplace_back();
          Fill(r, fin[i].tokens, fin[i].stopped, fin[i].logprob, &r.result.alternatives.back());
        }
      }
      ReleaseRequest(r);
      return;
    }
    // New beam i continues old beam parents[i]: the first child of a parent
    // takes over its sequence, further children fork it (sharing its blocks).
    std::vector<int> next(parents.size(), -1);
    std::vector<uint8_t> claimed(nb, 0);
    for (size_t i = 0; i < parents.size(); ++i) {
      if (!claimed[parents[i]]) {
        claimed[parents[i]] = 1;
        next[i] = r.beam_seqs[parents[i]];
      }
    }
    for (size_t i = 0; i < parents.size(); ++i) {
      if (next[i] < 0) next[i] = cache->Fork(r.beam_seqs[parents[i]]);
    }
    for (size_t b = 0; b < nb; ++b) {
      if (!claimed[b]) cache->Release(r.beam_seqs[b]);
    }
    r.beam_seqs = std::move(next);
  }
};

Generator::Generator(LanguageModel* model, const Tokenizer* tokenizer, int32_t eos_id, size_t max_batch)
    : model_(model), tokenizer_(tokenizer), eos_id_(eos_id), max_batch_(std::max<size_t>(1, max_batch)) {
  cache_ = std::make_unique<KvCache>(model_->kv_cache_config());
  if (tokenizer_ != nullptr) {
    utf8_ = std::make_unique<Utf8Constraint>(*tokenizer_, static_cast<int64_t>(model_->shape().n_vocab));
  }
}

Generator::~Generator() = default;

void Generator::ClearPrefixCache() {
  if (cached_seq_ >= 0) cache_->Release(cached_seq_);
  cached_seq_ = -1;
  cached_tokens_.clear();
}

int32_t PickToken(const float* logits, int64_t n_vocab, const DecodeOptions& o, const std::vector<int32_t>& history,
                  int n_prompt, TokenSampler* sampler, Rng* rng, std::vector<float>* work,
                  std::vector<uint8_t>* seen, const Utf8Constraint* utf8) {
  const float* scores = logits;
  if (!o.valid_utf8 || (utf8 != nullptr && !utf8->active())) utf8 = nullptr;
  if (o.repetition_penalty != 1.0f || o.no_repeat_ngram_size > 0 || o.temperature > 0 || o.span_bonus != 0.0f ||
      o.no_adjacent_repeat > 0 || utf8 != nullptr) {
    work->assign(logits, logits + n_vocab);
    const size_t from = o.penalize_prompt ? 0 : static_cast<size_t>(n_prompt);
    ApplyRepetitionPenalty(work->data(), n_vocab, history.data() + from, history.size() - from,
                           o.repetition_penalty, seen);
    ApplyNoRepeatNgram(work->data(), n_vocab, history.data() + from, history.size() - from, o.no_repeat_ngram_size);
    ApplyNoAdjacentRepeat(work->data(), n_vocab, history.data(), static_cast<size_t>(n_prompt),
                          history.data() + n_prompt, history.size() - static_cast<size_t>(n_prompt),
                          o.no_adjacent_repeat);
    if (utf8 != nullptr) {
      utf8->Apply(work->data(), n_vocab, history.data() + n_prompt, history.size() - static_cast<size_t>(n_prompt));
    }
    // Logits: adding the bonus is adding it to the log-probabilities before they are normalised.
    ApplySpanContinuation(work->data(), n_vocab, history.data(), static_cast<size_t>(n_prompt),
                          history.data() + n_prompt, history.size() - static_cast<size_t>(n_prompt), o.span_bonus,
                          o.span_min_match, /*log_probs=*/false);
    scores = work->data();
  }
  if (o.temperature <= 0) return Argmax(scores, n_vocab);
  SamplingParams sp;
  sp.temperature = o.temperature;
  sp.top_k = o.top_k;
  sp.top_p = o.top_p;
  return sampler->Sample(scores, n_vocab, sp, rng);
}

Status ValidateDecodeOptions(const DecodeOptions& o) {
  if (o.max_new_tokens < 0) return Status::InvalidArgument("max_new_tokens must be >= 0");
  if (o.num_beams < 1 || o.num_beams > kMaxBeams) {
    return Status::InvalidArgument("num_beams must be in [1, " + std::to_string(kMaxBeams) + "]");
  }
  if (!std::isfinite(o.temperature) || o.temperature < 0) {
    return Status::InvalidArgument("temperature must be >= 0 (0: greedy)");
  }
  if (o.num_return_sequences < 1 || o.num_return_sequences > o.num_beams) {
    return Status::InvalidArgument("num_return_sequences must be in [1, num_beams = " + std::to_string(o.num_beams) +
                                   "]");
  }
  if (o.num_beams > 1 && o.temperature > 0) {
    return Status::InvalidArgument("beam search with sampling (num_beams > 1 and temperature > 0) is not supported");
  }
  if (o.top_k < 0) return Status::InvalidArgument("top_k must be >= 0");
  if (!(o.top_p > 0 && o.top_p <= 1)) return Status::InvalidArgument("top_p must be in (0, 1]");
  if (!(o.repetition_penalty > 0) || !std::isfinite(o.repetition_penalty)) {
    return Status::InvalidArgument("repetition_penalty must be > 0");
  }
  if (o.no_repeat_ngram_size < 0) return Status::InvalidArgument("no_repeat_ngram_size must be >= 0");
  if (!std::isfinite(o.length_penalty)) return Status::InvalidArgument("length_penalty must be finite");
  if (!std::isfinite(o.span_bonus) || o.span_bonus < 0) return Status::InvalidArgument("span_bonus must be >= 0");
  if (o.span_min_match < 1) return Status::InvalidArgument("span_min_match must be >= 1");
  if (o.no_adjacent_repeat < 0 || o.no_adjacent_repeat > 32) {
    return Status::InvalidArgument("no_adjacent_repeat must be in [0, 32]");
  }
  for (const std::string& s : o.stop) {
    if (s.empty()) return Status::InvalidArgument("stop strings must not be empty");
  }
  return Status::OK();
}

Status Generator::Validate(const std::vector<std::vector<int32_t>>& prompts, const DecodeOptions& o) const {
  CF_RETURN_IF_ERROR(ValidateDecodeOptions(o));
  if (!o.stop.empty() && tokenizer_ == nullptr) {
    return Status::InvalidArgument("stop strings need a tokenizer");
  }
  const uint32_t n_ctx = model_->context_length();
  const int64_t n_vocab = model_->shape().n_vocab;
  for (size_t i = 0; i < prompts.size(); ++i) {
    const auto& p = prompts[i];
    if (p.empty()) return Status::InvalidArgument("prompt " + std::to_string(i) + " has no tokens");
    if (p.size() > n_ctx) {
      return Status::OutOfRange("prompt " + std::to_string(i) + " has " + std::to_string(p.size()) +
                                " tokens, more than the context length " + std::to_string(n_ctx));
    }
    for (int32_t t : p) {
      if (t < 0 || t >= n_vocab) {
        return Status::InvalidArgument("prompt " + std::to_string(i) + " holds token " + std::to_string(t) +
                                       " outside the vocabulary [0, " + std::to_string(n_vocab) + ")");
      }
    }
  }
  return Status::OK();
}

StatusOr<std::vector<TokenGeneration>> Generator::Generate(const std::vector<std::vector<int32_t>>& prompts,
                                                           const DecodeOptions& o) {
  CF_RETURN_IF_ERROR(Validate(prompts, o));
  stats_ = GeneratorStats();
  const size_t n = prompts.size();
  if (n == 0) return std::vector<TokenGeneration>();
  Run run(this, o);
  run.reqs.resize(n);
  const uint32_t n_ctx = model_->context_length();

  // The prefix shared by every prompt, leaving each prompt one token.
  size_t shared = 0;
  if (o.share_prefix) {
    size_t min_len = prompts[0].size();
    shared = prompts[0].size();
    for (const auto& p : prompts) {
      min_len = std::min(min_len, p.size());
      shared = std::min(shared, CommonPrefix(prompts[0], p));
    }
    shared = std::min(shared, min_len - 1);
  }
  int prefix_seq = -1;
  size_t from_cache = 0;
  std::vector<size_t> cached_match(n, 0);
  size_t best_cached = 0;
  if (o.share_prefix && cached_seq_ >= 0) {
    for (size_t i = 0; i < n; ++i) {
      cached_match[i] = std::min(CommonPrefix(cached_tokens_, prompts[i]), prompts[i].size() - 1);
      best_cached = std::max(best_cached, cached_match[i]);
    }
    from_cache = std::min(shared, cached_match[0]);
  }

  auto cleanup = [&](const Status& s) -> Status {
    for (Request& r : run.reqs) {
      if (r.phase == Request::Phase::kPrefill || r.phase == Request::Phase::kDecode) run.ReleaseRequest(r);
    }
    if (prefix_seq >= 0) cache_->Release(prefix_seq);
    return s;
  };

  if (shared > 0) {
    prefix_seq = from_cache > 0 ? cache_->Fork(cached_seq_, static_cast<int>(from_cache)) : cache_->NewSequence();
    std::vector<BatchToken> batch;
    std::vector<float> unused;
    for (size_t pos = from_cache; pos < shared; pos += kStepTokens) {
      batch.clear();
      for (size_t p = pos; p < std::min(shared, pos + kStepTokens); ++p) {
        batch.push_back(BatchToken{prompts[0][p], prefix_seq, static_cast<int32_t>(p), false});
      }
      Status s = model_->Forward(batch, cache_.get(), &unused);
      if (!s.ok()) return cleanup(s);
      ++stats_.forward_calls;
      stats_.prompt_tokens_computed += batch.size();
    }
  }
  stats_.prefix_tokens_shared = shared;
  stats_.prefix_tokens_reused = from_cache;

  for (size_t i = 0; i < n; ++i) {
    Request& r = run.reqs[i];
    r.index = i;
    r.prompt = &prompts[i];
    r.n_prompt = static_cast<int>(prompts[i].size());
    r.max_new = static_cast<int>(std::min<int64_t>(o.max_new_tokens, int64_t{n_ctx} - r.n_prompt + 1));
    r.rng = Rng(o.seed + i);
    r.history = prompts[i];
    stats_.prompt_tokens += prompts[i].size();
    if (cached_match[i] > shared) {
      r.fork_from = cached_seq_;
      r.start = static_cast<int>(cached_match[i]);
    } else if (shared > 0) {
      r.fork_from = prefix_seq;
      r.start = static_cast<int>(shared);
    }
    if (r.max_new <= 0) run.Finish(r, {}, false, 0);
  }

  std::vector<BatchToken> batch;
  struct Consumer {
    Request* r;
    size_t rows;
  };
  std::vector<Consumer> consumers;
  std::vector<float> logits;
  size_t next_waiting = 0;
  for (;;) {
    // Admit waiting requests while there is room.
    while (next_waiting < n) {
      Request& r = run.reqs[next_waiting];
      if (r.phase == Request::Phase::kDone) {
        ++next_waiting;
        continue;
      }
      if (run.live != 0 && run.live + run.need(r) > max_batch_) break;
      r.seq = r.fork_from >= 0 ? cache_->Fork(r.fork_from, r.start) : cache_->NewSequence();
      r.prefill_pos = r.start;
      r.phase = Request::Phase::kPrefill;
      run.live += run.need(r);
      stats_.max_live_sequences = std::max(stats_.max_live_sequences, run.live);
      ++next_waiting;
    }

    // Build the step: decoding tokens first, then prompt tokens.
    batch.clear();
    consumers.clear();
    for (Request& r : run.reqs) {
      if (r.phase != Request::Phase::kDecode) continue;
      const int32_t pos = r.n_prompt + (r.beam ? r.beam->generated() : r.generated()) - 1;
      if (r.beam) {
        const auto& running = r.beam->running();
        for (size_t b = 0; b < running.size(); ++b) {
          batch.push_back(BatchToken{running[b].tokens.back(), r.beam_seqs[b], pos, true});
        }
        consumers.push_back(Consumer{&r, running.size()});
      } else {
        batch.push_back(BatchToken{r.history.back(), r.seq, pos, true});
        consumers.push_back(Consumer{&r, 1});
      }
    }
    for (Request& r : run.reqs) {
      if (r.phase != Request::Phase::kPrefill) continue;
      if (batch.size() >= kStepTokens && !batch.empty()) break;
      const size_t budget = kStepTokens > batch.size() ? kStepTokens - batch.size() : 1;
      const size_t take = std::min<size_t>(budget, static_cast<size_t>(r.n_prompt - r.prefill_pos));
      for (size_t k = 0; k < take; ++k) {
        const int32_t pos = r.prefill_pos + static_cast<int32_t>(k);
        const bool last = pos == r.n_prompt - 1;
        batch.push_back(BatchToken{(*r.prompt)[pos], r.seq, pos, last});
      }
      r.prefill_pos += static_cast<int>(take);
      stats_.prompt_tokens_computed += take;
      if (r.prefill_pos == r.n_prompt) consumers.push_back(Consumer{&r, 1});
    }
    if (batch.empty()) break;

    Status s = model_->Forward(batch, cache_.get(), &logits);
    if (!s.ok()) return cleanup(s);
    ++stats_.forward_calls;

    size_t row = 0;
    for (const Consumer& c : consumers) {
      Request& r = *c.r;
      const float* rows = logits.data() + row * run.n_vocab;
      row += c.rows;
      if (r.phase == Request::Phase::kPrefill) {
        r.phase = Request::Phase::kDecode;
        if (run.beam_mode()) {
          BeamOptions bo;
          bo.num_beams = o.num_beams;
          bo.length_penalty = o.length_penalty;
          bo.early_stopping = o.early_stopping;
          bo.max_new_tokens = r.max_new;
          r.beam = std::make_unique<BeamSearch>(bo);
          r.beam_seqs = {r.seq};
          r.seq = -1;
        }
      }
      if (r.beam) {
        run.StepBeams(r, rows);
      } else {
        run.StepSingle(r, rows);
      }
    }
  }

  // Keep the shared prefix for the next call when it is at least as useful as
  // what the cache already held.
  if (prefix_seq >= 0) {
    if (shared >= best_cached) {
      ClearPrefixCache();
      cached_seq_ = prefix_seq;
      cached_tokens_.assign(prompts[0].begin(), prompts[0].begin() + static_cast<std::ptrdiff_t>(shared));
    } else {
      cache_->Release(prefix_seq);
    }
  }
  stats_.kv_bytes = cache_->bytes_allocated();

  std::vector<TokenGeneration> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = std::move(run.reqs[i].result);
  return out;
}

}  // namespace capsfusion::engine

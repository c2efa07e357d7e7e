// Generation for a batch of tokenised prompts: scheduling, prefix sharing and
// the decoding strategies (greedy, sampling, beam search).
//
// Scheduling (continuous batching): requests are admitted in prompt order while
// the number of live sequences stays within max_batch (a beam-search request
// counts num_beams). Every step is one forward call whose batch holds one token
// per decoding sequence plus up to a token budget of prompt tokens of the
// requests still being prefilled, so prompt processing and decoding of other
// prompts share each weight multiplication. A finished sequence frees its slot
// and cache blocks at once for the next request.
//
// Prefix sharing: the longest token prefix common to all prompts of the call
// (at most each prompt's length - 1, so every prompt keeps one token whose
// logits start generation) is computed once; every request's sequence forks
// from it and shares its cache blocks. After the call that prefix stays cached
// (a single prompt leaves all but its last token), and the next call reuses the
// part of it that its prompts share, so a fixed instruction in front of every
// prompt is computed once per process.
//
// Results do not depend on how requests were batched: every operation on a
// token depends only on that token's sequence, and sampling uses one random
// stream per prompt, seeded with seed + prompt index.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capsfusion/status.h"
#include "capsfusion/tokenizer.h"
#include "engine/beam_search.h"
#include "engine/kv_cache.h"
#include "engine/language_model.h"
#include "engine/sampler.h"
#include "engine/utf8_constraint.h"

namespace capsfusion::engine {

//! The widest beam search Generate accepts.
constexpr int kMaxBeams = 64;

//! Decoding settings (validated by Generate).
struct DecodeOptions {
  int max_new_tokens = 80;
  int num_beams = 1;
  //! Beam search: also return the next best finished beams, up to this many
  //! hypotheses in all (<= num_beams), in TokenGeneration::alternatives.
  int num_return_sequences = 1;
  float length_penalty = 1.0f;
  EarlyStopping early_stopping = EarlyStopping::kFalse;
  float temperature = 0.0f;  //!< 0: greedy
  int top_k = 0;
  float top_p = 1.0f;
  uint64_t seed = 0;
  float repetition_penalty = 1.0f;
  int no_repeat_ngram_size = 0;
  bool penalize_prompt = true;  //!< penalties also count the prompt's tokens (false: generated ones only)
  float span_bonus = 0.0f;      //!< span continuation over the prompt (ApplySpanContinuation); 0: off
  int span_min_match = 3;       //!< shortest repeated span that earns the bonus
  int no_adjacent_repeat = 0;   //!< longest block banned from repeating back to back (ApplyNoAdjacentRepeat); 0: off
  bool valid_utf8 = true;       //!< byte tokens only spell well-formed UTF-8 (Utf8Constraint; needs the tokenizer)
  std::vector<std::string> stop;
  bool share_prefix = true;  //!< compute the common prefix once (and reuse the cached one)
};

//! The next token of a greedy or sampled sequence from its raw logits row:
//! the penalties of `o` over `history` (all of it, or only the tokens after the
//! n_prompt prompt tokens when !o.penalize_prompt), then sampling with `rng`
//! (temperature > 0) or the argmax. `work` and `seen` are scratch buffers;
//! `utf8` (may be null) applies when o.valid_utf8.
int32_t PickToken(const float* logits, int64_t n_vocab, const DecodeOptions& o, const std::vector<int32_t>& history,
                  int n_prompt, TokenSampler* sampler, Rng* rng, std::vector<float>* work,
                  std::vector<uint8_t>* seen, const Utf8Constraint* utf8);

//! Checks the settings' ranges (what Generate and the scheduler refuse).
Status ValidateDecodeOptions(const DecodeOptions& options);

struct TokenGeneration {
  std::vector<int32_t> tokens;  //!< new tokens, without a final EOS
  std::string text;             //!< decoded tokens, cut before the first stop string
  bool stopped = false;         //!< ended by EOS or a stop string
  double logprob = 0;           //!< sum of the raw log-probabilities of the chosen tokens (EOS included)
  size_t prompt_tokens = 0;
  //! Beam search with num_return_sequences > 1: the other finished beams,
  //! best first (each with its own tokens, text, stopped and logprob).
  std::vector<TokenGeneration> alternatives;
};

//! Counters of the last Generate call.
struct GeneratorStats {
  uint64_t forward_calls = 0;
  uint64_t prompt_tokens = 0;           //!< tokens of all prompts
  uint64_t prompt_tokens_computed = 0;  //!< prompt tokens that went through the model
  uint64_t prefix_tokens_shared = 0;    //!< length of the prefix shared in this call
  uint64_t prefix_tokens_reused = 0;    //!< of those, taken from the previous call's cache
  uint64_t generated_tokens = 0;        //!< tokens decoded (all beams)
  size_t max_live_sequences = 0;
  size_t kv_bytes = 0;                  //!< KV cache storage at the end
};

class Generator {
 public:
  //! `model` must outlive the generator; `tokenizer` (may be null when no stop
  //! strings are used) decodes text; eos_id < 0: no EOS.
  Generator(LanguageModel* model, const Tokenizer* tokenizer, int32_t eos_id, size_t max_batch);
  ~Generator();

  //! Generates for every prompt (token ids, BOS included if wanted); results in
  //! prompt order.
  StatusOr<std::vector<TokenGeneration>> Generate(const std::vector<std::vector<int32_t>>& prompts,
                                                  const DecodeOptions& options);

  const GeneratorStats& stats() const { return stats_; }
  //! Forgets the cached prefix.
  void ClearPrefixCache();
  KvCache& cache() { return *cache_; }

 private:
  struct Request;
  struct Run;
  Status Validate(const std::vector<std::vector<int32_t>>& prompts, const DecodeOptions& o) const;

  LanguageModel* model_;
  const Tokenizer* tokenizer_;
  int32_t eos_id_;
  size_t max_batch_;
  std::unique_ptr<KvCache> cache_;
  std::unique_ptr<Utf8Constraint> utf8_;  // null without a tokenizer
  // The prefix kept from the previous call.
  int cached_seq_ = -1;
  std::vector<int32_t> cached_tokens_;
  GeneratorStats stats_;
};

}  // namespace capsfusion::engine

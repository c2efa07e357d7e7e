// Token selection: the logits processors of Hugging Face `generate` (repetition
// penalty, no-repeat n-gram, temperature, top-k, top-p), greedy choice, and a
// seeded random number generator whose stream is the same on every platform.
//
// The processors work on one row of `n_vocab` scores in place. They are used on
// raw logits for greedy decoding and sampling, and on log-probabilities for beam
// search, exactly where `generate` applies them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace capsfusion::engine {

//! A small, fast, portable PRNG (xoshiro256** seeded through SplitMix64). The
//! standard library's distributions differ between implementations; this one
//! gives the same stream everywhere, so a seed reproduces a sample exactly.
class Rng {
 public:
  explicit Rng(uint64_t seed = 0);
  uint64_t Next();
  //! Uniform in [0, 1) with 53 random bits.
  double Uniform();

 private:
  uint64_t s_[4];
};

//! CTRL-style repetition penalty as `generate` applies it: every distinct
//! token of `history` (prompt and generated tokens alike) has its score
//! multiplied by `penalty` when negative and divided by it otherwise, once.
//! `seen` is scratch space (resized to n_vocab, left all zero on return).
void ApplyRepetitionPenalty(float* scores, int64_t n_vocab, const int32_t* history, size_t n_history,
                            float penalty, std::vector<uint8_t>* seen);

//! Bans (sets to -inf) every token that would complete an n-gram of size `n`
//! already present in `history` (prompt included, as in `generate`).
void ApplyNoRepeatNgram(float* scores, int64_t n_vocab, const int32_t* history, size_t n_history, int n);

//! Span continuation. Finds the longest span of `source` (at most 32 tokens)
//! that the end of `generated` repeats, and when it is at least min_match
//! tokens long adds `bonus` to the score of each token that follows such a span
//! in the source. A copy of a source span is so pulled on in order instead of
//! jumping to another occurrence of its last token. When `log_probs` is set the
//! scores are log-probabilities and, whenever such a span is found, they are
//! renormalised after the bonus (so a beam's total still sums log-probabilities,
//! and the mass of tokens banned before, at -inf, goes to the others).
void ApplySpanContinuation(float* scores, int64_t n_vocab, const int32_t* source, size_t n_source,
                           const int32_t* generated, size_t n_generated, float bonus, int min_match,
                           bool log_probs);

//! No adjacent repeats. Bans (sets to -inf) each token that would make the end
//! of `generated` a block of 1 to `max_block` tokens written twice in a row
//! ("a tree tree", ".com.com", "LCD LCD LCD"), unless `source` contains the same
//! doubled block (a name like "Duran Duran" may still be copied). 0: off.
void ApplyNoAdjacentRepeat(float* scores, int64_t n_vocab, const int32_t* source, size_t n_source,
                           const int32_t* generated, size_t n_generated, int max_block);

//! Index of the largest score; the lowest index wins a tie.
int32_t Argmax(const float* scores, int64_t n);

//! log(sum(exp(x))) computed stably (max subtracted), in double.
double LogSumExp(const float* x, int64_t n);

//! y[i] = x[i] - LogSumExp(x) (x == y allowed).
void LogSoftmax(const float* x, int64_t n, float* y);

//! Sampling settings after validation.
struct SamplingParams {
  float temperature = 1.0f;  //!< > 0
  int top_k = 0;             //!< 0: off
  float top_p = 1.0f;        //!< 1: off
};

//! Draws a token from a row of processed logits: temperature, then top-k, then
//! top-p (the order of `generate`'s warpers), then a multinomial draw with
//! `rng`. Candidates are ordered by (score desc, id asc) before the draw, so the
//! result depends only on the scores and the random stream. Reuses its buffers.
class TokenSampler {
 public:
  int32_t Sample(const float* logits, int64_t n_vocab, const SamplingParams& params, Rng* rng);

 private:
  std::vector<int32_t> ids_;
  std::vector<float> probs_;
};

}  // namespace capsfusion::engine

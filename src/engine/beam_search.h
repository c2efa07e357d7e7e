// Beam search bookkeeping for one prompt, following Hugging Face `generate`
// (the vectorised `GenerationMixin._beam_search` of transformers >= 4.50):
//
//  * Every step scores all (running beam, token) pairs as
//    beam score + processed log-probability, and keeps the best 2 * num_beams.
//  * Of those, the ones that hit a stopping criterion (EOS, a stop string, the
//    length limit) and rank in the first num_beams become finished hypotheses
//    with score sum_logprobs / generated_length^length_penalty, where
//    generated_length counts the new tokens including the final EOS (the prompt
//    is not counted; before 4.50 the EOS was left out, and before
//    decoder_prompt_len existed the prompt of decoder-only models was counted).
//    At most num_beams finished hypotheses are kept, best first.
//  * The best num_beams candidates that did not stop keep running.
//  * early_stopping = true: done once num_beams hypotheses are finished.
//    false: done once they are, and the best running beam, normalised by its
//    current length, cannot beat the worst finished one. "never": the same but
//    normalised by the maximum length when length_penalty > 0 (a true bound).
//  * When every candidate stops (e.g. the length limit), the search is done.
//
// One deviation: a running beam whose every continuation stopped is dropped
// instead of being carried along with a score of -1e9; this changes nothing
// unless a prompt's vocabulary is smaller than 2 * num_beams.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace capsfusion::engine {

enum class EarlyStopping { kFalse, kTrue, kNever };

struct BeamOptions {
  int num_beams = 1;
  float length_penalty = 1.0f;
  EarlyStopping early_stopping = EarlyStopping::kFalse;
  int max_new_tokens = 80;  //!< the length limit (a stopping criterion)
};

class BeamSearch {
 public:
  struct Beam {
    std::vector<int32_t> tokens;  //!< generated tokens
    float score = 0;              //!< sum of processed log-probabilities (float, as in `generate`)
    double logprob = 0;           //!< sum of the model's raw log-probabilities
  };
  struct Hypothesis {
    std::vector<int32_t> tokens;  //!< generated tokens, the stopping token included
    double score = 0;             //!< length-normalised score
    float sum_logprobs = 0;
    double logprob = 0;
    bool stopped = false;         //!< ended by EOS or a stop string (not only by length)
  };

  //! Says whether running beam `beam` followed by `token` ends there (EOS or a
  //! stop string). The length limit is checked by BeamSearch itself.
  using StopFn = std::function<bool(int beam, int32_t token)>;
  //! The model's raw log-probability of `token` after running beam `beam`.
  using RawLogprobFn = std::function<double(int beam, int32_t token)>;

  explicit BeamSearch(const BeamOptions& options);

  //! Running beams; one empty beam before the first step.
  const std::vector<Beam>& running() const { return running_; }
  //! Tokens generated so far by every running beam.
  int generated() const { return generated_; }
  bool done() const { return done_; }

  //! One step. `log_probs[b]` points at the processed log-probabilities of
  //! running beam b (n_vocab floats). On return `*parents` holds, for each new
  //! running beam, the index of the old running beam it continues.
  void Step(const std::vector<const float*>& log_probs, int64_t n_vocab, const StopFn& stops,
            const RawLogprobFn& raw_logprob, std::vector<int>* parents);

  //! The finished hypotheses, best first (num_beams of them once done(),
  //! unless max_new_tokens was 0).
  const std::vector<Hypothesis>& finished() const { return finished_; }

 private:
  struct Candidate {
    float score;
    int beam;
    int32_t token;
  };
  void SelectTopCandidates(const std::vector<const float*>& log_probs, int64_t n_vocab, size_t k);

  BeamOptions opt_;
  std::vector<Beam> running_;
  std::vector<Hypothesis> finished_;
  std::vector<Candidate> candidates_;  // a heap while selecting, then best first
  std::vector<Beam> next_;             // scratch of Step
  int generated_ = 0;
  bool done_ = false;
};

}  // namespace capsfusion::engine

// The inference engine: load a LLaMA-architecture GGUF model, tokenize, and
// generate for a batch of prompts.
//
//   auto model = capsfusion::Model::Load("models/capsfusion-default.gguf", {});
//   if (!model.ok()) { ... model.status().ToString() ... }
//   capsfusion::GenerateOptions opt;  // greedy, 80 new tokens
//   auto out = (*model)->Generate({"Sentence 1: ...", "Sentence 2: ..."}, opt);
//
// Errors come back as Status values, never as aborts.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capsfusion/status.h"
#include "capsfusion/tokenizer.h"

namespace capsfusion {

struct ModelOptions {
  int threads = 0;          //!< 0: all cores
  size_t max_batch = 64;    //!< sequences decoded together at most
  size_t context_length = 0;  //!< 0: the model's own
  //! Compute ModelInfo::file_sha256 on load. Costs one sequential read of the
  //! whole file (about 1-2 s per GB when it is not in the page cache); with
  //! false, file_sha256 stays empty.
  bool hash_file = true;
  //! Keep the KV cache in F16 (half the memory and attention traffic, about
  //! 1e-3 relative error, llama.cpp's default); false: F32.
  bool kv_cache_f16 = true;
};

//! How to decode. The defaults are greedy decoding of at most 80 new tokens.
//! Beam search follows Hugging Face `generate` (num_beams, length_penalty,
//! early_stopping); sampling is reproducible for a given seed.
struct GenerateOptions {
  int max_new_tokens = 80;
  int num_beams = 1;              //!< > 1: beam search
  //! Beam search: hypotheses returned per prompt, best first (1 to num_beams):
  //! the best in the Generation itself, the others in its `alternatives`.
  int num_return_sequences = 1;
  float length_penalty = 1.0f;    //!< beam score = logprob / length^length_penalty
  bool early_stopping = false;    //!< beam: stop when num_beams hypotheses are done
  //! beam: Hugging Face's early_stopping="never" (overrides early_stopping):
  //! stop only when no running beam can beat the finished ones even at the
  //! maximum length (with length_penalty > 0).
  bool early_stopping_never = false;
  float temperature = 0.0f;       //!< 0: greedy; > 0: sampling
  int top_k = 0;                  //!< 0: off
  float top_p = 1.0f;             //!< 1: off
  uint64_t seed = 0;              //!< sampling seed (per prompt: seed + index)
  float repetition_penalty = 1.0f;  //!< CTRL-style penalty, 1: off
  int no_repeat_ngram_size = 0;   //!< 0: off
  //! The repetition penalty and no-repeat n-grams count the prompt's tokens too
  //! (Hugging Face's behaviour). False: only the generated tokens, so that a
  //! fusion model may copy phrases of its sources but not repeat itself.
  bool penalize_prompt = true;
  //! Span continuation: when the output's last span_min_match or more tokens
  //! repeat a span of the prompt, the token that follows the longest such span
  //! gets this much added to its log-probability (renormalised under beam
  //! search), so copied names and titles are continued in order rather than
  //! broken off at a repeated token. 0: off.
  float span_bonus = 0.0f;
  int span_min_match = 3;
  //! No adjacent repeats: a block of up to this many tokens may not be written
  //! twice in a row ("a tree tree", ".com.com") unless the prompt has the same
  //! doubled block. 0: off.
  int no_adjacent_repeat = 0;
  //! Byte-fallback tokens may only spell well-formed UTF-8 (no stray or cut
  //! multi-byte sequences that would decode to U+FFFD). False: any token.
  bool valid_utf8 = true;
  std::vector<std::string> stop;  //!< stop strings (not included in the output)
  //! Compute the token prefix common to all prompts once and share its KV cache
  //! (also across calls); false computes every prompt in full. Outputs are the
  //! same either way.
  bool share_prefix = true;
};

//! One prompt's result.
struct Generation {
  std::string text;               //!< decoded new text (stop string removed)
  std::vector<int32_t> tokens;    //!< new token ids (a final EOS is not included)
  size_t prompt_tokens = 0;
  std::string finish_reason;      //!< "stop" (EOS or stop string) or "length"
  double logprob = 0;             //!< sum of the chosen tokens' log-probabilities (EOS included),
                                  //!< under the model before any penalty or temperature
  //! The next best beam hypotheses, best first (num_return_sequences > 1).
  std::vector<Generation> alternatives;
};

//! Hyperparameters read from the file.
struct ModelInfo {
  std::string architecture;  //!< "llama" (or our own variant's name)
  std::string name;
  uint32_t n_vocab = 0, n_ctx = 0, n_embd = 0, n_layer = 0, n_head = 0, n_head_kv = 0, n_ff = 0;
  std::string weight_type;   //!< "F32", "F16", "Q8_0", "Q4_0" or "mixed"
  uint64_t n_params = 0;
  std::string file_sha256;   //!< hash of the model file (provenance)
  std::string prompt_template;  //!< from metadata "capsfusion.prompt_template", or empty
  //! The beam width the model was tuned for (metadata "capsfusion.decoding.num_beams"),
  //! which `fuse` uses unless --num-beams is given; 0 when the file has none.
  int recommended_num_beams = 0;
  //! The length penalty it was tuned for ("capsfusion.decoding.length_penalty"), if any.
  std::optional<float> recommended_length_penalty;
  //! The span continuation it was tuned for ("capsfusion.decoding.span_bonus" and
  //! ".span_min_match"; GenerateOptions::span_bonus), if any.
  std::optional<float> recommended_span_bonus;
  int recommended_span_min_match = 0;  //!< 0: none
  //! The length choice among beams it was tuned for ("capsfusion.decoding.expected_length",
  //! [a, b, c]: expected words ~ a + b x raw words + c x synthetic words, and
  //! ".min_length_ratio"), if any.
  std::optional<std::array<float, 3>> recommended_expected_length;
  std::optional<float> recommended_min_length_ratio;
  //! The order of the finished beams it was tuned for ("capsfusion.decoding.beam_choice":
  //! "model" or "consensus"; empty: none) and the consensus choice's source
  //! weight (".consensus_source_weight"), if any.
  std::string recommended_beam_choice;
  std::optional<float> recommended_consensus_source_weight;
};

class Model {
 public:
  virtual ~Model() = default;

  //! Maps the GGUF file at `path` and checks it completely.
  static StatusOr<std::unique_ptr<Model>> Load(const std::string& path,
                                               const ModelOptions& options);

  virtual const ModelInfo& info() const = 0;
  virtual const Tokenizer& tokenizer() const = 0;
  //! The token ids Generate feeds the model for `prompt` (BOS first when the
  //! model asks for one).
  virtual std::vector<int32_t> PromptTokens(std::string_view prompt) const = 0;

  //! Generates for every prompt; results in the order of `prompts`. Prompts of
  //! different lengths are decoded together; a prefix common to all prompts is
  //! computed once. Calls on one Model are serialised.
  virtual StatusOr<std::vector<Generation>> Generate(const std::vector<std::string>& prompts,
                                                     const GenerateOptions& options) = 0;
};

}  // namespace capsfusion

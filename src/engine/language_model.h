// What the generator needs from a network: run a batch of tokens of many
// sequences through it, appending to their KV cache, and return the logits of
// the positions that asked for them.
//
// A batch is a list of (sequence, token, position): prompt processing of
// several prompts and one decoding step of many sequences are the same call,
// and every weight matrix is multiplied once per call for all tokens. For each
// sequence, its entries must be consecutive positions starting at the cache's
// current length, in order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "capsfusion/status.h"
#include "engine/kv_cache.h"

namespace capsfusion::engine {

struct BatchToken {
  int32_t token = 0;
  int32_t seq = 0;      //!< KvCache sequence id
  int32_t pos = 0;      //!< position in that sequence
  bool logits = false;  //!< return the logits of this position
};

//! The shape numbers every architecture has.
struct ModelShape {
  uint32_t n_vocab = 0, n_ctx_train = 0, n_embd = 0, n_layer = 0, n_head = 0, n_head_kv = 0, n_ff = 0,
           head_dim = 0;
};

class LanguageModel {
 public:
  virtual ~LanguageModel() = default;

  virtual const ModelShape& shape() const = 0;
  virtual const std::string& weight_type() const = 0;
  virtual uint64_t n_params() const = 0;
  //! Positions must stay below this (the model's context or the user's override).
  virtual uint32_t context_length() const = 0;
  //! How a KvCache for this model must be configured.
  virtual KvCacheConfig kv_cache_config() const = 0;

  //! Runs `batch`; on success `logits` holds n_vocab floats for every entry with
  //! logits = true, in batch order. Invalid batches (token out of range, unknown
  //! sequence, non-consecutive positions, positions past the context) are
  //! refused with InvalidArgument/OutOfRange before anything changes.
  virtual Status Forward(const std::vector<BatchToken>& batch, KvCache* cache, std::vector<float>* logits) = 0;
};

}  // namespace capsfusion::engine

#include "engine/capsfusion_copy_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "engine/attention.h"
#include "engine/copy_sources.h"
#include "engine/kernels.h"
#include "engine/thread_pool.h"
#include "engine/vec_exp.h"

namespace capsfusion::engine {

namespace {

template <typename T>
void Grow(std::vector<T>* v, size_t n) {
  if (v->size() < n) v->resize(n);
}

}  // namespace

StatusOr<CopyHeadWeights> LoadCopyHeadWeights(const gguf::GgufFile& file, const std::string& arch,
                                              const LlamaHparams& hp) {
  CopyHeadWeights c;
  auto key_length = file.GetUint32(arch + ".copy.key_length");
  if (!key_length.ok()) return key_length.status().WithContext("metadata key '" + arch + ".copy.key_length'");
  auto end = file.GetUint32(arch + ".copy.end_token_id");
  if (!end.ok()) return end.status().WithContext("metadata key '" + arch + ".copy.end_token_id'");
  c.key_length = *key_length;
  if (c.key_length == 0 || c.key_length > hp.kv_dim()) {
    return Status::InvalidArgument(arch + ".copy.key_length = " + std::to_string(c.key_length) +
                                   " must be in [1, n_head_kv * head_dim = " + std::to_string(hp.kv_dim()) + "]");
  }
  if (*end >= hp.n_vocab) return Status::InvalidArgument(arch + ".copy.end_token_id is outside the vocabulary");
  c.end_token = static_cast<int32_t>(*end);
  if (hp.head_dim < static_cast<uint32_t>(kCopyValues)) {
    return Status::InvalidArgument("a copy head needs head_dim >= " + std::to_string(kCopyValues));
  }

  auto matrix = [&](const std::string& name, WeightView* out) -> Status {
    const gguf::TensorInfo* t = file.FindTensor(name);
    if (t == nullptr) return Status::NotFound("missing tensor '" + name + "'");
    if (t->shape.size() != 2 || t->shape[0] != hp.n_embd || t->shape[1] != c.key_length) {
      return Status::InvalidArgument("tensor '" + name + "' must have shape {" + std::to_string(hp.n_embd) + ", " +
                                     std::to_string(c.key_length) + "}");
    }
    if (t->type != TensorType::kF32 && t->type != TensorType::kF16 && t->type != TensorType::kQ8_0 &&
        t->type != TensorType::kQ4_0) {
      return Status::NotSupported("tensor '" + name + "' has an unsupported type");
    }
    auto row_bytes = gguf::RowBytes(t->type, static_cast<int64_t>(hp.n_embd));
    if (!row_bytes.ok() || t->n_bytes != *row_bytes * c.key_length || t->data == nullptr) {
      return Status::Corruption("tensor '" + name + "' has a bad size");
    }
    *out = WeightView{t->type, t->data, static_cast<int64_t>(c.key_length), static_cast<int64_t>(hp.n_embd)};
    return Status::OK();
  };
  auto vector = [&](const std::string& name, uint64_t n) -> StatusOr<const float*> {
    const gguf::TensorInfo* t = file.FindTensor(name);
    if (t == nullptr) return Status::NotFound("missing tensor '" + name + "'");
    if (t->shape.size() != 1 || t->shape[0] != n || t->type != TensorType::kF32 || t->n_bytes != n * 4 ||
        t->data == nullptr || reinterpret_cast<uintptr_t>(t->data) % alignof(float) != 0) {
      return Status::InvalidArgument("tensor '" + name + "' must be F32 with shape {" + std::to_string(n) + "}");
    }
    return reinterpret_cast<const float*>(t->data);
  };
  CF_RETURN_IF_ERROR(matrix("copy.query.weight", &c.query));
  CF_RETURN_IF_ERROR(matrix("copy.key.weight", &c.key));
  auto gate = vector("copy.gate.weight", hp.n_embd);
  if (!gate.ok()) return gate.status();
  c.gate = *gate;
  auto bias = vector("copy.gate.bias", 1);
  if (!bias.ok()) return bias.status();
  c.gate_bias = **bias;
  if (!std::isfinite(c.gate_bias)) return Status::Corruption("copy.gate.bias is not finite");

  auto types = file.GetInt32Array("tokenizer.ggml.token_type");
  if (!types.ok()) return types.status().WithContext("the copy head needs 'tokenizer.ggml.token_type'");
  if (types->size() != hp.n_vocab) {
    return Status::InvalidArgument("tokenizer.ggml.token_type has " + std::to_string(types->size()) +
                                   " entries for " + std::to_string(hp.n_vocab) + " tokens");
  }
  c.special.resize(hp.n_vocab);
  for (size_t i = 0; i < types->size(); ++i) {
    const int32_t t = (*types)[i];
    c.special[i] = (t == 2 || t == 3 || t == 4) ? 1 : 0;  // unknown, control, user-defined
  }
  return c;
}

CopyForward::CopyForward(LlamaWeights weights, CopyHeadWeights copy, const ArchitectureOptions& options)
    : LlamaForward(std::move(weights), options), c_(std::move(copy)) {}

KvCacheConfig CopyForward::kv_cache_config() const {
  KvCacheConfig c = LlamaForward::kv_cache_config();
  c.n_layer += 1;  // the copy layer
  return c;
}

void CopyForward::Head(const BatchToken* tokens, int64_t n, float* x, KvCache* cache, float* logits) {
  const LlamaHparams& hp = w_.hp;
  const size_t E = hp.n_embd, C = c_.key_length, KVD = hp.kv_dim(), V = hp.n_vocab;
  const int layer = static_cast<int>(hp.n_layer);
  Grow(&hn_, n * E);
  Grow(&keys_, n * C);
  Grow(&kv_row_, KVD);
  Grow(&v_row_, KVD);
  for (int64_t i = 0; i < n; ++i) RmsNorm(x + i * E, w_.output_norm, E, hp.rms_eps, hn_.data() + i * E);
  MatMul(c_.key, hn_.data(), n, keys_.data(), pool_);

  // Store each position's copy state, in batch order (a sequence's positions
  // come in order, so the previous position's flags are already stored).
  for (int64_t i = 0; i < n; ++i) {
    const BatchToken& b = tokens[i];
    bool end_before = false;
    if (b.pos > 0) {
      ReadCopyValues(*cache, layer, b.seq, b.pos - 1, v_row_.data());
      end_before = v_row_[1] != 0.0f;
    }
    const bool is_end = b.token == c_.end_token;
    const bool source = !end_before && !is_end && !c_.special[b.token];
    std::fill(kv_row_.begin(), kv_row_.begin() + KVD, 0.0f);
    std::fill(v_row_.begin(), v_row_.begin() + KVD, 0.0f);
    if (source) std::copy(keys_.data() + i * C, keys_.data() + (i + 1) * C, kv_row_.data());
    v_row_[0] = source ? 1.0f : 0.0f;
    v_row_[1] = (end_before || is_end) ? 1.0f : 0.0f;
    v_row_[2] = std::floor(static_cast<float>(b.token) / kCopyIdBase);
    v_row_[3] = static_cast<float>(b.token % static_cast<int32_t>(kCopyIdBase));
    StoreKv(*cache, layer, b.seq, b.pos, kv_row_.data(), v_row_.data());
  }

  const int64_t m = static_cast<int64_t>(logit_rows_.size());
  if (m == 0) return;
  Grow(&rows_, m * E);
  Grow(&qs_, m * C);
  for (int64_t j = 0; j < m; ++j) {
    std::copy(hn_.data() + static_cast<size_t>(logit_rows_[j]) * E,
              hn_.data() + static_cast<size_t>(logit_rows_[j] + 1) * E, rows_.data() + j * E);
  }
  MatMul(packed_output_, rows_.data(), m, logits, pool_);
  MatMul(c_.query, rows_.data(), m, qs_.data(), pool_);

  const float scale = 1.0f / std::sqrt(static_cast<float>(C));
  // Each logits row on its own (the pool's threads take rows; every row's
  // arithmetic is the same whichever thread runs it).
  auto row = [&](int64_t j) {
    thread_local std::vector<float> scores;
    thread_local std::vector<int32_t> src_ids;
    const BatchToken& b = tokens[logit_rows_[j]];
    const float* h = rows_.data() + j * E;
    const float* q = qs_.data() + j * C;
    float* out = logits + j * V;
    // log_softmax of the vocabulary logits.
    const float mx = MaxOf(out, static_cast<int64_t>(V));
    const double sum = SumExpPrecise(out, static_cast<int64_t>(V), mx);
    const float lse = mx + static_cast<float>(std::log(sum));

    // The sources of this position's sequence (positions up to its own).
    scores.clear();
    src_ids.clear();
    CollectCopySources(*cache, layer, b.seq, b.pos, q, static_cast<int>(C), scale, &scores, &src_ids);
    if (scores.empty()) {  // no source yet: the vocabulary alone
      SubtractThenAdd(out, static_cast<int64_t>(V), lse, false, 0.0f);
      return;
    }
    Softmax(scores.data(), static_cast<int64_t>(scores.size()));
    double z = c_.gate_bias;
    for (size_t d = 0; d < E; ++d) z += static_cast<double>(c_.gate[d]) * h[d];
    const double log_g = -std::log1p(std::exp(-z)), log_1mg = -std::log1p(std::exp(z));
    // p(y) = g p_vocab(y) + (1 - g) p_copy(y), in log space.
    std::vector<std::pair<int32_t, double>> copy;
    for (size_t s = 0; s < scores.size(); ++s) {
      auto it = std::find_if(copy.begin(), copy.end(), [&](const auto& e) { return e.first == src_ids[s]; });
      if (it == copy.end()) {
        copy.emplace_back(src_ids[s], scores[s]);
      } else {
        it->second += scores[s];
      }
    }
    // log p_vocab(y) + log g for every token, then the copied tokens mixed in.
    SubtractThenAdd(out, static_cast<int64_t>(V), lse, true, static_cast<float>(log_g));
    const double one_minus_g = std::exp(log_1mg);
    for (const auto& [id, pc] : copy) {
      if (id < 0 || static_cast<size_t>(id) >= V) continue;
      out[id] = static_cast<float>(std::log(std::exp(static_cast<double>(out[id])) + one_minus_g * pc));
    }
  };
  ParallelForOrSerial(m > 1 ? pool_ : nullptr, m, [&](int64_t a, int64_t e) {
    for (int64_t j = a; j < e; ++j) row(j);
  });
}

StatusOr<std::unique_ptr<LanguageModel>> LoadCapsfusionCopy(const gguf::GgufFile& file,
                                                            const std::string& architecture,
                                                            const ArchitectureOptions& options) {
  auto weights = LoadLlamaWeights(file, architecture);
  if (!weights.ok()) return weights.status();
  auto copy = LoadCopyHeadWeights(file, architecture, weights->hp);
  if (!copy.ok()) return copy.status();
  if (options.context_length > HparamLimits::kMaxContext) {
    return Status::OutOfRange("context length " + std::to_string(options.context_length) + " exceeds " +
                              std::to_string(HparamLimits::kMaxContext));
  }
  weights->n_params += 2ull * weights->hp.n_embd * copy->key_length + weights->hp.n_embd + 1;
  return ConstructPacked([&] { return new CopyForward(std::move(*weights), std::move(*copy), options); });
}

}  // namespace capsfusion::engine

#include "engine/llama_model.h"

#include <cmath>
#include <cstdint>
#include <set>
#include <sstream>

#include "gguf/tensor_types.h"

namespace capsfusion::engine {

namespace {

std::string ShapeString(const std::vector<uint64_t>& shape) {
  std::ostringstream os;
  os << '{';
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << '}';
  return os.str();
}

// Reads a required unsigned key within [lo, hi].
Status ReadU32(const gguf::GgufFile& file, const std::string& key, uint64_t lo, uint64_t hi, uint32_t* out) {
  if (!file.Has(key)) return Status::NotFound("missing metadata key '" + key + "'");
  auto v = file.GetUint64(key);
  if (!v.ok()) return v.status().WithContext("metadata key '" + key + "'");
  if (*v < lo || *v > hi) {
    return Status::OutOfRange("metadata key '" + key + "' = " + std::to_string(*v) + " is outside [" +
                              std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  *out = static_cast<uint32_t>(*v);
  return Status::OK();
}

// Same for an optional key; `*out` keeps its value when the key is absent.
Status ReadOptionalU32(const gguf::GgufFile& file, const std::string& key, uint64_t lo, uint64_t hi,
                       uint32_t* out) {
  if (!file.Has(key)) return Status::OK();
  return ReadU32(file, key, lo, hi, out);
}

Status ReadOptionalPositiveFloat(const gguf::GgufFile& file, const std::string& key, float max, float* out) {
  if (!file.Has(key)) return Status::OK();
  auto v = file.GetFloat32(key);
  if (!v.ok()) return v.status().WithContext("metadata key '" + key + "'");
  if (!std::isfinite(*v) || *v <= 0 || *v > max) {
    return Status::OutOfRange("metadata key '" + key + "' = " + std::to_string(*v) +
                              " must be positive, finite and at most " + std::to_string(max));
  }
  *out = *v;
  return Status::OK();
}

bool IsMatrixType(TensorType t) {
  return t == TensorType::kF32 || t == TensorType::kF16 || t == TensorType::kQ8_0 || t == TensorType::kQ4_0;
}

// Shapes match when the dimensions agree, ignoring trailing dimensions of 1.
bool ShapeMatches(const std::vector<uint64_t>& got, const std::vector<uint64_t>& want) {
  const size_t n = std::max(got.size(), want.size());
  for (size_t i = 0; i < n; ++i) {
    const uint64_t g = i < got.size() ? got[i] : 1;
    const uint64_t w = i < want.size() ? want[i] : 1;
    if (g != w) return false;
  }
  return true;
}

class Binder {
 public:
  explicit Binder(const gguf::GgufFile& file) : file_(file) {}

  StatusOr<const gguf::TensorInfo*> Find(const std::string& name, const std::vector<uint64_t>& shape) {
    const gguf::TensorInfo* t = file_.FindTensor(name);
    if (t == nullptr) {
      return Status::NotFound("missing tensor '" + name + "' (expected shape " + ShapeString(shape) + ")");
    }
    if (!ShapeMatches(t->shape, shape)) {
      return Status::InvalidArgument("tensor '" + name + "' has shape " + ShapeString(t->shape) +
                                     ", expected " + ShapeString(shape));
    }
    if (t->data == nullptr) return Status::Corruption("tensor '" + name + "' has no data");
    n_params_ += t->n_elements;
    return t;
  }

  StatusOr<WeightView> Matrix(const std::string& name, uint64_t cols, uint64_t rows) {
    auto t = Find(name, {cols, rows});
    if (!t.ok()) return t.status();
    const gguf::TensorInfo& info = **t;
    if (!IsMatrixType(info.type)) {
      return Status::NotSupported("tensor '" + name + "' has type " + gguf::TensorTypeName(info.type) +
                                  "; supported: F32, F16, Q8_0, Q4_0");
    }
    auto row_bytes = gguf::RowBytes(info.type, static_cast<int64_t>(cols));
    if (!row_bytes.ok()) return row_bytes.status().WithContext("tensor '" + name + "'");
    if (info.n_bytes != *row_bytes * rows) {
      return Status::Corruption("tensor '" + name + "' holds " + std::to_string(info.n_bytes) +
                                " bytes, expected " + std::to_string(*row_bytes * rows));
    }
    types_.insert(info.type);
    return WeightView{info.type, info.data, static_cast<int64_t>(rows), static_cast<int64_t>(cols)};
  }

  StatusOr<const float*> Vector(const std::string& name, uint64_t n) {
    auto t = Find(name, {n});
    if (!t.ok()) return t.status();
    const gguf::TensorInfo& info = **t;
    if (info.type != TensorType::kF32) {
      return Status::NotSupported("tensor '" + name + "' has type " + gguf::TensorTypeName(info.type) +
                                  "; norm weights must be F32");
    }
    if (info.n_bytes != n * sizeof(float) || reinterpret_cast<uintptr_t>(info.data) % alignof(float) != 0) {
      return Status::Corruption("tensor '" + name + "' has a bad size or alignment");
    }
    return reinterpret_cast<const float*>(info.data);
  }

  uint64_t n_params() const { return n_params_; }
  std::string weight_type() const {
    if (types_.size() == 1) return gguf::TensorTypeName(*types_.begin());
    return types_.empty() ? "none" : "mixed";
  }

 private:
  const gguf::GgufFile& file_;
  uint64_t n_params_ = 0;
  std::set<TensorType> types_;
};

}  // namespace

StatusOr<LlamaHparams> ReadLlamaHparams(const gguf::GgufFile& file, const std::string& arch) {
  using L = HparamLimits;
  LlamaHparams hp;
  hp.architecture = arch;
  const std::string p = arch + ".";
  CF_RETURN_IF_ERROR(ReadU32(file, p + "context_length", 1, L::kMaxContext, &hp.n_ctx_train));
  CF_RETURN_IF_ERROR(ReadU32(file, p + "embedding_length", 1, L::kMaxEmbd, &hp.n_embd));
  CF_RETURN_IF_ERROR(ReadU32(file, p + "block_count", 1, L::kMaxLayers, &hp.n_layer));
  CF_RETURN_IF_ERROR(ReadU32(file, p + "feed_forward_length", 1, L::kMaxFf, &hp.n_ff));
  CF_RETURN_IF_ERROR(ReadU32(file, p + "attention.head_count", 1, L::kMaxHeads, &hp.n_head));
  hp.n_head_kv = hp.n_head;
  CF_RETURN_IF_ERROR(ReadOptionalU32(file, p + "attention.head_count_kv", 1, L::kMaxHeads, &hp.n_head_kv));
  if (hp.n_head_kv > hp.n_head || hp.n_head % hp.n_head_kv != 0) {
    return Status::InvalidArgument(p + "attention.head_count_kv = " + std::to_string(hp.n_head_kv) +
                                   " does not divide " + p + "attention.head_count = " + std::to_string(hp.n_head));
  }
  if (!file.Has(p + "attention.layer_norm_rms_epsilon")) {
    return Status::NotFound("missing metadata key '" + p + "attention.layer_norm_rms_epsilon'");
  }
  CF_RETURN_IF_ERROR(ReadOptionalPositiveFloat(file, p + "attention.layer_norm_rms_epsilon", 1.0f, &hp.rms_eps));
  CF_RETURN_IF_ERROR(ReadOptionalPositiveFloat(file, p + "rope.freq_base", 1e12f, &hp.rope_freq_base));

  // Head size: key_length when given, otherwise n_embd / n_head.
  if (file.Has(p + "attention.key_length")) {
    CF_RETURN_IF_ERROR(ReadU32(file, p + "attention.key_length", 2, 4096, &hp.head_dim));
    uint32_t value_length = hp.head_dim;
    CF_RETURN_IF_ERROR(ReadOptionalU32(file, p + "attention.value_length", 1, 4096, &value_length));
    if (value_length != hp.head_dim) {
      return Status::NotSupported(p + "attention.value_length differs from " + p + "attention.key_length");
    }
  } else {
    if (hp.n_embd % hp.n_head != 0) {
      return Status::InvalidArgument(p + "attention.head_count = " + std::to_string(hp.n_head) +
                                     " does not divide " + p + "embedding_length = " + std::to_string(hp.n_embd));
    }
    hp.head_dim = hp.n_embd / hp.n_head;
  }
  if (hp.head_dim % 2 != 0) {
    return Status::InvalidArgument("head size " + std::to_string(hp.head_dim) + " must be even for RoPE");
  }
  hp.rope_dims = hp.head_dim;
  CF_RETURN_IF_ERROR(ReadOptionalU32(file, p + "rope.dimension_count", 2, hp.head_dim, &hp.rope_dims));
  if (hp.rope_dims % 2 != 0) {
    return Status::InvalidArgument(p + "rope.dimension_count = " + std::to_string(hp.rope_dims) + " must be even");
  }

  // Variants this engine does not implement are refused rather than run wrongly.
  if (file.Has(p + "expert_count")) {
    auto experts = file.GetUint64(p + "expert_count");
    if (!experts.ok() || *experts > 0) {
      return Status::NotSupported(p + "expert_count: mixture-of-experts models are not supported");
    }
  }
  if (file.Has(p + "rope.scaling.type")) {
    auto type = file.GetString(p + "rope.scaling.type");
    if (!type.ok() || *type != "none") {
      return Status::NotSupported(p + "rope.scaling.type: RoPE scaling is not supported");
    }
  }
  if (file.FindTensor("rope_freqs.weight") != nullptr) {
    return Status::NotSupported("tensor 'rope_freqs.weight': RoPE frequency factors are not supported");
  }

  // n_vocab comes from the embedding matrix; vocab_size, when present, must agree.
  const gguf::TensorInfo* embd = file.FindTensor("token_embd.weight");
  if (embd == nullptr) {
    return Status::NotFound("missing tensor 'token_embd.weight' (expected shape {" + std::to_string(hp.n_embd) +
                            ", n_vocab})");
  }
  if (embd->shape.size() < 2 || embd->shape[1] < 1 || embd->shape[1] > L::kMaxVocab) {
    return Status::InvalidArgument("tensor 'token_embd.weight' has shape " + ShapeString(embd->shape) +
                                   ", expected {" + std::to_string(hp.n_embd) + ", n_vocab}");
  }
  hp.n_vocab = static_cast<uint32_t>(embd->shape[1]);
  uint32_t vocab_key = hp.n_vocab;
  CF_RETURN_IF_ERROR(ReadOptionalU32(file, p + "vocab_size", 1, L::kMaxVocab, &vocab_key));
  if (vocab_key != hp.n_vocab) {
    return Status::InvalidArgument(p + "vocab_size = " + std::to_string(vocab_key) +
                                   " differs from the rows of 'token_embd.weight' (" + std::to_string(hp.n_vocab) +
                                   ")");
  }
  return hp;
}

StatusOr<LlamaWeights> LoadLlamaWeights(const gguf::GgufFile& file, const std::string& arch) {
  auto hp = ReadLlamaHparams(file, arch);
  if (!hp.ok()) return hp.status();
  LlamaWeights w;
  w.hp = *hp;
  const uint64_t embd = w.hp.n_embd, vocab = w.hp.n_vocab, ff = w.hp.n_ff;
  const uint64_t qd = w.hp.q_dim(), kvd = w.hp.kv_dim();
  Binder bind(file);

#define CF_BIND(target, expr)            \
  do {                                   \
    auto bound_ = (expr);                \
    if (!bound_.ok()) return bound_.status(); \
    target = *bound_;                    \
  } while (0)

  CF_BIND(w.token_embd, bind.Matrix("token_embd.weight", embd, vocab));
  CF_BIND(w.output_norm, bind.Vector("output_norm.weight", embd));
  if (file.FindTensor("output.weight") != nullptr) {
    CF_BIND(w.output, bind.Matrix("output.weight", embd, vocab));
  } else {
    w.output = w.token_embd;
    w.output_tied = true;
  }
  w.layers.resize(w.hp.n_layer);
  for (uint32_t i = 0; i < w.hp.n_layer; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    LlamaLayer& l = w.layers[i];
    CF_BIND(l.attn_norm, bind.Vector(b + "attn_norm.weight", embd));
    CF_BIND(l.wq, bind.Matrix(b + "attn_q.weight", embd, qd));
    CF_BIND(l.wk, bind.Matrix(b + "attn_k.weight", embd, kvd));
    CF_BIND(l.wv, bind.Matrix(b + "attn_v.weight", embd, kvd));
    CF_BIND(l.wo, bind.Matrix(b + "attn_output.weight", qd, embd));
    CF_BIND(l.ffn_norm, bind.Vector(b + "ffn_norm.weight", embd));
    CF_BIND(l.w_gate, bind.Matrix(b + "ffn_gate.weight", embd, ff));
    CF_BIND(l.w_up, bind.Matrix(b + "ffn_up.weight", embd, ff));
    CF_BIND(l.w_down, bind.Matrix(b + "ffn_down.weight", ff, embd));
  }
#undef CF_BIND
  w.weight_type = bind.weight_type();
  w.n_params = bind.n_params();
  return w;
}

}  // namespace capsfusion::engine

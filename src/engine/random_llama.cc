#include "engine/random_llama.h"

#include <cmath>
#include <cstdio>

#include "engine/sampler.h"
#include "gguf/tensor_types.h"
#include "tokenizer/tokenizer_metadata.h"

namespace capsfusion::engine {

namespace {

using gguf::TensorType;
using gguf::Value;

class Gaussian {
 public:
  explicit Gaussian(uint64_t seed) : rng_(seed) {}
  float Next() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2 * rng_.Uniform() - 1;
      v = 2 * rng_.Uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s == 0);
    const double f = std::sqrt(-2 * std::log(s) / s);
    spare_ = static_cast<float>(v * f);
    has_spare_ = true;
    return static_cast<float>(u * f);
  }

 private:
  Rng rng_;
  float spare_ = 0;
  bool has_spare_ = false;
};

std::string Encode(TensorType type, const std::vector<float>& values, uint64_t cols) {
  const size_t rows = values.size() / cols;
  const size_t row_bytes = *gguf::RowBytes(type, static_cast<int64_t>(cols));
  std::string out(rows * row_bytes, '\0');
  for (size_t r = 0; r < rows; ++r) {
    gguf::QuantizeRow(type, values.data() + r * cols, &out[r * row_bytes], static_cast<int64_t>(cols));
  }
  return out;
}

std::vector<float> RandomValues(Gaussian* g, size_t n, float stddev, float mean = 0) {
  std::vector<float> v(n);
  for (float& x : v) x = mean + stddev * g->Next();
  return v;
}

const char* const kPieces[] = {
    "▁",      "▁a",     "▁the",   "▁of",   "▁and",   "▁in",    "▁on",    "▁with", "▁dog",   "▁cat",
    "▁photo", "▁man",   "▁woman", "▁red",  "▁white", "▁black", "▁small", "▁big",  "▁two",   "▁sitting",
    "▁Sentence", "▁New", "▁image", "▁is",  "▁at",    "e",      "t",      "a",     "o",      "n",
    "s",      "r",      "i",      "er",    "in",     "on",     "at",     "en",    "ing",    ":",
    ".",      ",",      "▁1",     "▁2",    "1",      "2",      "\n",
};

}  // namespace

void GgufSpec::Set(const std::string& key, Value v) {
  for (auto& kv : kvs) {
    if (kv.first == key) {
      kv.second = std::move(v);
      return;
    }
  }
  kvs.emplace_back(key, std::move(v));
}

void GgufSpec::Remove(const std::string& key) {
  for (size_t i = 0; i < kvs.size(); ++i) {
    if (kvs[i].first == key) {
      kvs.erase(kvs.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
  }
}

GgufSpec::Tensor* GgufSpec::FindTensor(const std::string& name) {
  for (auto& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

void GgufSpec::RemoveTensor(const std::string& name) {
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].name == name) {
      tensors.erase(tensors.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
  }
}

void GgufSpec::ReplaceTensorF32(const std::string& name, std::vector<uint64_t> shape, uint64_t seed) {
  Tensor* t = FindTensor(name);
  if (t == nullptr) return;
  size_t n = 1;
  for (uint64_t d : shape) n *= d;
  Gaussian g(seed);
  t->type = TensorType::kF32;
  t->shape = std::move(shape);
  t->bytes = Encode(TensorType::kF32, RandomValues(&g, n, 0.1f), t->shape[0]);
}

static void Fill(const GgufSpec& spec, gguf::GgufWriter* w) {
  for (const auto& [k, v] : spec.kvs) w->Set(k, v);
}

Status GgufSpec::Write(const std::string& path) const {
  gguf::GgufWriter w;
  Fill(*this, &w);
  for (const Tensor& t : tensors) {
    CF_RETURN_IF_ERROR(w.AddTensor(t.name, t.type, t.shape, t.bytes.data(), t.bytes.size()));
  }
  CF_RETURN_IF_ERROR(w.status());
  return w.WriteFile(path);
}

StatusOr<std::string> GgufSpec::WriteToString() const {
  gguf::GgufWriter w;
  Fill(*this, &w);
  for (const Tensor& t : tensors) {
    CF_RETURN_IF_ERROR(w.AddTensor(t.name, t.type, t.shape, t.bytes.data(), t.bytes.size()));
  }
  CF_RETURN_IF_ERROR(w.status());
  return w.WriteToString();
}

LlamaVocab SimpleVocab(uint32_t n_vocab) {
  LlamaVocab v;
  auto add = [&](std::string piece, TokenType type, float score) {
    v.tokens.push_back(std::move(piece));
    v.token_types.push_back(static_cast<int32_t>(type));
    v.scores.push_back(score);
  };
  add("<unk>", TokenType::kUnknown, 0);
  add("<s>", TokenType::kControl, 0);
  add("</s>", TokenType::kControl, 0);
  for (int b = 0; b < 256; ++b) add(BytePieceText(static_cast<uint8_t>(b)), TokenType::kByte, 0);
  float score = -1;
  for (const char* p : kPieces) add(p, TokenType::kNormal, score--);
  for (uint32_t i = 0; v.tokens.size() < n_vocab; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "\xE2\x96\x81w%04u", i);
    add(buf, TokenType::kNormal, score--);
  }
  v.unk_id = 0;
  v.bos_id = 1;
  v.eos_id = 2;
  return v;
}

GgufSpec MakeRandomLlama(const RandomLlamaConfig& c) {
  const LlamaVocab vocab = SimpleVocab(c.n_vocab);
  const uint64_t V = vocab.size(), E = c.n_embd, F = c.n_ff;
  const uint64_t hd = c.n_embd / c.n_head;
  const uint64_t QD = hd * c.n_head, KVD = hd * c.n_head_kv;

  GgufSpec s;
  s.Set("general.architecture", Value::String("llama"));
  s.Set("general.name", Value::String(c.name));
  s.Set("llama.context_length", Value::Uint32(c.n_ctx));
  s.Set("llama.embedding_length", Value::Uint32(c.n_embd));
  s.Set("llama.block_count", Value::Uint32(c.n_layer));
  s.Set("llama.feed_forward_length", Value::Uint32(c.n_ff));
  s.Set("llama.attention.head_count", Value::Uint32(c.n_head));
  s.Set("llama.attention.head_count_kv", Value::Uint32(c.n_head_kv));
  s.Set("llama.attention.layer_norm_rms_epsilon", Value::Float32(c.rms_eps));
  s.Set("llama.rope.freq_base", Value::Float32(c.rope_freq_base));
  s.Set("llama.rope.dimension_count", Value::Uint32(static_cast<uint32_t>(hd)));
  s.Set(kTokenizerModelKey, Value::String(kLlamaTokenizerModel));
  s.Set(kTokenizerTokensKey, Value::StringArray(vocab.tokens));
  s.Set(kTokenizerScoresKey, Value::Float32Array(vocab.scores));
  s.Set(kTokenizerTokenTypeKey, Value::Int32Array(vocab.token_types));
  s.Set(kTokenizerBosIdKey, Value::Uint32(static_cast<uint32_t>(vocab.bos_id)));
  s.Set(kTokenizerEosIdKey, Value::Uint32(static_cast<uint32_t>(vocab.eos_id)));
  s.Set(kTokenizerUnkIdKey, Value::Uint32(static_cast<uint32_t>(vocab.unk_id)));
  s.Set(kTokenizerAddBosKey, Value::Bool(true));
  s.Set(kTokenizerAddEosKey, Value::Bool(false));

  Gaussian g(c.seed);
  auto matrix = [&](const std::string& name, uint64_t cols, uint64_t rows, float scale) {
    const std::vector<float> v = RandomValues(&g, cols * rows, scale / std::sqrt(static_cast<float>(cols)));
    s.tensors.push_back({name, c.type, {cols, rows}, Encode(c.type, v, cols)});
  };
  auto norm = [&](const std::string& name) {
    const std::vector<float> v = RandomValues(&g, E, 0.1f, 1.0f);
    s.tensors.push_back({name, TensorType::kF32, {E}, Encode(TensorType::kF32, v, E)});
  };
  // Embedding rows of unit scale (not divided by sqrt(cols)).
  {
    const std::vector<float> v = RandomValues(&g, E * V, 1.0f);
    s.tensors.push_back({"token_embd.weight", c.type, {E, V}, Encode(c.type, v, E)});
  }
  norm("output_norm.weight");
  if (!c.tied_output) matrix("output.weight", E, V, c.logit_scale);
  for (uint32_t l = 0; l < c.n_layer; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    norm(b + "attn_norm.weight");
    matrix(b + "attn_q.weight", E, QD, 1.0f);
    matrix(b + "attn_k.weight", E, KVD, 1.0f);
    matrix(b + "attn_v.weight", E, KVD, 1.0f);
    matrix(b + "attn_output.weight", QD, E, 1.0f);
    norm(b + "ffn_norm.weight");
    matrix(b + "ffn_gate.weight", E, F, 1.0f);
    matrix(b + "ffn_up.weight", E, F, 1.0f);
    matrix(b + "ffn_down.weight", F, E, 1.0f);
  }
  return s;
}

}  // namespace capsfusion::engine

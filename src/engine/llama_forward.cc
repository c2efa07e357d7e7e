#include "engine/llama_forward.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include "engine/attention.h"
#include "engine/kernel_table.h"
#include "engine/kernels.h"
#include "engine/thread_pool.h"

namespace capsfusion::engine {

namespace {

void AddInPlace(float* x, const float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] += y[i];
}

template <typename T>
void Grow(std::vector<T>* v, size_t n) {
  if (v->size() < n) v->resize(n);
}

//! Below this many tokens the per-token steps (norms, RoPE, KV stores, residual
//! adds) run on the calling thread: a ParallelFor costs more than they do.
constexpr int64_t kParallelTokensMin = 8;

//! Runs fn(i) for every token i in [0, n), over the pool when there are enough
//! tokens. Every token's work is independent, so results do not depend on it.
template <typename Fn>
void ForEachToken(ThreadPool* pool, int64_t n, const Fn& fn) {
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) fn(i);
  };
  if (n < kParallelTokensMin) {
    run(0, n);
  } else {
    ParallelForOrSerial(pool, n, run, kParallelTokensMin / 2);
  }
}

//! A layer's matrices, in the order of LlamaForward::PackedLayer's members.
constexpr size_t kLayerMatrices = 7;
std::array<const WeightView*, kLayerMatrices> LayerMatrices(const LlamaLayer& L) {
  return {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down};
}

}  // namespace

LlamaForward::LlamaForward(LlamaWeights weights, const ArchitectureOptions& options)
    : w_(std::move(weights)), pool_(options.pool), kv_type_(options.kv_type) {
  const LlamaHparams& hp = w_.hp;
  shape_ = ModelShape{hp.n_vocab, hp.n_ctx_train, hp.n_embd,    hp.n_layer,
                      hp.n_head,  hp.n_head_kv,   hp.n_ff,      hp.head_dim};
  n_ctx_ = options.context_length != 0 ? options.context_length : hp.n_ctx_train;
  // All packed matrices live in one arena (huge pages where granted). Each is
  // read only through its packed copy from now on, so its original pages are
  // released at once (the embedding rows of a tied output come back from the
  // file as needed): the peak stays near the packed size.
  const KernelTable& kernels = ActiveKernels();
  std::vector<const WeightView*> views;
  for (const LlamaLayer& L : w_.layers) {
    for (const WeightView* v : LayerMatrices(L)) views.push_back(v);
  }
  views.push_back(&w_.output);
  std::vector<PackedWeights> all(views.size());
  if (options.pack_weights) {
    std::vector<int64_t> bytes(views.size());
    size_t total = 0;
    for (size_t i = 0; i < views.size(); ++i) {
      bytes[i] = PackedWeights::StorageBytes(*views[i], kernels);  // throws for a bad shape
      total += WeightArena::Round(static_cast<size_t>(bytes[i]));
    }
    arena_ = WeightArena(total);
    std::vector<uint8_t*> storage(views.size(), nullptr);
    for (size_t i = 0; i < views.size(); ++i) {
      if (bytes[i] > 0) storage[i] = arena_.Take(static_cast<size_t>(bytes[i]));
    }
    // One matrix per task: packing streams the file in, so the threads overlap
    // page faults and copies.
    ParallelForOrSerial(pool_, static_cast<int64_t>(views.size()), [&](int64_t a, int64_t b) {
      for (int64_t i = a; i < b; ++i) {
        all[i] = PackedWeights(*views[i], kernels, storage[i]);
        all[i].ReleaseOriginalPages();
      }
    });
  } else {
    for (size_t i = 0; i < views.size(); ++i) all[i] = PackedWeights::ViewOnly(*views[i]);
  }
  packed_.reserve(w_.layers.size());
  size_t next = 0;
  for (size_t l = 0; l < w_.layers.size(); ++l, next += kLayerMatrices) {
    packed_.push_back({std::move(all[next]), std::move(all[next + 1]), std::move(all[next + 2]),
                       std::move(all[next + 3]), std::move(all[next + 4]), std::move(all[next + 5]),
                       std::move(all[next + 6])});
  }
  packed_output_ = std::move(all[next]);
}

KvCacheConfig LlamaForward::kv_cache_config() const {
  KvCacheConfig c;
  c.type = kv_type_;
  c.n_layer = static_cast<int>(w_.hp.n_layer);
  c.n_kv_head = static_cast<int>(w_.hp.n_head_kv);
  c.head_dim = static_cast<int>(w_.hp.head_dim);
  c.block_size = 16;
  return c;
}

Status LlamaForward::Validate(const std::vector<BatchToken>& batch, const KvCache& cache) const {
  // Expected next position of every sequence seen so far in the batch
  // (a linear search: a batch holds few distinct sequences).
  std::vector<std::pair<int32_t, int32_t>>& next = seq_scratch_;
  next.clear();
  for (size_t i = 0; i < batch.size(); ++i) {
    const BatchToken& b = batch[i];
    if (b.token < 0 || static_cast<uint32_t>(b.token) >= w_.hp.n_vocab) {
      return Status::InvalidArgument("batch entry " + std::to_string(i) + ": token " + std::to_string(b.token) +
                                     " is outside the vocabulary [0, " + std::to_string(w_.hp.n_vocab) + ")");
    }
    if (!cache.live(b.seq)) {
      return Status::InvalidArgument("batch entry " + std::to_string(i) + ": unknown sequence " +
                                     std::to_string(b.seq));
    }
    if (b.pos < 0 || static_cast<uint32_t>(b.pos) >= n_ctx_) {
      return Status::OutOfRange("batch entry " + std::to_string(i) + ": position " + std::to_string(b.pos) +
                                " is outside the context [0, " + std::to_string(n_ctx_) + ")");
    }
    auto it = std::find_if(next.begin(), next.end(), [&](const auto& p) { return p.first == b.seq; });
    const int32_t expected = it == next.end() ? cache.length(b.seq) : it->second;
    if (b.pos != expected) {
      return Status::InvalidArgument("batch entry " + std::to_string(i) + ": sequence " + std::to_string(b.seq) +
                                     " continues at position " + std::to_string(expected) + ", got " +
                                     std::to_string(b.pos));
    }
    if (it == next.end()) {
      next.emplace_back(b.seq, b.pos + 1);
    } else {
      it->second = b.pos + 1;
    }
  }
  return Status::OK();
}

Status LlamaForward::Forward(const std::vector<BatchToken>& batch, KvCache* cache, std::vector<float>* logits) {
  CF_RETURN_IF_ERROR(Validate(batch, *cache));
  // Make room in every sequence's cache first, so a full cache fails before
  // anything is written.
  std::vector<std::pair<int32_t, int32_t>>& ends = seq_scratch_;  // (seq, new length)
  ends.clear();
  for (const BatchToken& b : batch) {
    auto it = std::find_if(ends.begin(), ends.end(), [&](const auto& p) { return p.first == b.seq; });
    if (it == ends.end()) {
      ends.emplace_back(b.seq, b.pos + 1);
    } else {
      it->second = b.pos + 1;
    }
  }
  for (const auto& [seq, end] : ends) CF_RETURN_IF_ERROR(cache->Reserve(seq, end));

  size_t n_logits = 0;
  for (const BatchToken& b : batch) n_logits += b.logits ? 1 : 0;
  logits->resize(n_logits * w_.hp.n_vocab);
  size_t done_logits = 0;
  for (size_t start = 0; start < batch.size(); start += kMaxChunk) {
    const int64_t n = std::min<int64_t>(kMaxChunk, static_cast<int64_t>(batch.size() - start));
    RunChunk(batch.data() + start, n, cache, logits->data() + done_logits * w_.hp.n_vocab);
    for (int64_t i = 0; i < n; ++i) done_logits += batch[start + i].logits ? 1 : 0;
  }
  for (const auto& [seq, end] : ends) cache->SetLength(seq, end);
  return Status::OK();
}

void LlamaForward::EnsureRopeTable(int32_t max_pos) {
  if (max_pos < rope_positions_) return;
  const int32_t want = std::max(max_pos + 1, std::min<int32_t>(2 * rope_positions_, static_cast<int32_t>(n_ctx_)));
  const int half = static_cast<int>(w_.hp.rope_dims / 2);
  rope_cos_.resize(static_cast<size_t>(want) * half);
  rope_sin_.resize(static_cast<size_t>(want) * half);
  for (int32_t p = rope_positions_; p < want; ++p) {
    for (int i = 0; i < half; ++i) {
      const double inv_freq = std::pow(static_cast<double>(w_.hp.rope_freq_base), -2.0 * i / w_.hp.rope_dims);
      const double theta = p * inv_freq;
      rope_cos_[static_cast<size_t>(p) * half + i] = static_cast<float>(std::cos(theta));
      rope_sin_[static_cast<size_t>(p) * half + i] = static_cast<float>(std::sin(theta));
    }
  }
  rope_positions_ = want;
}

void LlamaForward::ApplyRope(float* x, int n_heads, int32_t pos) const {
  const int half = static_cast<int>(w_.hp.rope_dims / 2);
  const int hd = static_cast<int>(w_.hp.head_dim);
  const float* c = rope_cos_.data() + static_cast<size_t>(pos) * half;
  const float* s = rope_sin_.data() + static_cast<size_t>(pos) * half;
  for (int h = 0; h < n_heads; ++h) {
    float* xh = x + static_cast<size_t>(h) * hd;
    for (int i = 0; i < half; ++i) {
      const float x0 = xh[2 * i], x1 = xh[2 * i + 1];
      xh[2 * i] = x0 * c[i] - x1 * s[i];
      xh[2 * i + 1] = x0 * s[i] + x1 * c[i];
    }
  }
}

void LlamaForward::RunChunk(const BatchToken* tokens, int64_t n, KvCache* cache, float* logits) {
  const LlamaHparams& hp = w_.hp;
  const size_t E = hp.n_embd, QD = hp.q_dim(), KVD = hp.kv_dim(), FF = hp.n_ff;
  Grow(&x_, n * E);
  Grow(&xn_, n * E);
  Grow(&tmp_, n * E);
  Grow(&q_, n * QD);
  Grow(&att_, n * QD);
  Grow(&k_, n * KVD);
  Grow(&v_, n * KVD);
  Grow(&gate_, n * FF);
  Grow(&up_, n * FF);
  Grow(&ids_, n);
  Grow(&seqs_, n);
  Grow(&pos_, n);
  logit_rows_.clear();
  int32_t max_pos = 0;
  for (int64_t i = 0; i < n; ++i) {
    ids_[i] = tokens[i].token;
    seqs_[i] = tokens[i].seq;
    pos_[i] = tokens[i].pos;
    max_pos = std::max(max_pos, tokens[i].pos);
    if (tokens[i].logits) logit_rows_.push_back(static_cast<int32_t>(i));
  }
  EnsureRopeTable(max_pos);

  float* x = x_.data();
  float* xn = xn_.data();
  GetRows(w_.token_embd, ids_.data(), n, x);

  AttentionShape ashape;
  ashape.n_head = static_cast<int>(hp.n_head);
  ashape.n_kv_head = static_cast<int>(hp.n_head_kv);
  ashape.head_dim = static_cast<int>(hp.head_dim);
  ashape.scale = 1.0f / std::sqrt(static_cast<float>(hp.head_dim));

  const float eps = hp.rms_eps;
  for (uint32_t l = 0; l < hp.n_layer; ++l) {
    const LlamaLayer& L = w_.layers[l];
    const PackedLayer& P = packed_[l];
    // The residual add of the previous layer's FFN is fused with this norm.
    ForEachToken(pool_, n, [&](int64_t i) {
      if (l > 0) AddInPlace(x + i * E, tmp_.data() + i * E, E);
      RmsNorm(x + i * E, L.attn_norm, E, eps, xn + i * E);
    });
    {
      const PackedWeights* ws[3] = {&P.wq, &P.wk, &P.wv};
      float* ys[3] = {q_.data(), k_.data(), v_.data()};
      MatMulMany(ws, 3, xn, n, ys, pool_);
    }
    ForEachToken(pool_, n, [&](int64_t i) {
      ApplyRope(q_.data() + i * QD, static_cast<int>(hp.n_head), pos_[i]);
      ApplyRope(k_.data() + i * KVD, static_cast<int>(hp.n_head_kv), pos_[i]);
      StoreKv(*cache, static_cast<int>(l), seqs_[i], pos_[i], k_.data() + i * KVD, v_.data() + i * KVD);
    });
    AttendBatch(*cache, static_cast<int>(l), ashape, q_.data(), seqs_.data(), pos_.data(), n, max_pos,
                att_.data(), pool_);
    MatMul(P.wo, att_.data(), n, tmp_.data(), pool_);
    ForEachToken(pool_, n, [&](int64_t i) {
      AddInPlace(x + i * E, tmp_.data() + i * E, E);
      RmsNorm(x + i * E, L.ffn_norm, E, eps, xn + i * E);
    });
    {
      const PackedWeights* ws[2] = {&P.w_gate, &P.w_up};
      float* ys[2] = {gate_.data(), up_.data()};
      MatMulMany(ws, 2, xn, n, ys, pool_);
    }
    ForEachToken(pool_, n, [&](int64_t i) {
      SwiGlu(gate_.data() + i * FF, up_.data() + i * FF, gate_.data() + i * FF, FF);
    });
    MatMul(P.w_down, gate_.data(), n, tmp_.data(), pool_);
  }
  if (hp.n_layer > 0) {
    ForEachToken(pool_, n, [&](int64_t i) { AddInPlace(x + i * E, tmp_.data() + i * E, E); });
  }
  Head(tokens, n, x, cache, logits);
}

void LlamaForward::Head(const BatchToken* /*tokens*/, int64_t /*n*/, float* x, KvCache* /*cache*/, float* logits) {
  const LlamaHparams& hp = w_.hp;
  const size_t E = hp.n_embd;
  float* xn = xn_.data();
  const int64_t m = static_cast<int64_t>(logit_rows_.size());
  if (m == 0) return;
  for (int64_t j = 0; j < m; ++j) {
    RmsNorm(x + static_cast<size_t>(logit_rows_[j]) * E, w_.output_norm, E, hp.rms_eps, xn + j * E);
  }
  MatMul(packed_output_, xn, m, logits, pool_);
}

StatusOr<std::unique_ptr<LanguageModel>> LoadLlama(const gguf::GgufFile& file, const std::string& architecture,
                                                   const ArchitectureOptions& options) {
  auto weights = LoadLlamaWeights(file, architecture);
  if (!weights.ok()) return weights.status();
  if (options.context_length > HparamLimits::kMaxContext) {
    return Status::OutOfRange("context length " + std::to_string(options.context_length) + " exceeds " +
                              std::to_string(HparamLimits::kMaxContext));
  }
  return ConstructPacked([&] { return new LlamaForward(std::move(*weights), options); });
}

StatusOr<std::unique_ptr<LanguageModel>> ConstructPacked(const std::function<LanguageModel*()>& make) {
  try {
    return std::unique_ptr<LanguageModel>(make());
  } catch (const std::invalid_argument& e) {
    return Status::InvalidArgument(std::string("packing the weights: ") + e.what());
  } catch (const std::bad_alloc&) {
    return Status::OutOfRange("not enough memory for the packed weights (ArchitectureOptions::pack_weights = false "
                              "keeps only the mapped file)");
  }
}

}  // namespace capsfusion::engine

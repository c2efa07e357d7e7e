// A naive LLaMA written for the tests, independently of the engine: every
// weight dequantized to double, plain loops, double accumulation, no KV cache
// (full causal attention recomputed for every position).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "gguf/tensor_types.h"

namespace capsfusion::testing {

class RefLlama {
 public:
  explicit RefLlama(const gguf::GgufFile& f) {
    E_ = U(f, "llama.embedding_length");
    L_ = U(f, "llama.block_count");
    H_ = U(f, "llama.attention.head_count");
    HKV_ = f.Has("llama.attention.head_count_kv") ? U(f, "llama.attention.head_count_kv") : H_;
    F_ = U(f, "llama.feed_forward_length");
    hd_ = E_ / H_;
    rope_dims_ = f.Has("llama.rope.dimension_count") ? U(f, "llama.rope.dimension_count") : hd_;
    eps_ = *f.GetFloat32("llama.attention.layer_norm_rms_epsilon");
    base_ = f.Has("llama.rope.freq_base") ? *f.GetFloat32("llama.rope.freq_base") : 10000.0;
    embd_ = Load(f, "token_embd.weight", &V_);
    size_t rows = 0;
    out_ = f.FindTensor("output.weight") ? Load(f, "output.weight", &rows) : embd_;
    out_norm_ = Load(f, "output_norm.weight", &rows);
    layers_.resize(L_);
    for (size_t l = 0; l < L_; ++l) {
      const std::string b = "blk." + std::to_string(l) + ".";
      Layer& y = layers_[l];
      y.attn_norm = Load(f, b + "attn_norm.weight", &rows);
      y.wq = Load(f, b + "attn_q.weight", &rows);
      y.wk = Load(f, b + "attn_k.weight", &rows);
      y.wv = Load(f, b + "attn_v.weight", &rows);
      y.wo = Load(f, b + "attn_output.weight", &rows);
      y.ffn_norm = Load(f, b + "ffn_norm.weight", &rows);
      y.gate = Load(f, b + "ffn_gate.weight", &rows);
      y.up = Load(f, b + "ffn_up.weight", &rows);
      y.down = Load(f, b + "ffn_down.weight", &rows);
    }
  }

  size_t n_vocab() const { return V_; }

  //! Logits of every position of `tokens` ([position][vocab]).
  std::vector<std::vector<double>> Logits(const std::vector<int32_t>& tokens) const {
    const size_t n = tokens.size(), QD = H_ * hd_, KVD = HKV_ * hd_;
    std::vector<std::vector<double>> x(n, std::vector<double>(E_));
    for (size_t t = 0; t < n; ++t) {
      for (size_t i = 0; i < E_; ++i) x[t][i] = embd_[tokens[t] * E_ + i];
    }
    for (const Layer& y : layers_) {
      std::vector<std::vector<double>> q(n), k(n), v(n);
      for (size_t t = 0; t < n; ++t) {
        const std::vector<double> xn = Norm(x[t], y.attn_norm);
        q[t] = MatVec(y.wq, QD, E_, xn);
        k[t] = MatVec(y.wk, KVD, E_, xn);
        v[t] = MatVec(y.wv, KVD, E_, xn);
        Rope(&q[t], H_, t);
        Rope(&k[t], HKV_, t);
      }
      for (size_t t = 0; t < n; ++t) {
        std::vector<double> att(QD, 0.0);
        for (size_t h = 0; h < H_; ++h) {
          const size_t g = h / (H_ / HKV_);
          std::vector<double> s(t + 1);
          double mx = -1e300;
          for (size_t j = 0; j <= t; ++j) {
            double d = 0;
            for (size_t i = 0; i < hd_; ++i) d += q[t][h * hd_ + i] * k[j][g * hd_ + i];
            s[j] = d / std::sqrt(static_cast<double>(hd_));
            mx = std::max(mx, s[j]);
          }
          double sum = 0;
          for (double& e : s) sum += (e = std::exp(e - mx));
          for (size_t j = 0; j <= t; ++j) {
            for (size_t i = 0; i < hd_; ++i) att[h * hd_ + i] += s[j] / sum * v[j][g * hd_ + i];
          }
        }
        const std::vector<double> o = MatVec(y.wo, E_, QD, att);
        for (size_t i = 0; i < E_; ++i) x[t][i] += o[i];
      }
      for (size_t t = 0; t < n; ++t) {
        const std::vector<double> xn = Norm(x[t], y.ffn_norm);
        const std::vector<double> gt = MatVec(y.gate, F_, E_, xn);
        const std::vector<double> up = MatVec(y.up, F_, E_, xn);
        std::vector<double> a(F_);
        for (size_t i = 0; i < F_; ++i) a[i] = gt[i] / (1 + std::exp(-gt[i])) * up[i];
        const std::vector<double> d = MatVec(y.down, E_, F_, a);
        for (size_t i = 0; i < E_; ++i) x[t][i] += d[i];
      }
    }
    std::vector<std::vector<double>> logits(n);
    for (size_t t = 0; t < n; ++t) logits[t] = MatVec(out_, V_, E_, Norm(x[t], out_norm_));
    return logits;
  }

 private:
  struct Layer {
    std::vector<double> attn_norm, wq, wk, wv, wo, ffn_norm, gate, up, down;
  };

  static size_t U(const gguf::GgufFile& f, const char* key) { return *f.GetUint32(key); }

  // Row-major [rows][cols] doubles; *rows_out = rows.
  static std::vector<double> Load(const gguf::GgufFile& f, const std::string& name, size_t* rows_out) {
    const gguf::TensorInfo* t = f.FindTensor(name);
    const size_t cols = t->shape[0];
    const size_t rows = t->n_elements / cols;
    const size_t row_bytes = *gguf::RowBytes(t->type, static_cast<int64_t>(cols));
    std::vector<float> tmp(cols);
    std::vector<double> out(rows * cols);
    for (size_t r = 0; r < rows; ++r) {
      gguf::DequantizeRow(t->type, t->data + r * row_bytes, tmp.data(), static_cast<int64_t>(cols));
      for (size_t c = 0; c < cols; ++c) out[r * cols + c] = tmp[c];
    }
    *rows_out = rows;
    return out;
  }

  std::vector<double> Norm(const std::vector<double>& x, const std::vector<double>& w) const {
    double ss = 0;
    for (double v : x) ss += v * v;
    const double inv = 1.0 / std::sqrt(ss / x.size() + eps_);
    std::vector<double> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * inv * w[i];
    return y;
  }

  static std::vector<double> MatVec(const std::vector<double>& w, size_t rows, size_t cols,
                                    const std::vector<double>& x) {
    std::vector<double> y(rows, 0.0);
    for (size_t r = 0; r < rows; ++r) {
      double acc = 0;
      for (size_t c = 0; c < cols; ++c) acc += w[r * cols + c] * x[c];
      y[r] = acc;
    }
    return y;
  }

  // Adjacent pairs (2i, 2i+1) rotated by pos * base^(-2i / rope_dims).
  void Rope(std::vector<double>* x, size_t heads, size_t pos) const {
    for (size_t h = 0; h < heads; ++h) {
      for (size_t i = 0; 2 * i < rope_dims_; ++i) {
        const double theta = pos * std::pow(base_, -2.0 * i / rope_dims_);
        double& a = (*x)[h * hd_ + 2 * i];
        double& b = (*x)[h * hd_ + 2 * i + 1];
        const double a0 = a, b0 = b;
        a = a0 * std::cos(theta) - b0 * std::sin(theta);
        b = a0 * std::sin(theta) + b0 * std::cos(theta);
      }
    }
  }

  size_t E_ = 0, L_ = 0, H_ = 0, HKV_ = 0, F_ = 0, V_ = 0, hd_ = 0, rope_dims_ = 0;
  double eps_ = 1e-5, base_ = 10000;
  std::vector<double> embd_, out_, out_norm_;
  std::vector<Layer> layers_;
};

}  // namespace capsfusion::testing

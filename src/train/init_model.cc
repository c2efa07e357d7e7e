#include "train/init_model.h"

#include <vector>

#include "gguf/gguf.h"
#include "gguf/tensor_types.h"
#include "tokenizer/tokenizer_metadata.h"
#include "util/sha256.h"

namespace capsfusion::train {

namespace {

StatusOr<int> GetInt(const gguf::GgufFile& f, const std::string& key) {
  auto v = f.GetUint32(key);
  if (!v.ok()) return v.status();
  if (*v > (1u << 30)) return Status::OutOfRange(key + " = " + std::to_string(*v) + " is too large");
  return static_cast<int>(*v);
}

Status ReadShape(const gguf::GgufFile& f, const std::string& arch, ModelConfig* c) {
  auto get = [&](const std::string& suffix, int* out) -> Status {
    auto v = GetInt(f, arch + "." + suffix);
    if (!v.ok()) return v.status();
    *out = *v;
    return Status::OK();
  };
  CF_RETURN_IF_ERROR(get("block_count", &c->n_layer));
  CF_RETURN_IF_ERROR(get("embedding_length", &c->n_embd));
  CF_RETURN_IF_ERROR(get("attention.head_count", &c->n_head));
  CF_RETURN_IF_ERROR(get("feed_forward_length", &c->n_ff));
  CF_RETURN_IF_ERROR(get("context_length", &c->n_ctx));
  c->n_head_kv = c->n_head;
  if (f.Has(arch + ".attention.head_count_kv")) CF_RETURN_IF_ERROR(get("attention.head_count_kv", &c->n_head_kv));
  if (f.Has(arch + ".rope.freq_base")) {
    auto base = f.GetFloat32(arch + ".rope.freq_base");
    if (!base.ok()) return base.status();
    c->rope_freq_base = *base;
  }
  auto eps = f.GetFloat32(arch + ".attention.layer_norm_rms_epsilon");
  if (!eps.ok()) return eps.status();
  c->rms_eps = *eps;
  if (c->n_head > 0 && c->n_embd % c->n_head == 0 && f.Has(arch + ".rope.dimension_count")) {
    int rope_dims = 0;
    CF_RETURN_IF_ERROR(get("rope.dimension_count", &rope_dims));
    if (rope_dims != c->n_embd / c->n_head) {
      return Status::NotSupported(arch + ".rope.dimension_count " + std::to_string(rope_dims) +
                                  ": the trainer rotates whole heads of " + std::to_string(c->n_embd / c->n_head));
    }
  }
  if (f.Has(arch + ".rope.scaling.type")) {
    auto type = f.GetString(arch + ".rope.scaling.type");
    if (!type.ok() || (*type != "none" && !type->empty())) {
      return Status::NotSupported(arch + ".rope.scaling.type: the trainer has no RoPE scaling");
    }
  }
  c->tie_embeddings = f.FindTensor("output.weight") == nullptr;
  c->copy_head = arch == "capsfusion-copy";
  if (c->copy_head) CF_RETURN_IF_ERROR(get("copy.key_length", &c->copy_dim));
  return Status::OK();
}

}  // namespace

StatusOr<InitModel> ReadInitModel(const std::string& path) {
  auto file = gguf::GgufFile::Open(path);
  if (!file.ok()) return file.status();
  const gguf::GgufFile& f = **file;
  InitModel m;
  auto arch = f.GetString("general.architecture");
  if (!arch.ok()) return arch.status().WithContext(path);
  if (*arch != "llama" && *arch != "capsfusion-copy") {
    return Status::NotSupported(path + ": architecture '" + *arch + "' (the trainer starts from llama or " +
                                "capsfusion-copy models)");
  }
  m.architecture = *arch;
  CF_RETURN_IF_ERROR(ReadShape(f, *arch, &m.config).WithContext(path));
  auto vocab = ReadLlamaVocab(f);
  if (!vocab.ok()) return vocab.status().WithContext(path);
  m.vocab = std::move(*vocab);
  m.config.n_vocab = static_cast<int>(m.vocab.size());
  const gguf::TensorInfo* embd = f.FindTensor("token_embd.weight");
  if (embd == nullptr) return Status::Corruption(path + ": no tensor token_embd.weight");
  if (embd->shape.size() != 2 || embd->shape[1] != m.vocab.size()) {
    return Status::Corruption(path + ": token_embd.weight does not have one row per token (" +
                              std::to_string(m.vocab.size()) + " tokens)");
  }
  if (f.Has("capsfusion.prompt_template")) {
    auto t = f.GetString("capsfusion.prompt_template");
    if (!t.ok()) return t.status().WithContext(path);
    m.prompt_template = *t;
  }
  CF_RETURN_IF_ERROR(m.config.Validate().WithContext(path));
  auto sha = Sha256FileHex(path);
  if (!sha.ok()) return sha.status();
  m.sha256 = *sha;
  m.file = std::move(*file);
  return m;
}

Status LoadInitWeights(const InitModel& init, FusionModel& model) {
  if (init.file == nullptr) return Status::InvalidArgument("no model file was read");
  const gguf::GgufFile& f = *init.file;
  const std::string& path = f.path();
  torch::NoGradGuard no_grad;
  std::vector<float> values;
  size_t used = 0;
  for (auto& [name, param] : model->GgufTensors()) {
    const gguf::TensorInfo* t = f.FindTensor(name);
    if (t == nullptr) return Status::Corruption(path + ": no tensor " + name);
    if (t->n_elements != static_cast<uint64_t>(param.numel())) {
      return Status::Corruption(path + ": tensor " + name + " has " + std::to_string(t->n_elements) +
                                " elements, the model expects " + std::to_string(param.numel()));
    }
    if (param.dim() == 2 && param.size(0) > 1 &&
        (t->shape.size() != 2 || t->shape[0] != static_cast<uint64_t>(param.size(1)))) {
      return Status::Corruption(path + ": tensor " + name + " does not have rows of " +
                                std::to_string(param.size(1)) + " elements");
    }
    values.resize(t->n_elements);
    const int64_t block = gguf::BlockSize(t->type);
    if (block <= 0 || t->shape.empty() || static_cast<int64_t>(t->shape[0]) % block != 0) {
      return Status::NotSupported(path + ": tensor " + name + " of type " + gguf::TensorTypeName(t->type));
    }
    const int64_t cols = static_cast<int64_t>(t->shape[0]);
    const int64_t rows = static_cast<int64_t>(t->n_elements) / cols;
    auto row_bytes = gguf::RowBytes(t->type, cols);
    if (!row_bytes.ok()) return row_bytes.status().WithContext(path + ": tensor " + name);
    for (int64_t r = 0; r < rows; ++r) {
      gguf::DequantizeRow(t->type, t->data + r * *row_bytes, values.data() + r * cols, cols);
    }
    torch::Tensor src = torch::from_blob(values.data(), {param.numel()}, torch::kFloat32);
    param.view({-1}).copy_(src.to(param.device()));
    ++used;
  }
  if (used == 0) return Status::Corruption(path + ": no tensors");
  return Status::OK();
}

}  // namespace capsfusion::train

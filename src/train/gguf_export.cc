#include "train/gguf_export.h"

#include <vector>

#include "engine/model_loader.h"
#include "tokenizer/tokenizer_metadata.h"

namespace capsfusion::train {

const char* ArchitectureName(const ModelConfig& config) { return config.copy_head ? "capsfusion-copy" : "llama"; }

Status WriteModel(FusionModel& model, const Vocab& vocab, const GgufModelInfo& info, gguf::GgufWriter* w,
                  uint64_t* n_params) {
  const ModelConfig& c = model->config();
  const std::string arch = ArchitectureName(c);
  w->SetString("general.architecture", arch);
  w->SetString("general.name", info.name);
  w->SetUint32("general.file_type", info.quantize_q8_0 ? 7u : 0u);  // llama_ftype: ALL_F32 / MOSTLY_Q8_0
  if (info.quantize_q8_0) w->SetUint32("general.quantization_version", 2);
  w->SetUint32(arch + ".context_length", static_cast<uint32_t>(c.n_ctx));
  w->SetUint32(arch + ".embedding_length", static_cast<uint32_t>(c.n_embd));
  w->SetUint32(arch + ".block_count", static_cast<uint32_t>(c.n_layer));
  w->SetUint32(arch + ".feed_forward_length", static_cast<uint32_t>(c.n_ff));
  w->SetUint32(arch + ".attention.head_count", static_cast<uint32_t>(c.n_head));
  w->SetUint32(arch + ".attention.head_count_kv", static_cast<uint32_t>(c.kv_heads()));
  w->SetFloat32(arch + ".attention.layer_norm_rms_epsilon", c.rms_eps);
  w->SetUint32(arch + ".rope.dimension_count", static_cast<uint32_t>(c.head_dim()));
  w->SetFloat32(arch + ".rope.freq_base", c.rope_freq_base);
  w->SetUint32(arch + ".vocab_size", static_cast<uint32_t>(c.n_vocab));
  if (c.copy_head) {
    if (info.copy_end_token_id < 0) return Status::InvalidArgument("a copy-head model needs the template's end piece");
    w->SetUint32(arch + ".copy.key_length", static_cast<uint32_t>(c.copy_width()));
    w->SetUint32(arch + ".copy.end_token_id", static_cast<uint32_t>(info.copy_end_token_id));
  }
  CF_RETURN_IF_ERROR(WriteLlamaVocab(vocab.llama_vocab(), w));
  w->SetString("capsfusion.prompt_template", info.prompt_template);
  w->SetUint64("capsfusion.training.step", static_cast<uint64_t>(info.step));
  if (info.num_beams > 0) w->SetUint32(engine::kRecommendedBeamsKey, static_cast<uint32_t>(info.num_beams));
  if (info.length_penalty) w->SetFloat32(engine::kRecommendedLengthPenaltyKey, *info.length_penalty);
  if (info.span_bonus) w->SetFloat32(engine::kRecommendedSpanBonusKey, *info.span_bonus);
  if (info.span_min_match > 0) {
    w->SetUint32(engine::kRecommendedSpanMinMatchKey, static_cast<uint32_t>(info.span_min_match));
  }
  if (!info.run_config_json.empty()) w->SetString("capsfusion.training.config", info.run_config_json);

  uint64_t total = 0;
  std::vector<uint8_t> buf;
  for (auto& [name, param] : model->GgufTensors()) {
    torch::Tensor t = param.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    total += static_cast<uint64_t>(t.numel());
    const float* data = t.data_ptr<float>();
    // A [1, D] projection (the copy gate) is stored as a vector.
    std::vector<uint64_t> shape;
    if (t.dim() == 2 && t.size(0) > 1) {
      shape = {static_cast<uint64_t>(t.size(1)), static_cast<uint64_t>(t.size(0))};
    } else {
      shape = {static_cast<uint64_t>(t.numel())};
    }
    const bool matrix = shape.size() == 2;
    const int64_t cols = static_cast<int64_t>(shape[0]);
    if (info.quantize_q8_0 && matrix && cols % 32 == 0) {
      auto row_bytes = gguf::RowBytes(gguf::TensorType::kQ8_0, cols);
      if (!row_bytes.ok()) return row_bytes.status();
      const int64_t rows = static_cast<int64_t>(shape[1]);
      buf.resize(*row_bytes * rows);
      for (int64_t r = 0; r < rows; ++r) {
        gguf::QuantizeRow(gguf::TensorType::kQ8_0, data + r * cols, buf.data() + r * *row_bytes, cols);
      }
      CF_RETURN_IF_ERROR(w->AddTensor(name, gguf::TensorType::kQ8_0, shape, buf.data(), buf.size()));
    } else {
      CF_RETURN_IF_ERROR(w->AddTensor(name, gguf::TensorType::kF32, shape, data, t.numel() * sizeof(float)));
    }
  }
  if (n_params != nullptr) *n_params = total;
  return w->status();
}

}  // namespace capsfusion::train

// Validation and names of the options declared in train.h.
#include "train/train.h"

namespace capsfusion::train {

Status ModelConfig::Validate() const {
  auto bad = [](const std::string& m) { return Status::InvalidArgument("model: " + m); };
  if (n_layer < 1 || n_embd < 1 || n_head < 1 || n_ff < 1 || n_ctx < 8) {
    return bad("layers, width, heads and feed-forward width must be positive, context at least 8");
  }
  if (n_embd % n_head != 0) return bad("width " + std::to_string(n_embd) + " is not a multiple of the head count");
  if (head_dim() % 2 != 0) return bad("head dimension must be even (RoPE rotates pairs)");
  if (n_head_kv < 0 || n_head % kv_heads() != 0) return bad("query heads must be a multiple of key/value heads");
  if (copy_dim < 0 || copy_width() > kv_heads() * head_dim()) {
    return bad("copy dimension must be in [1, key/value heads * head dimension]");
  }
  if (!(dropout >= 0.0f && dropout < 1.0f)) return bad("dropout must be in [0, 1)");
  if (!(rope_freq_base > 0.0f) || !(rms_eps > 0.0f)) return bad("RoPE base and RMS epsilon must be positive");
  if (n_vocab < 0) return bad("negative vocabulary size");
  return Status::OK();
}

StatusOr<LeakMode> ParseLeakMode(const std::string& name) {
  if (name == "keep") return LeakMode::kKeep;
  if (name == "drop") return LeakMode::kDrop;
  if (name == "repair") return LeakMode::kRepair;
  return Status::InvalidArgument("unknown leak mode '" + name + "' (expected keep, drop or repair)");
}

const char* LeakModeName(LeakMode mode) {
  switch (mode) {
    case LeakMode::kKeep: return "keep";
    case LeakMode::kDrop: return "drop";
    case LeakMode::kRepair: return "repair";
  }
  return "unknown";
}

}  // namespace capsfusion::train

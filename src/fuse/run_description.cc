#include "fuse/run_description.h"

#include <fstream>
#include <map>

#include "fuse/durable_file.h"
#include "util/sha256.h"

namespace capsfusion {

namespace {

nlohmann::ordered_json DecodingJson(const GenerateOptions& g) {
  nlohmann::ordered_json j;
  j["max_new_tokens"] = g.max_new_tokens;
  j["num_beams"] = g.num_beams;
  j["num_return_sequences"] = g.num_return_sequences;
  j["length_penalty"] = g.length_penalty;
  j["early_stopping"] = g.early_stopping;
  j["early_stopping_never"] = g.early_stopping_never;
  j["temperature"] = g.temperature;
  j["top_k"] = g.top_k;
  j["top_p"] = g.top_p;
  j["seed"] = g.seed;
  j["repetition_penalty"] = g.repetition_penalty;
  j["no_repeat_ngram_size"] = g.no_repeat_ngram_size;
  if (g.span_bonus != 0.0f) {  // (absent when off, so runs made before it existed still resume)
    j["span_bonus"] = g.span_bonus;
    j["span_min_match"] = g.span_min_match;
  }
  if (g.no_adjacent_repeat != 0) j["no_adjacent_repeat"] = g.no_adjacent_repeat;  // (absent when off, as above)
  j["penalize_prompt"] = g.penalize_prompt;
  j["stop"] = g.stop;
  return j;
}

// (absent when off, so runs made before it existed still resume)
nlohmann::ordered_json LengthChoiceJson(const LengthChoice& c) {
  nlohmann::ordered_json j;
  j["min_length_ratio"] = c.min_ratio;
  j["expected_length"] = {c.expected.intercept, c.expected.per_raw_word, c.expected.per_synthetic_word};
  return j;
}

// (absent when off, as above)
nlohmann::ordered_json ConsensusChoiceJson(const ConsensusChoice& c) {
  return {{"choice", "consensus"}, {"source_weight", c.source_weight}};
}

nlohmann::ordered_json QcJson(const RunDescription& r) {
  nlohmann::ordered_json j;
  j["enabled"] = r.qc;
  if (!r.qc) return j;
  nlohmann::ordered_json checks = nlohmann::ordered_json::array();
  for (size_t i = 0; i < kQcReasonCount; ++i) {
    if (r.qc_options.enabled[i]) checks.push_back(QcReasonName(static_cast<QcReason>(i)));
  }
  j["checks"] = checks;
  j["options"] = nlohmann::ordered_json::parse(r.qc_options.ToJson(), nullptr, false);
  j["policy"] = QcPolicyText(r.qc_policy);
  j["retries"] = r.qc_retries;
  return j;
}

nlohmann::ordered_json ModelJson(const RunDescription& r, bool with_template_text_hash) {
  nlohmann::ordered_json j;
  if (r.backend == nullptr) return j;
  j["kind"] = r.backend->kind;
  j["name"] = r.backend->model;
  if (!r.backend->model_sha256.empty()) j["sha256"] = r.backend->model_sha256;
  if (!r.backend->endpoints.empty()) j["endpoints"] = r.backend->endpoints;
  (void)with_template_text_hash;
  return j;
}

void Flatten(const nlohmann::json& j, const std::string& prefix, std::map<std::string, std::string>* out) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) Flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
    if (j.empty()) (*out)[prefix] = "{}";
  } else if (j.is_array() && !j.empty() && (j.front().is_object() || j.front().is_array())) {
    for (size_t i = 0; i < j.size(); ++i) Flatten(j[i], prefix + "[" + std::to_string(i) + "]", out);
  } else {
    (*out)[prefix] = j.dump();
  }
}

}  // namespace

StatusOr<nlohmann::ordered_json> InputFingerprint(const std::string& path) {
  nlohmann::ordered_json j;
  j["path"] = path;
  if (path == "-") return j;
  long long size = FileSize(path);
  if (size < 0) return Status::NotFound("cannot open " + path);
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path);
  const long long kSample = 1 << 20;
  Sha256 h;
  h.Update(std::to_string(size));
  std::string buf(static_cast<size_t>(std::min(size, kSample)), '\0');
  in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
  h.Update(buf);
  if (size > kSample) {
    long long tail = std::min(kSample, size - kSample);
    in.seekg(size - tail);
    buf.assign(static_cast<size_t>(tail), '\0');
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    h.Update(buf);
  }
  if (!in) return Status::IOError("cannot read " + path);
  j["size"] = size;
  j["sample_sha256"] = h.FinalHex();
  return j;
}

StatusOr<nlohmann::ordered_json> BuildFingerprint(const RunDescription& r) {
  nlohmann::ordered_json j;
  nlohmann::ordered_json inputs = nlohmann::ordered_json::array();
  for (const std::string& p : r.inputs) {
    auto f = InputFingerprint(p);
    if (!f.ok()) return f.status();
    inputs.push_back(std::move(*f));
  }
  j["inputs"] = std::move(inputs);
  j["input_format"] = r.input_format;
  j["fields"] = {{"raw", r.fields.raw}, {"synthetic", r.fields.synthetic}, {"id", r.fields.id},
                 {"output", r.output_field}, {"max_field_bytes", r.max_field_bytes}};
  j["method"] = r.method;
  if (r.method == "model") {
    j["model"] = ModelJson(r, true);
    j["template"] = {{"id", r.prompt_template.id}, {"sha256", Sha256Hex(r.prompt_template.text)}};
    j["max_prompt_tokens"] = r.max_prompt_tokens;
    j["decoding"] = DecodingJson(r.generate);
    j["retry_decoding"] = DecodingJson(r.retry);
    if (r.length_choice.enabled()) j["length_choice"] = LengthChoiceJson(r.length_choice);
    if (r.consensus_choice.enabled) j["beam_choice"] = ConsensusChoiceJson(r.consensus_choice);
    if (!r.closest_to.empty()) j["closest_to"] = r.closest_to;
  }
  j["qc"] = QcJson(r);
  j["shard"] = {{"index", r.shard_index}, {"count", r.shard_count}, {"by", ShardByName(r.shard_by)},
                {"unit_rows", r.shard_unit}};
  j["provenance"] = r.provenance;
  return j;
}

nlohmann::ordered_json BuildProvenance(const RunDescription& r) {
  nlohmann::ordered_json j;
  j["tool"] = std::string("capsfusion ") + CAPSFUSION_VERSION;
  j["method"] = r.method;
  if (r.method == "model") {
    j["model"] = ModelJson(r, false);
    j["template"] = {{"id", r.prompt_template.id}, {"sha256", Sha256Hex(r.prompt_template.text)}};
    j["max_prompt_tokens"] = r.max_prompt_tokens;
    j["decoding"] = DecodingJson(r.generate);
    j["retry_decoding"] = DecodingJson(r.retry);
    if (r.length_choice.enabled()) j["length_choice"] = LengthChoiceJson(r.length_choice);
    if (r.consensus_choice.enabled) j["beam_choice"] = ConsensusChoiceJson(r.consensus_choice);
    if (!r.closest_to.empty()) j["closest_to"] = r.closest_to;
  }
  j["qc"] = QcJson(r);
  return j;
}

std::vector<std::string> FingerprintChanges(const nlohmann::json& was, const nlohmann::json& now,
                                            const std::vector<std::string>& ignore) {
  std::map<std::string, std::string> a, b;
  Flatten(was, "", &a);
  Flatten(now, "", &b);
  std::vector<std::string> out;
  auto ignored = [&](const std::string& k) {
    for (const std::string& i : ignore) {
      if (k == i) return true;
    }
    return false;
  };
  for (const auto& [k, v] : b) {
    if (ignored(k)) continue;
    auto it = a.find(k);
    if (it == a.end()) {
      out.push_back(k + " (was unset, now " + v + ")");
    } else if (it->second != v) {
      out.push_back(k + " (was " + it->second + ", now " + v + ")");
    }
  }
  for (const auto& [k, v] : a) {
    if (!ignored(k) && b.find(k) == b.end()) out.push_back(k + " (was " + v + ", now unset)");
  }
  return out;
}

std::string QcPolicyText(const QcPolicy& policy) {
  std::string out;
  for (size_t i = 0; i < kQcReasonCount; ++i) {
    if (!out.empty()) out += ",";
    out += QcReasonName(static_cast<QcReason>(i));
    out += "=";
    out += QcActionName(policy.action[i]);
  }
  return out;
}

}  // namespace capsfusion

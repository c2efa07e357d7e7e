#include "serve/response_json.h"

#include <nlohmann/json.hpp>

namespace capsfusion::serve {

namespace {

using nlohmann::ordered_json;

std::string Dump(const ordered_json& j) { return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace); }

//! Completion tokens count every choice, as OpenAI counts them.
ordered_json Usage(const engine::StreamEvent& e) {
  size_t completion = e.completion_tokens;
  for (const auto& a : e.alternatives) completion += a.completion_tokens;
  return {{"prompt_tokens", e.prompt_tokens},
          {"completion_tokens", completion},
          {"total_tokens", e.prompt_tokens + completion}};
}

ordered_json Head(const ResponseHead& h, bool chunk) {
  const char* object = h.chat ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion";
  return {{"id", h.id}, {"object", object}, {"created", h.created}, {"model", h.model}};
}

ordered_json Reason(const std::string& r) { return r.empty() ? ordered_json() : ordered_json(r); }

}  // namespace

std::string FinalResponseJson(const ResponseHead& head, const engine::StreamEvent& done) {
  ordered_json j = Head(head, false);
  auto choice = [&](size_t index, const std::string& text, const std::string& finish_reason) {
    ordered_json c;
    c["index"] = index;
    if (head.chat) {
      c["message"] = {{"role", "assistant"}, {"content", text}};
    } else {
      c["text"] = text;
    }
    c["logprobs"] = nullptr;
    c["finish_reason"] = finish_reason;
    return c;
  };
  j["choices"] = ordered_json::array({choice(0, done.text, done.finish_reason)});
  for (size_t i = 0; i < done.alternatives.size(); ++i) {
    j["choices"].push_back(choice(i + 1, done.alternatives[i].text, done.alternatives[i].finish_reason));
  }
  j["usage"] = Usage(done);
  return Dump(j);
}

std::string DeltaChunkJson(const ResponseHead& head, const std::string& text, const std::string& finish_reason) {
  ordered_json j = Head(head, true);
  ordered_json choice;
  choice["index"] = 0;
  if (head.chat) {
    choice["delta"] = finish_reason.empty() ? ordered_json{{"content", text}} : ordered_json::object();
  } else {
    choice["text"] = text;
  }
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = Reason(finish_reason);
  j["choices"] = ordered_json::array({choice});
  return Dump(j);
}

std::string ChatRoleChunkJson(const ResponseHead& head) {
  ordered_json j = Head(head, true);
  ordered_json choice;
  choice["index"] = 0;
  choice["delta"] = {{"role", "assistant"}, {"content", ""}};
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = nullptr;
  j["choices"] = ordered_json::array({choice});
  return Dump(j);
}

std::string UsageChunkJson(const ResponseHead& head, const engine::StreamEvent& done) {
  ordered_json j = Head(head, true);
  j["choices"] = ordered_json::array();
  j["usage"] = Usage(done);
  return Dump(j);
}

std::string SseData(const std::string& json) { return "data: " + json + "\n\n"; }

std::string ModelJson(const std::string& id, int64_t created, const ModelInfo& info) {
  ordered_json j{{"id", id}, {"object", "model"}, {"created", created}, {"owned_by", "capsfusion"}};
  j["capsfusion"] = {{"architecture", info.architecture},
                     {"name", info.name},
                     {"context_length", info.n_ctx},
                     {"n_params", info.n_params},
                     {"weight_type", info.weight_type},
                     {"sha256", info.file_sha256}};
  return Dump(j);
}

std::string ModelListJson(const std::string& id, int64_t created, const ModelInfo& info) {
  ordered_json list{{"object", "list"}, {"data", ordered_json::array({ordered_json::parse(ModelJson(id, created, info))})}};
  return Dump(list);
}

std::string HealthJson(const std::string& status, const std::string& model, size_t queued, size_t running) {
  return Dump({{"status", status}, {"model", model}, {"queued", queued}, {"running", running}});
}

}  // namespace capsfusion::serve

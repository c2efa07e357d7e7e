#include "serve/api_request.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>

#include "io/json_scanner.h"

namespace capsfusion::serve {

namespace {

using nlohmann::json;

ApiError Bad(const std::string& param, const std::string& message, const std::string& code = "") {
  ApiError e;
  e.param = param;
  e.message = message;
  e.code = code;
  return e;
}

const char* TypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "boolean";
    case json::value_t::string: return "string";
    case json::value_t::array: return "array";
    case json::value_t::object: return "object";
    default: return "number";
  }
}

ApiError WrongType(const std::string& param, const char* want, const json& v) {
  return Bad(param, "'" + param + "' must be " + want + ", not " + TypeName(v), "invalid_type");
}

// Field readers: absent or null fields leave *out alone and return nullopt.
std::optional<ApiError> GetBool(const json& body, const char* name, bool* out) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) return WrongType(name, "a boolean", *it);
  *out = it->get<bool>();
  return std::nullopt;
}

std::optional<ApiError> GetNumber(const json& body, const char* name, double lo, double hi, double* out,
                                  bool* given = nullptr) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) return WrongType(name, "a number", *it);
  const double v = it->get<double>();
  if (!std::isfinite(v) || v < lo || v > hi) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "'%s' must be from %g to %g", name, lo, hi);
    return Bad(name, buf, "out_of_range");
  }
  *out = v;
  if (given != nullptr) *given = true;
  return std::nullopt;
}

std::optional<ApiError> GetInt(const json& body, const char* name, int64_t lo, int64_t hi, int64_t* out,
                               bool* given = nullptr) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  int64_t v;
  if (it->is_number_unsigned()) {
    const uint64_t u = it->get<uint64_t>();
    v = u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ? std::numeric_limits<int64_t>::max()
                                                                       : static_cast<int64_t>(u);
  } else if (it->is_number_integer()) {
    v = it->get<int64_t>();
  } else if (it->is_number_float()) {
    const double d = it->get<double>();
    if (!(std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15)) {
      return WrongType(name, "an integer", *it);
    }
    v = static_cast<int64_t>(d);
  } else {
    return WrongType(name, "an integer", *it);
  }
  if (v < lo || v > hi) {
    return Bad(name, "'" + std::string(name) + "' must be from " + std::to_string(lo) + " to " + std::to_string(hi),
               "out_of_range");
  }
  *out = v;
  if (given != nullptr) *given = true;
  return std::nullopt;
}

std::optional<ApiError> GetString(const json& body, const char* name, std::string* out, bool* given = nullptr) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) return WrongType(name, "a string", *it);
  *out = it->get<std::string>();
  if (given != nullptr) *given = true;
  return std::nullopt;
}

// Text content of a chat message: a string or an array of {"type": "text"} parts.
std::optional<ApiError> MessageContent(const json& v, const std::string& param, std::string* out) {
  if (v.is_null()) return std::nullopt;
  if (v.is_string()) {
    *out = v.get<std::string>();
    return std::nullopt;
  }
  if (!v.is_array()) return WrongType(param, "a string or an array of text parts", v);
  for (size_t i = 0; i < v.size(); ++i) {
    const json& part = v[i];
    const std::string p = param + "[" + std::to_string(i) + "]";
    if (!part.is_object()) return WrongType(p, "an object", part);
    auto type = part.find("type");
    if (type == part.end() || !type->is_string() || type->get<std::string>() != "text") {
      return Bad(p, "only text content parts ({\"type\": \"text\"}) are supported", "unsupported_content");
    }
    auto text = part.find("text");
    if (text == part.end() || !text->is_string()) return Bad(p + ".text", "a text part needs a string 'text'");
    out->append(text->get<std::string>());
  }
  return std::nullopt;
}

// OpenAI fields this server does not implement: accepted only at their
// neutral value, refused otherwise (rather than silently ignored).
std::optional<ApiError> Unsupported(const json& body) {
  for (const char* name : {"presence_penalty", "frequency_penalty"}) {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) continue;
    if (!it->is_number()) return WrongType(name, "a number", *it);
    if (it->get<double>() != 0) return Bad(name, std::string("'") + name + "' is not supported (only 0)", "unsupported_parameter");
  }
  for (const char* name : {"logprobs", "echo"}) {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) continue;
    if (it->is_boolean() && !it->get<bool>()) continue;
    return Bad(name, std::string("'") + name + "' is not supported", "unsupported_parameter");
  }
  for (const char* name : {"best_of"}) {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) continue;
    if (!it->is_number_integer() && !it->is_number_unsigned()) return WrongType(name, "an integer", *it);
    if (it->get<int64_t>() != 1) return Bad(name, std::string("only '") + name + "': 1 is supported", "unsupported_parameter");
  }
  for (const char* name : {"tools", "functions", "logit_bias", "top_logprobs", "suffix"}) {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) continue;
    if ((it->is_array() || it->is_object() || it->is_string()) && it->empty()) continue;
    return Bad(name, std::string("'") + name + "' is not supported", "unsupported_parameter");
  }
  return std::nullopt;
}

}  // namespace

std::string ErrorJson(const ApiError& e) {
  nlohmann::ordered_json err = nlohmann::ordered_json::object();
  err["message"] = e.message;
  err["type"] = e.type;
  err["param"] = e.param.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(e.param);
  err["code"] = e.code.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(e.code);
  return nlohmann::ordered_json{{"error", err}}.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::optional<ApiError> ParseApiRequest(std::string_view body, bool chat, const RequestLimits& limits,
                                        ApiRequest* out) {
  // The project's strict scanner first: valid UTF-8, bounded nesting, no
  // trailing bytes; then a tree of the (small) body.
  io::JsonScanner scanner;
  size_t end = 0;
  io::JsonType type;
  const auto scanned = scanner.Scan(body, &end, &type);
  if (scanned == io::JsonScanner::Result::kTruncated) {
    return Bad("", "the request body is not valid JSON: it ends in the middle of a value", "invalid_json");
  }
  if (scanned == io::JsonScanner::Result::kError) {
    return Bad("", "the request body is not valid JSON: " + scanner.error() + " at byte " +
                       std::to_string(scanner.error_offset()),
               scanner.error_is_utf8() ? "invalid_utf8" : "invalid_json");
  }
  for (size_t i = end; i < body.size(); ++i) {
    const char c = body[i];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      return Bad("", "the request body holds bytes after its JSON value (at byte " + std::to_string(i) + ")",
                 "invalid_json");
    }
  }
  if (type != io::JsonType::kObject) return Bad("", "the request body must be a JSON object", "invalid_json");
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Bad("", "the request body is not valid JSON", "invalid_json");

  ApiRequest& r = *out;
  r = ApiRequest();
  r.chat = chat;
  if (auto e = GetString(j, "model", &r.model)) return e;
  if (auto e = Unsupported(j)) return e;

  // The capsfusion extension: fuse a raw and a synthetic caption.
  bool has_raw = false, has_synthetic = false;
  if (auto e = GetString(j, "raw", &r.raw, &has_raw)) return e;
  if (auto e = GetString(j, "synthetic", &r.synthetic, &has_synthetic)) return e;
  if (has_raw != has_synthetic) {
    return Bad(has_raw ? "synthetic" : "raw", "'raw' and 'synthetic' go together (the captions to fuse)");
  }
  r.fusion = has_raw;

  if (chat) {
    auto it = j.find("messages");
    if (r.fusion) {
      if (it != j.end() && !it->is_null()) return Bad("messages", "give either 'messages' or 'raw' and 'synthetic'");
    } else {
      if (it == j.end() || it->is_null()) return Bad("messages", "'messages' is required", "missing_required_parameter");
      if (!it->is_array()) return WrongType("messages", "an array", *it);
      if (it->empty()) return Bad("messages", "'messages' must not be empty");
      if (it->size() > limits.max_messages) {
        return Bad("messages", "at most " + std::to_string(limits.max_messages) + " messages per request");
      }
      for (size_t i = 0; i < it->size(); ++i) {
        const json& m = (*it)[i];
        const std::string p = "messages[" + std::to_string(i) + "]";
        if (!m.is_object()) return WrongType(p, "an object", m);
        ChatMessage msg;
        auto role = m.find("role");
        if (role == m.end() || !role->is_string()) return Bad(p + ".role", "every message needs a string 'role'");
        msg.role = role->get<std::string>();
        if (msg.role != "system" && msg.role != "developer" && msg.role != "user" && msg.role != "assistant") {
          return Bad(p + ".role", "role must be system, developer, user or assistant, not '" + msg.role + "'");
        }
        auto content = m.find("content");
        if (content == m.end()) return Bad(p + ".content", "every message needs 'content'");
        if (auto e = MessageContent(*content, p + ".content", &msg.content)) return e;
        r.messages.push_back(std::move(msg));
      }
    }
  } else {
    auto it = j.find("prompt");
    if (r.fusion) {
      if (it != j.end() && !it->is_null()) return Bad("prompt", "give either 'prompt' or 'raw' and 'synthetic'");
    } else {
      if (it == j.end() || it->is_null()) return Bad("prompt", "'prompt' is required", "missing_required_parameter");
      if (it->is_string()) {
        r.prompt = it->get<std::string>();
      } else if (it->is_array() && it->size() == 1 && (*it)[0].is_string()) {
        r.prompt = (*it)[0].get<std::string>();
      } else if (it->is_array()) {
        return Bad("prompt", "only one prompt per request (a string or an array of one string)",
                   "unsupported_parameter");
      } else {
        return WrongType("prompt", "a string", *it);
      }
    }
  }

  if (auto e = GetBool(j, "stream", &r.stream)) return e;
  if (auto so = j.find("stream_options"); so != j.end() && !so->is_null()) {
    if (!so->is_object()) return WrongType("stream_options", "an object", *so);
    if (auto e = GetBool(*so, "include_usage", &r.include_usage)) return e;
  }

  GenerateOptions& g = r.gen;
  g.temperature = 1.0f;  // the OpenAI API's default
  int64_t max_tokens = 0;
  const char* max_name = "max_tokens";
  if (auto e = GetInt(j, "max_tokens", std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                      &max_tokens, &r.max_tokens_given)) {
    return e;
  }
  if (chat && !r.max_tokens_given) {
    max_name = "max_completion_tokens";
    if (auto e = GetInt(j, max_name, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                        &max_tokens, &r.max_tokens_given)) {
      return e;
    }
  }
  if (r.max_tokens_given) {
    if (max_tokens < 1 || max_tokens > limits.max_tokens) {
      return Bad(max_name, std::string("'") + max_name + "' must be from 1 to " + std::to_string(limits.max_tokens) +
                               " (this server's limit), not " + std::to_string(max_tokens),
                 "out_of_range");
    }
    g.max_new_tokens = static_cast<int>(max_tokens);
  }
  double d = g.temperature;
  if (auto e = GetNumber(j, "temperature", 0, 2, &d)) return e;
  g.temperature = static_cast<float>(d);
  d = g.top_p;
  if (auto e = GetNumber(j, "top_p", 0, 1, &d)) return e;
  if (d <= 0) return Bad("top_p", "'top_p' must be above 0 and at most 1", "out_of_range");
  g.top_p = static_cast<float>(d);
  int64_t iv = 0;
  bool given = false;
  if (auto e = GetInt(j, "top_k", 0, 1000000, &iv, &given)) return e;
  if (given) g.top_k = static_cast<int>(iv);
  if (auto e = GetInt(j, "seed", std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), &iv,
                      &r.seed_given)) {
    return e;
  }
  if (r.seed_given) g.seed = static_cast<uint64_t>(iv);
  d = g.repetition_penalty;
  if (auto e = GetNumber(j, "repetition_penalty", 0.01, 100, &d)) return e;
  g.repetition_penalty = static_cast<float>(d);
  given = false;
  if (auto e = GetInt(j, "no_repeat_ngram_size", 0, 64, &iv, &given)) return e;
  if (given) g.no_repeat_ngram_size = static_cast<int>(iv);
  given = false;
  if (auto e = GetInt(j, "num_beams", 1, 16, &iv, &given)) return e;
  if (given) g.num_beams = static_cast<int>(iv);
  d = g.length_penalty;
  if (auto e = GetNumber(j, "length_penalty", -10, 10, &d)) return e;
  g.length_penalty = static_cast<float>(d);
  d = g.span_bonus;
  if (auto e = GetNumber(j, "span_bonus", 0, 100, &d)) return e;
  g.span_bonus = static_cast<float>(d);
  given = false;
  if (auto e = GetInt(j, "span_min_match", 1, 32, &iv, &given)) return e;
  if (given) g.span_min_match = static_cast<int>(iv);
  given = false;
  if (auto e = GetInt(j, "no_adjacent_repeat", 0, 32, &iv, &given)) return e;
  if (given) g.no_adjacent_repeat = static_cast<int>(iv);
  if (auto e = GetBool(j, "penalize_prompt", &g.penalize_prompt)) return e;
  if (auto e = GetBool(j, "ignore_eos", &r.ignore_eos)) return e;
  if (r.ignore_eos && g.num_beams > 1) {
    return Bad("ignore_eos", "ignore_eos does not work with beam search (num_beams > 1)", "unsupported_parameter");
  }
  if (g.num_beams > 1) {
    if (r.stream) return Bad("num_beams", "beam search (num_beams > 1) cannot stream", "unsupported_parameter");
    g.temperature = 0;  // beam search is deterministic
  }
  // n choices are the n best beams of one beam search.
  given = false;
  if (auto e = GetInt(j, "n", 1, 16, &iv, &given)) return e;
  if (given && iv > g.num_beams) {
    return Bad("n", "'n': " + std::to_string(iv) + " needs beam search with num_beams >= n (each choice is one beam)",
               "unsupported_parameter");
  }
  if (given) g.num_return_sequences = static_cast<int>(iv);

  if (auto it = j.find("stop"); it != j.end() && !it->is_null()) {
    if (it->is_string()) {
      g.stop.push_back(it->get<std::string>());
    } else if (it->is_array()) {
      if (it->size() > limits.max_stop) {
        return Bad("stop", "at most " + std::to_string(limits.max_stop) + " stop strings", "out_of_range");
      }
      for (const json& s : *it) {
        if (!s.is_string()) return WrongType("stop", "a string or an array of strings", s);
        g.stop.push_back(s.get<std::string>());
      }
    } else {
      return WrongType("stop", "a string or an array of strings", *it);
    }
    for (const std::string& s : g.stop) {
      if (s.empty()) return Bad("stop", "stop strings must not be empty");
      if (s.size() > 256) return Bad("stop", "stop strings are at most 256 bytes");
    }
  }
  return std::nullopt;
}

}  // namespace capsfusion::serve

// ApiRequest: the body of POST /v1/completions and /v1/chat/completions,
// parsed and checked against the OpenAI API's types and ranges and the
// server's limits. Every problem becomes an ApiError (HTTP status and an
// OpenAI-style error object); nothing here throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capsfusion/engine.h"

namespace capsfusion::serve {

//! An OpenAI-style error: {"error": {"message", "type", "param", "code"}}.
struct ApiError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;  //!< empty: null
  std::string code;   //!< empty: null
};

struct ChatMessage {
  std::string role;  //!< system, developer, user or assistant
  std::string content;
};

struct ApiRequest {
  bool chat = false;
  std::string model;                  //!< empty: not given
  std::string prompt;                 //!< completions
  std::vector<ChatMessage> messages;  //!< chat
  bool fusion = false;                //!< capsfusion extension: "raw" and "synthetic" given
  std::string raw, synthetic;
  bool stream = false;
  bool include_usage = false;  //!< stream_options.include_usage
  bool max_tokens_given = false;
  GenerateOptions gen;         //!< max_new_tokens is set only when max_tokens_given
  bool seed_given = false;
  bool ignore_eos = false;     //!< extension: generate exactly max_tokens tokens
};

struct RequestLimits {
  int64_t max_tokens = 4096;  //!< larger max_tokens values are refused
  size_t max_stop = 4;        //!< stop strings
  size_t max_messages = 256;
};

//! Parses `body` (checked as strict UTF-8 JSON first). `chat` selects the
//! chat completions schema.
std::optional<ApiError> ParseApiRequest(std::string_view body, bool chat, const RequestLimits& limits,
                                        ApiRequest* out);

//! The JSON text of an error object.
std::string ErrorJson(const ApiError& error);

}  // namespace capsfusion::serve

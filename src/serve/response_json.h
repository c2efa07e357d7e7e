// The JSON bodies `capsfusion serve` answers with, in the shapes of the OpenAI
// API: completions ("text_completion"), chat completions ("chat.completion"),
// their streamed chunks, the model list, and /health. Text that is not valid
// UTF-8 is written with U+FFFD in place of the bad bytes.
#pragma once

#include <cstdint>
#include <string>

#include "capsfusion/engine.h"
#include "engine/scheduler.h"

namespace capsfusion::serve {

//! What every chunk and response of one request shares.
struct ResponseHead {
  std::string id;  //!< "cmpl-..." or "chatcmpl-..."
  int64_t created = 0;
  std::string model;
  bool chat = false;
};

//! The whole (non-streamed) response of a finished request.
std::string FinalResponseJson(const ResponseHead& head, const engine::StreamEvent& done);
//! A streamed chunk with new text (finish_reason empty: null) or the final
//! chunk (empty text and the finish_reason).
std::string DeltaChunkJson(const ResponseHead& head, const std::string& text, const std::string& finish_reason);
//! The first chunk of a chat stream: delta {"role": "assistant", "content": ""}.
std::string ChatRoleChunkJson(const ResponseHead& head);
//! The usage chunk of stream_options.include_usage (choices: []).
std::string UsageChunkJson(const ResponseHead& head, const engine::StreamEvent& done);
//! "data: <json>\n\n"
std::string SseData(const std::string& json);

std::string ModelJson(const std::string& id, int64_t created, const ModelInfo& info);
std::string ModelListJson(const std::string& id, int64_t created, const ModelInfo& info);
std::string HealthJson(const std::string& status, const std::string& model, size_t queued, size_t running);

}  // namespace capsfusion::serve

// How chat messages become one prompt for the model.
//
// Generic conversations are rendered as turns, one per message:
//   "System: ...\n" "User: ...\n" "Assistant: ...\n" ... "Assistant:"
// (a developer message is a System turn), and generation continues after the
// final "Assistant:"; "\nUser:" is an implicit stop string so the model does
// not write the user's next turn. A model's own tokenizer.chat_template (a
// Jinja program) is not interpreted.
//
// A fusion request (the capsfusion extension) gets the model's fusion
// template instead: either "raw" and "synthetic" fields, or a conversation
// whose last user message is the paper's fusion prompt (the captions are read
// back out of it). Those prompts follow `capsfusion fuse`: the model's own
// template when its metadata has one, else the paper's, with the 256-token
// budget.
#pragma once

#include <string>
#include <vector>

#include "serve/api_request.h"

namespace capsfusion::serve {

//! The turns rendering of `messages`.
std::string RenderChat(const std::vector<ChatMessage>& messages);

//! The implicit stop string of the turns rendering.
inline const char* ChatTurnStop() { return "\nUser:"; }

//! True when `text` is the paper's fusion prompt; then *raw and *synthetic
//! hold the two captions.
bool ParseFusionPrompt(const std::string& text, std::string* raw, std::string* synthetic);

//! True when the conversation is one fusion prompt: optional system messages,
//! then a single user message that ParseFusionPrompt accepts.
bool ChatIsFusion(const std::vector<ChatMessage>& messages, std::string* raw, std::string* synthetic);

}  // namespace capsfusion::serve

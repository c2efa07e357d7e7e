#include "serve/chat_prompt.h"

#include "capsfusion/prompt.h"

namespace capsfusion::serve {

std::string RenderChat(const std::vector<ChatMessage>& messages) {
  std::string out;
  for (const ChatMessage& m : messages) {
    if (m.role == "user") {
      out += "User: ";
    } else if (m.role == "assistant") {
      out += "Assistant: ";
    } else {
      out += "System: ";
    }
    out += m.content;
    out += '\n';
  }
  out += "Assistant:";
  return out;
}

bool ParseFusionPrompt(const std::string& text, std::string* raw, std::string* synthetic) {
  const std::string t = PromptTemplate::Paper().text;
  const size_t r = t.find("{raw}"), s = t.find("{synthetic}");
  const std::string head = t.substr(0, r);
  const std::string middle = t.substr(r + 5, s - r - 5);
  const std::string tail = t.substr(s + 11);
  if (text.size() < head.size() + middle.size() + tail.size()) return false;
  if (text.compare(0, head.size(), head) != 0) return false;
  if (text.compare(text.size() - tail.size(), tail.size(), tail) != 0) return false;
  const std::string inner = text.substr(head.size(), text.size() - head.size() - tail.size());
  const size_t at = inner.find(middle);
  if (at == std::string::npos) return false;
  *raw = inner.substr(0, at);
  *synthetic = inner.substr(at + middle.size());
  return true;
}

bool ChatIsFusion(const std::vector<ChatMessage>& messages, std::string* raw, std::string* synthetic) {
  size_t users = 0;
  const ChatMessage* user = nullptr;
  for (const ChatMessage& m : messages) {
    if (m.role == "assistant") return false;
    if (m.role == "user") {
      ++users;
      user = &m;
    }
  }
  return users == 1 && messages.back().role == "user" && ParseFusionPrompt(user->content, raw, synthetic);
}

}  // namespace capsfusion::serve

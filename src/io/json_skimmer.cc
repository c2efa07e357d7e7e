#include "io/json_skimmer.h"

namespace capsfusion::io {

void JsonSkimmer::Reset() {
  state_ = State::kStart;
  top_string_ = false;
  closers_.clear();
  done_ = false;
  failed_ = false;
  error_.clear();
  newlines_ = 0;
}

void JsonSkimmer::Finish() {
  if (state_ == State::kScalar) done_ = true;
}

size_t JsonSkimmer::Feed(const char* data, size_t n) {
  size_t i = 0;
  while (i < n && !done_ && !failed_) {
    const char c = data[i];
    switch (state_) {
      case State::kStart:
        if (c == '\n') ++newlines_;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
          ++i;
        } else if (c == '{' || c == '[') {
          closers_.push_back(c == '{' ? '}' : ']');
          state_ = State::kContainer;
          ++i;
        } else if (c == '"') {
          top_string_ = true;
          state_ = State::kString;
          ++i;
        } else {
          state_ = State::kScalar;
          ++i;
        }
        break;
      case State::kScalar:
        if (c == ',' || c == ']' || c == '}' || c == ' ' || c == '\t' || c == '\r' || c == '\n') {
          done_ = true;
        } else {
          ++i;
        }
        break;
      case State::kString:
        // Fast path over plain string bytes.
        while (i < n && data[i] != '"' && data[i] != '\\' && data[i] != '\n') ++i;
        if (i >= n) break;
        if (data[i] == '\n') {
          ++newlines_;
          ++i;
        } else if (data[i] == '\\') {
          state_ = State::kEscape;
          ++i;
        } else {
          ++i;
          if (top_string_) {
            done_ = true;
          } else {
            state_ = State::kContainer;
          }
        }
        break;
      case State::kEscape:
        if (c == '\n') ++newlines_;
        state_ = State::kString;
        ++i;
        break;
      case State::kContainer:
        ++i;
        if (c == '\n') {
          ++newlines_;
        } else if (c == '"') {
          state_ = State::kString;
        } else if (c == '{' || c == '[') {
          if (closers_.size() >= kMaxDepth) {
            failed_ = true;
            error_ = "nesting deeper than 65536 levels";
          }
          closers_.push_back(c == '{' ? '}' : ']');
        } else if (c == '}' || c == ']') {
          if (closers_.back() != c) {
            failed_ = true;
            error_ = std::string("mismatched '") + c + "'";
          } else {
            closers_.pop_back();
            if (closers_.empty()) done_ = true;
          }
        }
        break;
    }
  }
  return i;
}

}  // namespace capsfusion::io

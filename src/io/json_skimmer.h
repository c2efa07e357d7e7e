// JsonSkimmer: finds where one JSON value ends without validating it, fed a
// chunk at a time. The JSON array reader uses it to step over an element it
// cannot parse (malformed or over max_row_bytes) without holding it in memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace capsfusion::io {

//! Resumable finder of a JSON value's end (strings, escapes, bracket nesting).
class JsonSkimmer {
 public:
  //! Nesting deeper than this ends the skim with failed().
  static constexpr size_t kMaxDepth = 1 << 16;

  //! Starts a new value.
  void Reset();

  //! Feeds the next `n` bytes of the value. Returns how many were used: when
  //! done() the value ended after that many bytes (a bare number or literal
  //! ends before the byte that follows it); otherwise all `n` were used.
  size_t Feed(const char* data, size_t n);

  //! Tells the skimmer that the input ended (a bare number or literal ends here).
  void Finish();

  bool done() const { return done_; }
  //! Brackets that do not match ("[1}") or nesting over kMaxDepth.
  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }
  //! Newlines seen so far.
  uint64_t newlines() const { return newlines_; }

 private:
  enum class State { kStart, kContainer, kString, kEscape, kScalar };
  State state_ = State::kStart;
  bool top_string_ = false;  // the value itself is a string
  std::string closers_;      // expected closing brackets, innermost last
  bool done_ = false;
  bool failed_ = false;
  std::string error_;
  uint64_t newlines_ = 0;
};

}  // namespace capsfusion::io

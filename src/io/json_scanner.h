// JsonScanner: a strict, allocation-free JSON validator that finds the spans of
// one value and, for an object, of its top-level members. The readers decode
// only the strings they need (DecodeJsonString); everything else is kept as
// the exact input text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace capsfusion::io {

//! The kind of a JSON value.
enum class JsonType : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

//! "null", "boolean", "number", "string", "array" or "object".
const char* JsonTypeName(JsonType type);

//! One top-level member of a scanned object; the views point into the input.
struct JsonMember {
  std::string_view key;    //!< between the quotes, escapes as written
  std::string_view value;  //!< exact JSON text of the value (strings with quotes)
  JsonType type;
  bool key_escaped;    //!< the key holds a backslash escape
  bool value_escaped;  //!< a string value holds a backslash escape
};

//! Strict JSON validator that reports value and member spans (reusable).
class JsonScanner {
 public:
  //! kOk: a whole value; kError: malformed; kTruncated: the text ends inside it.
  enum class Result { kOk, kError, kTruncated };
  static constexpr int kMaxDepth = 256;  //!< deeper nesting is an error

  //! Scans one JSON value at the start of `text` (leading whitespace allowed,
  //! trailing bytes ignored). kOk: *end is the offset just past the value and,
  //! for an object, members() holds its members. kTruncated: `text` ends
  //! inside the value (a number that ends exactly at the end of `text` is kOk:
  //! the caller knows whether more input could follow). kError: see error().
  Result Scan(std::string_view text, size_t* end, JsonType* type);

  const std::vector<JsonMember>& members() const { return members_; }
  //! What was wrong ("expected ':' after an object key").
  const std::string& error() const { return error_; }
  //! Byte offset of the problem in the scanned text.
  size_t error_offset() const { return error_offset_; }
  //! True when the error is malformed UTF-8 inside a string.
  bool error_is_utf8() const { return error_is_utf8_; }

 private:
  bool Value(int depth, JsonType* type, bool* escaped);
  bool Object(int depth, bool top);
  bool Array(int depth);
  bool String(bool* escaped);
  bool Number();
  bool Literal(std::string_view word);
  void SkipSpace();
  bool Fail(const char* message);
  bool Truncated();

  const unsigned char* base_ = nullptr;
  const unsigned char* p_ = nullptr;
  const unsigned char* end_ = nullptr;
  bool truncated_ = false;
  bool error_is_utf8_ = false;
  std::string error_;
  size_t error_offset_ = 0;
  std::vector<JsonMember> members_;
};

//! Appends the decoded text of a JSON string body (the bytes between the
//! quotes, as validated by JsonScanner) to `out`. A lone surrogate escape
//! becomes U+FFFD.
void DecodeJsonString(std::string_view body, std::string* out);

//! Decodes a whole JSON string literal ("\"a\\nb\""); false when `json` is not
//! a well-formed JSON string.
bool DecodeJsonStringLiteral(std::string_view json, std::string* out);

}  // namespace capsfusion::io

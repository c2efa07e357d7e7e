#include "io/readers.h"

#include "io/utf8.h"

namespace capsfusion::io {

void SetOrigin(const std::string& name, uint64_t line, std::string* origin) {
  origin->assign(name);
  origin->push_back(':');
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + line % 10);
    line /= 10;
  } while (line != 0);
  while (n > 0) origin->push_back(digits[--n]);
}

void FillReject(const std::string& name, uint64_t line, std::string reason, std::string_view text,
                Reject* reject) {
  SetOrigin(name, line, &reject->origin);
  reject->reason = std::move(reason);
  reject->text = SafeExcerpt(text, kRejectTextBytes);
}

std::string JsonErrorReason(const JsonScanner& scanner, const char* what) {
  if (scanner.error_is_utf8()) return "invalid UTF-8 at byte " + std::to_string(scanner.error_offset()) + " of the " + what;
  return "invalid JSON at byte " + std::to_string(scanner.error_offset()) + " of the " + what + ": " + scanner.error();
}

bool RecordFromJsonText(std::string_view text, const char* what, JsonScanner* scanner,
                        RecordBuilder* builder, Record* record, std::string* reason) {
  size_t end = 0;
  JsonType type;
  switch (scanner->Scan(text, &end, &type)) {
    case JsonScanner::Result::kOk:
      break;
    case JsonScanner::Result::kTruncated:
      *reason = std::string("invalid JSON: the ") + what + " ends inside a value";
      return false;
    case JsonScanner::Result::kError:
      *reason = JsonErrorReason(*scanner, what);
      return false;
  }
  for (size_t i = end; i < text.size(); ++i) {
    char c = text[i];
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
      *reason = "invalid JSON at byte " + std::to_string(i) + " of the " + what + ": data after the " +
                JsonTypeName(type);
      return false;
    }
  }
  if (type != JsonType::kObject) {
    *reason = std::string("the ") + what + " is " + (type == JsonType::kArray ? "an " : "a ") + JsonTypeName(type) +
              ", not a JSON object";
    return false;
  }
  return builder->FromJson(scanner->members(), record, reason);
}

}  // namespace capsfusion::io

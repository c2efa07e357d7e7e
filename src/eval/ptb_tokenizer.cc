// PtbTokenize / PtbTokenizeBatch: what pycocoevalcap 1.2's PTBTokenizer
// returns. Its wrapper joins the captions (each with '\n' replaced by ' ')
// with '\n', runs Stanford PTBTokenizer 3.4.1 with -preserveLines -lowerCase
// over the whole stream, splits the output on '\n', pairs line i with caption
// i, and drops the punctuation tokens of its list from each line.
//
// Both functions are thread-safe (each thread lazily builds its own lexer,
// about 20 ms once) and linear in the input size.
//
// Byte handling: Python always hands the jar valid UTF-8. For other bytes we
// decode each maximal ill-formed subsequence as U+FFFD (what Java's decoder
// does), which the lexer then deletes like any untokenizable character.
#include <string>
#include <string_view>
#include <vector>

#include "capsfusion/metrics.h"
#include "eval/ptb_lexer.h"
#include "eval/ptb_unicode.h"

namespace capsfusion {
namespace {

// pycocoevalcap's PUNCTUATIONS (compared after lowercasing, so "-lrb-" stays).
bool IsFilteredPunctuation(std::string_view w) {
  static const char* const kPunct[] = {"''", "'",  "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-", ".",
                                       "?",  "!",  ",",  ":", "-",     "--",    "...",   ";"};
  for (const char* p : kPunct) {
    if (w == p) return true;
  }
  return false;
}

// Python's str.isspace() for one code point.
bool IsPythonSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

// Length of `s` without trailing Python whitespace (s is valid UTF-8).
size_t RstripLength(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    size_t start = end - 1;
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    char32_t cp = 0;
    auto lead = static_cast<unsigned char>(s[start]);
    size_t len = end - start;
    cp = len == 1 ? lead : len == 2 ? (lead & 0x1F) : len == 3 ? (lead & 0x0F) : (lead & 0x07);
    for (size_t k = start + 1; k < end; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[k]) & 0x3F);
    if (!IsPythonSpace(cp)) break;
    end = start;
  }
  return end;
}

std::string FilterLine(std::string_view line) {
  line = line.substr(0, RstripLength(line));
  std::string out;
  bool first = true;
  size_t start = 0;
  while (true) {
    size_t sp = line.find(' ', start);
    size_t len = (sp == std::string_view::npos ? line.size() : sp) - start;
    std::string_view w = line.substr(start, len);
    if (!IsFilteredPunctuation(w)) {  // Python keeps empty words too
      if (!first) out.push_back(' ');
      out.append(w);
      first = false;
    }
    if (sp == std::string_view::npos) break;
    start = sp + 1;
  }
  return out;
}

ptb::PtbLexer& ThreadLexer() {
  thread_local ptb::PtbLexer lexer;
  return lexer;
}

}  // namespace

std::vector<std::string> PtbTokenizeBatch(const std::vector<std::string>& captions) {
  std::vector<std::string> result(captions.size());
  if (captions.empty()) return result;
  std::string joined;
  for (size_t i = 0; i < captions.size(); ++i) {
    if (i > 0) joined.push_back('\n');
    for (char c : captions[i]) joined.push_back(c == '\n' ? ' ' : c);
  }
  // What the jar prints: tokens of a line joined by ' ', a newline per line
  // break, each token lowercased as String.toLowerCase(Locale.ENGLISH) does.
  std::string printed;
  bool line_start = true;
  ThreadLexer().Tokenize(ptb::Utf8ToUtf16(joined), [&](std::u16string_view token, bool newline) {
    if (newline) {
      printed.push_back('\n');
      line_start = true;
      return;
    }
    if (!line_start) printed.push_back(' ');
    line_start = false;
    ptb::AppendUtf8(ptb::JavaLowerEnglish(token), &printed);
  });

  // The wrapper: split on '\n', zip with the captions, filter each line.
  size_t start = 0;
  for (size_t i = 0; i < captions.size(); ++i) {
    size_t nl = printed.find('\n', start);
    std::string_view line(printed.data() + start,
                          (nl == std::string::npos ? printed.size() : nl) - start);
    result[i] = FilterLine(line);
    if (nl == std::string::npos) break;  // fewer lines than captions: the rest stay ""
    start = nl + 1;
  }
  return result;
}

std::string PtbTokenize(std::string_view caption) {
  return PtbTokenizeBatch({std::string(caption)})[0];
}

}  // namespace capsfusion

// Scripts of letters, from Unicode block ranges: enough to tell the writing
// systems of captions apart (Latin, Cyrillic, Greek, Arabic, Hebrew, the
// Indic scripts, Thai, Hangul, Kana, Han, ...). Digits, punctuation,
// symbols, combining marks outside a script's block and emoji are kOther and
// are not counted as letters.

#include <array>

#include "io/utf8.h"
#include "qc/qc_checks.h"

namespace capsfusion::qc {
namespace {

struct Range {
  uint32_t first, last;
  Script script;
};

// Sorted, non-overlapping ranges of non-ASCII letters.
constexpr Range kRanges[] = {
    {0x00AA, 0x00AA, Script::kLatin},     {0x00BA, 0x00BA, Script::kLatin},
    {0x00C0, 0x00D6, Script::kLatin},     {0x00D8, 0x00F6, Script::kLatin},
    {0x00F8, 0x024F, Script::kLatin},     {0x0250, 0x02AF, Script::kLatin},  // IPA extensions
    {0x0370, 0x03FF, Script::kGreek},     {0x0400, 0x052F, Script::kCyrillic},
    {0x0531, 0x058F, Script::kArmenian},  {0x0591, 0x05FF, Script::kHebrew},
    {0x0600, 0x06FF, Script::kArabic},    {0x0750, 0x077F, Script::kArabic},
    {0x08A0, 0x08FF, Script::kArabic},    {0x0900, 0x097F, Script::kDevanagari},
    {0x0980, 0x09FF, Script::kBengali},   {0x0A00, 0x0A7F, Script::kGurmukhi},
    {0x0A80, 0x0AFF, Script::kGujarati},  {0x0B00, 0x0B7F, Script::kOriya},
    {0x0B80, 0x0BFF, Script::kTamil},     {0x0C00, 0x0C7F, Script::kTelugu},
    {0x0C80, 0x0CFF, Script::kKannada},   {0x0D00, 0x0D7F, Script::kMalayalam},
    {0x0D80, 0x0DFF, Script::kSinhala},   {0x0E00, 0x0E7F, Script::kThai},
    {0x0E80, 0x0EFF, Script::kLao},       {0x0F00, 0x0FFF, Script::kTibetan},
    {0x1000, 0x109F, Script::kMyanmar},   {0x10A0, 0x10FF, Script::kGeorgian},
    {0x1100, 0x11FF, Script::kHangul},    {0x1200, 0x139F, Script::kEthiopic},
    {0x1780, 0x17FF, Script::kKhmer},     {0x1C80, 0x1C8F, Script::kCyrillic},
    {0x1C90, 0x1CBF, Script::kGeorgian},  {0x1E00, 0x1EFF, Script::kLatin},
    {0x1F00, 0x1FFF, Script::kGreek},     {0x2C00, 0x2C5F, Script::kOther},  // Glagolitic
    {0x2C60, 0x2C7F, Script::kLatin},     {0x2D00, 0x2D2F, Script::kGeorgian},
    {0x2DE0, 0x2DFF, Script::kCyrillic},  {0x2E80, 0x2FDF, Script::kHan},    // radicals
    {0x3005, 0x3007, Script::kHan},       {0x3021, 0x3029, Script::kHan},
    {0x3041, 0x30FF, Script::kKana},      {0x3131, 0x318F, Script::kHangul},
    {0x31F0, 0x31FF, Script::kKana},      {0x3400, 0x4DBF, Script::kHan},
    {0x4E00, 0x9FFF, Script::kHan},       {0xA640, 0xA69F, Script::kCyrillic},
    {0xA720, 0xA7FF, Script::kLatin},     {0xA960, 0xA97F, Script::kHangul},
    {0xAB30, 0xAB6F, Script::kLatin},     {0xAC00, 0xD7AF, Script::kHangul},
    {0xD7B0, 0xD7FF, Script::kHangul},    {0xF900, 0xFAFF, Script::kHan},
    {0xFB00, 0xFB06, Script::kLatin},     {0xFB1D, 0xFB4F, Script::kHebrew},
    {0xFB50, 0xFDFF, Script::kArabic},    {0xFE70, 0xFEFF, Script::kArabic},
    {0xFF21, 0xFF3A, Script::kLatin},     {0xFF41, 0xFF5A, Script::kLatin},
    {0xFF66, 0xFF9F, Script::kKana},      {0xFFA0, 0xFFDC, Script::kHangul},
    {0x1B000, 0x1B16F, Script::kKana},    {0x20000, 0x3134F, Script::kHan},
};

constexpr std::array<const char*, kScriptCount> kNames = {
    "Latin",     "Greek",   "Cyrillic", "Armenian", "Hebrew",  "Arabic",    "Devanagari",
    "Bengali",   "Gurmukhi", "Gujarati", "Oriya",   "Tamil",   "Telugu",    "Kannada",
    "Malayalam", "Sinhala", "Thai",     "Lao",      "Tibetan", "Myanmar",   "Georgian",
    "Ethiopic",  "Khmer",   "Hangul",   "Kana",     "Han",     "other"};

}  // namespace

Script ScriptOf(uint32_t cp) {
  if (cp < 0x80) {
    return ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') ? Script::kLatin : Script::kOther;
  }
  size_t lo = 0, hi = sizeof(kRanges) / sizeof(kRanges[0]);
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (kRanges[mid].last < cp) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo < sizeof(kRanges) / sizeof(kRanges[0]) && kRanges[lo].first <= cp) return kRanges[lo].script;
  return Script::kOther;
}

const char* ScriptName(Script script) {
  const size_t i = static_cast<size_t>(script);
  return i < kNames.size() ? kNames[i] : "other";
}

void ScriptProfile::Measure(std::string_view text) {
  letters.fill(0);
  total = 0;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ++letters[0];
      ++i;
      continue;
    }
    uint32_t cp;
    i += io::DecodeUtf8At(text, i, &cp);
    const Script s = ScriptOf(cp);
    if (s != Script::kOther) ++letters[static_cast<size_t>(s)];
  }
  for (size_t k = 0; k + 1 < kScriptCount; ++k) total += letters[k];
}

}  // namespace capsfusion::qc

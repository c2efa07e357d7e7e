// dropped_number: numbers of the raw caption that the fused caption lacks.
//
// A raw number is a word with a digit ("2017", "1,000", "5k", "c1880"),
// except what is not a quantity or a date: identifiers (a run of 6 digits or
// more: stock photo ids, phone numbers), hexadecimal hashes ("45446ceb") and
// image sizes ("800x452", "1024 x 683"), escaped code points ("u0027",
// "%20Clip"), random tokens ("P6YR8wq") and
// small numbers that index the picture (IsIndex: "slide 2", "roses_1_",
// "7.jpg", a trailing "45").
//
// Numbers are compared in a canonical form: thousands commas and leading
// zeros removed, an ordinal suffix dropped ("3rd" -> "3"); the English words
// zero..twenty, first..twentieth and month names count as their numbers
// ("2 dogs" is kept by "two dogs", "12/05" by "December 5"). A raw word
// mixing letters and digits is kept when each of its numbers is in the fused
// caption ("c1880" by "1880", "2XPACKS" by "two packs"); "30,1997" when each
// comma-separated part is; a two-digit year or decade by its four digits
// ("'17" by "2017", "20s" by "1920s").

#include <algorithm>
#include <cctype>
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "qc/qc_checks.h"

namespace capsfusion::qc {
namespace {

constexpr size_t kMinSquashed = 4;
constexpr size_t kIdDigits = 6;

constexpr std::array<std::string_view, 21> kCardinals = {
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"};
constexpr std::array<std::string_view, 21> kOrdinals = {
    "zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
    "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth",
    "nineteenth", "twentieth"};
constexpr std::array<std::string_view, 13> kMonths = {
    "", "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december"};
constexpr std::array<std::string_view, 13> kMonthAbbreviations = {
    "", "jan", "feb", "mar", "apr", "", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 21> kDigits = {
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10",
    "11", "12", "13", "14", "15", "16", "17", "18", "19", "20"};

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }

// Canonical form of a number: commas between digits and leading zeros of a
// digit run removed, an ordinal suffix after a digit removed.
void Canonical(std::string_view w, std::string* out) {
  out->clear();
  for (size_t i = 0; i < w.size(); ++i) {
    const char c = w[i];
    if (c == ',' && i > 0 && IsDigit(w[i - 1]) && i + 1 < w.size() && IsDigit(w[i + 1])) continue;
    // A leading zero of a digit run ("007" -> "7"; "0.5" and "1.05" keep theirs).
    const bool run_start = out->empty() || !(IsDigit(out->back()) || out->back() == '.');
    if (c == '0' && run_start && i + 1 < w.size() && IsDigit(w[i + 1])) continue;
    out->push_back(c);
  }
  const size_t n = out->size();
  if (n >= 3 && IsDigit((*out)[n - 3])) {
    const std::string_view suffix(out->data() + n - 2, 2);
    if (suffix == "st" || suffix == "nd" || suffix == "rd" || suffix == "th") out->resize(n - 2);
  }
}

// The number of an English number word or month name, or "".
std::string_view NumberWordDigits(std::string_view w) {
  if (w.size() < 3 || w.size() > 11) return {};
  for (size_t i = 0; i < kCardinals.size(); ++i) {
    if (w == kCardinals[i] || w == kOrdinals[i]) return kDigits[i];
  }
  for (size_t i = 1; i < kMonths.size(); ++i) {
    if (w == kMonths[i] || w == kMonthAbbreviations[i]) return kDigits[i];
  }
  return {};
}

// Calls f(run) for each number inside a word: digits with '.' or ',' between
// digits, plus an ordinal suffix right after ("3rd").
template <typename F>
void ForEachNumber(std::string_view w, F f) {
  size_t i = 0;
  while (i < w.size()) {
    if (!IsDigit(w[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < w.size() && (IsDigit(w[j]) || ((w[j] == '.' || w[j] == ',') && j + 1 < w.size() && IsDigit(w[j + 1])))) {
      ++j;
    }
    if (j + 2 <= w.size()) {
      const std::string_view s = w.substr(j, 2);
      if ((s == "st" || s == "nd" || s == "rd" || s == "th") && (j + 2 == w.size() || !std::isalpha(static_cast<unsigned char>(w[j + 2])))) {
        j += 2;
      }
    }
    f(w.substr(i, j - i));
    i = j;
  }
}

size_t LongestDigitRun(std::string_view w) {
  size_t best = 0, run = 0;
  for (char c : w) {
    run = IsDigit(c) ? run + 1 : 0;
    best = std::max(best, run);
  }
  return best;
}

size_t DigitCount(std::string_view w) {
  return static_cast<size_t>(std::count_if(w.begin(), w.end(), IsDigit));
}

// "800x452": digits, 'x', digits, each side 3 digits or more.
bool IsSizeWord(std::string_view w) {
  const size_t x = w.find('x');
  if (x == std::string_view::npos || x < 3 || w.size() - x - 1 < 3) return false;
  for (size_t i = 0; i < w.size(); ++i) {
    if (i != x && !IsDigit(w[i])) return false;
  }
  return true;
}

// Hexadecimal hash: 6 characters or more, all hex, with a digit and a letter.
bool IsHexHash(std::string_view w) {
  if (w.size() < 6) return false;
  bool letter = false;
  for (char c : w) {
    if (!IsHex(c)) return false;
    letter |= !IsDigit(c);
  }
  return letter;
}

bool AllDigits(std::string_view w) { return !w.empty() && DigitCount(w) == w.size(); }

// Words a < b of the raw caption written as "1024 x 683" (x, X or U+00D7
// between them; an x is a word of its own, U+00D7 a separator).
bool SizePair(const Caption& raw, size_t a, size_t b) {
  const auto& words = *raw.words;
  if (b >= words.size()) return false;
  const eval::FusionWord& l = words[a];
  const eval::FusionWord& r = words[b];
  if (!AllDigits(l.text) || !AllDigits(r.text) || l.text.size() < 3 || r.text.size() < 3) return false;
  if (b == a + 2) return words[a + 1].text == "x";
  if (b != a + 1) return false;
  std::string_view gap = raw.text.substr(l.end, r.begin - l.end);
  while (!gap.empty() && gap.front() == ' ') gap.remove_prefix(1);
  while (!gap.empty() && gap.back() == ' ') gap.remove_suffix(1);
  return gap == "\xC3\x97";
}

// Word i is a side of an image size written across words.
bool IsSizeSide(const Caption& raw, size_t i) {
  return SizePair(raw, i, i + 1) || SizePair(raw, i, i + 2) || (i >= 1 && SizePair(raw, i - 1, i)) ||
         (i >= 2 && SizePair(raw, i - 2, i));
}

// An escaped code point left in the text ("u0027", "U0026").
bool HasEscape(std::string_view w) {
  for (size_t i = 0; i + 5 <= w.size(); ++i) {
    if ((w[i] == 'u' || w[i] == 'U') && w[i + 1] == '0' && w[i + 2] == '0' && IsHex(w[i + 3]) && IsHex(w[i + 4])) {
      return true;
    }
  }
  return false;
}

// A random token: 6 characters or more with a digit, a capital and a
// lowercase letter, capitals not only first ("P6YR8wq", "TRxqwrR8d").
bool IsRandomToken(std::string_view original) {
  if (original.size() < 6) return false;
  size_t upper = 0, lower = 0, digit = 0;
  for (size_t i = 0; i < original.size(); ++i) {
    const char c = original[i];
    if (c >= 'A' && c <= 'Z') upper += i > 0;
    lower += c >= 'a' && c <= 'z';
    digit += IsDigit(c);
  }
  return upper > 0 && lower > 0 && digit > 0;
}

bool IsQuantity(std::string_view w) {
  return LongestDigitRun(w) < kIdDigits && !IsHexHash(w) && !IsSizeWord(w) && !HasEscape(w);
}

// A small number (1 to 3 digits) that numbers the picture rather than
// something in it: the caption's last word ("... Ideas 45"), "N of M", after
// photo/image/picture/pic/img/slide/page/item/lot/step, a list number that
// starts the caption ("139.", "32 -"), next to '_' or in parentheses
// ("roses_1_", "(1)"), before a file extension ("7.jpg"), the 39 of a broken
// apostrophe entity ("don 39 t"), or any 1- or 2-digit number of a caption
// without spaces ("modern-combat-4-zero-hour-1-1-6-full-apk-sd-data-3").
bool IsIndex(const Caption& raw, size_t i) {
  const auto& words = *raw.words;
  const eval::FusionWord& w = words[i];
  if (!AllDigits(w.text) || w.text.size() > 3) return false;
  if (i + 1 == words.size()) return true;
  // "17 of 27", "image 1 of 1": both numbers.
  if (i + 2 < words.size() && words[i + 1].text == "of" && AllDigits(words[i + 2].text)) return true;
  if (i >= 2 && words[i - 1].text == "of" && AllDigits(words[i - 2].text)) return true;
  // "Photo 6:", "slide 2", "page 3", "#12": the number of a picture or page.
  if (i > 0) {
    static constexpr std::string_view kCounted[] = {"photo", "image", "picture", "pic", "img", "slide", "page",
                                                    "item", "lot", "step"};
    for (std::string_view c : kCounted) {
      if (words[i - 1].text == c) return true;
    }
  }
  // "139. Title", "32 - Title": a list number before the caption.
  if (i == 0 && w.end < raw.text.size()) {
    const char next = raw.text[w.end];
    if (next == '.' || next == ')' || (next == ' ' && w.end + 1 < raw.text.size() && raw.text[w.end + 1] == '-')) {
      return true;
    }
  }
  // "don 39 t": the number of an apostrophe entity that lost its "&#".
  if (w.text == "39" && i + 1 < words.size() && words[i + 1].text.size() <= 2 &&
      (words[i + 1].text == "t" || words[i + 1].text == "s" || words[i + 1].text == "re" ||
       words[i + 1].text == "ll" || words[i + 1].text == "ve" || words[i + 1].text == "d" ||
       words[i + 1].text == "m")) {
    return true;
  }
  const std::string_view text = raw.text;
  const char before = w.begin > 0 ? text[w.begin - 1] : ' ';
  const char after = w.end < text.size() ? text[w.end] : ' ';
  if (before == '_' || after == '_' || (before == '(' && after == ')')) return true;
  if (after == '.' && (words[i + 1].text == "jpg" || words[i + 1].text == "jpeg" || words[i + 1].text == "png")) {
    return true;
  }
  return w.text.size() <= 2 && text.find(' ') == std::string_view::npos;
}

// A two-digit year or decade ("'17", "20s") kept as a four-digit one
// ("2017", "1920s").
bool ShortYearKept(std::string_view w, const std::vector<std::string>& fused, size_t count) {
  const bool decade = w.size() == 3 && w[2] == 's';
  if (!(w.size() == 2 || decade) || !IsDigit(w[0]) || !IsDigit(w[1])) return false;
  for (size_t i = 0; i < count; ++i) {
    const std::string& f = fused[i];
    if (f.size() != w.size() + 2 || !(f.compare(0, 2, "19") == 0 || f.compare(0, 2, "20") == 0)) continue;
    if (f.compare(2, std::string::npos, w.data(), w.size()) == 0) return true;
  }
  return false;
}

}  // namespace

size_t DroppedNumbers(const Triplet& t, Found* found) {
  std::vector<const eval::FusionWord*> hits;
  thread_local std::vector<const eval::FusionWord*> numbers;
  thread_local std::vector<std::string> fused_numbers;
  thread_local std::string canonical;
  numbers.clear();
  const auto& rw = *t.raw.words;
  for (size_t i = 0; i < rw.size(); ++i) {
    const eval::FusionWord& w = rw[i];
    if (!w.has_digit || !IsQuantity(w.text)) continue;
    if (IsSizeSide(t.raw, i) || IsIndex(t.raw, i)) continue;
    if (IsRandomToken(Original(t.raw.text, w))) continue;
    if (w.begin > 0 && t.raw.text[w.begin - 1] == '%') continue;  // URL escape ("%20Clip")
    numbers.push_back(&w);
  }
  if (numbers.empty()) return 0;
  std::stable_sort(numbers.begin(), numbers.end(), [](const eval::FusionWord* a, const eval::FusionWord* b) {
    return a->hash != b->hash ? a->hash < b->hash : a->text < b->text;
  });
  // The fused caption's numbers in canonical form (built on the first miss).
  bool built = false;
  size_t count = 0;
  auto add = [&](std::string_view number) {
    if (count == fused_numbers.size()) fused_numbers.emplace_back();
    Canonical(number, &fused_numbers[count++]);
  };
  auto has = [&](std::string_view number) {
    Canonical(number, &canonical);
    return std::find(fused_numbers.begin(), fused_numbers.begin() + count, canonical) != fused_numbers.begin() + count;
  };
  size_t dropped = 0;
  for (size_t i = 0; i < numbers.size(); ++i) {
    const eval::FusionWord& w = *numbers[i];
    if (i > 0 && w.hash == numbers[i - 1]->hash && w.text == numbers[i - 1]->text) continue;
    if (t.fused.Holds(w, kMinSquashed)) continue;
    if (!built) {
      built = true;
      for (const eval::FusionWord& f : *t.fused.words) {
        if (f.has_digit) {
          add(f.text);
          if (f.has_letter) ForEachNumber(f.text, add);
        } else if (const std::string_view digits = NumberWordDigits(f.text); !digits.empty()) {
          add(digits);
        }
      }
    }
    bool kept = has(w.text) || ShortYearKept(w.text, fused_numbers, count);
    // "July 30,1997": a comma before 4 digits is no thousands separator.
    if (!kept && w.text.find(',') != std::string_view::npos) {
      kept = true;
      size_t from = 0;
      while (kept && from <= w.text.size()) {
        size_t comma = w.text.find(',', from);
        if (comma == std::string_view::npos) comma = w.text.size();
        kept = has(w.text.substr(from, comma - from));
        from = comma + 1;
      }
    }
    if (!kept && !AllDigits(w.text)) {
      kept = true;
      ForEachNumber(w.text, [&](std::string_view number) { kept = kept && has(number); });
    }
    if (kept) continue;
    ++dropped;
    if (found != nullptr) hits.push_back(&w);
  }
  if (found != nullptr) AddFound(t.raw.text, &hits, found);
  return dropped;
}

}  // namespace capsfusion::qc

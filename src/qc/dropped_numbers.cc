// dropped_number: words with a digit of the raw caption ("2017", "1,000",
// "5k", "iPhone11") that the fused caption lacks. Numbers are compared in a
// canonical form: thousands commas and leading zeros removed, an ordinal
// suffix dropped ("3rd" -> "3"), and the English number words zero..twenty
// and first..twentieth read as their digits, so "2 dogs" is kept by "two
// dogs" and "1,000" by "1000".

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "qc/qc_checks.h"

namespace capsfusion::qc {
namespace {

constexpr size_t kMinSquashed = 4;

constexpr std::array<std::string_view, 21> kCardinals = {
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"};
constexpr std::array<std::string_view, 21> kOrdinals = {
    "zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
    "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth",
    "nineteenth", "twentieth"};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Canonical form of a word with a digit: commas between digits removed,
// leading zeros of a digit run removed, an ordinal suffix after digits removed.
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

// The digits of an English number word, or "".
std::string_view NumberWordDigits(std::string_view w) {
  static const std::array<std::string_view, 21> kDigits = {
      "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10",
      "11", "12", "13", "14", "15", "16", "17", "18", "19", "20"};
  if (w.size() < 3 || w.size() > 11) return {};
  for (size_t i = 0; i < kCardinals.size(); ++i) {
    if (w == kCardinals[i] || w == kOrdinals[i]) return kDigits[i];
  }
  return {};
}

}  // namespace

size_t DroppedNumbers(const Triplet& t) {
  thread_local std::vector<const eval::FusionWord*> numbers;
  thread_local std::vector<std::string> fused_numbers;
  thread_local std::string canonical;
  numbers.clear();
  for (const eval::FusionWord& w : *t.raw.words) {
    if (w.has_digit) numbers.push_back(&w);
  }
  if (numbers.empty()) return 0;
  std::sort(numbers.begin(), numbers.end(), [](const eval::FusionWord* a, const eval::FusionWord* b) {
    return a->hash != b->hash ? a->hash < b->hash : a->text < b->text;
  });
  // The fused caption's numbers in canonical form (built on the first miss).
  bool built = false;
  size_t count = 0;
  size_t dropped = 0;
  for (size_t i = 0; i < numbers.size(); ++i) {
    const eval::FusionWord& w = *numbers[i];
    if (i > 0 && w.hash == numbers[i - 1]->hash && w.text == numbers[i - 1]->text) continue;
    if (t.fused.Holds(w, kMinSquashed)) continue;
    if (!built) {
      built = true;
      count = 0;
      for (const eval::FusionWord& f : *t.fused.words) {
        std::string_view digits;
        if (f.has_digit) {
          Canonical(f.text, &canonical);
        } else if (!(digits = NumberWordDigits(f.text)).empty()) {
          canonical.assign(digits.data(), digits.size());
        } else {
          continue;
        }
        if (count == fused_numbers.size()) fused_numbers.emplace_back();
        fused_numbers[count++] = canonical;
      }
    }
    Canonical(w.text, &canonical);
    if (std::find(fused_numbers.begin(), fused_numbers.begin() + count, canonical) == fused_numbers.begin() + count) {
      ++dropped;
    }
  }
  return dropped;
}

}  // namespace capsfusion::qc

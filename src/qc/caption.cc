// qc::Caption: a caption tokenized once, with its distinct words and its
// squashed text for the checks that compare captions.

#include <algorithm>
#include <vector>

#include "qc/qc_checks.h"

namespace capsfusion::qc {

void Caption::Fill(eval::WordTokenizer* tokenizer, std::string_view t) {
  text = t;
  words = &tokenizer->Tokenize(t);
  title_case = tokenizer->title_case();
  set.Clear();
  squashed.clear();
  int caps4 = 0;
  shouting = false;
  for (const eval::FusionWord& w : *words) {
    set.Add(w);
    squashed.append(w.text.data(), w.text.size());
    if (!w.capitalised || w.end - w.begin < 4) continue;
    size_t letters = 0;
    bool lower = false;
    for (size_t i = w.begin; i < w.end && !lower; ++i) {
      const char c = text[i];
      lower = c >= 'a' && c <= 'z';
      letters += c >= 'A' && c <= 'Z';
    }
    if (lower || letters < 4) continue;
    if (letters >= 5 || ++caps4 >= 2) shouting = true;
  }
  set.Seal();
}

bool Caption::Holds(const eval::FusionWord& w, size_t min_squashed) const {
  if (set.Contains(w)) return true;
  return w.text.size() >= min_squashed && squashed.find(w.text) != std::string::npos;
}

bool Caption::HoldsRelated(const eval::FusionWord& w) const {
  if (Holds(w, 3)) return true;
  const size_t n = w.text.size();
  if (n < 6) return false;
  const size_t stem = n - 3 > 5 ? n - 3 : 5;
  return squashed.find(w.text.substr(0, stem)) != std::string::npos;
}

namespace {

// Edit distance of a and b with adjacent transpositions (optimal string
// alignment), or limit + 1 when it exceeds `limit`.
size_t BoundedDistance(std::string_view a, std::string_view b, size_t limit) {
  const size_t n = a.size(), m = b.size();
  if ((n > m ? n - m : m - n) > limit) return limit + 1;
  std::vector<size_t> older(m + 1), prev(m + 1), cur(m + 1);
  for (size_t j = 0; j <= m; ++j) prev[j] = j;
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    size_t best = cur[0];
    for (size_t j = 1; j <= m; ++j) {
      size_t d = std::min({prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1), prev[j] + 1, cur[j - 1] + 1});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d = std::min(d, older[j - 2] + 1);
      cur[j] = d;
      best = std::min(best, d);
    }
    if (best > limit) return limit + 1;
    std::swap(older, prev);
    std::swap(prev, cur);
  }
  return prev[m];
}

}  // namespace

bool Caption::HoldsRespelt(const eval::FusionWord& w) const {
  const size_t n = w.text.size();
  if (n < 5) return false;
  const size_t limit = n >= 10 ? 2 : 1;
  for (const eval::FusionWord& x : *words) {
    if (x.text.size() < 4 || x.text[0] != w.text[0]) continue;
    if (BoundedDistance(x.text, w.text, limit) <= limit) return true;
  }
  return false;
}

std::string_view Original(std::string_view text, const eval::FusionWord& w) {
  if (w.begin >= text.size() || w.end > text.size() || w.end < w.begin) return w.text;
  return text.substr(w.begin, w.end - w.begin);
}

void AddFound(std::string_view text, std::vector<const eval::FusionWord*>* hits, Found* found) {
  std::sort(hits->begin(), hits->end(),
            [](const eval::FusionWord* a, const eval::FusionWord* b) { return a->begin < b->begin; });
  for (const eval::FusionWord* w : *hits) found->emplace_back(Original(text, *w));
}

}  // namespace capsfusion::qc

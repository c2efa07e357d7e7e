// ScoreTokenized: BLEU-1..4, ROUGE-L and CIDEr-D of tokenized captions,
// bit-exact with pycocoevalcap 1.2 (Bleu(4) with 'closest', Rouge(), Cider()).
//
// Two passes. The first splits and interns every caption, counts the
// references' n-grams (kept for the second pass) and adds them to CIDEr's
// document frequencies. The second scores the items one by one.

#include <string>
#include <string_view>
#include <vector>

#include "capsfusion/metrics.h"
#include "eval/ngrams.h"
#include "eval/pairwise_sum.h"
#include "eval/scorers.h"

namespace capsfusion {
namespace {

using eval::NGramCounts;
using eval::NGramView;

// A reference's n-gram counts, stored in one arena for all references.
struct StoredCounts {
  size_t offset = 0;
  NGramView view;  // entries pointer set once the arena stops growing
};

// Where one caption's tokens live in the token arena.
struct CaptionTokens {
  size_t begin = 0, size = 0;              // whitespace split (BLEU, CIDEr)
  size_t rouge_begin = 0, rouge_size = 0;  // split(' ') (ROUGE-L)
};

class CaptionStore {
 public:
  CaptionTokens Add(std::string_view caption) {
    CaptionTokens t;
    const bool same = eval::SplitPyWhitespace(caption, &pieces_);
    t.begin = ids_.size();
    for (std::string_view p : pieces_) ids_.push_back(interner_.Intern(p));
    t.size = ids_.size() - t.begin;
    if (same) {
      t.rouge_begin = t.begin;
      t.rouge_size = t.size;
    } else {
      eval::SplitOnSpace(caption, &pieces_);
      t.rouge_begin = ids_.size();
      for (std::string_view p : pieces_) ids_.push_back(interner_.Intern(p));
      t.rouge_size = ids_.size() - t.rouge_begin;
    }
    return t;
  }
  const uint32_t* Ids(size_t begin) const { return ids_.data() + begin; }
  eval::TokenSpan Rouge(const CaptionTokens& t) const {
    return eval::TokenSpan{ids_.data() + t.rouge_begin, static_cast<uint32_t>(t.rouge_size)};
  }

 private:
  eval::TokenInterner interner_;
  std::vector<uint32_t> ids_;
  std::vector<std::string_view> pieces_;
};

}  // namespace

CorpusScores ScoreTokenized(const std::vector<std::vector<std::string>>& refs,
                            const std::vector<std::string>& candidates) {
  const size_t n = refs.size();
  static const std::string kEmpty;
  CorpusScores out;
  out.per_item.resize(n);
  if (n == 0) return out;

  // Pass 1: tokens of everything, document frequencies of the references.
  CaptionStore store;
  std::vector<CaptionTokens> cand_tokens(n);
  std::vector<CaptionTokens> ref_tokens;
  std::vector<StoredCounts> ref_counts;
  std::vector<eval::NGramCount> arena;
  std::vector<size_t> ref_begin(n + 1, 0);
  eval::NGramTable table;
  eval::NGramCounter counter;
  eval::CiderD cider;
  NGramCounts counts;
  for (size_t i = 0; i < n; ++i) {
    ref_begin[i] = ref_tokens.size();
    for (const std::string& r : refs[i]) {
      const CaptionTokens t = store.Add(r);
      ref_tokens.push_back(t);
      counter.Count(store.Ids(t.begin), t.size, /*insert=*/true, &table, &counts);
      cider.AddReference(static_cast<uint32_t>(i), eval::ViewOf(counts));
      StoredCounts stored;
      stored.offset = arena.size();
      stored.view = eval::ViewOf(counts);
      arena.insert(arena.end(), counts.entries.begin(), counts.entries.end());
      ref_counts.push_back(stored);
    }
    cand_tokens[i] = store.Add(i < candidates.size() ? candidates[i] : kEmpty);
  }
  ref_begin[n] = ref_tokens.size();
  cider.Finish(n);
  for (StoredCounts& r : ref_counts) r.view.entries = arena.data() + r.offset;

  // Pass 2: score item by item.
  eval::BleuClipper clipper;
  eval::RougeL rouge;
  eval::BleuCounts totals;
  NGramCounts hyp;
  std::vector<NGramView> ref_views;
  std::vector<eval::TokenSpan> ref_spans;
  std::vector<double> rouge_values(n), cider_values(n);
  for (size_t i = 0; i < n; ++i) {
    ref_views.clear();
    ref_spans.clear();
    for (size_t r = ref_begin[i]; r < ref_begin[i + 1]; ++r) {
      ref_views.push_back(ref_counts[r].view);
      ref_spans.push_back(store.Rouge(ref_tokens[r]));
    }
    const CaptionTokens& c = cand_tokens[i];
    counter.Count(store.Ids(c.begin), c.size, /*insert=*/false, &table, &hyp);
    const NGramView hyp_view = eval::ViewOf(hyp);

    CaptionScores& item = out.per_item[i];
    const eval::BleuCounts bc = clipper.Count(hyp_view, ref_views);
    const std::array<double, 4> bleu = eval::BleuFromCounts(bc);
    for (int k = 0; k < 4; ++k) item.bleu[k] = bleu[k];
    totals.testlen += bc.testlen;
    totals.reflen += bc.reflen;
    for (int k = 0; k < 4; ++k) {
      totals.guess[k] += bc.guess[k];
      totals.correct[k] += bc.correct[k];
    }
    item.rouge_l = rouge.Score(store.Rouge(c), ref_spans);
    item.cider_d = cider.Score(hyp_view, ref_views);
    rouge_values[i] = item.rouge_l;
    cider_values[i] = item.cider_d;
  }

  const std::array<double, 4> bleu = eval::BleuFromCounts(totals);
  for (int k = 0; k < 4; ++k) out.corpus.bleu[k] = bleu[k];
  out.corpus.rouge_l = eval::NumpyMean(rouge_values);
  out.corpus.cider_d = eval::NumpyMean(cider_values);
  out.bleu_totals.testlen = totals.testlen;
  out.bleu_totals.reflen = totals.reflen;
  out.bleu_totals.guess = totals.guess;
  out.bleu_totals.correct = totals.correct;
  return out;
}

}  // namespace capsfusion

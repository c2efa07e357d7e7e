// The three pycocoevalcap scorers on interned tokens: BLEU (bleu.cc), ROUGE-L
// (rouge.cc) and CIDEr-D (cider.cc). ScoreTokenized (score_corpus.cc) drives
// them. Internal to src/eval.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "eval/ngrams.h"

namespace capsfusion::eval {

//! A run of token ids.
struct TokenSpan {
  const uint32_t* data = nullptr;
  uint32_t size = 0;
};

// ----------------------------------------------------------------------- BLEU

//! BLEU counts of one item or of a corpus (pycocoevalcap's "comps").
struct BleuCounts {
  uint64_t testlen = 0, reflen = 0;
  std::array<uint64_t, kMaxOrder> guess{}, correct{};
};

//! The reference length option 'closest' picks: the length nearest to
//! `testlen`, the shorter one on ties. 0 when there is no reference.
uint32_t ClosestRefLength(const std::vector<uint32_t>& ref_lengths, uint32_t testlen);

//! BLEU-1..4 from counts, with pycocoevalcap's tiny (1e-15) and small (1e-9)
//! constants and its brevity penalty. The same formula serves one item and
//! the corpus.
std::array<double, kMaxOrder> BleuFromCounts(const BleuCounts& counts);

//! Clips the hypothesis n-gram counts by the maximum count of each n-gram in
//! any one reference, as cook_refs/cook_test do.
class BleuClipper {
 public:
  //! Counts of one item: lengths, guesses and clipped matches per order.
  BleuCounts Count(const NGramView& hyp, const std::vector<NGramView>& refs);

 private:
  SmallIdMap index_;               // hypothesis n-gram id -> entry index
  std::vector<uint32_t> max_ref_;  // per hypothesis entry: max count in one reference
  std::vector<uint32_t> ref_lengths_;
};

// -------------------------------------------------------------------- ROUGE-L

//! ROUGE-L of one candidate against its references (tokens from split(' ')).
class RougeL {
 public:
  double Score(TokenSpan candidate, const std::vector<TokenSpan>& refs);

 private:
  uint32_t Lcs(TokenSpan a, TokenSpan b);
  std::vector<uint32_t> row_;
};

// -------------------------------------------------------------------- CIDEr-D

//! CIDEr-D with n = 4, sigma = 6, clipping, the Gaussian length penalty and
//! the factor 10. Document frequencies come from the references of the
//! scored items: add every item's references first, then score.
class CiderD {
 public:
  //! Counts the n-grams of one reference of item `item` into the document
  //! frequencies (each n-gram at most once per item). Items must come in
  //! increasing order; the counts must use ids of the shared NGramTable.
  void AddReference(uint32_t item, const NGramView& ref);
  //! Fixes the number of documents (items); call after the last AddReference.
  void Finish(size_t num_items);
  //! CIDEr-D of one item. Missing references give 0.
  double Score(const NGramView& hyp, const std::vector<NGramView>& refs);

 private:
  struct Vec {
    std::vector<double> weight;  // per entry, insertion order
    std::array<double, kMaxOrder> norm{};
    int64_t length = 0;  // number of bigrams
  };
  void MakeVec(const NGramView& counts, Vec* vec);
  double LogDf(uint32_t id);

  std::vector<uint32_t> df_;
  std::vector<uint32_t> last_item_;  // last item (+1) that counted each id
  std::vector<double> log_cache_;    // log(df) for df = 0.. (0 -> log(1))
  double log_num_items_ = 0;
  Vec hyp_vec_, ref_vec_;
  SmallIdMap index_;
  std::vector<double> ref_weight_;  // per hypothesis entry: weight in the current reference
};

}  // namespace capsfusion::eval

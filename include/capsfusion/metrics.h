// Caption metrics: BLEU-1..4, ROUGE-L and CIDEr-D exactly as pycocoevalcap 1.2
// computes them (PTB tokenizer included), and the fusion metrics of
// docs/metrics.md.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace capsfusion {

//! PTB tokenization as pycocoevalcap does it (Stanford PTBTokenizer 3.4.1 with
//! -preserveLines -lowerCase, then its punctuation filter), one caption alone.
std::string PtbTokenize(std::string_view caption);

//! The same for many captions tokenized as one stream (pycocoevalcap's batch
//! mode: captions joined by '\n', so a caption's last token can depend on the
//! next caption). Returns one tokenized line per caption.
std::vector<std::string> PtbTokenizeBatch(const std::vector<std::string>& captions);

//! Scores of one item, or of a corpus.
struct CaptionScores {
  std::array<double, 4> bleu{};  //!< BLEU-1..4
  double rouge_l = 0;
  double cider_d = 0;
};

//! BLEU's corpus counts (what pycocoevalcap prints as totalcomps).
struct BleuTotals {
  uint64_t testlen = 0, reflen = 0;
  std::array<uint64_t, 4> guess{}, correct{};
};

struct CorpusScores {
  CaptionScores corpus;
  std::vector<CaptionScores> per_item;
  BleuTotals bleu_totals;
};

//! Scores already-tokenized candidates against their references (one list per
//! item, at least one reference each). Bit-exact with pycocoevalcap's
//! Bleu(4) (option 'closest'), Rouge() and Cider() (CIDEr-D, sigma 6).
//! Inputs pycocoevalcap rejects still score without failing: an item without
//! references scores 0 in ROUGE-L and CIDEr-D and has reference length 0 in
//! BLEU; items are refs.size(), a missing candidate counts as "" and extra
//! candidates are ignored; with no items every score is 0.
CorpusScores ScoreTokenized(const std::vector<std::vector<std::string>>& refs,
                            const std::vector<std::string>& candidates);

//! Tokenizes as pycocoevalcap does (references as one stream in item order,
//! candidates as another) and scores.
CorpusScores ScoreCaptions(const std::vector<std::vector<std::string>>& refs,
                           const std::vector<std::string>& candidates);

}  // namespace capsfusion

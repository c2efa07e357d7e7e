// The caption metrics of the dev evaluation, from the project's scorers
// (include/capsfusion/metrics.h) when this build has them.
#include <string>
#include <vector>

#ifdef CAPSFUSION_TRAIN_HAVE_METRICS
#include "capsfusion/metrics.h"
#endif

namespace capsfusion::train {

bool CaptionMetrics(const std::vector<std::string>& refs, const std::vector<std::string>& captions, double* bleu4,
                    double* rouge_l, double* cider) {
#ifdef CAPSFUSION_TRAIN_HAVE_METRICS
  std::vector<std::vector<std::string>> r;
  r.reserve(refs.size());
  for (const std::string& s : refs) r.push_back({s});
  CorpusScores s = ScoreCaptions(r, captions);
  *bleu4 = s.corpus.bleu[3];
  *rouge_l = s.corpus.rouge_l;
  *cider = s.corpus.cider_d;
  return true;
#else
  (void)refs;
  (void)captions;
  (void)bleu4;
  (void)rouge_l;
  (void)cider;
  return false;
#endif
}

}  // namespace capsfusion::train

namespace capsfusion::train {

bool HaveCaptionMetrics() {
#ifdef CAPSFUSION_TRAIN_HAVE_METRICS
  return true;
#else
  return false;
#endif
}

}  // namespace capsfusion::train

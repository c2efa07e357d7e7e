// pipeline_bench: what the fuse pipeline costs on top of the model. Prints
// figures and ratios, never pass/fail (the machine is shared).
//
//   build/bench/pipeline_bench [--rows N] [--batch B] [--threads T] [--max-new-tokens M] [--concat-rows N]
//
// Model: $CAPSFUSION_MODEL or models/capsfusion-default.gguf when present, else
// a random LLaMA of a similar size (4 layers, dim 256, vocabulary 4000) written
// to a temporary file. On the same generated rows, in the same run:
//   bare      Backend::Generate on the rows' prompts, in batches of B, the
//             prompts sorted by length as the pipeline sorts them (prompt
//             building not timed)
//   bare-unsorted  the same in input order (what length batching saves)
//   pipeline  RunFusePipeline end to end: read JSONL, prompts, model, QC
//             (CheckFusion, default policy), chunk commits, final combine
//   overhead  (pipeline - bare) / pipeline: the share of I/O, checks and
//             bookkeeping (retries of QC-failed rows count as overhead too;
//             the retried rows are printed); also the pipeline's own
//             measure: wall time minus time inside the model
//   concat    rows/s of the pipeline with the concat baseline (I/O bound)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "capsfusion/backend.h"
#include "engine/random_llama.h"
#include "fuse/caption_maker.h"
#include "fuse/durable_file.h"
#include "fuse/model_fuser.h"
#include "fuse/pipeline.h"

namespace capsfusion {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void Die(const std::string& what) {
  std::fprintf(stderr, "pipeline_bench: %s\n", what.c_str());
  std::exit(1);
}

std::string WriteRows(const std::string& path, size_t rows, uint32_t seed) {
  static const char* kWords[] = {"Nike",  "Air",   "Max",    "Paris", "red",    "barn",  "cat",   "sunset",
                                 "2019",  "poster", "vintage", "dog",  "wooden", "table", "beach", "mountain",
                                 "Tokyo", "night", "street", "woman", "blue",   "dress", "car",   "garden"};
  std::mt19937 rng(seed);
  std::string out;
  for (size_t i = 0; i < rows; ++i) {
    std::string raw, syn = "a photo of a";
    size_t n = 3 + rng() % 14;
    for (size_t k = 0; k < n; ++k) raw += std::string(k ? " " : "") + kWords[rng() % 24];
    size_t m = 3 + rng() % 8;
    for (size_t k = 0; k < m; ++k) syn += std::string(" ") + kWords[rng() % 24];
    out += "{\"id\": " + std::to_string(i) + ", \"laion_2b\": \"" + raw + "\", \"laion_coco\": \"" + syn + "\"}\n";
  }
  Status s = WriteFileAtomic(path, out);
  if (!s.ok()) Die(s.ToString());
  return path;
}

}  // namespace
}  // namespace capsfusion

int main(int argc, char** argv) {
  using namespace capsfusion;
  size_t rows = 128, batch = 16, concat_rows = 200000;
  int threads = 2, max_new = 16;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--rows") rows = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--batch") batch = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--threads") threads = std::atoi(argv[i + 1]);
    else if (a == "--max-new-tokens") max_new = std::atoi(argv[i + 1]);
    else if (a == "--concat-rows") concat_rows = std::strtoull(argv[i + 1], nullptr, 10);
    else Die("unknown flag " + a);
  }
  char tmpl[] = "/tmp/capsfusion-pipeline-bench-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) Die("mkdtemp failed");
  const std::string dir = tmpl;

  std::string model = FindDefaultModel(CAPSFUSION_SOURCE_DIR "/build");
  std::string model_desc = model;
  if (model.empty()) {
    engine::RandomLlamaConfig cfg;
    cfg.n_layer = 4;
    cfg.n_embd = 256;
    cfg.n_head = 4;
    cfg.n_head_kv = 4;
    cfg.n_ff = 688;
    cfg.n_vocab = 4000;
    cfg.n_ctx = 512;
    model = dir + "/random.gguf";
    Status s = engine::MakeRandomLlama(cfg).Write(model);
    if (!s.ok()) Die(s.ToString());
    model_desc = "random LLaMA (4 layers, dim 256, vocab 4000)";
  }
  ModelOptions mo;
  mo.threads = threads;
  mo.max_batch = batch;
  auto backend = MakeLocalBackend(model, mo);
  if (!backend.ok()) Die(backend.status().ToString());
  ModelFuserOptions fo;
  fo.generate.max_new_tokens = max_new;
  if (model_desc != model) {
    // The random vocabulary spells English mostly byte by byte: the paper's
    // long instruction would not fit the budget, so a short template.
    fo.prompt_template = PromptTemplate{"bench-short", "Sentence 1: {raw}\nSentence 2: {synthetic}\nNew Sentence:"};
  }
  ModelFuser fuser(backend->get(), fo);
  const std::string in = WriteRows(dir + "/in.jsonl", rows, 1);
  std::printf("pipeline_bench: model %s, %zu rows, batch %zu, %d threads, up to %d new tokens\n", model_desc.c_str(), rows,
              batch, threads, max_new);

  // The rows' prompts, as the pipeline builds them.
  std::vector<Record> recs;
  {
    ReaderOptions ro;
    auto reader = RecordReader::Open(in, ro);
    if (!reader.ok()) Die(reader.status().ToString());
    Record r;
    Reject j;
    while ((*reader)->Next(&r, &j) == RecordReader::Result::kRecord) recs.push_back(r);
  }
  std::vector<PreparedPrompt> prompts;
  for (const Record& r : recs) prompts.push_back(fuser.Prepare(r));
  auto bare = [&](bool sorted, uint64_t* tokens) {
    std::vector<size_t> order(prompts.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    // The pipeline sorts within windows of 4 batches.
    if (sorted) {
      for (size_t w = 0; w < order.size(); w += 4 * batch) {
        std::stable_sort(order.begin() + w, order.begin() + std::min(order.size(), w + 4 * batch),
                         [&](size_t a, size_t b) { return prompts[a].tokens < prompts[b].tokens; });
      }
    }
    double t0 = Now();
    *tokens = 0;
    for (size_t s = 0; s < order.size(); s += batch) {
      std::vector<const PreparedPrompt*> b;
      for (size_t k = s; k < std::min(order.size(), s + batch); ++k) b.push_back(&prompts[order[k]]);
      auto out = fuser.Generate(b);
      if (!out.ok()) Die(out.status().ToString());
      for (const FusedCaption& f : *out) *tokens += f.new_tokens;
    }
    return Now() - t0;
  };
  uint64_t tok_sorted = 0, tok_unsorted = 0;
  {
    // Warm up (thread pool, weights paged in, KV cache allocated).
    std::vector<const PreparedPrompt*> w;
    for (size_t k = 0; k < std::min(prompts.size(), batch); ++k) w.push_back(&prompts[k]);
    (void)fuser.Generate(w);
  }
  // Best of two, alternating, on a shared machine.
  double t_bare = 1e30, t_unsorted = 1e30;
  for (int rep = 0; rep < 2; ++rep) {
    t_unsorted = std::min(t_unsorted, bare(false, &tok_unsorted));
    t_bare = std::min(t_bare, bare(true, &tok_sorted));
  }

  auto maker = MakeModelCaptionMaker(&fuser, GenerateOptions(), batch);
  PipelineOptions po;
  po.inputs = {in};
  po.output = dir + "/out.jsonl";
  po.rejects = po.output + ".rejects.jsonl";
  po.maker = maker.get();
  po.qc.enabled = true;
  po.qc.policy = QcPolicy::Default();
  po.qc.max_retries = 1;
  po.chunk_rows = 64;
  po.fingerprint = {{"method", "model"}};
  double t0 = Now();
  auto res = RunFusePipeline(po);
  const double t_pipe = Now() - t0;
  if (!res.ok()) Die(res.status().ToString());
  if (res->written == 0) Die("no row was fused (see " + po.rejects + ")");

  std::printf("  %-22s %9.3f s  %8.1f captions/s  %8.1f new tokens/s\n", "bare (length-sorted)", t_bare, rows / t_bare,
              tok_sorted / t_bare);
  std::printf("  %-22s %9.3f s  %8.1f captions/s  %8.1f new tokens/s  (sorting saves %.1f%%)\n", "bare (input order)",
              t_unsorted, rows / t_unsorted, tok_unsorted / t_unsorted, 100.0 * (t_unsorted - t_bare) / t_unsorted);
  std::printf("  %-22s %9.3f s  %8.1f captions/s  (model time inside: %.3f s; QC flagged %llu, retried %llu)\n",
              "pipeline end to end", t_pipe, res->written / t_pipe, res->make_seconds,
              static_cast<unsigned long long>(res->qc.flagged), static_cast<unsigned long long>(res->qc.retried));
  std::printf("  overhead vs bare: %.1f%% of the pipeline's time (%.3f s, QC retries included)\n",
              100.0 * (t_pipe - t_bare) / t_pipe, t_pipe - t_bare);
  std::printf("  time outside the model in the pipeline (I/O, prompts not overlapped, checks, commits): %.1f%%\n",
              100.0 * (t_pipe - res->make_seconds) / t_pipe);

  // The concat baseline: the pipeline's own speed with no model.
  const std::string cin = WriteRows(dir + "/concat.jsonl", concat_rows, 2);
  auto cmaker = MakeBaselineCaptionMaker(FuseMethod::kConcat);
  PipelineOptions co;
  co.inputs = {cin};
  co.output = dir + "/concat-out.jsonl";
  co.rejects = co.output + ".rejects.jsonl";
  co.maker = cmaker.get();
  co.fingerprint = {{"method", "concat"}};
  t0 = Now();
  auto cres = RunFusePipeline(co);
  const double t_concat = Now() - t0;
  if (!cres.ok()) Die(cres.status().ToString());
  std::printf("  %-22s %9.3f s  %8.0f rows/s  (%zu rows, chunks of %llu, JSONL in and out)\n", "concat pipeline",
              t_concat, concat_rows / t_concat, concat_rows, static_cast<unsigned long long>(co.chunk_rows));
  (void)RemoveTree(dir);
  return 0;
}

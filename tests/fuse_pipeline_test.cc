// The fuse pipeline as a library and through the CLI: QC policy handling
// (retry with the retry decoding, fallbacks, drop to rejects, counts) with a
// scripted caption maker; output independent of batch, window and chunk sizes;
// provenance (summary, Parquet key-value metadata, per row); dry run; progress.
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "fuse/dry_run.h"
#include "fuse/pipeline.h"
#include "fuse/progress_line.h"
#include "fuse/reference_choice.h"
#include "fuse_test_helpers.h"
#include "parquet/file_reader.h"

namespace capsfusion {
namespace {

using namespace capsfusion::testing;

// Captions by the row's id: id % 5 == 0 empty (fixed by a retry when id % 10
// == 0), id % 5 == 1 leaks the prompt, others "fused <raw>". Records every
// batch it was given.
class ScriptedMaker : public CaptionMaker {
 public:
  explicit ScriptedMaker(size_t batch) : batch_(batch) {}
  PreparedPrompt Prepare(const Record& r) const override {
    PreparedPrompt p;
    p.text = r.raw;
    p.tokens = r.raw.size();
    return p;
  }
  StatusOr<std::vector<FusedCaption>> Make(const std::vector<const Record*>& rows,
                                           const std::vector<const PreparedPrompt*>& prompts, bool retry) override {
    EXPECT_EQ(rows.size(), prompts.size());
    EXPECT_LE(rows.size(), batch_);
    for (size_t i = 1; i < prompts.size(); ++i) EXPECT_LE(prompts[i - 1]->tokens, prompts[i]->tokens) << "sorted by length";
    std::vector<FusedCaption> out(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      int id = std::stoi(rows[i]->Find("id")->json);
      if (retry) {
        ++retried_[id];
        out[i].text = id % 10 == 0 ? "fixed " + rows[i]->raw : "";
      } else if (id % 5 == 0) {
        out[i].text = "";
      } else if (id % 5 == 1) {
        out[i].text = "Sentence 1: " + rows[i]->raw;
      } else {
        out[i].text = "fused " + rows[i]->raw;
      }
      out[i].new_tokens = 3;
    }
    return out;
  }
  bool can_retry() const override { return true; }
  size_t batch_size() const override { return batch_; }
  std::map<int, int> retried_;

 private:
  size_t batch_;
};

QcResult ScriptedCheck(std::string_view, std::string_view, std::string_view fused) {
  QcResult r;
  if (fused.empty()) r.reasons.push_back(QcReason::kEmpty);
  if (fused.rfind("Sentence 1", 0) == 0) r.reasons.push_back(QcReason::kPromptLeak);
  return r;
}

struct ScriptedRun {
  PipelineResult result;
  std::vector<nlohmann::json> rows, rejects;
  std::string bytes;
};

ScriptedRun RunScripted(const TempDir& dir, const std::string& name, const std::string& policy, size_t batch, uint64_t chunk,
                int retries = 1, ScriptedMaker* maker_out = nullptr) {
  ScriptedMaker local(batch);
  ScriptedMaker* maker = maker_out != nullptr ? maker_out : &local;
  PipelineOptions o;
  o.inputs = {dir.File("in.jsonl")};
  o.output = dir.File(name);
  o.rejects = o.output + ".rejects.jsonl";
  o.maker = maker;
  o.qc.enabled = true;
  o.qc.checker = ScriptedCheck;
  o.qc.policy = *QcPolicy::Parse(policy, QcPolicy::Default());
  o.qc.max_retries = retries;
  o.chunk_rows = chunk;
  o.fingerprint = {{"method", "scripted"}};
  auto r = RunFusePipeline(o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  ScriptedRun run;
  if (!r.ok()) return run;
  run.result = *r;
  run.rows = ReadJsonlRows(o.output);
  run.bytes = ReadFile(o.output);
  std::string rej = o.rejects;
  if (r->rejected > 0) run.rejects = ReadJsonlRows(rej);
  return run;
}

// Every row: a short best beam, then a long one, then a middle one.
class BeamsMaker : public CaptionMaker {
 public:
  PreparedPrompt Prepare(const Record& r) const override {
    PreparedPrompt p;
    p.text = r.raw;
    p.tokens = 1;
    return p;
  }
  StatusOr<std::vector<FusedCaption>> Make(const std::vector<const Record*>& rows,
                                           const std::vector<const PreparedPrompt*>&, bool) override {
    std::vector<FusedCaption> out(rows.size());
    for (FusedCaption& f : out) {
      f.text = "short one";
      f.alternatives = {"a long caption of seven words", "middle sized caption here"};
    }
    return out;
  }
  bool can_retry() const override { return false; }
  size_t batch_size() const override { return 4; }
};

//! Runs the pipeline over `input` with BeamsMaker and a QC check that fails
//! every caption of five words or more; `setup` adds the choices under test.
//! Returns the fused captions.
std::vector<std::string> RunBeamChoice(const std::string& input, const std::string& output,
                                       const std::function<void(PipelineOptions*)>& setup) {
  BeamsMaker maker;
  PipelineOptions o;
  o.inputs = {input};
  o.output = output;
  o.rejects = o.output + ".rejects.jsonl";
  o.maker = &maker;
  o.qc.checker = [](std::string_view, std::string_view, std::string_view fused) {
    QcResult r;
    if (CountWords(fused) >= 5) r.reasons.push_back(QcReason::kLengthRatio);
    return r;
  };
  o.fingerprint = {{"method", "scripted"}};
  setup(&o);
  auto r = RunFusePipeline(o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  std::vector<std::string> texts;
  for (const auto& row : ReadJsonlRows(o.output)) texts.push_back(row["capsfusion"]);
  return texts;
}

TEST(FusePipelineQcTest, TheLengthChoicePicksTheBeamBeforeQc) {
  TempDir dir;
  WriteFile(dir.File("in.jsonl"), "{\"laion_2b\": \"r1 r2\", \"laion_coco\": \"s1\"}\n"
                                  "{\"laion_2b\": \"r1 r2 r3 r4 r5 r6\", \"laion_coco\": \"s1\"}\n");
  auto run = [&](const std::string& name, double ratio, bool qc, size_t max_alternatives) {
    return RunBeamChoice(dir.File("in.jsonl"), dir.File(name), [&](PipelineOptions* o) {
      o->length_choice.expected = ExpectedLength{0.0, 1.0, 0.0};  // as many words as the raw caption
      o->length_choice.min_ratio = ratio;
      o->max_alternatives = max_alternatives;
      o->qc.enabled = qc;
    });
  };
  // Off: the best beam.
  EXPECT_EQ(run("off.jsonl", 0, false, 0), (std::vector<std::string>{"short one", "short one"}));
  // 2 raw words: "short one" is long enough; 6: the first beam with at least 6 words.
  EXPECT_EQ(run("on.jsonl", 1.0, false, 0),
            (std::vector<std::string>{"short one", "a long caption of seven words"}));
  // QC then walks the beams in the new order: the long one fails, the next passing is the short one.
  EXPECT_EQ(run("qc.jsonl", 1.0, true, static_cast<size_t>(-1)),
            (std::vector<std::string>{"short one", "short one"}));
  // ...unless it may not look at other beams (--qc-alternatives 0): the chosen one stays, flagged.
  EXPECT_EQ(run("qc0.jsonl", 1.0, true, 0), (std::vector<std::string>{"short one", "a long caption of seven words"}));
}

TEST(FusePipelineQcTest, TheReferenceChoicePutsTheClosestPassingBeamFirst) {
  TempDir dir;
  WriteFile(dir.File("in.jsonl"),
            "{\"laion_2b\": \"r1\", \"laion_coco\": \"s1\", \"ref\": \"the middle sized caption\"}\n"
            "{\"laion_2b\": \"r1\", \"laion_coco\": \"s1\", \"ref\": \"a long caption of seven words\"}\n"
            "{\"laion_2b\": \"r1\", \"laion_coco\": \"s1\"}\n");
  auto texts = RunBeamChoice(dir.File("in.jsonl"), dir.File("out.jsonl"), [](PipelineOptions* o) {
    o->reader.fields.references = {"ref"};
    o->reference_choice = true;
    o->qc.enabled = true;
  });
  // Row 1: the closest beam passes. Row 2: the closest fails QC, the next
  // closest passes. Row 3 has no reference: the model's best beam.
  EXPECT_EQ(texts, (std::vector<std::string>{"middle sized caption here", "middle sized caption here", "short one"}));
}

TEST(FusePipelineQcTest, RetryFallbackDropAndCounts) {
  TempDir dir;
  std::string in;
  for (int i = 0; i < 100; ++i) {
    in += "{\"id\": " + std::to_string(i) + ", \"laion_2b\": \"raw " + std::string(i % 7 + 1, 'x') + " " +
          std::to_string(i) + "\", \"laion_coco\": \"syn " + std::to_string(i) + "\"}\n";
  }
  WriteFile(dir.File("in.jsonl"), in);

  // Default policy (empty and prompt_leak: retry), one retry.
  ScriptedMaker maker(8);
  ScriptedRun a = RunScripted(dir, "a.jsonl", "", 8, 30, 1, &maker);
  ASSERT_EQ(a.rows.size(), 100u);
  for (const auto& row : a.rows) {
    int id = row["id"];
    const std::string text = row["capsfusion"];
    if (id % 10 == 0) {
      EXPECT_EQ(text, "fixed " + row["laion_2b"].get<std::string>());
      EXPECT_EQ(row["qc_reasons"], nlohmann::json::array());
    } else if (id % 5 == 0) {
      EXPECT_EQ(text, "");  // retries exhausted: kept, flagged
      EXPECT_EQ(row["qc_reasons"], nlohmann::json::parse("[\"empty\"]"));
    } else if (id % 5 == 1) {
      EXPECT_EQ(row["qc_reasons"], nlohmann::json::parse("[\"empty\"]")) << "a leak retried gives the retry's caption";
    } else {
      EXPECT_EQ(row["qc_reasons"], nlohmann::json::array());
    }
    if (id % 5 == 0 || id % 5 == 1) {
      EXPECT_EQ(maker.retried_[id], 1) << id;
    } else {
      EXPECT_EQ(maker.retried_.count(id), 0u) << id;
    }
  }
  const QcCounts& q = a.result.qc;
  EXPECT_EQ(q.checked, 100u);
  EXPECT_EQ(q.retried, 40u);
  EXPECT_EQ(q.retry_fixed, 10u);
  EXPECT_EQ(q.flagged, 30u);
  EXPECT_EQ(q.kept, 30u);
  EXPECT_EQ(q.reasons[static_cast<size_t>(QcReason::kEmpty)], 30u);
  auto summary = nlohmann::json::parse(ReadFile(dir.File("a.jsonl.summary.json")));
  EXPECT_EQ(summary["qc"]["actions"]["retry"], 40);
  EXPECT_EQ(summary["qc"]["reasons"]["empty"], 30);

  // Fallbacks and drop; no retries.
  ScriptedRun b = RunScripted(dir, "b.jsonl", "prompt_leak=synthetic,empty=drop", 8, 1000);
  ASSERT_EQ(b.rows.size(), 80u);
  ASSERT_EQ(b.rejects.size(), 20u);
  EXPECT_NE(b.rejects[0]["reason"].get<std::string>().find("qc drop: empty"), std::string::npos);
  for (const auto& row : b.rows) {
    int id = row["id"];
    if (id % 5 == 1) {
      EXPECT_EQ(row["capsfusion"], row["laion_coco"]);
      EXPECT_EQ(row["qc_reasons"], nlohmann::json::parse("[\"prompt_leak\"]"));
    }
  }
  EXPECT_EQ(b.result.qc.synthetic, 20u);
  EXPECT_EQ(b.result.qc.dropped, 20u);
  EXPECT_EQ(b.result.rejected, 20u);
  ScriptedRun c = RunScripted(dir, "c.jsonl", "all=raw", 8, 1000);
  for (const auto& row : c.rows) {
    if (row["id"].get<int>() % 5 <= 1) {
      EXPECT_EQ(row["capsfusion"], row["laion_2b"]);
    }
  }

  // Zero retries: retry means keep.
  ScriptedRun d = RunScripted(dir, "d.jsonl", "", 8, 1000, 0);
  EXPECT_EQ(d.result.qc.retried, 0u);
  EXPECT_EQ(d.result.qc.flagged, 40u);

  // Batch, window and chunk sizes do not change a byte.
  ScriptedRun e = RunScripted(dir, "e.jsonl", "", 3, 7);
  ScriptedRun f = RunScripted(dir, "f.jsonl", "", 64, 100000);
  EXPECT_EQ(a.bytes, e.bytes);
  EXPECT_EQ(a.bytes, f.bytes);
}

TEST(FusePipelineTest, ProgressLineRenders) {
  ProgressLine p(false, "fuse");
  p.SetTotal(1000);
  p.Add(100, 2000, 3);
  std::string line = p.Render(10);
  EXPECT_NE(line.find("100/1000 rows"), std::string::npos) << line;
  EXPECT_NE(line.find("10.0 rows/s"), std::string::npos) << line;
  EXPECT_NE(line.find("200 tok/s"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA 1m30s"), std::string::npos) << line;
  EXPECT_NE(line.find("QC flagged 3"), std::string::npos) << line;
}

TEST(FuseCliTest, ProvenanceInSummaryParquetAndRows) {
  TempDir dir;
  WriteFuseInput(dir.File("in.jsonl"), 300, 5);
  std::string log;
  ASSERT_EQ(RunCommand(Cli() + " fuse " + dir.File("in.jsonl") + " --method concat --qc -q -o " + dir.File("o.parquet"), &log), 0) << log;
  auto summary = nlohmann::json::parse(ReadFile(dir.File("o.parquet.summary.json")));
  EXPECT_EQ(summary["provenance"]["method"], "concat");
  EXPECT_NE(summary["provenance"]["tool"].get<std::string>().find("capsfusion"), std::string::npos);
  EXPECT_TRUE(summary["provenance"]["qc"]["enabled"].get<bool>());
  auto pf = parquet::ParquetFile::Open(dir.File("o.parquet"));
  ASSERT_TRUE(pf.ok()) << pf.status().ToString();
  std::string prov;
  for (const auto& kv : (*pf)->metadata().key_value_metadata) {
    if (kv.key == "capsfusion.provenance") prov = kv.value;
  }
  ASSERT_FALSE(prov.empty());
  EXPECT_EQ(nlohmann::json::parse(prov), summary["provenance"]);

  ASSERT_EQ(RunCommand(Cli() + " fuse " + dir.File("in.jsonl") + " --method raw --provenance row -q -o " + dir.File("r.jsonl"), &log), 0) << log;
  auto rows = ReadJsonlRows(dir.File("r.jsonl"));
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0]["capsfusion_provenance"]["method"], "raw");
}

TEST(FuseCliTest, ClosestToKeepsTheBeamNearestTheReferenceField) {
  TempDir dir;
  const std::string in = SourceDir() + "/examples/sample.jsonl";
  const std::string model = " --model " + SourceDir() + "/models/capsfusion-default.gguf";
  std::string log;
  ASSERT_EQ(RunCommand(Cli() + " fuse " + in + model + " -q -o " + dir.File("plain.jsonl"), &log), 0) << log;
  ASSERT_EQ(RunCommand(Cli() + " fuse " + in + model + " --closest-to reference -q -o " + dir.File("close.jsonl"), &log), 0)
      << log;
  auto plain = ReadJsonlRows(dir.File("plain.jsonl"));
  auto close = ReadJsonlRows(dir.File("close.jsonl"));
  ASSERT_EQ(plain.size(), close.size());
  ASSERT_FALSE(close.empty());
  double plain_sum = 0, close_sum = 0;
  for (size_t i = 0; i < close.size(); ++i) {
    const std::string ref = close[i]["reference"];
    plain_sum += CaptionCloseness(plain[i]["capsfusion"].get<std::string>(), ref);
    close_sum += CaptionCloseness(close[i]["capsfusion"].get<std::string>(), ref);
  }
  EXPECT_GT(close_sum, plain_sum);  // some row's closest passing beam is not the model's first choice
  auto summary = nlohmann::json::parse(ReadFile(dir.File("close.jsonl.summary.json")));
  EXPECT_EQ(summary["provenance"]["closest_to"], "reference");
  // A resume with another reference field is another run: refused without --overwrite.
  EXPECT_NE(RunCommand(Cli() + " fuse " + in + model + " --closest-to laion_coco -q -o " + dir.File("close.jsonl"), &log),
            0);
  EXPECT_NE(log.find("closest_to"), std::string::npos) << log;
  // Baselines have no beams to choose from.
  EXPECT_NE(RunCommand(Cli() + " fuse " + in + " --method concat --closest-to reference -q -o " + dir.File("c.jsonl"), &log),
            0);
  EXPECT_NE(log.find("--closest-to needs --method model"), std::string::npos) << log;
}

TEST(FuseCliTest, DryRunProjectsWithoutWriting) {
  TempDir dir;
  WriteFuseInput(dir.File("in.jsonl"), 2000, 8);
  std::string log;
  ASSERT_EQ(RunCommand(Cli() + " fuse " + dir.File("in.jsonl") + " --method concat --dry-run --dry-run-rows 100 --workers 4 "
                           "--price-per-hour 2 --summary-json " + dir.File("d.json") + " -o " + dir.File("o.jsonl"),
                       &log),
            0)
      << log;
  EXPECT_NE(log.find("projected:"), std::string::npos) << log;
  EXPECT_NE(log.find("wall time with 4 workers"), std::string::npos) << log;
  auto j = nlohmann::json::parse(ReadFile(dir.File("d.json")));
  EXPECT_EQ(j["sample_rows"], 100);
  EXPECT_EQ(j["total_rows"], 2000);
  EXPECT_FALSE(j["total_rows_estimated"].get<bool>());
  EXPECT_EQ(j["unit"], "core");
  EXPECT_GT(j["rows_per_s"].get<double>(), 0);
  EXPECT_NEAR(j["wall_seconds"].get<double>() * 4, 2000 / j["rows_per_s"].get<double>(), 1e-6);
  EXPECT_NEAR(j["cost"].get<double>(), j["unit_hours"].get<double>() * 2, 1e-9);
  struct stat st;
  EXPECT_NE(stat(dir.File("o.jsonl").c_str(), &st), 0);
  EXPECT_NE(stat(dir.File("o.jsonl.work").c_str(), &st), 0);
}

TEST(FuseCliTest, NoProgressLineInPipes) {
  TempDir dir;
  WriteFuseInput(dir.File("in.jsonl"), 500, 8);
  std::string log;
  ASSERT_EQ(RunCommand(Cli() + " fuse " + dir.File("in.jsonl") + " -o " + dir.File("o.jsonl"), &log), 0) << log;
  EXPECT_EQ(log.find('\r'), std::string::npos) << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
}

// Other output formats come out of the work dir as they would stream: the same
// bytes as `-o -` (WebDataset sample keys included).
TEST(FuseCliTest, ChunkedOutputEqualsTheStreamInEveryFormat) {
  TempDir dir;
  WriteFuseInput(dir.File("in.jsonl"), 700, 9);
  std::string log;
  for (const char* fmt : {"csv", "json", "tar", "parquet", "jsonl.gz"}) {
    SCOPED_TRACE(fmt);
    const std::string a = dir.File(std::string("a.") + fmt), b = dir.File(std::string("b.") + fmt);
    const std::string base = Cli() + " fuse " + dir.File("in.jsonl") + " --method concat --qc -q --chunk-rows 64";
    ASSERT_EQ(RunCommand(base + " -o " + a, &log), 0) << log;
    std::string format = fmt == std::string("tar") ? "webdataset" : fmt == std::string("jsonl.gz") ? "jsonl" : fmt;
    ASSERT_EQ(RunCommand(base + " --output-format " + format + " --rejects " + b + ".rejects.jsonl -o - > " + b, &log), 0)
        << log;
    if (std::string(fmt) == "jsonl.gz") {
      ASSERT_EQ(RunCommand("gzip -dc " + a + " | cmp - " + b, &log), 0) << log;
    } else {
      EXPECT_EQ(ReadFile(a), ReadFile(b));
    }
  }
}

TEST(FuseDryRunTest, EstimatesHugeInputsAndProjects) {
  TempDir dir;
  WriteFuseInput(dir.File("in.jsonl"), 1000, 3);
  const long long size = static_cast<long long>(ReadFile(dir.File("in.jsonl")).size());
  auto counted = CountInputRows({dir.File("in.jsonl")}, ReaderOptions(), 1 << 30, 10, 1000);
  ASSERT_TRUE(counted.ok());
  EXPECT_EQ(counted->rows, 1000u);
  EXPECT_FALSE(counted->estimated);
  auto est = CountInputRows({dir.File("in.jsonl")}, ReaderOptions(), 100, 10, 1000);
  ASSERT_TRUE(est.ok());
  EXPECT_TRUE(est->estimated);
  EXPECT_EQ(est->rows, static_cast<uint64_t>((size * 10 + 500) / 1000));
  EXPECT_NE(est->how.find("estimated from file sizes"), std::string::npos);

  DryRunFigures f;
  f.sample_rows = 100;
  f.sample_seconds = 10;  // 10 rows/s
  f.total.rows = 360000;  // 36000 s on one worker
  f.unit = "GPU";
  f.workers = 10;
  f.price_per_hour = 2.5;
  auto j = ProjectDryRun(f);
  EXPECT_DOUBLE_EQ(j["unit_hours"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(j["wall_seconds"].get<double>(), 3600.0);
  EXPECT_DOUBLE_EQ(j["cost"].get<double>(), 25.0);
  std::string text = DescribeDryRun(j);
  EXPECT_NE(text.find("10.00 GPU-hours"), std::string::npos) << text;
  EXPECT_NE(text.find("wall time with 10 workers: 1h00m"), std::string::npos) << text;
  EXPECT_NE(text.find("cost at 2.5 per GPU-hour: 25.00"), std::string::npos) << text;
}

}  // namespace
}  // namespace capsfusion

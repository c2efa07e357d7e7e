// capsfusion eval: caption metrics (as pycocoevalcap computes them) and fusion metrics.
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "capsfusion/fusion_metrics.h"
#include "capsfusion/metrics.h"
#include "capsfusion/reader.h"
#include "command.h"
#include "input_options.h"
#include "record_loop.h"

namespace capsfusion::cli {

namespace {

using nlohmann::ordered_json;

struct EvalArgs {
  std::vector<std::string> inputs;
  std::vector<std::string> candidate_fields;
  std::vector<std::string> reference_fields;
  std::string coco_results, coco_annotations;
  bool json = false;
  std::string per_item;
  bool no_fusion = false;
  InputOptions in;
};

//! One scored column: a candidate field (or the COCO results) against the references.
struct Column {
  std::string name;
  std::vector<std::string> candidates;
  CorpusScores scores;
  bool has_fusion = false;
  FusionCorpusSummary fusion;
};

//! The data an evaluation runs on, whatever file it came from.
struct EvalData {
  std::vector<std::string> ids;
  std::vector<std::vector<std::string>> refs;
  std::vector<std::string> raw, synthetic;  // empty when the input has no such fields
  std::vector<Column> columns;
  uint64_t skipped = 0;
};

// A field's JSON text as a string, or false when it is not a JSON string.
bool StringValue(const Record& rec, const std::string& name, std::string* out) {
  const Field* f = rec.Find(name);
  if (f == nullptr || f->json.empty() || f->json[0] != '"') return false;
  auto v = ordered_json::parse(f->json, nullptr, /*allow_exceptions=*/false);
  if (!v.is_string()) return false;
  *out = v.get<std::string>();
  return true;
}

Status LoadRecords(const EvalArgs& a, EvalData* d) {
  auto ropt = MakeReaderOptions(a.in);
  if (!ropt.ok()) return ropt.status();
  ropt->require_raw = false;
  ropt->require_synthetic = false;
  // Scoring passes no row through: a columnar input reads only what it scores.
  ropt->columns = ColumnSelection::kFieldMap;
  ropt->extra_columns = a.candidate_fields;
  ropt->extra_columns.insert(ropt->extra_columns.end(), a.reference_fields.begin(), a.reference_fields.end());
  for (const auto& f : a.candidate_fields) d->columns.push_back(Column{f, {}, {}, false, {}});
  bool have_sources = true;
  Status read = ForEachRecord(
      a.inputs, *ropt,
      [&](Record& rec) {
        std::vector<std::string> refs(a.reference_fields.size());
        std::vector<std::string> cands(a.candidate_fields.size());
        bool ok = true;
        for (size_t i = 0; i < refs.size() && ok; ++i) ok = StringValue(rec, a.reference_fields[i], &refs[i]);
        for (size_t i = 0; i < cands.size() && ok; ++i) ok = StringValue(rec, a.candidate_fields[i], &cands[i]);
        if (!ok) {
          std::fprintf(stderr, "capsfusion eval: skipped %s: a candidate or reference field is missing or not a string\n",
                       rec.origin.c_str());
          ++d->skipped;
          return Status::OK();
        }
        d->ids.push_back(rec.id);
        d->refs.push_back(std::move(refs));
        for (size_t i = 0; i < cands.size(); ++i) d->columns[i].candidates.push_back(std::move(cands[i]));
        have_sources = have_sources && rec.Find(a.in.raw_field) && rec.Find(a.in.synthetic_field);
        d->raw.push_back(rec.raw);
        d->synthetic.push_back(rec.synthetic);
        return Status::OK();
      },
      [&](const Reject& rej) {
        std::fprintf(stderr, "capsfusion eval: skipped %s: %s\n", rej.origin.c_str(), rej.reason.c_str());
        ++d->skipped;
        return Status::OK();
      });
  if (!read.ok()) return read;
  if (!have_sources) {
    d->raw.clear();
    d->synthetic.clear();
  }
  return Status::OK();
}

// COCO caption files: results [{"image_id", "caption"}], annotations {"annotations": [...]}.
// Items are the result images in ascending image_id order, as COCOEvalCap builds them.
Status LoadCoco(const EvalArgs& a, EvalData* d) {
  auto load = [](const std::string& path, ordered_json* j) -> Status {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::IOError("cannot open " + path);
    *j = ordered_json::parse(in, nullptr, false);
    if (j->is_discarded()) return Status::Corruption(path + ": not valid JSON");
    return Status::OK();
  };
  ordered_json res, ann;
  CF_RETURN_IF_ERROR(load(a.coco_results, &res));
  CF_RETURN_IF_ERROR(load(a.coco_annotations, &ann));
  if (!res.is_array()) return Status::Corruption(a.coco_results + ": expected an array of {image_id, caption}");
  if (!ann.is_object() || !ann.contains("annotations") || !ann["annotations"].is_array()) {
    return Status::Corruption(a.coco_annotations + ": expected an object with an \"annotations\" array");
  }
  auto key_of = [](const ordered_json& id) { return id.is_string() ? id.get<std::string>() : id.dump(); };
  std::map<std::pair<int, std::string>, std::string> cands;  // ordered by (kind, id): numbers ascending
  auto order_key = [&](const ordered_json& id) {
    if (id.is_number_integer()) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%020lld", static_cast<long long>(id.get<int64_t>()) + (1LL << 62));
      return std::make_pair(0, std::string(buf));
    }
    return std::make_pair(1, key_of(id));
  };
  for (size_t i = 0; i < res.size(); ++i) {
    const auto& r = res[i];
    if (!r.is_object() || !r.contains("image_id") || !r.contains("caption") || !r["caption"].is_string()) {
      return Status::Corruption(a.coco_results + ": result " + std::to_string(i) + " lacks image_id or a string caption");
    }
    cands[order_key(r["image_id"])] = r["caption"].get<std::string>();
  }
  std::map<std::pair<int, std::string>, std::vector<std::string>> refs;
  for (size_t i = 0; i < ann["annotations"].size(); ++i) {
    const auto& r = ann["annotations"][i];
    if (!r.is_object() || !r.contains("image_id") || !r.contains("caption") || !r["caption"].is_string()) {
      return Status::Corruption(a.coco_annotations + ": annotation " + std::to_string(i) +
                                " lacks image_id or a string caption");
    }
    refs[order_key(r["image_id"])].push_back(r["caption"].get<std::string>());
  }
  d->columns.push_back(Column{"results", {}, {}, false, {}});
  for (auto& [k, c] : cands) {
    auto it = refs.find(k);
    if (it == refs.end()) return Status::NotFound("image " + k.second + " of the results has no annotation");
    d->ids.push_back(k.second);
    d->refs.push_back(it->second);
    d->columns[0].candidates.push_back(c);
  }
  return Status::OK();
}

ordered_json ScoresJson(const Column& c) {
  ordered_json j;
  j["items"] = c.candidates.size();
  for (int n = 0; n < 4; ++n) j["bleu_" + std::to_string(n + 1)] = c.scores.corpus.bleu[n];
  j["rouge_l"] = c.scores.corpus.rouge_l;
  j["cider_d"] = c.scores.corpus.cider_d;
  if (c.has_fusion) {
    const FusionCorpusSummary& f = c.fusion;
    j["raw_retention"] = f.raw_retention;
    j["raw_proper_retention"] = f.proper_retention;
    j["raw_number_retention"] = f.number_retention;
    j["synthetic_retention"] = f.synthetic_retention;
    j["novel_word_rate"] = f.novel_rate;
    j["prompt_leak_rate"] = f.prompt_leak_rate;
    j["prompt_leaks"] = f.prompt_leaks;
    j["concatenation_rate"] = f.concatenation_rate;
    j["concatenations"] = f.concatenations;
    j["empty"] = f.empty;
    j["words_mean"] = f.words_mean;
    j["words_p50"] = f.words_p50;
    j["words_p90"] = f.words_p90;
  }
  return j;
}

void PrintTable(const std::vector<Column>& cols, const EvalData& d) {
  bool fusion = !cols.empty() && cols[0].has_fusion;
  std::printf("%-22s %7s %7s %7s %7s %7s %7s", "candidate", "BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-L", "CIDEr-D");
  if (fusion) std::printf(" %8s %8s %8s %8s %7s %7s %7s", "raw-ret", "proper", "number", "syn-ret", "novel", "leak%", "concat%");
  std::printf("\n");
  for (const Column& c : cols) {
    std::printf("%-22s %7.4f %7.4f %7.4f %7.4f %7.4f %7.4f", c.name.c_str(), c.scores.corpus.bleu[0],
                c.scores.corpus.bleu[1], c.scores.corpus.bleu[2], c.scores.corpus.bleu[3], c.scores.corpus.rouge_l,
                c.scores.corpus.cider_d);
    if (c.has_fusion) {
      const auto& f = c.fusion;
      std::printf(" %8.4f %8.4f %8.4f %8.4f %7.4f %7.2f %7.2f", f.raw_retention, f.proper_retention,
                  f.number_retention, f.synthetic_retention, f.novel_rate, 100 * f.prompt_leak_rate,
                  100 * f.concatenation_rate);
    }
    std::printf("\n");
  }
  std::printf("%zu items", d.ids.size());
  if (d.skipped) std::printf(", %llu rows skipped", (unsigned long long)d.skipped);
  std::printf("\n");
}

int RunEval(const EvalArgs& a) {
  const std::string cmd = "eval";
  EvalData d;
  Status s = a.coco_results.empty() ? LoadRecords(a, &d) : LoadCoco(a, &d);
  if (!s.ok()) return Fail(cmd, s);
  if (d.ids.empty()) return Fail(cmd, "no rows to score");

  for (Column& c : d.columns) {
    c.scores = ScoreCaptions(d.refs, c.candidates);
    if (!a.no_fusion && !d.raw.empty()) {
      FusionCorpusMetrics acc;
      for (size_t i = 0; i < c.candidates.size(); ++i) acc.Add(MeasureFusion(d.raw[i], d.synthetic[i], c.candidates[i]));
      c.fusion = acc.Summary();
      c.has_fusion = true;
    }
  }

  if (!a.per_item.empty()) {
    std::ofstream out(a.per_item);
    for (size_t i = 0; i < d.ids.size(); ++i) {
      ordered_json j;
      j["id"] = d.ids[i];
      for (const Column& c : d.columns) {
        const CaptionScores& p = c.scores.per_item[i];
        ordered_json m;
        for (int n = 0; n < 4; ++n) m["bleu_" + std::to_string(n + 1)] = p.bleu[n];
        m["rouge_l"] = p.rouge_l;
        m["cider_d"] = p.cider_d;
        j[c.name] = m;
      }
      out << j.dump() << "\n";
    }
    if (!out) return Fail(cmd, "cannot write " + a.per_item);
  }

  if (a.json) {
    ordered_json j;
    if (d.columns.size() == 1) {
      j = ScoresJson(d.columns[0]);
    } else {
      for (const Column& c : d.columns) j[c.name] = ScoresJson(c);
    }
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    PrintTable(d.columns, d);
  }
  return kExitOk;
}

}  // namespace

void AddEvalCommand(CLI::App& app, Runner* run) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* sub = app.add_subcommand(
      "eval", "Score captions: BLEU-1..4, ROUGE-L, CIDEr-D (exactly as pycocoevalcap 1.2) and fusion metrics");
  sub->footer(
      "Scores each --candidate-field against the --reference-field(s) of the same rows. With the\n"
      "input's raw and synthetic fields present, the fusion metrics (docs/metrics.md) are added.\n\n"
      "Examples:\n"
      "  capsfusion eval fused.jsonl --reference-field capsfuion_official\n"
      "  capsfusion eval fused.jsonl --candidate-field laion_2b --candidate-field capsfusion --json\n"
      "  capsfusion eval --coco-results res.json --coco-annotations captions_val.json");
  sub->add_option("inputs", args->inputs, "Dataset files with candidate and reference fields");
  sub->add_option("-c,--candidate-field", args->candidate_fields, "Field with the caption to score (repeatable)");
  sub->add_option("-r,--reference-field", args->reference_fields, "Field with a reference caption (repeatable)");
  sub->add_option("--coco-results", args->coco_results, "COCO results file [{image_id, caption}]");
  sub->add_option("--coco-annotations", args->coco_annotations, "COCO annotations file {annotations: [...]}");
  sub->add_flag("--json", args->json, "Print JSON (keys bleu_1..bleu_4, rouge_l, cider_d, fusion metrics)");
  sub->add_option("--per-item", args->per_item, "Write per-item scores as JSONL to this file");
  sub->add_flag("--no-fusion-metrics", args->no_fusion, "Skip the fusion metrics");
  AddInputOptions(sub, &args->in);
  sub->callback([args, run] {
    bool coco = !args->coco_results.empty() || !args->coco_annotations.empty();
    if (coco && (args->coco_results.empty() || args->coco_annotations.empty())) {
      throw CLI::ValidationError("eval", "--coco-results and --coco-annotations go together");
    }
    if (coco && !args->inputs.empty()) throw CLI::ValidationError("eval", "give input files or COCO files, not both");
    if (!coco && args->inputs.empty()) throw CLI::ValidationError("eval", "give input files or --coco-results/--coco-annotations");
    if (args->candidate_fields.empty()) args->candidate_fields = {"capsfusion"};
    if (args->reference_fields.empty()) args->reference_fields = {"capsfuion_official"};
    *run = [args] { return RunEval(*args); };
  });
}

}  // namespace capsfusion::cli

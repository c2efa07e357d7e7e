// capsfusion teach: the paper's teacher step. A sample of (raw, synthetic)
// rows is fused by a teacher model behind an OpenAI-compatible endpoint with
// the paper's prompt; the triplets are written as JSONL that `capsfusion
// train` reads (--target-field), then training can start on them.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "backend_options.h"
#include "capsfusion/reader.h"
#include "capsfusion/writer.h"
#include "command.h"
#include "fuse/model_fuser.h"
#include "input_options.h"
#include "record_loop.h"

namespace capsfusion::cli {

namespace {

struct TeachArgs {
  std::vector<std::string> inputs;
  std::string output;
  size_t sample = 0;
  uint64_t seed = 1;
  std::string target_field = "capsfusion_teacher";
  std::string template_path;
  size_t max_prompt_tokens = 1024;
  GenerateOptions gen;
  size_t batch_size = 0;
  std::string train_dir;
  std::string dev;
  bool quiet = false;
  InputOptions in;
  RemoteArgs remote;
};

std::string ShellQuote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+") == std::string::npos) {
    return s;
  }
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The key that says two rows are the same pair: the raw and synthetic fields' JSON text.
std::string PairKey(const Record& r, const InputOptions& in) {
  const Field* raw = r.Find(in.raw_field);
  const Field* syn = r.Find(in.synthetic_field);
  return (raw ? raw->json : "") + '\x1f' + (syn ? syn->json : "");
}

// The teacher's answer as a target: chat models sometimes repeat the prompt's
// last label ("New Sentence: ...") or quote the sentence.
std::string CleanTarget(std::string t) {
  const std::string label = "new sentence:";
  if (t.size() >= label.size()) {
    std::string head = t.substr(0, label.size());
    std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
    if (head == label) t = t.substr(label.size());
  }
  size_t b = t.find_first_not_of(" \t\r\n");
  size_t e = t.find_last_not_of(" \t\r\n");
  t = b == std::string::npos ? "" : t.substr(b, e - b + 1);
  if (t.size() >= 2 && t.front() == '"' && t.back() == '"' && t.find('"', 1) == t.size() - 1) t = t.substr(1, t.size() - 2);
  return t;
}

// One JSONL line with the record's fields, verbatim.
std::string JsonlLine(const Record& r) {
  std::string line = "{";
  for (size_t i = 0; i < r.fields.size(); ++i) {
    if (i > 0) line += ", ";
    AppendJsonString(r.fields[i].name, &line);
    line += ": ";
    line += r.fields[i].json;
  }
  return line + "}\n";
}

// Rows already in the output (a resumed run): pair key -> count. A partial
// last line (an interrupted write) is cut off.
StatusOr<std::map<std::string, int>> ReadDone(const std::string& path, const TeachArgs& a, uint64_t* rows) {
  std::map<std::string, int> done;
  std::FILE* f = std::fopen(path.c_str(), "rb+");
  if (f == nullptr) {
    if (errno == ENOENT) return done;
    return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  }
  std::fseek(f, 0, SEEK_END);
  long size = std::ftell(f);
  long keep = size;
  while (keep > 0) {
    std::fseek(f, keep - 1, SEEK_SET);
    if (std::fgetc(f) == '\n') break;
    --keep;
  }
  std::fclose(f);
  if (keep != size && truncate(path.c_str(), keep) != 0) return Status::IOError("cannot truncate " + path + ": " + std::strerror(errno));
  ReaderOptions ro;
  ro.format = Format::kJsonl;
  ro.require_raw = false;
  ro.require_synthetic = false;
  ro.fields.raw = a.in.raw_field;
  ro.fields.synthetic = a.in.synthetic_field;
  auto reader = RecordReader::Open(path, ro);
  if (!reader.ok()) return reader.status();
  Record rec;
  Reject rej;
  for (;;) {
    auto r = (*reader)->Next(&rec, &rej);
    if (r == RecordReader::Result::kEnd) break;
    if (r == RecordReader::Result::kRecord && rec.Find(a.target_field) != nullptr) {
      ++done[PairKey(rec, a.in)];
      ++*rows;
    }
  }
  if (!(*reader)->status().ok()) return (*reader)->status();
  return done;
}

std::vector<std::string> TrainArgv(const TeachArgs& a, const std::string& run_dir) {
  std::vector<std::string> v = {"capsfusion", "train", a.output, "--raw-field", a.in.raw_field, "--synthetic-field",
                                a.in.synthetic_field, "--target-field", a.target_field};
  if (!a.dev.empty()) {
    v.push_back("--dev");
    v.push_back(a.dev);
  }
  v.push_back("-o");
  v.push_back(run_dir);
  return v;
}

int RunTeach(const TeachArgs& a) {
  const std::string cmd = "teach";
  if (a.remote.endpoints.empty()) return Fail(cmd, "no --endpoint given (the teacher model's OpenAI-compatible server)");
  if (a.output == "-" || a.output.size() < 6 || a.output.compare(a.output.size() - 6, 6, ".jsonl") != 0) {
    return Fail(cmd, "the output must be a .jsonl file (it is appended to, so that a rerun resumes)");
  }
  auto ropt = MakeReaderOptions(a.in);
  if (!ropt.ok()) return Fail(cmd, ropt.status());
  auto remote_opt = MakeRemoteOptions(a.remote);
  if (!remote_opt.ok()) return Fail(cmd, remote_opt.status());
  auto backend = MakeRemoteBackend(*remote_opt);
  if (!backend.ok()) return Fail(cmd, backend.status());
  ModelFuserOptions fopt;
  fopt.prompt.max_tokens = a.max_prompt_tokens;
  fopt.generate = a.gen;
  fopt.prompt_template = PromptTemplate::Paper();
  if (!a.template_path.empty()) {
    auto t = PromptTemplate::Load(a.template_path);
    if (!t.ok()) return Fail(cmd, t.status());
    fopt.prompt_template = *t;
  }
  ModelFuser fuser(backend->get(), fopt);

  // The sample: reservoir sampling over every readable row, in input order.
  std::mt19937_64 rng(a.seed);
  std::vector<std::pair<uint64_t, Record>> sample;
  uint64_t seen = 0, unreadable = 0;
  Status read = ForEachRecord(
      a.inputs, *ropt,
      [&](Record& rec) {
        if (a.sample == 0 || sample.size() < a.sample) {
          sample.emplace_back(seen, std::move(rec));
        } else {
          uint64_t j = std::uniform_int_distribution<uint64_t>(0, seen)(rng);
          if (j < a.sample) sample[j] = {seen, std::move(rec)};
        }
        rec = Record();
        ++seen;
        return Status::OK();
      },
      [&](const Reject&) {
        ++unreadable;
        return Status::OK();
      });
  if (!read.ok()) return Fail(cmd, read);
  std::sort(sample.begin(), sample.end(), [](const auto& x, const auto& y) { return x.first < y.first; });

  uint64_t done_rows = 0;
  auto done = ReadDone(a.output, a, &done_rows);
  if (!done.ok()) return Fail(cmd, done.status());
  std::vector<Record> pending;
  for (auto& [index, r] : sample) {
    auto it = done->find(PairKey(r, a.in));
    if (it != done->end() && it->second > 0) {
      --it->second;
      continue;
    }
    pending.push_back(std::move(r));
  }
  if (!a.quiet) {
    std::fprintf(stderr, "capsfusion teach: teacher %s at %s; %zu of %llu rows sampled, %llu already in %s, %zu to fuse\n",
                 (*backend)->info().model.c_str(), (*backend)->info().endpoints[0].c_str(), sample.size(),
                 (unsigned long long)seen, (unsigned long long)done_rows, a.output.c_str(), pending.size());
  }

  std::FILE* out = std::fopen(a.output.c_str(), "ab");
  if (out == nullptr) return Fail(cmd, "cannot open " + a.output + ": " + std::strerror(errno));
  RejectWriter rejects(a.output + ".rejects.jsonl");
  const size_t batch = a.batch_size > 0 ? a.batch_size : (*backend)->preferred_batch();
  const bool progress = !a.quiet && StderrIsTerminal();
  uint64_t written = 0, failed = 0;
  for (size_t start = 0; start < pending.size(); start += batch) {
    size_t end = std::min(pending.size(), start + batch);
    std::vector<const Record*> ptrs;
    for (size_t i = start; i < end; ++i) ptrs.push_back(&pending[i]);
    auto fused = fuser.Fuse(ptrs);
    if (!fused.ok()) {
      std::fclose(out);
      return Fail(cmd, fused.status());
    }
    std::string lines;
    for (size_t k = 0; k < ptrs.size(); ++k) {
      Record& r = pending[start + k];
      Status st = (*fused)[k].status;
      const std::string target = CleanTarget((*fused)[k].text);
      if (st.ok() && target.empty()) st = Status::Unavailable("the teacher answered with an empty caption");
      if (!st.ok()) {
        ++failed;
        Status w = rejects.Write(Reject{r.origin, st.ToString(), r.raw});
        if (!w.ok()) return Fail(cmd, w);
        continue;
      }
      r.SetString(a.target_field, target);
      lines += JsonlLine(r);
      ++written;
    }
    if (std::fwrite(lines.data(), 1, lines.size(), out) != lines.size() || std::fflush(out) != 0 || fsync(fileno(out)) != 0) {
      std::fclose(out);
      return Fail(cmd, "cannot write " + a.output + ": " + std::strerror(errno));
    }
    if (progress) {
      std::fprintf(stderr, "\r\033[Kcapsfusion teach: %llu of %zu fused, %llu failed", (unsigned long long)written,
                   pending.size(), (unsigned long long)failed);
    }
  }
  if (progress) std::fprintf(stderr, "\r\033[K");
  if (std::fclose(out) != 0) return Fail(cmd, "cannot write " + a.output);
  Status s = rejects.Close();
  if (!s.ok()) return Fail(cmd, s);

  const std::string run_dir = a.train_dir.empty() ? "runs/teacher" : a.train_dir;
  std::vector<std::string> argv = TrainArgv(a, run_dir);
  std::string line;
  for (const std::string& x : argv) line += (line.empty() ? "" : " ") + ShellQuote(x);
  if (!a.quiet) {
    std::fprintf(stderr, "capsfusion teach: %llu rows fused, %llu failed%s%s; %llu triplets in %s (target field %s)\n",
                 (unsigned long long)written, (unsigned long long)failed, failed ? " -> " : "",
                 failed ? rejects.path().c_str() : "", (unsigned long long)(done_rows + written), a.output.c_str(),
                 a.target_field.c_str());
  }
  if (failed > 0) {
    std::fprintf(stderr, "capsfusion teach: %llu rows failed; run the same command again to retry them\n", (unsigned long long)failed);
    return kExitPartial;
  }
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  if (a.train_dir.empty()) return kExitOk;
  std::vector<char*> cargv;
  for (std::string& x : argv) cargv.push_back(x.data());
  cargv.push_back(nullptr);
  execv("/proc/self/exe", cargv.data());
  return Fail(cmd, std::string("cannot start capsfusion train: ") + std::strerror(errno));
}

}  // namespace

void AddTeachCommand(CLI::App& app, Runner* run) {
  auto args = std::make_shared<TeachArgs>();
  args->remote.style = "chat";
  args->gen.max_new_tokens = 120;
  CLI::App* sub = app.add_subcommand("teach", "Fuse a sample with a teacher model behind an endpoint and write training triplets");
  sub->footer(
      "The paper's ChatGPT -> LLaMA step: a teacher model fuses a sample of rows with the paper's prompt;\n"
      "the rows, with the teacher's caption in --target-field, are appended to OUTPUT.jsonl (a rerun resumes:\n"
      "rows already there are skipped, failed ones retried). Prints the `capsfusion train` command for them;\n"
      "with --train RUN it runs it. See docs/remote.md.\n\n"
      "Examples:\n"
      "  OPENAI_API_KEY=... capsfusion teach train.json --sample 5000 -o teacher.jsonl \\\n"
      "      --endpoint https://api.openai.com/v1 --endpoint-model gpt-4o-mini --rpm 500\n"
      "  capsfusion teach laion.parquet --sample 50000 -o teacher.jsonl --endpoint http://vllm:8000 \\\n"
      "      --endpoint-style completions --train runs/student --dev dev.json");
  sub->add_option("inputs", args->inputs, "Dataset files with raw and synthetic captions")->required();
  sub->add_option("-o,--output", args->output, "Triplets, JSONL (appended to; a rerun resumes)")->required();
  sub->add_option("--sample", args->sample, "Rows to sample (0: all)")->capture_default_str();
  sub->add_option("--seed", args->seed, "Sampling seed (same inputs and seed: same sample)")->capture_default_str();
  sub->add_option("--target-field", args->target_field, "Field that receives the teacher's caption")->capture_default_str();
  sub->add_option("--template", args->template_path, "Prompt template file with {raw} and {synthetic} (default: the paper's)");
  sub->add_option("--max-prompt-tokens", args->max_prompt_tokens, "Prompt budget in approximate tokens (0: none)")->capture_default_str();
  sub->add_option("--max-new-tokens", args->gen.max_new_tokens, "Most tokens per caption")->capture_default_str();
  sub->add_option("--temperature", args->gen.temperature, "Sampling temperature (0: greedy)")->capture_default_str();
  sub->add_option("--batch-size", args->batch_size, "Rows sent together (0: 4 x total concurrency)")->capture_default_str();
  sub->add_option("--train", args->train_dir, "Then run `capsfusion train` on the triplets into this run folder");
  sub->add_option("--dev", args->dev, "Dev set for the train command");
  sub->add_flag("-q,--quiet", args->quiet, "Print nothing but errors (and the train command)");
  AddInputOptions(sub, &args->in);
  AddRemoteOptions(sub, &args->remote, "Teacher endpoint (OpenAI-compatible; docs/remote.md)");
  sub->callback([args, run] { *run = [args] { return RunTeach(*args); }; });
}

}  // namespace capsfusion::cli

// capsfusion prompt: print the fusion prompt for two captions or for a file's rows.
#include <cstdio>
#include <memory>

#include "capsfusion/prompt.h"
#include "capsfusion/reader.h"
#include "command.h"
#include "input_options.h"

namespace capsfusion::cli {

namespace {

struct PromptArgs {
  std::string input;
  std::string raw, synthetic;
  std::string template_path;
  size_t max_tokens = 256;
  size_t limit = 0;
  InputOptions in;
  bool show_tokens = false;
};

int RunPrompt(const PromptArgs& a) {
  PromptTemplate tmpl = PromptTemplate::Paper();
  if (!a.template_path.empty()) {
    auto loaded = PromptTemplate::Load(a.template_path);
    if (!loaded.ok()) return Fail("prompt", loaded.status());
    tmpl = *loaded;
  }
  std::unique_ptr<Tokenizer> tok = MakeApproximateTokenizer();
  PromptOptions popt;
  popt.max_tokens = a.max_tokens;

  auto emit = [&](const std::string& header, const std::string& raw, const std::string& syn) -> bool {
    PromptInfo info;
    auto prompt = BuildPrompt(tmpl, raw, syn, *tok, popt, &info);
    if (!prompt.ok()) {
      std::fprintf(stderr, "capsfusion prompt: %s%s\n", header.empty() ? "" : (header + ": ").c_str(),
                   prompt.status().ToString().c_str());
      return false;
    }
    if (!header.empty()) std::printf("### %s\n", header.c_str());
    std::printf("%s\n", prompt->c_str());
    if (a.show_tokens) {
      std::printf("### tokens: %zu (raw cut: %zu, synthetic cut: %zu; tokenizer: %s)\n", info.tokens,
                  info.raw_tokens_cut, info.synthetic_tokens_cut, tok->name().c_str());
    }
    return true;
  };

  if (a.input.empty()) {
    return emit("", a.raw, a.synthetic) ? kExitOk : kExitFailure;
  }
  auto ropt = MakeReaderOptions(a.in);
  if (!ropt.ok()) return Fail("prompt", ropt.status());
  ropt->columns = ColumnSelection::kFieldMap;  // only the two captions are used
  auto reader = RecordReader::Open(a.input, *ropt);
  if (!reader.ok()) return Fail("prompt", reader.status());
  Record rec;
  Reject rej;
  size_t n = 0, bad = 0;
  for (;;) {
    auto r = (*reader)->Next(&rec, &rej);
    if (r == RecordReader::Result::kEnd) break;
    if (r == RecordReader::Result::kReject) {
      std::fprintf(stderr, "capsfusion prompt: %s: %s\n", rej.origin.c_str(), rej.reason.c_str());
      ++bad;
      continue;
    }
    if (!emit(rec.id, rec.raw, rec.synthetic)) ++bad;
    if (a.limit != 0 && ++n >= a.limit) break;
  }
  if (!(*reader)->status().ok()) return Fail("prompt", (*reader)->status());
  return bad == 0 ? kExitOk : kExitPartial;
}

}  // namespace

void AddPromptCommand(CLI::App& app, Runner* run) {
  auto args = std::make_shared<PromptArgs>();
  CLI::App* sub = app.add_subcommand("prompt", "Print the fusion prompt for two captions or for the rows of a file");
  sub->footer(
      "Examples:\n"
      "  capsfusion prompt --raw 'Nike Air Max 90 white size 10' --synthetic 'a white sneaker'\n"
      "  capsfusion prompt dev.json --limit 3 --show-tokens");
  sub->add_option("input", args->input, "Dataset file (JSON, JSONL, CSV, TSV; .gz/.zst ok)");
  sub->add_option("--raw", args->raw, "Raw caption (Sentence 1) when no input file is given");
  sub->add_option("--synthetic", args->synthetic, "Synthetic caption (Sentence 2) when no input file is given");
  sub->add_option("--template", args->template_path, "Prompt template file with {raw} and {synthetic} (default: the paper's)");
  sub->add_option("--max-prompt-tokens", args->max_tokens, "Token budget of the prompt, BOS included; 0: none")
      ->capture_default_str();
  sub->add_option("--limit", args->limit, "Print at most this many rows (0: all)");
  AddInputOptions(sub, &args->in);
  sub->add_flag("--show-tokens", args->show_tokens, "Print the prompt's token count and what was cut");
  sub->callback([args, run] {
    if (args->input.empty() && (args->raw.empty() || args->synthetic.empty())) {
      throw CLI::ValidationError("prompt", "give an input file, or both --raw and --synthetic");
    }
    *run = [args] { return RunPrompt(*args); };
  });
}

}  // namespace capsfusion::cli

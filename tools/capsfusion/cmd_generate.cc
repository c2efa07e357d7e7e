// capsfusion generate: run the engine on prompts given on the command line or in a file.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "capsfusion/engine.h"
#include "command.h"

namespace capsfusion::cli {

namespace {

struct GenerateArgs {
  std::string model;
  std::vector<std::string> prompts;
  std::string prompts_file;
  int max_new_tokens = 80;
  int num_beams = 1;
  int num_return_sequences = 1;
  float length_penalty = 1.0f;
  std::string early_stopping = "false";
  float temperature = 0.0f;
  int top_k = 0;
  float top_p = 1.0f;
  uint64_t seed = 0;
  float repetition_penalty = 1.0f;
  int no_repeat_ngram_size = 0;
  float span_bonus = 0.0f;
  int span_min_match = 3;
  int no_adjacent_repeat = 0;
  bool any_bytes = false;
  bool penalize_prompt = true;
  std::vector<std::string> stop;
  int threads = 0;
  size_t max_batch = 64;
  size_t ctx = 0;
  bool no_prefix_share = false;
  bool json = false;
  bool info = false;
  bool tokenize = false;
};

// Plain text: one prompt per line, "\n" and "\\" unescaped. JSONL (.jsonl):
// each line a JSON string or an object with a "prompt" field.
Status ReadPrompts(const std::string& path, std::vector<std::string>* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot open " + path);
  const bool jsonl = path.size() >= 6 && path.compare(path.size() - 6, 6, ".jsonl") == 0;
  std::string line;
  size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (jsonl) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_string()) {
        out->push_back(j.get<std::string>());
      } else if (j.is_object() && j.contains("prompt") && j["prompt"].is_string()) {
        out->push_back(j["prompt"].get<std::string>());
      } else {
        return Status::InvalidArgument(path + ":" + std::to_string(lineno) +
                                       ": expected a JSON string or an object with a \"prompt\" string");
      }
      continue;
    }
    std::string p;
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\\' && i + 1 < line.size() && (line[i + 1] == 'n' || line[i + 1] == '\\')) {
        p += line[i + 1] == 'n' ? '\n' : '\\';
        ++i;
      } else {
        p += line[i];
      }
    }
    out->push_back(std::move(p));
  }
  return Status::OK();
}

int RunGenerate(const GenerateArgs& a) {
  std::vector<std::string> prompts = a.prompts;
  if (!a.prompts_file.empty()) {
    Status s = ReadPrompts(a.prompts_file, &prompts);
    if (!s.ok()) return Fail("generate", s);
  }
  if (prompts.empty()) return Fail("generate", "no prompts (use --prompt or --prompts-file)");

  ModelOptions mo;
  mo.threads = a.threads;
  mo.max_batch = a.max_batch;
  mo.context_length = a.ctx;
  mo.hash_file = a.info;
  const auto t_load = std::chrono::steady_clock::now();
  auto model = Model::Load(a.model, mo);
  if (!model.ok()) return Fail("generate", model.status());
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_load).count();
  if (a.info) {
    const ModelInfo& i = (*model)->info();
    std::fprintf(stderr,
                 "model: %s (%s) %s, %u layers, n_embd %u, %u/%u heads, ff %u, vocab %u, ctx %u, %llu params\n"
                 "sha256: %s\ntokenizer: %s\nloaded in %.3f s\n",
                 i.name.c_str(), i.architecture.c_str(), i.weight_type.c_str(), i.n_layer, i.n_embd, i.n_head,
                 i.n_head_kv, i.n_ff, i.n_vocab, i.n_ctx, static_cast<unsigned long long>(i.n_params),
                 i.file_sha256.c_str(), (*model)->tokenizer().name().c_str(), load_s);
  }

  if (a.tokenize) {
    for (size_t i = 0; i < prompts.size(); ++i) {
      const std::vector<int32_t> ids = (*model)->PromptTokens(prompts[i]);
      if (a.json) {
        std::printf("%s\n", nlohmann::json({{"index", i}, {"tokens", ids}}).dump().c_str());
      } else {
        std::string line;
        for (int32_t id : ids) line += (line.empty() ? "" : " ") + std::to_string(id);
        std::printf("%s\n", line.c_str());
      }
    }
    return 0;
  }

  GenerateOptions o;
  o.max_new_tokens = a.max_new_tokens;
  o.num_beams = a.num_beams;
  o.num_return_sequences = a.num_return_sequences;
  o.length_penalty = a.length_penalty;
  o.early_stopping = a.early_stopping == "true";
  o.early_stopping_never = a.early_stopping == "never";
  o.temperature = a.temperature;
  o.top_k = a.top_k;
  o.top_p = a.top_p;
  o.seed = a.seed;
  o.repetition_penalty = a.repetition_penalty;
  o.no_repeat_ngram_size = a.no_repeat_ngram_size;
  o.span_bonus = a.span_bonus;
  o.span_min_match = a.span_min_match;
  o.no_adjacent_repeat = a.no_adjacent_repeat;
  o.valid_utf8 = !a.any_bytes;
  o.penalize_prompt = a.penalize_prompt;
  o.stop = a.stop;
  o.share_prefix = !a.no_prefix_share;

  const auto t0 = std::chrono::steady_clock::now();
  auto out = (*model)->Generate(prompts, o);
  if (!out.ok()) return Fail("generate", out.status());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  size_t prompt_tokens = 0, new_tokens = 0;
  for (size_t i = 0; i < out->size(); ++i) {
    const Generation& g = (*out)[i];
    prompt_tokens += g.prompt_tokens;
    new_tokens += g.tokens.size();
    if (a.json) {
      nlohmann::json j = {{"index", i},
                          {"text", g.text},
                          {"finish_reason", g.finish_reason},
                          {"prompt_tokens", g.prompt_tokens},
                          {"new_tokens", g.tokens.size()},
                          {"logprob", g.logprob}};
      if (!g.alternatives.empty()) {
        nlohmann::json alts = nlohmann::json::array();
        for (const Generation& alt : g.alternatives) {
          alts.push_back({{"text", alt.text},
                          {"finish_reason", alt.finish_reason},
                          {"new_tokens", alt.tokens.size()},
                          {"logprob", alt.logprob}});
        }
        j["alternatives"] = std::move(alts);
      }
      std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
      if (out->size() > 1 || !g.alternatives.empty()) std::printf("### %zu (%s)\n", i, g.finish_reason.c_str());
      std::printf("%s\n", g.text.c_str());
      for (size_t k = 0; k < g.alternatives.size(); ++k) {
        std::printf("### %zu.%zu (%s)\n%s\n", i, k + 1, g.alternatives[k].finish_reason.c_str(),
                    g.alternatives[k].text.c_str());
      }
    }
  }
  std::fprintf(stderr, "generate: %zu prompts, %zu prompt tokens, %zu new tokens in %.3f s (%.1f new tokens/s)\n",
               out->size(), prompt_tokens, new_tokens, secs, secs > 0 ? new_tokens / secs : 0.0);
  return kExitOk;
}

}  // namespace

void AddGenerateCommand(CLI::App& app, Runner* run) {
  auto a = std::make_shared<GenerateArgs>();
  CLI::App* sub = app.add_subcommand("generate", "Generate text with a LLaMA-architecture GGUF model");
  sub->footer(
      "Examples:\n"
      "  capsfusion generate --model m.gguf --prompt 'Sentence 1: ...' --max-new-tokens 80 --num-beams 3\n"
      "  capsfusion generate --model m.gguf --prompts-file prompts.jsonl --json --temperature 0.8 --top-p 0.9 --seed 1");
  sub->add_option("--model", a->model, "GGUF model file")->required();
  sub->add_option("--prompt", a->prompts, "A prompt (repeatable)");
  sub->add_option("--prompts-file", a->prompts_file,
                  "Prompts, one per line (\\n for a newline), or .jsonl with strings or {\"prompt\": ...}");
  sub->add_option("--max-new-tokens", a->max_new_tokens, "Tokens to generate at most")->capture_default_str();
  sub->add_option("--num-beams", a->num_beams, "Beam search width (1: no beam search)")->capture_default_str();
  sub->add_option("--num-return-sequences", a->num_return_sequences,
                  "Beam search: hypotheses printed per prompt, best first (at most --num-beams)")
      ->capture_default_str();
  sub->add_option("--length-penalty", a->length_penalty, "Beam score = logprob / length^length_penalty")
      ->capture_default_str();
  sub->add_option("--early-stopping", a->early_stopping, "Beam search stopping rule: true, false or never")
      ->check(CLI::IsMember({"true", "false", "never"}))
      ->capture_default_str();
  sub->add_option("--temperature", a->temperature, "0: greedy; > 0: sampling")->capture_default_str();
  sub->add_option("--top-k", a->top_k, "Sample among the k best tokens (0: off)")->capture_default_str();
  sub->add_option("--top-p", a->top_p, "Nucleus sampling mass (1: off)")->capture_default_str();
  sub->add_option("--seed", a->seed, "Sampling seed (prompt i uses seed + i)")->capture_default_str();
  sub->add_option("--repetition-penalty", a->repetition_penalty, "CTRL-style penalty (1: off)")
      ->capture_default_str();
  sub->add_option("--span-bonus", a->span_bonus, "Continue a span copied from the prompt with this log-probability bonus (0: off; docs/engine.md)")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  sub->add_option("--span-min-match", a->span_min_match, "Shortest copied span that earns --span-bonus")
      ->check(CLI::Range(1, 32))
      ->capture_default_str();
  sub->add_option("--no-repeat-ngram-size", a->no_repeat_ngram_size, "Forbid repeating n-grams (0: off)")
      ->capture_default_str();
  sub->add_option("--no-adjacent-repeat", a->no_adjacent_repeat,
                  "Forbid a block of up to this many tokens written twice in a row unless the prompt has it doubled (0: off)")
      ->check(CLI::Range(0, 32))
      ->capture_default_str();
  sub->add_flag("--any-bytes", a->any_bytes,
                "Let byte-fallback tokens spell ill-formed UTF-8 (by default they may only form whole characters)");
  sub->add_option("--stop", a->stop, "Stop string (repeatable; not included in the output)");
  sub->add_option("--threads", a->threads, "Threads (0: all cores)")->capture_default_str();
  sub->add_option("--max-batch", a->max_batch, "Sequences decoded together at most")->capture_default_str();
  sub->add_option("--ctx", a->ctx, "Context length (0: the model's)")->capture_default_str();
  sub->add_flag("!--penalize-generated-only", a->penalize_prompt, "Penalties count only generated tokens, not the prompt's");
  sub->add_flag("--no-prefix-share", a->no_prefix_share, "Compute every prompt in full");
  sub->add_flag("--json", a->json, "Print one JSON object per prompt");
  sub->add_flag("--tokenize", a->tokenize,
                 "Print each prompt's token ids as the model sees it (BOS included), one line per prompt, and stop");
  sub->add_flag("--info", a->info, "Print the model's description and file hash to stderr");
  sub->callback([a, run] { *run = [a] { return RunGenerate(*a); }; });
}

}  // namespace capsfusion::cli

// BuildPrompt: fills the template and enforces the token budget.
#include <algorithm>

#include "capsfusion/prompt.h"

namespace capsfusion {

namespace {

std::string_view Strip(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Keeps the first `keep` tokens of `text` (re-encoded without BOS).
std::string KeepHead(const Tokenizer& tok, const std::vector<int32_t>& ids, size_t keep) {
  std::vector<int32_t> head(ids.begin(), ids.begin() + std::min(keep, ids.size()));
  return std::string(Strip(tok.Decode(head)));
}

}  // namespace

StatusOr<std::string> BuildPrompt(const PromptTemplate& tmpl, std::string_view raw_in,
                                  std::string_view synthetic_in, const Tokenizer& tok,
                                  const PromptOptions& options, PromptInfo* info) {
  std::string raw(Strip(raw_in));
  std::string synthetic(Strip(synthetic_in));
  PromptInfo local;
  if (info == nullptr) info = &local;
  *info = PromptInfo{};

  std::string prompt = tmpl.Fill(raw, synthetic);
  size_t total = tok.CountTokens(prompt, /*add_bos=*/true);
  if (options.max_tokens == 0 || total <= options.max_tokens) {
    info->tokens = total;
    return prompt;
  }

  // Over budget: cut the tail of the raw caption. Token counts of the parts
  // do not add up exactly (merges across boundaries), so re-measure and cut
  // more until the whole prompt fits.
  std::vector<int32_t> raw_ids = tok.Encode(raw, /*add_bos=*/false);
  size_t keep = raw_ids.size();
  while (total > options.max_tokens && keep > 1) {
    size_t excess = total - options.max_tokens;
    keep = keep > excess + 1 ? keep - excess : 1;
    std::string cut = KeepHead(tok, raw_ids, keep);
    prompt = tmpl.Fill(cut, synthetic);
    total = tok.CountTokens(prompt, true);
    info->raw_tokens_cut = raw_ids.size() - keep;
  }
  std::string raw_kept = raw_ids.empty() ? raw : KeepHead(tok, raw_ids, keep);

  // Still over with one raw token left: cut the synthetic caption's tail.
  if (total > options.max_tokens) {
    std::vector<int32_t> syn_ids = tok.Encode(synthetic, false);
    size_t skeep = syn_ids.size();
    while (total > options.max_tokens && skeep > 1) {
      size_t excess = total - options.max_tokens;
      skeep = skeep > excess + 1 ? skeep - excess : 1;
      prompt = tmpl.Fill(raw_kept, KeepHead(tok, syn_ids, skeep));
      total = tok.CountTokens(prompt, true);
      info->synthetic_tokens_cut = syn_ids.size() - skeep;
    }
  }
  if (total > options.max_tokens) {
    return Status::OutOfRange("prompt needs " + std::to_string(total) + " tokens with one token of each caption; budget is " +
                              std::to_string(options.max_tokens) + " (template '" + tmpl.id + "' is too long)");
  }
  info->tokens = total;
  return prompt;
}

}  // namespace capsfusion

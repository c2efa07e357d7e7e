// Prompt templates: the CapsFusion instruction and its token budget.
//
// A template is text with two placeholders, {raw} and {synthetic}. The default
// is the instruction of the CapsFusion release (capsfusion_inference.py), to the
// byte. Templates are data: they load from a file or from a model's metadata.
#pragma once

#include <string>
#include <string_view>

#include "capsfusion/status.h"
#include "capsfusion/tokenizer.h"

namespace capsfusion {

struct PromptTemplate {
  std::string id;    //!< short name recorded in provenance ("capsfusion-paper")
  std::string text;  //!< the template with {raw} and {synthetic}

  //! The instruction of the CapsFusion paper's release.
  static PromptTemplate Paper();
  //! Reads a template file (UTF-8 text; must contain {raw} and {synthetic}).
  static StatusOr<PromptTemplate> Load(const std::string& path);
  //! Checks that the text has each placeholder exactly once.
  Status Validate() const;

  //! The template with the placeholders filled in, no budget applied.
  std::string Fill(std::string_view raw, std::string_view synthetic) const;
};

struct PromptOptions {
  //! Token budget of the whole prompt, BOS included (the release uses 256).
  //! 0 means unlimited.
  size_t max_tokens = 256;
};

//! What BuildPrompt did to fit the budget.
struct PromptInfo {
  size_t tokens = 0;             //!< tokens of the final prompt (BOS included)
  size_t raw_tokens_cut = 0;     //!< tokens cut from the tail of the raw caption
  size_t synthetic_tokens_cut = 0;  //!< tokens cut from the synthetic caption (rare)
};

//! Builds the prompt for one pair. Both captions are stripped of surrounding
//! whitespace. When the prompt is over budget the tail of the raw caption is
//! cut, token by token, until it fits; unlike the release's slice
//! `[:-(total-256)]`, which empties the raw caption when the prompt is exactly
//! 256 tokens, a caption is never emptied: at least one token of each is kept,
//! the synthetic caption's tail is cut only when the raw caption is down to one
//! token, and when even that cannot fit an OutOfRange error says so.
StatusOr<std::string> BuildPrompt(const PromptTemplate& tmpl, std::string_view raw,
                                  std::string_view synthetic, const Tokenizer& tokenizer,
                                  const PromptOptions& options, PromptInfo* info = nullptr);

}  // namespace capsfusion

// Training the SentencePiece tokenizer of a compact model.
//
// The trainer is libsentencepiece's, run as its command-line front end
// `spm_train` (Debian package sentencepiece; $CAPSFUSION_SPM_TRAIN names another
// binary) in a child process. It cannot run inside this process: Debian's
// libsentencepiece exports its own bundled copy of protobuf's symbols, which
// clash with the system libprotobuf that LibTorch loads (the process crashes in
// protobuf's static initialisers before main when both are linked).
//
// BPE with byte fallback and LLaMA's settings (identity normalisation, extra
// whitespace kept, a dummy-prefix space, digits split), so that the project's
// LlamaTokenizer (src/tokenizer) encodes exactly as SentencePiece does; the
// special pieces of the compact prompt are user-defined symbols, matched
// literally.
#pragma once

#include <string>
#include <vector>

#include "capsfusion/status.h"
#include "train/train.h"

namespace capsfusion::train {

//! Trains a model on `texts` and writes the .model file to `path`.
Status TrainSentencePiece(const std::vector<std::string>& texts, const std::vector<std::string>& special,
                          const TokenizerOptions& options, int threads, const std::string& path);

//! The special pieces of a compact template ("<raw> {raw}<syn> {synthetic}<fus>"):
//! every "<name>" outside the placeholders, in order, without repeats.
std::vector<std::string> TemplateSpecialPieces(const std::string& tmpl);

}  // namespace capsfusion::train

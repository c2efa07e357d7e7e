// Prompt-leak handling of training targets: fused captions that echo the
// fusion instruction.
//
// About 4% of the official CapsFusion captions say things like "provides
// detailed real-world knowledge" or "exhibits nice sentence structure": the
// teacher copied its own instruction. A model trained on them learns to do the
// same, so the trainer drops or repairs such targets. Detection is the
// project's metric (include/capsfusion/fusion_metrics.h, docs/metrics.md 2.3):
// an instruction phrase that neither source caption holds.
#pragma once

#include <string>
#include <string_view>

namespace capsfusion::train {

//! True when `caption` echoes the instruction (a phrase neither source has).
bool IsPromptLeak(std::string_view caption, std::string_view raw, std::string_view synthetic);

//! Removes the sentences of `caption` that leak; returns "" when every sentence
//! does. Sentences end at '.', '!' or '?' followed by a space.
std::string RepairPromptLeak(std::string_view caption, std::string_view raw, std::string_view synthetic);

}  // namespace capsfusion::train

// Prompt-leak detection: fused captions that echo the fusion instruction.
//
// About 3% of the official CapsFusion captions say things like "provides
// detailed real-world knowledge" or "exhibits nice sentence structure": the
// teacher copied its own instruction. A model trained on them learns to do the
// same, so the trainer drops or repairs such targets, and the dev evaluation
// counts how often the model's own captions leak.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace capsfusion::train {

//! The instruction phrases that mark a leak (lower case).
const std::vector<std::string>& LeakPhrases();

//! True when `caption` holds an instruction phrase that neither source caption
//! holds (a source that really talks about "sentence structure" is no leak).
bool IsPromptLeak(std::string_view caption, std::string_view raw = {}, std::string_view synthetic = {});

//! Removes the sentences of `caption` that leak; returns "" when every sentence
//! does. Sentences end at '.', '!' or '?' followed by a space.
std::string RepairPromptLeak(std::string_view caption, std::string_view raw = {},
                             std::string_view synthetic = {});

}  // namespace capsfusion::train

// What decides a fuse run's output, written down twice: as the settings
// fingerprint (a resumed run or a merged shard must have the same one) and as
// the provenance recorded with the output.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuse/consensus_choice.h"
#include "fuse/length_choice.h"

#include "capsfusion/backend.h"
#include "capsfusion/engine.h"
#include "capsfusion/prompt.h"
#include "capsfusion/qc.h"
#include "capsfusion/record.h"
#include "capsfusion/status.h"
#include "fuse/shard_layout.h"

namespace capsfusion {

struct RunDescription {
  std::vector<std::string> inputs;
  std::string input_format = "auto";
  FieldMap fields;
  size_t max_field_bytes = 1 << 20;
  std::string output_field = "capsfusion";
  std::string method;                  //!< "model", "raw", "synthetic", "concat"
  const BackendInfo* backend = nullptr;  //!< model method only
  PromptTemplate prompt_template;      //!< model method only
  size_t max_prompt_tokens = 0;
  GenerateOptions generate, retry;     //!< model method only
  LengthChoice length_choice;          //!< model method only
  ConsensusChoice consensus_choice;    //!< model method only
  std::string closest_to;              //!< model method: --closest-to field (empty: off)
  bool qc = false;
  QcOptions qc_options;
  QcPolicy qc_policy;
  int qc_retries = 0;
  uint32_t shard_index = 0, shard_count = 1;
  ShardBy shard_by = ShardBy::kRows;   //!< resolved
  uint64_t shard_unit = 1000;
  std::string provenance = "file";     //!< "file" or "row"
};

//! {path, size, sample_sha256}: the SHA-256 of the size and the first and last
//! MiB of the file ("-" has no size or hash).
StatusOr<nlohmann::ordered_json> InputFingerprint(const std::string& path);

//! The settings fingerprint (reads every input's sample).
StatusOr<nlohmann::ordered_json> BuildFingerprint(const RunDescription& run);

//! Provenance: tool version, method, model (sha256 or remote id and
//! endpoints), template id and hash, decoding and QC settings.
nlohmann::ordered_json BuildProvenance(const RunDescription& run);

//! Differences between two fingerprints as "path (was X, now Y)", leaving out
//! paths listed in `ignore` (e.g. "shard.index"). Empty when equal.
std::vector<std::string> FingerprintChanges(const nlohmann::json& was, const nlohmann::json& now,
                                            const std::vector<std::string>& ignore = {});

//! "QC policy" text: every reason=action, in reason order.
std::string QcPolicyText(const QcPolicy& policy);

}  // namespace capsfusion

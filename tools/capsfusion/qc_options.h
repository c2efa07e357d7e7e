// QC flags shared by the subcommands that check fused captions (qc, fuse):
// the thresholds of QcOptions and the checks to leave out.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "capsfusion/qc.h"

namespace capsfusion::cli {

struct QcFlags {
  QcOptions options;
  std::vector<std::string> disable;  //!< reason names (or "all")
};

//! Adds --qc-disable and the --qc-<threshold> flags to `app`, in `group`.
void AddQcFlags(CLI::App* app, QcFlags* flags, const std::string& group = "Quality checks");

//! The options these flags give (an unknown reason in --qc-disable is an error).
StatusOr<QcOptions> MakeQcOptions(const QcFlags& flags);

}  // namespace capsfusion::cli

// Baseline fusion methods: the floors every model must beat.
#pragma once

#include <string>
#include <string_view>

#include "capsfusion/status.h"

namespace capsfusion {

//! How `capsfusion fuse` makes the fused caption.
enum class FuseMethod {
  kRaw,        //!< the raw caption alone
  kSynthetic,  //!< the synthetic caption alone
  kConcat,     //!< raw + " " + synthetic
  kModel,      //!< a language model fed the fusion prompt
};

StatusOr<FuseMethod> ParseFuseMethod(std::string_view name);
const char* FuseMethodName(FuseMethod method);

//! The baseline caption for `method` (kRaw, kSynthetic or kConcat).
std::string BaselineCaption(FuseMethod method, std::string_view raw, std::string_view synthetic);

}  // namespace capsfusion

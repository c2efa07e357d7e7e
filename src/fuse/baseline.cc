#include "fuse/baseline.h"

namespace capsfusion {

StatusOr<FuseMethod> ParseFuseMethod(std::string_view name) {
  if (name == "raw") return FuseMethod::kRaw;
  if (name == "synthetic") return FuseMethod::kSynthetic;
  if (name == "concat") return FuseMethod::kConcat;
  if (name == "model") return FuseMethod::kModel;
  return Status::InvalidArgument("unknown fusion method '" + std::string(name) +
                                 "' (expected raw, synthetic, concat or model)");
}

const char* FuseMethodName(FuseMethod method) {
  switch (method) {
    case FuseMethod::kRaw: return "raw";
    case FuseMethod::kSynthetic: return "synthetic";
    case FuseMethod::kConcat: return "concat";
    case FuseMethod::kModel: return "model";
  }
  return "unknown";
}

std::string BaselineCaption(FuseMethod method, std::string_view raw, std::string_view synthetic) {
  switch (method) {
    case FuseMethod::kRaw: return std::string(raw);
    case FuseMethod::kSynthetic: return std::string(synthetic);
    case FuseMethod::kConcat: {
      if (raw.empty()) return std::string(synthetic);
      if (synthetic.empty()) return std::string(raw);
      std::string out(raw);
      out.push_back(' ');
      out.append(synthetic);
      return out;
    }
    case FuseMethod::kModel: break;
  }
  return std::string();
}

}  // namespace capsfusion

#include "fuse/caption_maker.h"

#include <algorithm>

namespace capsfusion {

namespace {

class BaselineMaker : public CaptionMaker {
 public:
  BaselineMaker(FuseMethod method, size_t batch) : method_(method), batch_(std::max<size_t>(1, batch)) {}
  PreparedPrompt Prepare(const Record&) const override { return PreparedPrompt(); }
  StatusOr<std::vector<FusedCaption>> Make(const std::vector<const Record*>& rows,
                                           const std::vector<const PreparedPrompt*>&, bool) override {
    std::vector<FusedCaption> out(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) out[i].text = BaselineCaption(method_, rows[i]->raw, rows[i]->synthetic);
    return out;
  }
  bool can_retry() const override { return false; }
  size_t batch_size() const override { return batch_; }

 private:
  FuseMethod method_;
  size_t batch_;
};

class ModelMaker : public CaptionMaker {
 public:
  ModelMaker(ModelFuser* fuser, GenerateOptions retry, size_t batch)
      : fuser_(fuser), retry_(std::move(retry)), batch_(std::max<size_t>(1, batch)) {}
  PreparedPrompt Prepare(const Record& record) const override { return fuser_->Prepare(record); }
  StatusOr<std::vector<FusedCaption>> Make(const std::vector<const Record*>&,
                                           const std::vector<const PreparedPrompt*>& prompts, bool retry) override {
    return fuser_->Generate(prompts, retry ? &retry_ : nullptr);
  }
  bool can_retry() const override { return true; }
  size_t batch_size() const override { return batch_; }

 private:
  ModelFuser* fuser_;
  GenerateOptions retry_;
  size_t batch_;
};

}  // namespace

std::unique_ptr<CaptionMaker> MakeBaselineCaptionMaker(FuseMethod method, size_t batch_size) {
  return std::make_unique<BaselineMaker>(method, batch_size);
}

std::unique_ptr<CaptionMaker> MakeModelCaptionMaker(ModelFuser* fuser, GenerateOptions retry, size_t batch_size) {
  return std::make_unique<ModelMaker>(fuser, std::move(retry), batch_size);
}

}  // namespace capsfusion

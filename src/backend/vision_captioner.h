// VisionCaptioner: synthetic captions from images through OpenAI-compatible
// vision endpoints (chat style). Each image goes as a base64 data URL in a
// user message next to the captioning prompt; the answer, cleaned to one
// line, is the caption. Concurrency, retries, failover and rate limits are
// the remote backend's (RemoteClient).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "capsfusion/remote_backend.h"
#include "capsfusion/status.h"

namespace capsfusion::backend {

class RemoteClient;

struct VisionOptions {
  //! The instruction sent with every image; the default asks for a short
  //! BLIP-style caption (the synthetic captions of LAION-COCO).
  std::string prompt = DefaultPrompt();
  int max_tokens = 40;
  float temperature = 0;
  size_t max_image_bytes = 20 << 20;  //!< a larger image fails its row (hosted APIs refuse them too)

  static std::string DefaultPrompt();
};

//! "image/png", "image/jpeg", "image/webp" or "image/gif" from the first
//! bytes; "" when they are none of these.
std::string ImageMimeType(std::string_view bytes);

//! "data:<mime>;base64,<bytes>".
std::string ImageDataUrl(std::string_view mime, std::string_view bytes);

//! The model's answer as a caption: one line, single spaces, no surrounding
//! quotes or "Caption:" label.
std::string CleanCaption(std::string_view answer);

class VisionCaptioner {
 public:
  //! Every endpoint must speak the chat API (the style is chat unless a URL
  //! ends in /completions).
  static StatusOr<std::unique_ptr<VisionCaptioner>> Make(const RemoteOptions& remote, VisionOptions options);
  ~VisionCaptioner();

  //! A caption per image (its bytes), in order; a failed image gets its own
  //! Status. Only a fatal endpoint error (401, 403, 404) fails the call.
  StatusOr<std::vector<StatusOr<std::string>>> Caption(const std::vector<std::string>& images);

  const std::vector<std::string>& endpoints() const;
  std::string model() const;
  size_t preferred_batch() const;

 private:
  VisionCaptioner() = default;
  std::unique_ptr<RemoteClient> client_;
  VisionOptions options_;
};

}  // namespace capsfusion::backend

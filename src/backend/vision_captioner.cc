#include "backend/vision_captioner.h"

#include <algorithm>
#include <cctype>

#include "backend/base64.h"
#include "backend/remote_client.h"
#include "io/utf8.h"

namespace capsfusion::backend {

std::string VisionOptions::DefaultPrompt() {
  return "Write a short caption for this image in the style of a COCO caption: one plain sentence of at most "
         "15 words that says what is in the picture, starting with \"a\" or \"an\", lowercase, without a "
         "final period. Answer with the caption only.";
}

std::string ImageMimeType(std::string_view b) {
  auto starts = [&](std::string_view magic) { return b.substr(0, magic.size()) == magic; };
  if (starts(std::string_view("\x89PNG\r\n\x1a\n", 8))) return "image/png";
  if (starts("\xff\xd8\xff")) return "image/jpeg";
  if (b.size() >= 12 && starts("RIFF") && b.substr(8, 4) == "WEBP") return "image/webp";
  if (starts("GIF87a") || starts("GIF89a")) return "image/gif";
  return "";
}

std::string ImageDataUrl(std::string_view mime, std::string_view bytes) {
  std::string out = "data:";
  out += mime;
  out += ";base64,";
  out += Base64Encode(bytes);
  return out;
}

std::string CleanCaption(std::string_view answer) {
  std::string s;
  bool space = false;
  for (char c : io::ToValidUtf8(std::string(answer))) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !s.empty();
      continue;
    }
    if (space) s += ' ';
    space = false;
    s += c;
  }
  for (const char* label : {"Caption:", "caption:", "CAPTION:"}) {
    if (s.rfind(label, 0) == 0) {
      s = s.substr(std::string(label).size());
      s.erase(0, s.find_first_not_of(' '));
    }
  }
  while (s.size() >= 2 && ((s.front() == '"' && s.back() == '"') || (s.front() == '\'' && s.back() == '\''))) {
    s = s.substr(1, s.size() - 2);
  }
  return s;
}

StatusOr<std::unique_ptr<VisionCaptioner>> VisionCaptioner::Make(const RemoteOptions& remote, VisionOptions options) {
  if (options.prompt.empty()) return Status::InvalidArgument("the captioning prompt is empty");
  auto client = RemoteClient::Make(remote);
  if (!client.ok()) return client.status();
  for (size_t i = 0; i < (*client)->styles().size(); ++i) {
    if ((*client)->styles()[i] != EndpointStyle::kChat) {
      return Status::InvalidArgument("endpoint " + (*client)->endpoint_urls()[i] +
                                     ": images need the chat API (--endpoint-style chat or a .../chat/completions URL)");
    }
  }
  std::unique_ptr<VisionCaptioner> v(new VisionCaptioner());
  v->client_ = std::move(*client);
  v->options_ = std::move(options);
  return v;
}

VisionCaptioner::~VisionCaptioner() = default;

const std::vector<std::string>& VisionCaptioner::endpoints() const { return client_->endpoint_urls(); }

std::string VisionCaptioner::model() const {
  std::vector<std::string> m = client_->models();
  return m.empty() ? "" : m[0];
}

size_t VisionCaptioner::preferred_batch() const { return std::max<size_t>(1, client_->total_concurrency() * 4); }

StatusOr<std::vector<StatusOr<std::string>>> VisionCaptioner::Caption(const std::vector<std::string>& images) {
  std::vector<StatusOr<std::string>> out(images.size(), Status::Internal("not captioned"));
  std::vector<RemoteCall> calls;
  std::vector<size_t> slots;
  for (size_t i = 0; i < images.size(); ++i) {
    const std::string& img = images[i];
    if (img.size() > options_.max_image_bytes) {
      out[i] = Status::OutOfRange("image of " + std::to_string(img.size()) + " bytes is over the limit of " +
                                  std::to_string(options_.max_image_bytes) + " (--max-image-bytes)");
      continue;
    }
    std::string mime = ImageMimeType(img);
    if (mime.empty()) {
      out[i] = Status::Corruption("not a PNG, JPEG, WebP or GIF image");
      continue;
    }
    RemoteCall c;
    c.chat_content = nlohmann::json::array(
        {{{"type", "text"}, {"text", options_.prompt}},
         {{"type", "image_url"}, {"image_url", {{"url", ImageDataUrl(mime, img)}}}}});
    c.params["max_tokens"] = options_.max_tokens;
    c.params["temperature"] = options_.temperature;
    // Vision models count an image as some hundreds of tokens; budget ~1k.
    c.estimated_tokens = 1000 + options_.max_tokens;
    calls.push_back(std::move(c));
    slots.push_back(i);
  }
  if (calls.empty()) return out;
  auto replies = client_->Run(calls);
  if (!replies.ok()) return replies.status();
  for (size_t k = 0; k < slots.size(); ++k) {
    RemoteReply& r = (*replies)[k];
    if (!r.status.ok()) {
      out[slots[k]] = r.status;
      continue;
    }
    std::string caption = CleanCaption(r.text);
    if (caption.empty()) {
      out[slots[k]] = Status::Unavailable("the endpoint answered with an empty caption");
    } else {
      out[slots[k]] = caption;
    }
  }
  return out;
}

}  // namespace capsfusion::backend

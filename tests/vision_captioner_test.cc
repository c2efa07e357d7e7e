// Vision helpers: base64 and data URLs, MIME sniffing, caption clean-up, and
// the captioner against FakeOpenAI (per-image errors, the chat-only rule).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "backend/base64.h"
#include "backend/vision_captioner.h"
#include "fake_openai.h"

namespace capsfusion {
namespace {

using backend::Base64Encode;

TEST(VisionCaptionerTest, Base64MatchesRfc4648AndRoundTrips) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n : {0u, 1u, 2u, 3u, 100u, 256u}) {
    std::string back;
    ASSERT_TRUE(testing::DecodeBase64ForTest(Base64Encode(all.substr(0, n)), &back));
    EXPECT_EQ(back, all.substr(0, n));
  }
}

TEST(VisionCaptionerTest, MimeFromBytesNotNames) {
  EXPECT_EQ(backend::ImageMimeType(std::string("\x89PNG\r\n\x1a\n....", 12)), "image/png");
  EXPECT_EQ(backend::ImageMimeType("\xff\xd8\xff\xe0 rest"), "image/jpeg");
  EXPECT_EQ(backend::ImageMimeType(std::string("RIFF\x10\x00\x00\x00WEBPVP8 ", 16)), "image/webp");
  EXPECT_EQ(backend::ImageMimeType("GIF89a..."), "image/gif");
  EXPECT_EQ(backend::ImageMimeType("hello"), "");
  EXPECT_EQ(backend::ImageMimeType(""), "");
  EXPECT_EQ(backend::ImageDataUrl("image/png", "foo"), "data:image/png;base64,Zm9v");
}

TEST(VisionCaptionerTest, CleansAnswersToOneLine) {
  EXPECT_EQ(backend::CleanCaption("  a dog on\n the  beach \n"), "a dog on the beach");
  EXPECT_EQ(backend::CleanCaption("\"a red car\""), "a red car");
  EXPECT_EQ(backend::CleanCaption("Caption: a cat"), "a cat");
  EXPECT_EQ(backend::CleanCaption(""), "");
}

TEST(VisionCaptionerTest, CaptionsImagesWithPerImageErrors) {
  testing::FakeOpenAI server({});
  RemoteOptions o;
  o.api_key_env = "";
  o.endpoints.push_back({server.url(), EndpointStyle::kChat, "fake-model"});
  backend::VisionOptions v;
  v.max_image_bytes = 64;
  auto cap = backend::VisionCaptioner::Make(o, v);
  ASSERT_TRUE(cap.ok()) << cap.status().ToString();
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + "pixels";
  const std::string big = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(100, 'x');
  auto out = (*cap)->Caption({png, "not an image", big});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 3u);
  ASSERT_TRUE((*out)[0].ok()) << (*out)[0].status().ToString();
  EXPECT_EQ(*(*out)[0], testing::FakeImageCaption(png));
  EXPECT_EQ((*out)[1].status().code(), Status::Code::kCorruption);
  EXPECT_EQ((*out)[2].status().code(), Status::Code::kOutOfRange);
  EXPECT_EQ(server.requests(), 1);  // only the valid image was sent

  o.endpoints[0].style = EndpointStyle::kCompletions;
  auto bad = backend::VisionCaptioner::Make(o, v);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("chat"), std::string::npos);
}

}  // namespace
}  // namespace capsfusion

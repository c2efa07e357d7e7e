// FakeOpenAI: a small OpenAI-compatible server on 127.0.0.1 for the remote
// backend's tests, with fault injection. It answers POST /v1/completions and
// /v1/chat/completions (and GET /v1/models) the way vLLM and the OpenAI API
// do, and counts what it sees.
//
// Answers are a pure function of the request: for the paper's prompt
// ("Sentence 1: R\nSentence 2: S\nNew Sentence:") the text is " " + FakeFusion(R, S)
// (chat: "New Sentence: \"FakeFusion(R, S)\"", as chat models answer);
// for an image part (a data URL) it is FakeImageCaption(decoded bytes);
// otherwise "echo: " plus the prompt's last line.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
}

namespace capsfusion::testing {

std::string FakeFusion(const std::string& raw, const std::string& synthetic);
std::string FakeImageCaption(const std::string& image_bytes);

struct FakeFault {
  enum class Kind { kStatus, kSlow, kMalformed, kEmptyChoices };
  Kind kind = Kind::kStatus;
  int status = 500;             //!< kStatus
  std::string retry_after;      //!< kStatus: Retry-After header when not empty
  double seconds = 0;           //!< kSlow: wait this long, then answer normally

  static FakeFault Http(int status, std::string retry_after = "") {
    FakeFault f;
    f.status = status;
    f.retry_after = std::move(retry_after);
    return f;
  }
  static FakeFault Slow(double seconds) {
    FakeFault f;
    f.kind = Kind::kSlow;
    f.seconds = seconds;
    return f;
  }
  static FakeFault Of(Kind kind) {
    FakeFault f;
    f.kind = kind;
    return f;
  }
};

class FakeOpenAI {
 public:
  struct Options {
    int port = 0;                  //!< 0: a free port
    std::string api_key;           //!< non-empty: other keys get 401 (the body echoes the key sent, as OpenAI's does)
    double delay_s = 0;            //!< every answer waits this long
    std::string model = "fake-model";
    std::string log_path;          //!< append one line per answered request
  };

  explicit FakeOpenAI(Options options);
  ~FakeOpenAI();

  int port() const { return port_; }
  std::string url() const;  //!< http://127.0.0.1:PORT

  //! The next requests get these faults, one each, in order.
  void QueueFault(FakeFault fault);
  //! Every request whose prompt contains `needle` gets HTTP `status`.
  void FailPromptsWith(const std::string& needle, int status);
  //! Every request gets HTTP `status` (0: back to normal).
  void SetAlways(int status);

  int requests() const { return requests_.load(); }
  int answered() const { return answered_.load(); }
  int max_in_flight() const { return max_in_flight_.load(); }
  std::vector<std::string> authorizations() const;
  std::vector<std::string> bodies() const;  //!< request bodies in arrival order

  //! Stops serving (requests in flight finish first).
  void Stop();

 private:
  void Handle(const std::string& path, const std::string& auth, const std::string& body, int* status,
              std::string* out, std::string* retry_after);

  Options options_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> requests_{0}, answered_{0}, in_flight_{0}, max_in_flight_{0};
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::deque<FakeFault> faults_;
  std::vector<std::pair<std::string, int>> prompt_faults_;
  int always_ = 0;
  std::vector<std::string> auths_, bodies_;
};

//! Decodes standard base64 (with padding); false on a bad character.
bool DecodeBase64ForTest(const std::string& in, std::string* out);

}  // namespace capsfusion::testing

#include "fake_openai.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <fstream>

#include "io/stable_id.h"

namespace capsfusion::testing {

namespace {

std::string Between(const std::string& s, const std::string& a, const std::string& b) {
  size_t p = s.find(a);
  if (p == std::string::npos) return "";
  p += a.size();
  size_t q = s.find(b, p);
  return s.substr(p, q == std::string::npos ? std::string::npos : q - p);
}

// Debian's cpp-httplib library listens with a backlog of 5, so a sixth client
// connecting at once waits a second for a SYN retransmission. Listening again
// on the same socket raises the backlog.
void RaiseListenBacklog(int port) {
  for (int fd = 0; fd < 4096; ++fd) {
    sockaddr_in a{};
    socklen_t len = sizeof(a);
    int accepting = 0;
    socklen_t alen = sizeof(accepting);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0 || a.sin_family != AF_INET || ntohs(a.sin_port) != port) continue;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &alen) == 0 && accepting) listen(fd, 256);
  }
}

}  // namespace

std::string FakeFusion(const std::string& raw, const std::string& synthetic) {
  return synthetic + ", namely " + raw;
}

std::string FakeImageCaption(const std::string& image_bytes) {
  return "a picture " + io::HexId(io::Xxh64(image_bytes)) + " of " + std::to_string(image_bytes.size()) + " bytes";
}

bool DecodeBase64ForTest(const std::string& in, std::string* out) {
  out->clear();
  unsigned buf = 0;
  int bits = 0;
  for (char ch : in) {
    int v;
    if (ch >= 'A' && ch <= 'Z') v = ch - 'A';
    else if (ch >= 'a' && ch <= 'z') v = ch - 'a' + 26;
    else if (ch >= '0' && ch <= '9') v = ch - '0' + 52;
    else if (ch == '+') v = 62;
    else if (ch == '/') v = 63;
    else if (ch == '=') break;
    else return false;
    buf = (buf << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((buf >> bits) & 0xff));
    }
  }
  return true;
}

FakeOpenAI::FakeOpenAI(Options options) : options_(std::move(options)), server_(new httplib::Server) {
  server_->new_task_queue = [] { return new httplib::ThreadPool(48); };
  server_->set_tcp_nodelay(true);
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    int status = 200;
    std::string out, retry_after;
    Handle(req.path, req.get_header_value("Authorization"), req.body, &status, &out, &retry_after);
    res.status = status;
    if (!retry_after.empty()) res.set_header("Retry-After", retry_after);
    res.set_content(out, "application/json");
  };
  server_->Post("/v1/completions", handler);
  server_->Post("/v1/chat/completions", handler);
  server_->Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
    nlohmann::json j = {{"object", "list"}, {"data", {{{"id", options_.model}, {"object", "model"}}}}};
    res.set_content(j.dump(), "application/json");
  });
  if (options_.port == 0) {
    port_ = server_->bind_to_any_port("127.0.0.1");
  } else {
    port_ = server_->bind_to_port("127.0.0.1", options_.port) ? options_.port : -1;
  }
  if (port_ > 0) thread_ = std::thread([this] { server_->listen_after_bind(); });
  while (port_ > 0 && !server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (port_ > 0) RaiseListenBacklog(port_);
}

FakeOpenAI::~FakeOpenAI() { Stop(); }

void FakeOpenAI::Stop() {
  stopping_ = true;
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string FakeOpenAI::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void FakeOpenAI::QueueFault(FakeFault f) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.push_back(std::move(f));
}

void FakeOpenAI::FailPromptsWith(const std::string& needle, int status) {
  std::lock_guard<std::mutex> lock(mu_);
  prompt_faults_.emplace_back(needle, status);
}

void FakeOpenAI::SetAlways(int status) {
  std::lock_guard<std::mutex> lock(mu_);
  always_ = status;
}

std::vector<std::string> FakeOpenAI::authorizations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return auths_;
}

std::vector<std::string> FakeOpenAI::bodies() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bodies_;
}

void FakeOpenAI::Handle(const std::string& path, const std::string& auth, const std::string& body, int* status,
                        std::string* out, std::string* retry_after) {
  ++requests_;
  int now = ++in_flight_;
  for (int seen = max_in_flight_.load(); now > seen && !max_in_flight_.compare_exchange_weak(seen, now);) {
  }
  struct Leave {
    std::atomic<int>* n;
    ~Leave() { --*n; }
  } leave{&in_flight_};
  auto sleep = [this](double s) {
    auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(s);
    while (std::chrono::steady_clock::now() < until && !stopping_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  };
  auto error = [&](int code, const std::string& message) {
    *status = code;
    *out = nlohmann::json{{"error", {{"message", message}, {"type", "test"}}}}.dump();
  };

  FakeFault fault;
  bool have_fault = false;
  int always = 0;
  std::vector<std::pair<std::string, int>> prompt_faults;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auths_.push_back(auth);
    bodies_.push_back(body);
    if (!faults_.empty()) {
      fault = faults_.front();
      faults_.pop_front();
      have_fault = true;
    }
    always = always_;
    prompt_faults = prompt_faults_;
  }
  if (!options_.api_key.empty() && auth != "Bearer " + options_.api_key) {
    std::string sent = auth.size() > 7 ? auth.substr(7) : auth;
    return error(401, "Incorrect API key provided: " + sent + ".");
  }
  if (always != 0) return error(always, "always failing");
  if (have_fault) {
    switch (fault.kind) {
      case FakeFault::Kind::kStatus:
        *retry_after = fault.retry_after;
        return error(fault.status, "injected fault");
      case FakeFault::Kind::kSlow:
        sleep(fault.seconds);
        break;
      case FakeFault::Kind::kMalformed:
        *out = "{\"choices\": [{\"text\": \"cut";
        return;
      case FakeFault::Kind::kEmptyChoices:
        *out = "{\"choices\": []}";
        return;
    }
  }
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("model") || !j["model"].is_string()) return error(400, "no model");
  if (j["model"] != options_.model) return error(404, "The model `" + j["model"].get<std::string>() + "` does not exist.");
  const bool chat = path.find("/chat/") != std::string::npos;
  std::string prompt, answer;
  if (chat) {
    if (!j.contains("messages") || !j["messages"].is_array() || j["messages"].empty()) return error(400, "no messages");
    const auto& content = j["messages"].back()["content"];
    if (content.is_string()) {
      prompt = content.get<std::string>();
    } else if (content.is_array()) {
      for (const auto& part : content) {
        std::string type = part.value("type", "");
        if (type == "text") prompt += part.value("text", "");
        if (type == "image_url") {
          std::string u = part["image_url"].value("url", "");
          size_t comma = u.find(',');
          std::string head = u.substr(0, comma == std::string::npos ? 0 : comma);
          std::string bytes;
          if (u.rfind("data:image/", 0) != 0 || head.find(";base64") == std::string::npos ||
              !DecodeBase64ForTest(u.substr(comma + 1), &bytes)) {
            return error(400, "bad image data URL");
          }
          std::string mime = head.substr(5, head.find(';') - 5);
          bool png = bytes.rfind("\x89PNG", 0) == 0, jpeg = bytes.rfind("\xff\xd8\xff", 0) == 0;
          if ((mime == "image/png" && !png) || (mime == "image/jpeg" && !jpeg)) return error(400, "MIME type does not match the bytes");
          answer = FakeImageCaption(bytes);
        }
      }
    }
  } else {
    if (!j.contains("prompt") || !j["prompt"].is_string()) return error(400, "no prompt");
    prompt = j["prompt"].get<std::string>();
  }
  for (const auto& [needle, code] : prompt_faults) {
    if (prompt.find(needle) != std::string::npos) return error(code, "refused prompt");
  }
  if (options_.delay_s > 0) sleep(options_.delay_s);
  if (answer.empty()) {
    std::string raw = Between(prompt, "Sentence 1: ", "\n"), syn = Between(prompt, "Sentence 2: ", "\n");
    if (!raw.empty() || !syn.empty()) {
      // Chat models tend to repeat the label and quote the sentence.
      answer = chat ? "New Sentence: \"" + FakeFusion(raw, syn) + "\"" : " " + FakeFusion(raw, syn);
    } else {
      size_t nl = prompt.rfind('\n');
      answer = "echo: " + (nl == std::string::npos ? prompt : prompt.substr(nl + 1));
    }
  }
  nlohmann::json choice = {{"index", 0}, {"finish_reason", "stop"}};
  if (chat) {
    choice["message"] = {{"role", "assistant"}, {"content", answer}};
  } else {
    choice["text"] = answer;
  }
  nlohmann::json resp = {{"id", "cmpl-test"},
                         {"object", chat ? "chat.completion" : "text_completion"},
                         {"model", options_.model},
                         {"choices", nlohmann::json::array({choice})},
                         {"usage", {{"prompt_tokens", prompt.size() / 4 + 1}, {"completion_tokens", answer.size() / 4 + 1}}}};
  *out = resp.dump();
  ++answered_;
  if (!options_.log_path.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    std::ofstream log(options_.log_path, std::ios::app);
    log << "answered\n";
  }
}

}  // namespace capsfusion::testing

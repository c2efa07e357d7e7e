#include "fuse/progress_line.h"

#include <chrono>
#include <cstdio>

namespace capsfusion {

namespace {
double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

std::string FormatDuration(double s) {
  if (!(s >= 0) || s > 1e8) return "?";
  long long t = static_cast<long long>(s + 0.5);
  char buf[64];
  if (t >= 3600) {
    std::snprintf(buf, sizeof(buf), "%lldh%02lldm", t / 3600, (t / 60) % 60);
  } else if (t >= 60) {
    std::snprintf(buf, sizeof(buf), "%lldm%02llds", t / 60, t % 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%llds", t);
  }
  return buf;
}

ProgressLine::ProgressLine(bool enabled, std::string label) : enabled_(enabled), label_(std::move(label)) {}

ProgressLine::~ProgressLine() { Stop(); }

void ProgressLine::SetFraction(std::function<double()> fraction) { fraction_ = std::move(fraction); }

void ProgressLine::Start() {
  start_ = Now();
  if (!enabled_ || thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

void ProgressLine::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }
}

std::string ProgressLine::Render(double seconds) const {
  const uint64_t rows = rows_, resumed = resumed_, total = total_;
  const double rate = seconds > 0 ? rows / seconds : 0;
  const double tok_rate = seconds > 0 ? tokens_ / seconds : 0;
  char buf[256];
  std::string done = std::to_string(rows + resumed);
  if (total > 0) done += "/" + std::to_string(total);
  std::string eta = "?";
  if (total > 0 && rate > 0) {
    eta = FormatDuration(total > rows + resumed ? (total - rows - resumed) / rate : 0);
  } else if (fraction_ && seconds > 1) {
    double f = fraction_();
    if (f > 0.001 && f <= 1) eta = FormatDuration(seconds * (1 - f) / f);
  }
  std::snprintf(buf, sizeof(buf), "%s: %s rows  %.1f rows/s  %.0f tok/s  ETA %s  QC flagged %llu", label_.c_str(),
                done.c_str(), rate, tok_rate, eta.c_str(), static_cast<unsigned long long>(flagged_.load()));
  return buf;
}

void ProgressLine::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stop_; });
    if (stop_) break;
    std::string line = Render(Now() - start_);
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    std::fflush(stderr);
  }
}

}  // namespace capsfusion

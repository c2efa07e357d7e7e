#include "train/progress.h"

#include <cstdio>

namespace capsfusion::train {

Progress::Progress(bool live, bool quiet) : live_(live && !quiet), quiet_(quiet) {}

Progress::~Progress() {
  if (shown_) std::fputc('\n', stderr);
}

void Progress::Clear() {
  if (!shown_) return;
  std::fputs("\r\033[K", stderr);
  shown_ = false;
}

void Progress::Update(const std::string& line, bool force) {
  if (!live_) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && shown_ && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  last_ = line;
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
  shown_ = true;
}

void Progress::Log(const std::string& line) {
  if (quiet_) return;
  bool redraw = shown_;
  Clear();
  std::fprintf(stderr, "%s\n", line.c_str());
  if (redraw) Update(last_, true);
  std::fflush(stderr);
}

std::string Progress::Duration(double seconds) {
  if (seconds < 0) seconds = 0;
  long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof(buf), "%ldh%02ldm", s / 3600, (s / 60) % 60);
  } else if (s >= 60) {
    std::snprintf(buf, sizeof(buf), "%ldm%02lds", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%lds", s);
  }
  return buf;
}

}  // namespace capsfusion::train

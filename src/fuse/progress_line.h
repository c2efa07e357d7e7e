// The live progress line of `capsfusion fuse` on a terminal: rows done (of the
// total when known), rows/s, tokens/s, ETA and the QC-flagged count, redrawn
// about twice a second on stderr by its own thread. Disabled, it draws nothing.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace capsfusion {

class ProgressLine {
 public:
  //! `enabled`: draw (stderr is a terminal, or --progress on).
  ProgressLine(bool enabled, std::string label);
  ~ProgressLine();

  //! Rows expected in all (0: unknown).
  void SetTotal(uint64_t rows) { total_ = rows; }
  //! A 0..1 estimate of the input read (for the ETA when the total is unknown).
  void SetFraction(std::function<double()> fraction);
  //! Counts rows already done before this run (resumed): shown, not in the rates.
  void SetResumed(uint64_t rows) { resumed_ = rows; }
  void Add(uint64_t rows, uint64_t tokens, uint64_t flagged) {
    rows_ += rows;
    tokens_ += tokens;
    flagged_ += flagged;
  }

  void Start();
  //! Stops the thread and clears the line.
  void Stop();

  //! The text of the line now (for tests).
  std::string Render(double seconds) const;

 private:
  void Loop();

  const bool enabled_;
  const std::string label_;
  std::atomic<uint64_t> total_{0}, rows_{0}, tokens_{0}, flagged_{0}, resumed_{0};
  std::function<double()> fraction_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
  double start_ = 0;
};

//! "1h02m", "3m07s", "12s".
std::string FormatDuration(double seconds);

}  // namespace capsfusion

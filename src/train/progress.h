// Progress: a live status line on a terminal, plain log lines otherwise.
//
// On a terminal the trainer redraws one line (epoch, step, loss, dev loss,
// tokens/s, ETA) in place; in a pipe nothing is redrawn, and only the log
// lines (one per evaluation, and the summary) are written.
#pragma once

#include <chrono>
#include <string>

namespace capsfusion::train {

class Progress {
 public:
  //! `live`: redraw a status line; `quiet`: print nothing at all.
  Progress(bool live, bool quiet);
  ~Progress();

  //! Redraws the status line (at most every 200 ms unless `force`).
  void Update(const std::string& line, bool force = false);
  //! Prints one log line, above the status line.
  void Log(const std::string& line);

  //! "1h02m", "3m05s", "12s".
  static std::string Duration(double seconds);

 private:
  void Clear();
  bool live_, quiet_;
  bool shown_ = false;
  std::string last_;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace capsfusion::train

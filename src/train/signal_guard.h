// SignalGuard: turns SIGINT and SIGTERM into a flag the training loop polls,
// so that an interrupted run writes a checkpoint before it exits.
#pragma once

#include <csignal>

namespace capsfusion::train {

class SignalGuard {
 public:
  SignalGuard();   //!< installs the handlers (the previous ones are kept)
  ~SignalGuard();  //!< restores the previous handlers
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

  //! The signal received since construction, or 0.
  static int received();

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

}  // namespace capsfusion::train

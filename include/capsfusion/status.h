// Status and StatusOr: how capsfusion reports expected failures.
//
// Bad input, missing files, broken models and refused requests are expected in a
// data pipeline; they travel as a Status (a code plus a message that names the
// place), never as an abort. Exceptions are kept for real programming errors.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace capsfusion {

//! The result of an operation that can fail for a reason the user can act on.
class Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,  //!< the caller (or the user's flags) asked for something impossible
    kNotFound,         //!< a file, field, tensor or key does not exist
    kIOError,          //!< the operating system refused a read or write
    kCorruption,       //!< input bytes are not what their format promises
    kNotSupported,     //!< valid input that this build cannot handle
    kOutOfRange,       //!< a value or size outside the allowed limits
    kUnavailable,      //!< a remote service did not answer (retrying may help)
    kInternal,         //!< a bug: an invariant did not hold
  };

  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string m) { return Status(Code::kInvalidArgument, std::move(m)); }
  static Status NotFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
  static Status IOError(std::string m) { return Status(Code::kIOError, std::move(m)); }
  static Status Corruption(std::string m) { return Status(Code::kCorruption, std::move(m)); }
  static Status NotSupported(std::string m) { return Status(Code::kNotSupported, std::move(m)); }
  static Status OutOfRange(std::string m) { return Status(Code::kOutOfRange, std::move(m)); }
  static Status Unavailable(std::string m) { return Status(Code::kUnavailable, std::move(m)); }
  static Status Internal(std::string m) { return Status(Code::kInternal, std::move(m)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  //! "IO error: cannot open x.json: No such file or directory"
  std::string ToString() const;

  //! Returns a copy with "context: " put before the message (no-op when ok).
  Status WithContext(const std::string& context) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

//! A value or the Status that explains why there is none.
template <typename T>
class StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit on purpose
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT
    if (status_.ok()) status_ = Status::Internal("StatusOr built from an OK status without a value");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace capsfusion

//! Returns from the enclosing function when `expr` yields a non-OK Status.
#define CF_RETURN_IF_ERROR(expr)                  \
  do {                                            \
    ::capsfusion::Status cf_status_ = (expr);     \
    if (!cf_status_.ok()) return cf_status_;      \
  } while (0)

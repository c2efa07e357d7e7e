// SourceBuffer: a sliding window over an InputStream. Readers look at the
// unconsumed bytes, consume what they have parsed, and ask for more; the
// window grows only while a single row needs it (bounded by the caller's
// max_row_bytes), so memory stays flat in the number of rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "io/input_stream.h"

namespace capsfusion::io {

//! A growable window of unconsumed input bytes.
class SourceBuffer {
 public:
  static constexpr size_t kChunk = 1 << 18;  //!< initial window and default read size

  //! Reads from `input`.
  explicit SourceBuffer(std::unique_ptr<InputStream> input);

  //! The unconsumed bytes. Valid until the next Fill().
  const char* data() const { return buf_.get() + pos_; }
  size_t size() const { return end_ - pos_; }

  //! Drops the first `n` unconsumed bytes.
  void Consume(size_t n) { pos_ += n; }

  //! Reads at least `min_new` more bytes (fewer only at the end of the input),
  //! keeping the unconsumed ones; may move them. False when nothing more came
  //! (end of input or an error: see status()).
  bool Fill(size_t min_new = kChunk);

  //! True once the input has no more bytes.
  bool eof() const { return eof_; }
  //! The input's error, if any.
  const Status& status() const { return input_->status(); }
  //! Decompressed offset of data()[0]: the bytes consumed so far.
  uint64_t offset() const { return base_offset_ + pos_; }
  //! Bytes the window holds now (for tests of memory use).
  size_t capacity() const { return cap_; }
  const InputStream& input() const { return *input_; }

 private:
  std::unique_ptr<InputStream> input_;
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;
  size_t pos_ = 0;
  size_t end_ = 0;
  uint64_t base_offset_ = 0;  // decompressed offset of buf_[0]
  bool eof_ = false;
};

}  // namespace capsfusion::io

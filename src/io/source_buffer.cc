#include "io/source_buffer.h"

#include <cstring>

namespace capsfusion::io {

SourceBuffer::SourceBuffer(std::unique_ptr<InputStream> input)
    : input_(std::move(input)), buf_(new char[kChunk]), cap_(kChunk) {}

bool SourceBuffer::Fill(size_t min_new) {
  if (eof_) return false;
  if (min_new == 0) min_new = 1;
  const size_t live = end_ - pos_;
  // Slide the live bytes to the front, then grow if they still do not leave room.
  if (pos_ > 0 && cap_ - end_ < min_new) {
    std::memmove(buf_.get(), buf_.get() + pos_, live);
    base_offset_ += pos_;
    pos_ = 0;
    end_ = live;
  }
  if (cap_ - end_ < min_new) {
    size_t new_cap = cap_;
    while (new_cap - end_ < min_new) new_cap *= 2;
    std::unique_ptr<char[]> bigger(new char[new_cap]);
    std::memcpy(bigger.get(), buf_.get() + pos_, live);
    base_offset_ += pos_;
    buf_ = std::move(bigger);
    cap_ = new_cap;
    pos_ = 0;
    end_ = live;
  }
  size_t got = input_->Read(buf_.get() + end_, cap_ - end_);
  end_ += got;
  if (got == 0) {
    eof_ = true;
    return false;
  }
  return true;
}

}  // namespace capsfusion::io

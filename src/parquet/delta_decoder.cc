#include "parquet/delta_decoder.h"

#include "parquet/bit_util.h"

namespace capsfusion::parquet {

bool DeltaDecoder::Fail(const char* what) {
  if (error_.empty()) error_ = std::string("bad DELTA_BINARY_PACKED data: ") + what;
  p_ = end_;
  returned_ = total_;
  return false;
}

bool DeltaDecoder::Init(const uint8_t* data, size_t size) {
  begin_ = p_ = data;
  end_ = data + size;
  error_.clear();
  returned_ = 0;
  total_ = 0;
  left_in_miniblock_ = 0;
  miniblock_index_ = 0;
  if (!ReadUleb(&p_, end_, &block_size_) || !ReadUleb(&p_, end_, &miniblocks_) || !ReadUleb(&p_, end_, &total_) ||
      !ReadZigZag(&p_, end_, &last_)) {
    total_ = 0;
    return Fail("truncated header");
  }
  if (block_size_ == 0 || block_size_ % 128 != 0 || block_size_ > (1u << 20) || miniblocks_ == 0 ||
      miniblocks_ > 256 || block_size_ % miniblocks_ != 0 || (block_size_ / miniblocks_) % 32 != 0) {
    total_ = 0;
    return Fail("bad block layout");
  }
  per_miniblock_ = block_size_ / miniblocks_;
  miniblock_index_ = miniblocks_;  // the first delta starts a block
  return true;
}

bool DeltaDecoder::StartBlock() {
  if (!ReadZigZag(&p_, end_, &min_delta_)) return Fail("truncated block header");
  if (static_cast<uint64_t>(end_ - p_) < miniblocks_) return Fail("truncated bit widths");
  for (uint64_t i = 0; i < miniblocks_; ++i) widths_[i] = p_[i];
  p_ += miniblocks_;
  miniblock_index_ = 0;
  return true;
}

bool DeltaDecoder::StartMiniblock() {
  if (miniblock_index_ >= miniblocks_ && !StartBlock()) return false;
  width_ = widths_[miniblock_index_++];
  if (width_ > 64) return Fail("bit width over 64");
  // Miniblocks are always whole, except that the last one may be cut off
  // after its last value.
  uint64_t bytes = per_miniblock_ * static_cast<uint64_t>(width_) / 8;
  auto left = static_cast<uint64_t>(end_ - p_);
  uint64_t needed = total_ - returned_;
  if (bytes > left) {
    if (needed * static_cast<uint64_t>(width_) > left * 8) return Fail("truncated miniblock");
    bytes = left;
  }
  mini_ = p_;
  mini_size_ = static_cast<size_t>(bytes);
  mini_bit_ = 0;
  left_in_miniblock_ = per_miniblock_;
  p_ += bytes;
  return true;
}

bool DeltaDecoder::Next(int64_t* value) {
  if (returned_ >= total_) return false;
  if (returned_ > 0) {
    if (left_in_miniblock_ == 0 && !StartMiniblock()) return false;
    uint64_t packed = ReadPackedBits(mini_, mini_size_, mini_bit_, width_);
    mini_bit_ += static_cast<uint64_t>(width_);
    --left_in_miniblock_;
    last_ = static_cast<int64_t>(static_cast<uint64_t>(last_) + static_cast<uint64_t>(min_delta_) + packed);
  }
  ++returned_;
  *value = last_;
  return true;
}

bool DeltaDecoder::SkipToEnd() {
  int64_t v;
  while (returned_ < total_) {
    // Whole miniblocks are skipped without decoding their values.
    if (returned_ > 0 && left_in_miniblock_ == 0) {
      if (!StartMiniblock()) return false;
      uint64_t skip = std::min<uint64_t>(left_in_miniblock_, total_ - returned_);
      left_in_miniblock_ -= skip;
      returned_ += skip;
      continue;
    }
    if (!Next(&v)) return error_.empty();
  }
  return error_.empty();
}

namespace {

void PutUleb(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutZigZag(int64_t v, std::string* out) {
  PutUleb((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63), out);
}

}  // namespace

void DeltaEncode(const int64_t* values, size_t n, std::string* out) {
  constexpr size_t kBlock = 128, kMini = 4, kPer = kBlock / kMini;
  PutUleb(kBlock, out);
  PutUleb(kMini, out);
  PutUleb(n, out);
  PutZigZag(n ? values[0] : 0, out);
  for (size_t start = 1; start < n; start += kBlock) {
    size_t count = std::min(kBlock, n - start);
    uint64_t deltas[kBlock];
    int64_t min_delta = INT64_MAX;
    for (size_t i = 0; i < count; ++i) {
      int64_t d = static_cast<int64_t>(static_cast<uint64_t>(values[start + i]) - static_cast<uint64_t>(values[start + i - 1]));
      deltas[i] = static_cast<uint64_t>(d);
      if (d < min_delta) min_delta = d;
    }
    for (size_t i = 0; i < count; ++i) deltas[i] -= static_cast<uint64_t>(min_delta);
    PutZigZag(min_delta, out);
    uint8_t widths[kMini] = {};
    for (size_t m = 0; m < kMini; ++m) {
      uint64_t mx = 0;
      for (size_t i = m * kPer; i < std::min(count, (m + 1) * kPer); ++i) mx |= deltas[i];
      widths[m] = static_cast<uint8_t>(BitWidth(mx));
    }
    out->append(reinterpret_cast<const char*>(widths), kMini);
    for (size_t m = 0; m < kMini && m * kPer < count; ++m) {
      unsigned __int128 acc = 0;
      int bits = 0;
      for (size_t i = m * kPer; i < (m + 1) * kPer; ++i) {
        acc |= static_cast<unsigned __int128>(i < count ? deltas[i] : 0) << bits;
        bits += widths[m];
        while (bits >= 8) {
          out->push_back(static_cast<char>(static_cast<uint64_t>(acc) & 0xff));
          acc >>= 8;
          bits -= 8;
        }
      }
    }
  }
}

}  // namespace capsfusion::parquet

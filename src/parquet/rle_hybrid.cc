#include "parquet/rle_hybrid.h"

#include "parquet/bit_util.h"

namespace capsfusion::parquet {

void RleDecoder::Reset(const uint8_t* data, size_t size, int bit_width) {
  p_ = data;
  end_ = data + size;
  bit_width_ = bit_width;
  rle_left_ = packed_left_ = 0;
  error_ = bit_width < 0 || bit_width > 32;
  if (error_) p_ = end_;
}

bool RleDecoder::NextRun() {
  // Empty runs (a zero count) are legal but carry nothing: loop past them.
  while (p_ < end_) {
    uint64_t header;
    if (!ReadUleb(&p_, end_, &header)) {
      error_ = true;
      p_ = end_;
      return false;
    }
    if (header & 1) {
      uint64_t groups = header >> 1;
      if (groups > (uint64_t{1} << 40)) {
        error_ = true;
        p_ = end_;
        return false;
      }
      uint64_t bytes = groups * static_cast<uint64_t>(bit_width_);
      auto left = static_cast<uint64_t>(end_ - p_);
      // A last run cut short keeps the values that are whole.
      uint64_t count = groups * 8;
      if (bytes > left) {
        count = left * 8 / static_cast<uint64_t>(bit_width_);
        bytes = left;
      }
      packed_ = p_;
      packed_size_ = static_cast<size_t>(bytes);
      packed_bit_ = 0;
      packed_left_ = count;
      p_ += bytes;
      if (count > 0) return true;
      continue;
    }
    int nbytes = (bit_width_ + 7) / 8;
    if (end_ - p_ < nbytes) {
      error_ = true;
      p_ = end_;
      return false;
    }
    uint32_t v = 0;
    for (int i = 0; i < nbytes; ++i) v |= static_cast<uint32_t>(p_[i]) << (8 * i);
    p_ += nbytes;
    rle_value_ = v;
    rle_left_ = header >> 1;
    if (rle_left_ > 0) return true;
  }
  return false;
}

uint64_t RleDecoder::ReadPacked() {
  uint64_t v = ReadPackedBits(packed_, packed_size_, packed_bit_, bit_width_);
  packed_bit_ += static_cast<uint64_t>(bit_width_);
  return v;
}

namespace {

void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Bit-packs values[0, n) (n a multiple of 8 after zero padding) as one run.
void PackRun(const uint32_t* values, size_t n, size_t padded, int bit_width, std::string* out) {
  AppendVarint((padded / 8) << 1 | 1, out);
  uint64_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < padded; ++i) {
    uint64_t v = i < n ? values[i] : 0;
    acc |= v << bits;
    bits += bit_width;
    while (bits >= 8) {
      out->push_back(static_cast<char>(acc & 0xff));
      acc >>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) out->push_back(static_cast<char>(acc & 0xff));
}

}  // namespace

void RleEncode(const uint32_t* values, size_t n, int bit_width, std::string* out) {
  const int value_bytes = (bit_width + 7) / 8;
  size_t i = 0;
  size_t lit_start = 0;  // start of values waiting to be bit-packed (a multiple of 8 long)
  auto flush_literals = [&](size_t upto) {
    if (upto > lit_start) {
      size_t count = upto - lit_start;
      PackRun(values + lit_start, count, (count + 7) / 8 * 8, bit_width, out);
    }
    lit_start = upto;
  };
  while (i < n) {
    size_t run = 1;
    while (i + run < n && values[i + run] == values[i]) ++run;
    if (run >= 8 && (i - lit_start) % 8 == 0) {
      flush_literals(i);
      AppendVarint(static_cast<uint64_t>(run) << 1, out);
      for (int b = 0; b < value_bytes; ++b) out->push_back(static_cast<char>((values[i] >> (8 * b)) & 0xff));
      i += run;
      lit_start = i;
      continue;
    }
    // Take values up to the next multiple of 8 as literals.
    size_t next = lit_start + ((i - lit_start) / 8 + 1) * 8;
    i = next < n ? next : n;
  }
  flush_literals(n);
}

}  // namespace capsfusion::parquet

#include "webdataset/tar_reader.h"

#include <algorithm>
#include <cstring>

namespace capsfusion::webdataset {

namespace {

constexpr size_t kBlock = 512;
constexpr uint64_t kMaxExtension = 1 << 20;  // pax headers and GNU long names

// An octal field (spaces/NULs end it) or GNU base-256 (high bit of the first byte).
bool ParseNumber(const unsigned char* f, size_t n, uint64_t* out) {
  if (f[0] & 0x80) {
    uint64_t v = f[0] & 0x7f;
    for (size_t i = 1; i < n; ++i) {
      if (v >> 55) return false;
      v = (v << 8) | f[i];
    }
    *out = v;
    return true;
  }
  uint64_t v = 0;
  size_t i = 0;
  while (i < n && f[i] == ' ') ++i;
  bool digits = false;
  for (; i < n && f[i] >= '0' && f[i] <= '7'; ++i) {
    if (v >> 60) return false;
    v = v * 8 + (f[i] - '0');
    digits = true;
  }
  for (; i < n; ++i) {
    if (f[i] != ' ' && f[i] != '\0') return false;
  }
  *out = digits ? v : 0;
  return true;
}

std::string Field(const unsigned char* f, size_t n) {
  size_t len = 0;
  while (len < n && f[len] != '\0') ++len;
  return std::string(reinterpret_cast<const char*>(f), len);
}

bool AllZero(const unsigned char* h) {
  for (size_t i = 0; i < kBlock; ++i) {
    if (h[i]) return false;
  }
  return true;
}

// Applies pax records ("LEN key=value\n") to *m.
void ApplyPax(const std::string& data, TarMember* m) {
  size_t pos = 0;
  while (pos < data.size()) {
    size_t sp = data.find(' ', pos);
    if (sp == std::string::npos) return;
    uint64_t len = 0;
    for (size_t i = pos; i < sp; ++i) {
      if (data[i] < '0' || data[i] > '9' || len > (1u << 30)) return;
      len = len * 10 + static_cast<uint64_t>(data[i] - '0');
    }
    if (len <= sp - pos || pos + len > data.size()) return;
    std::string rec = data.substr(sp + 1, pos + len - sp - 1);
    if (!rec.empty() && rec.back() == '\n') rec.pop_back();
    size_t eq = rec.find('=');
    if (eq != std::string::npos) {
      std::string key = rec.substr(0, eq), value = rec.substr(eq + 1);
      if (key == "path") m->name = value;
      if (key == "size") {
        uint64_t s = 0;
        bool ok = !value.empty();
        for (char c : value) {
          if (c < '0' || c > '9' || s > (UINT64_MAX / 10 - 10)) ok = false;
          if (ok) s = s * 10 + static_cast<uint64_t>(c - '0');
        }
        if (ok) m->size = s;
      }
    }
    pos += len;
  }
}

}  // namespace

bool SplitKey(std::string_view name, std::string_view* key, std::string_view* extension) {
  size_t slash = name.rfind('/');
  size_t base = slash == std::string_view::npos ? 0 : slash + 1;
  size_t dot = name.find('.', base);
  if (dot == std::string_view::npos || dot == base || dot + 1 >= name.size()) return false;
  *key = name.substr(0, dot);
  *extension = name.substr(dot + 1);
  return true;
}

bool TarReader::Ensure(size_t n) {
  while (src_->size() < n) {
    if (!src_->Fill(std::max(n - src_->size(), io::SourceBuffer::kChunk))) return src_->size() >= n;
  }
  return true;
}

bool TarReader::SkipBytes(uint64_t n) {
  while (n > 0) {
    if (src_->size() == 0 && !src_->Fill()) return false;
    size_t take = static_cast<size_t>(std::min<uint64_t>(n, src_->size()));
    src_->Consume(take);
    n -= take;
  }
  return true;
}

TarReader::Result TarReader::Fail(std::string what, bool resync) {
  error_ = name_ + ": " + what;
  if (!resync) {
    done_ = true;
    truncated_ = true;
    return Result::kEnd;
  }
  return Result::kError;
}

bool TarReader::FinishData() {
  if (!SkipBytes(data_left_ + padding_)) {
    data_left_ = padding_ = 0;
    return false;
  }
  data_left_ = padding_ = 0;
  return true;
}

bool TarReader::ParseHeader(const unsigned char* h, TarMember* m) {
  uint64_t stored;
  if (!ParseNumber(h + 148, 8, &stored)) return false;
  uint64_t unsigned_sum = 0;
  int64_t signed_sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];
    unsigned_sum += c;
    signed_sum += static_cast<signed char>(c);
  }
  if (stored != unsigned_sum && static_cast<int64_t>(stored) != signed_sum) return false;
  m->name = Field(h, 100);
  m->type = static_cast<char>(h[156]);
  if (!ParseNumber(h + 124, 12, &m->size)) return false;
  ParseNumber(h + 100, 8, &m->mode);
  ParseNumber(h + 136, 12, &m->mtime);
  if (std::memcmp(h + 257, "ustar", 5) == 0) {
    std::string prefix = Field(h + 345, 155);
    if (!prefix.empty()) m->name = prefix + "/" + m->name;
  }
  return true;
}

bool TarReader::ReadExtension(uint64_t size, std::string* out) {
  out->clear();
  if (size > kMaxExtension) return false;
  if (!Ensure(static_cast<size_t>(size))) return false;
  out->assign(src_->data(), static_cast<size_t>(size));
  src_->Consume(static_cast<size_t>(size));
  return SkipBytes((kBlock - size % kBlock) % kBlock);
}

TarReader::Result TarReader::Next(TarMember* m) {
  if (done_) return Result::kEnd;
  if (!FinishData()) return Fail("archive truncated inside a member's data", false);
  std::string long_name;
  bool have_long_name = false;
  std::string pax;
  bool have_pax = false;
  for (;;) {
    const uint64_t at = src_->offset();
    if (!Ensure(kBlock)) {
      if (src_->size() == 0 && src_->status().ok() && !have_pax && !have_long_name) {
        done_ = true;  // no end-of-archive blocks: lenient
        return Result::kEnd;
      }
      if (!src_->status().ok()) return Fail(src_->status().message(), false);
      return Fail("archive truncated inside a header at byte " + std::to_string(at), false);
    }
    const auto* h = reinterpret_cast<const unsigned char*>(src_->data());
    if (AllZero(h)) {
      done_ = true;
      return Result::kEnd;
    }
    TarMember cur;
    if (!ParseHeader(h, &cur)) {
      // Skip to the next block that is a valid header.
      src_->Consume(kBlock);
      for (;;) {
        if (!Ensure(kBlock)) break;
        const auto* b = reinterpret_cast<const unsigned char*>(src_->data());
        TarMember probe;
        if (!AllZero(b) && ParseHeader(b, &probe)) break;
        if (AllZero(b)) break;
        src_->Consume(kBlock);
      }
      return Fail("damaged tar header at byte " + std::to_string(at) + " (bad checksum); skipped to byte " +
                      std::to_string(src_->offset()),
                  true);
    }
    cur.offset = at;
    src_->Consume(kBlock);
    if (cur.type == 'x' || cur.type == 'L' || cur.type == 'g' || cur.type == 'K') {
      std::string data;
      if (!ReadExtension(cur.size, &data)) {
        if (cur.size > kMaxExtension) return Fail("extended header of " + std::to_string(cur.size) + " bytes", false);
        return Fail("archive truncated inside an extended header", false);
      }
      if (cur.type == 'x') {
        pax = std::move(data);
        have_pax = true;
      } else if (cur.type == 'L') {
        long_name = Field(reinterpret_cast<const unsigned char*>(data.data()), data.size());
        have_long_name = true;
      }
      continue;
    }
    if (have_long_name) cur.name = long_name;
    if (have_pax) ApplyPax(pax, &cur);
    data_left_ = cur.is_file() || cur.type == 'V' ? cur.size : (cur.type == '5' ? 0 : cur.size);
    padding_ = (kBlock - data_left_ % kBlock) % kBlock;
    *m = std::move(cur);
    return Result::kMember;
  }
}

bool TarReader::ReadData(size_t max_bytes, std::string* out) {
  out->clear();
  if (data_left_ > max_bytes) {
    error_ = name_ + ": member of " + std::to_string(data_left_) + " bytes, over the limit of " + std::to_string(max_bytes);
    if (!FinishData()) truncated_ = done_ = true;
    return false;
  }
  return CopyData([&](std::string_view piece) {
    out->append(piece.data(), piece.size());
    return true;
  });
}

bool TarReader::CopyData(const std::function<bool(std::string_view)>& sink) {
  while (data_left_ > 0) {
    if (src_->size() == 0 && !src_->Fill()) {
      error_ = name_ + ": archive truncated inside a member's data";
      if (!src_->status().ok()) error_ = name_ + ": " + src_->status().message();
      truncated_ = done_ = true;
      data_left_ = padding_ = 0;
      return false;
    }
    size_t take = static_cast<size_t>(std::min<uint64_t>(data_left_, src_->size()));
    if (!sink(std::string_view(src_->data(), take))) return false;
    src_->Consume(take);
    data_left_ -= take;
  }
  if (!SkipBytes(padding_)) {
    // The data is whole, but a complete archive never ends inside padding.
    error_ = name_ + ": archive truncated after a member's data";
    truncated_ = done_ = true;
    padding_ = 0;
    return true;
  }
  padding_ = 0;
  return true;
}

}  // namespace capsfusion::webdataset

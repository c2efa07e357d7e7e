#include "webdataset/tar_writer.h"

#include <cstdio>
#include <cstring>

namespace capsfusion::webdataset {

namespace {

constexpr size_t kBlock = 512;

void Octal(uint64_t v, char* field, size_t n) {
  // n-1 digits and a NUL.
  std::memset(field, '0', n - 1);
  field[n - 1] = '\0';
  for (size_t i = n - 1; i > 0 && v > 0; --i) {
    field[i - 1] = static_cast<char>('0' + (v & 7));
    v >>= 3;
  }
}

// "LEN key=value\n" where LEN counts the whole record, itself included.
std::string PaxRecord(const std::string& key, const std::string& value) {
  size_t body = key.size() + value.size() + 3;  // ' ', '=', '\n'
  size_t len = body + 1;
  while (std::to_string(len).size() + body != len) len = std::to_string(len).size() + body;
  return std::to_string(len) + " " + key + "=" + value + "\n";
}

}  // namespace

Status TarWriter::Header(const std::string& name, uint64_t size, char type, uint64_t mtime, uint64_t mode) {
  char h[kBlock];
  std::memset(h, 0, sizeof(h));
  std::memcpy(h, name.data(), std::min<size_t>(name.size(), 100));
  Octal(mode & 07777, h + 100, 8);
  Octal(0, h + 108, 8);
  Octal(0, h + 116, 8);
  Octal(size, h + 124, 12);
  Octal(mtime, h + 136, 12);
  h[156] = type;
  std::memcpy(h + 257, "ustar", 6);
  std::memcpy(h + 263, "00", 2);
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(h + 148, 8, "%06o", sum);
  h[155] = ' ';
  return out_->Append(std::string_view(h, sizeof(h)));
}

Status TarWriter::Begin(const std::string& name, uint64_t size, uint64_t mtime, uint64_t mode) {
  if (open_) return Status::Internal("tar member started before the last one ended");
  if (mtime >= (uint64_t{1} << 33)) mtime = 0;
  const bool long_name = name.size() > 100;
  const bool big = size >= (uint64_t{1} << 33);
  if (long_name || big) {
    std::string pax;
    if (long_name) pax += PaxRecord("path", name);
    if (big) pax += PaxRecord("size", std::to_string(size));
    CF_RETURN_IF_ERROR(Header("././@PaxHeader", pax.size(), 'x', mtime, 0644));
    pax.append((kBlock - pax.size() % kBlock) % kBlock, '\0');
    CF_RETURN_IF_ERROR(out_->Append(pax));
  }
  CF_RETURN_IF_ERROR(Header(name, big ? 0 : size, '0', mtime, mode));
  open_ = true;
  left_ = size_ = size;
  return Status::OK();
}

Status TarWriter::Append(std::string_view data) {
  if (data.size() > left_) return Status::Internal("more tar member data than announced");
  left_ -= data.size();
  return out_->Append(data);
}

Status TarWriter::End() {
  if (!open_) return Status::OK();
  open_ = false;
  if (left_ != 0) return Status::Internal("tar member ended " + std::to_string(left_) + " bytes short");
  size_t pad = (kBlock - size_ % kBlock) % kBlock;
  return out_->Append(std::string(pad, '\0'));
}

Status TarWriter::Add(const std::string& name, std::string_view data, uint64_t mtime, uint64_t mode) {
  CF_RETURN_IF_ERROR(Begin(name, data.size(), mtime, mode));
  CF_RETURN_IF_ERROR(Append(data));
  return End();
}

Status TarWriter::Finish() { return out_->Append(std::string(2 * kBlock, '\0')); }

}  // namespace capsfusion::webdataset

// MappedFile: a read-only memory map of a whole file, released when the object dies.
//
// Model weights are read in place through the map rather than copied; the kernel
// pages them in on demand and shares them between processes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "capsfusion/status.h"

namespace capsfusion {

//! A read-only mmap of one file (RAII). An empty file maps to data() == nullptr, size() == 0.
class MappedFile {
 public:
  //! Maps `path` read-only. IOError names the path and the system's reason.
  static StatusOr<std::unique_ptr<MappedFile>> Open(const std::string& path);

  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  //! First byte of the file (page aligned), or nullptr for an empty file.
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }
  const std::string& path() const { return path_; }

  //! Tells the kernel the whole map will be needed soon (best effort, never fails).
  void WillNeed() const;

 private:
  MappedFile(std::string path, const uint8_t* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}

  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace capsfusion

// Crash-safe file operations for resumable runs: a file is either absent or
// complete, never half written (write a temporary, fsync, rename, fsync the
// directory).
#pragma once

#include <string>

#include "capsfusion/status.h"

namespace capsfusion {

//! fsync()s a file or directory.
Status SyncPath(const std::string& path);
//! The directory part of `path` ("." when none).
std::string DirectoryOf(const std::string& path);
//! Renames `from` to `to` (same file system) and fsyncs the directory of `to`.
Status DurableRename(const std::string& from, const std::string& to);
//! Writes `contents` to `path` atomically: path.tmp, fsync, rename, fsync dir.
Status WriteFileAtomic(const std::string& path, const std::string& contents);
//! Reads a whole file.
StatusOr<std::string> ReadWholeFile(const std::string& path);
//! True when `path` exists (any kind of file).
bool PathExists(const std::string& path);
//! Size of a regular file, or -1.
long long FileSize(const std::string& path);
//! Creates a directory (and its parents); OK when it exists.
Status MakeDirs(const std::string& path);
//! Removes a file; OK when absent.
Status RemoveFile(const std::string& path);
//! Removes a directory and everything in it; OK when absent.
Status RemoveTree(const std::string& path);
//! Appends the bytes of `from` to the open file descriptor `fd`.
Status AppendFileTo(const std::string& from, int fd);

}  // namespace capsfusion

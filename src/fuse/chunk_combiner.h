// The last step of a resumable fuse run: the committed chunks become the
// output file in its format (written to a temporary, then renamed), and their
// rejects the rejects file.
#pragma once

#include <string>

#include "capsfusion/writer.h"
#include "fuse/work_manifest.h"

namespace capsfusion {

//! Writes `output` (format from `options`/its name) and `rejects_path` (JSONL;
//! removed when there are no rejects) from the chunks `manifest` lists.
Status CombineChunks(const std::string& work_dir, const WorkManifest& manifest, const std::string& output,
                     const WriterOptions& options, const std::string& rejects_path);

//! Copies every row of JSONL files `parts` to `writer` (fields verbatim).
Status CopyJsonlRows(const std::vector<std::string>& parts, RecordWriter* writer);

//! Reader options that read any output of capsfusion back as it was written
//! (no required fields, no entity decoding, no size limits).
ReaderOptions PassThroughReaderOptions(Format format);

//! True when `path` with `options` is written as plain (uncompressed) JSONL.
bool IsPlainJsonl(const std::string& path, const WriterOptions& options);

}  // namespace capsfusion

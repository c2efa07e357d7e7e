// RowStore: random access to the rows of datasets too large to hold in
// memory. One streaming pass records where each row's bytes are (16 bytes
// per row); a row is re-read and parsed on demand. Uncompressed JSON arrays
// and JSONL files are read in place; compressed, CSV/TSV and standard input
// are first copied, one JSON object per line, into an unlinked temporary
// spool file. Internal to src/view.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "capsfusion/reader.h"
#include "capsfusion/record.h"
#include "capsfusion/status.h"

namespace capsfusion::view {

struct RowStoreOptions {
  ReaderOptions reader;          //!< field map and limits; every caption is optional
  std::string qc_field = "qc_reasons";  //!< counted during the pass (facets)
  std::string spool_dir;         //!< empty: the system temp directory
  //! Called every 64k rows with the rows indexed so far.
  std::function<void(uint64_t)> progress;
};

//! What the indexing pass learned, for the viewer's filters.
struct RowFacets {
  std::map<std::string, uint64_t> qc_reasons;  //!< reason -> rows
  uint64_t qc_rows = 0, qc_flagged = 0;        //!< rows with the QC field; with a reason
  std::vector<std::string> numeric_fields;     //!< top-level numbers and "object.member" numbers
  uint64_t rejected = 0;                       //!< rows the reader rejected (not indexed)
};

class RowStore {
 public:
  ~RowStore();

  //! Indexes `paths` in order (one streaming pass each).
  static StatusOr<std::unique_ptr<RowStore>> Build(const std::vector<std::string>& paths,
                                                   const RowStoreOptions& options);

  //! Rows indexed (rejected rows are not counted).
  uint64_t size() const { return rows_.size(); }
  const RowFacets& facets() const { return facets_; }
  const std::vector<std::string>& inputs() const { return inputs_; }
  const ReaderOptions& reader_options() const { return options_.reader; }
  //! Whether input `i` is read through the spool file.
  bool spooled(size_t i) const { return files_[i].spooled; }

  //! Reads row `index` (0-based) into `*record` (index and origin set). Safe
  //! to call from several threads.
  Status Read(uint64_t index, Record* record) const;

  //! Reads rows first, first+1, ... in order, calling `fn(index, record)`
  //! until it returns false or the rows end; reads in large blocks.
  Status Scan(uint64_t first, const std::function<bool(uint64_t, const Record&)>& fn) const;

 private:
  struct Row {
    uint64_t offset;  // in the input file, or in the spool
    uint32_t length;
    uint32_t line;    // line in the input where the row starts (saturating)
  };
  struct File {
    std::string path;
    int fd = -1;           // the file read in place, or the spool
    bool spooled = false;
    uint64_t first_row = 0;
  };
  class Parser;
  RowStore() = default;
  Status Index(size_t file, const std::string& path);
  size_t FileOf(uint64_t index) const;

  RowStoreOptions options_;
  std::vector<std::string> inputs_;
  std::vector<File> files_;
  std::vector<Row> rows_;
  RowFacets facets_;
  int spool_fd_ = -1;
  uint64_t spool_size_ = 0;
};

}  // namespace capsfusion::view

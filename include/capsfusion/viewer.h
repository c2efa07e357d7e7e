// Viewer: the local web page of `capsfusion view`. It indexes the inputs in
// one streaming pass (row byte offsets, not rows), then serves on 127.0.0.1
// a page to browse, search and filter rows, with the raw, synthetic and fused
// captions side by side and the fused caption's words coloured by origin.
// Rows are re-read from disk on demand, so millions of rows need little
// memory. HTTP API and page: docs/stats-and-view.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "capsfusion/reader.h"
#include "capsfusion/status.h"

namespace capsfusion {

struct ViewerOptions {
  std::vector<std::string> inputs;
  ReaderOptions reader;                     //!< format, raw/synthetic/id fields, limits
  std::string fused_field = "capsfusion";
  std::vector<std::string> reference_fields;
  std::string qc_field = "qc_reasons";
  int port = 8765;                          //!< 0: any free port
  size_t max_page_rows = 200;               //!< larger `limit` values are refused (400)
  double search_seconds = 0.5;              //!< a search request scans at most this long, then returns a cursor
  std::string spool_dir;                    //!< for compressed and CSV inputs; empty: the temp directory
  std::function<void(uint64_t)> progress;   //!< rows indexed so far, every 64k rows
  bool log_requests = false;                //!< one line per request on stderr
};

class Viewer {
 public:
  ~Viewer();
  //! Indexes the inputs (one pass over each).
  static StatusOr<std::unique_ptr<Viewer>> Open(const ViewerOptions& options);

  //! Binds 127.0.0.1 on the configured port (0: a free one).
  Status Bind();
  //! The bound port (after Bind()).
  int port() const;
  //! "http://127.0.0.1:PORT/"
  std::string url() const;
  //! Rows indexed.
  uint64_t rows() const;
  //! Serves until Stop(); returns OK after a stop.
  Status Serve();
  //! Makes Serve() return (from any thread; not from a signal handler).
  void Stop();

 private:
  struct Impl;
  explicit Viewer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace capsfusion

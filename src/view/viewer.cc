// Viewer: the HTTP server of `capsfusion view` (cpp-httplib on 127.0.0.1).
//
// Routes: GET / and /row/N (the page), /app.js, /app.css, and the JSON API
// /api/info, /api/rows, /api/search, /api/row/N. Every response carries a
// strict Content-Security-Policy; requests with a foreign Host header are
// refused (DNS rebinding); bad paths and parameters get a 4xx JSON error.
#include "capsfusion/viewer.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>

#include "util/exception_text.h"
#include "view/row_json.h"
#include "view/row_query.h"
#include "view/row_store.h"
#include "view/view_assets.h"

namespace capsfusion {

namespace {

using nlohmann::ordered_json;

constexpr const char* kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// A decimal row number: digits only, at most 19 of them.
bool ParseIndex(const std::string& s, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

void SendJson(httplib::Response& res, int status, const ordered_json& body) {
  res.status = status;
  res.set_content(view::SafeJsonText(body), "application/json; charset=utf-8");
}

void SendError(httplib::Response& res, int status, const std::string& message) {
  SendJson(res, status, ordered_json{{"error", message}});
}

}  // namespace

struct Viewer::Impl {
  ViewerOptions options;
  view::ViewFields fields;
  std::unique_ptr<view::RowStore> store;
  std::vector<std::string> metric_names;  // numeric fields, then computed metrics
  httplib::Server server;
  int port = -1;

  // A number parameter in [lo, hi]; `fallback` when absent. False (and a 400) otherwise.
  bool NumberParam(const httplib::Request& req, httplib::Response& res, const char* name, uint64_t fallback,
                   uint64_t lo, uint64_t hi, uint64_t* out) {
    if (!req.has_param(name)) {
      *out = fallback;
      return true;
    }
    uint64_t v;
    if (!ParseIndex(req.get_param_value(name), &v) || v < lo || v > hi) {
      SendError(res, 400,
                std::string(name) + " must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
      return false;
    }
    *out = v;
    return true;
  }

  ordered_json Info() const {
    ordered_json j;
    ordered_json inputs = ordered_json::array();
    for (size_t i = 0; i < store->inputs().size(); ++i) {
      inputs.push_back({{"path", store->inputs()[i]}, {"spooled", store->spooled(i)}});
    }
    j["inputs"] = std::move(inputs);
    j["rows"] = store->size();
    j["rejected"] = store->facets().rejected;
    j["fields"] = {{"raw", fields.raw},
                   {"synthetic", fields.synthetic},
                   {"fused", fields.fused},
                   {"references", fields.references},
                   {"qc", fields.qc}};
    ordered_json reasons = ordered_json::array();
    for (const auto& [text, count] : store->facets().qc_reasons) reasons.push_back({{"text", text}, {"count", count}});
    j["qc"] = {{"rows", store->facets().qc_rows}, {"flagged", store->facets().qc_flagged}, {"reasons", reasons}};
    j["metrics"] = metric_names;
    j["max_page_rows"] = options.max_page_rows;
    return j;
  }

  void Rows(const httplib::Request& req, httplib::Response& res) {
    uint64_t offset, limit;
    if (!NumberParam(req, res, "offset", 0, 0, store->size(), &offset)) return;
    if (!NumberParam(req, res, "limit", 20, 1, options.max_page_rows, &limit)) return;
    ordered_json rows = ordered_json::array();
    Status s = store->Scan(offset, [&](uint64_t, const Record& rec) {
      rows.push_back(view::RowJson(rec, fields, metric_names, false));
      return rows.size() < limit;
    });
    if (!s.ok()) return SendError(res, 500, s.ToString());
    SendJson(res, 200, {{"total", store->size()}, {"offset", offset}, {"rows", std::move(rows)}});
  }

  void Search(const httplib::Request& req, httplib::Response& res) {
    auto query = view::ParseRowQuery(req.params);
    if (!query.ok()) return SendError(res, 400, query.status().message());
    if (!query->metric.empty() && std::find(metric_names.begin(), metric_names.end(), query->metric) == metric_names.end()) {
      return SendError(res, 400, "unknown metric " + query->metric);
    }
    uint64_t cursor, limit;
    if (!NumberParam(req, res, "cursor", 0, 0, store->size(), &cursor)) return;
    if (!NumberParam(req, res, "limit", 20, 1, options.max_page_rows, &limit)) return;
    view::RowMatcher matcher(*query, fields);
    ordered_json rows = ordered_json::array();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(options.search_seconds);
    uint64_t next = cursor, scanned = 0;
    Status s = store->Scan(cursor, [&](uint64_t index, const Record& rec) {
      ++scanned;
      next = index + 1;
      if (matcher.Matches(rec)) rows.push_back(view::RowJson(rec, fields, metric_names, false));
      if (rows.size() >= limit) return false;
      return (scanned & 255) != 0 || std::chrono::steady_clock::now() < deadline;
    });
    if (!s.ok()) return SendError(res, 500, s.ToString());
    const bool done = next >= store->size();
    SendJson(res, 200,
             {{"total", store->size()},
              {"from", cursor},
              {"scanned", scanned},
              {"cursor", done ? ordered_json() : ordered_json(next)},
              {"done", done},
              {"rows", std::move(rows)}});
  }

  void Row(const httplib::Request& req, httplib::Response& res) {
    uint64_t index;
    if (!ParseIndex(req.matches[1].str(), &index)) return SendError(res, 400, "bad row number");
    if (index >= store->size()) return SendError(res, 404, "no row " + req.matches[1].str());
    Record rec;
    Status s = store->Read(index, &rec);
    if (!s.ok()) return SendError(res, 500, s.ToString());
    SendJson(res, 200, view::RowJson(rec, fields, metric_names, true));
  }

  bool HostAllowed(const httplib::Request& req) const {
    const std::string host = req.get_header_value("Host");
    const std::string p = ":" + std::to_string(port);
    return host == "127.0.0.1" + p || host == "localhost" + p || host == "[::1]" + p;
  }

  void Routes() {
    server.set_default_headers({{"Content-Security-Policy", kCsp},
                                {"X-Content-Type-Options", "nosniff"},
                                {"Referrer-Policy", "no-referrer"},
                                {"X-Frame-Options", "DENY"},
                                {"Cross-Origin-Resource-Policy", "same-origin"},
                                {"Cache-Control", "no-store"}});
    // SO_REUSEADDR only: the library's default also sets SO_REUSEPORT, which
    // would let a second viewer share the port silently.
    server.set_socket_options([](socket_t sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const void*>(&yes), sizeof yes);
    });
    server.set_payload_max_length(1 << 16);
    server.set_keep_alive_timeout(5);
    server.set_read_timeout(10);
    server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!HostAllowed(req)) {
        SendError(res, 403, "unexpected Host header");
        return httplib::Server::HandlerResponse::Handled;
      }
      if (req.method != "GET" && req.method != "HEAD") {
        SendError(res, 405, "only GET is supported");
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    auto page = [](const httplib::Request&, httplib::Response& res) {
      res.set_content(view::ViewerPageHtml(), "text/html; charset=utf-8");
    };
    server.Get("/", page);
    server.Get(R"(/row/(\d{1,19}))", page);
    server.Get("/app.js", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(view::ViewerScript(), "text/javascript; charset=utf-8");
    });
    server.Get("/app.css", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(view::ViewerStyle(), "text/css; charset=utf-8");
    });
    server.Get("/favicon.ico", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
    server.Get("/api/info", [this](const httplib::Request&, httplib::Response& res) { SendJson(res, 200, Info()); });
    server.Get("/api/rows", [this](const httplib::Request& req, httplib::Response& res) { Rows(req, res); });
    server.Get("/api/search", [this](const httplib::Request& req, httplib::Response& res) { Search(req, res); });
    server.Get(R"(/api/row/([^/]*))", [this](const httplib::Request& req, httplib::Response& res) { Row(req, res); });
    server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (res.body.empty()) {
        SendError(res, res.status, res.status == 404 ? "not found" : "bad request");
      }
    });
    server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      SendError(res, 500, ExceptionText(ep));
    });
    if (options.log_requests) {
      server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
        std::fprintf(stderr, "capsfusion view: %d %s %s\n", res.status, req.method.c_str(), req.path.c_str());
      });
    }
  }
};

Viewer::Viewer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Viewer::~Viewer() = default;

StatusOr<std::unique_ptr<Viewer>> Viewer::Open(const ViewerOptions& options) {
  if (options.inputs.empty()) return Status::InvalidArgument("no input files");
  if (options.port < 0 || options.port > 65535) return Status::InvalidArgument("port must be 0..65535");
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->fields.raw = options.reader.fields.raw;
  impl->fields.synthetic = options.reader.fields.synthetic;
  impl->fields.fused = options.fused_field;
  impl->fields.references = options.reference_fields;
  impl->fields.qc = options.qc_field;
  view::RowStoreOptions so;
  so.reader = options.reader;
  so.reader.require_raw = false;
  so.reader.require_synthetic = false;
  so.reader.require_references = false;
  so.reader.fields.references.clear();
  so.reader.fields.references.push_back(options.fused_field);
  for (const auto& r : options.reference_fields) so.reader.fields.references.push_back(r);
  so.qc_field = options.qc_field;
  so.spool_dir = options.spool_dir;
  so.progress = options.progress;
  auto store = view::RowStore::Build(options.inputs, so);
  if (!store.ok()) return store.status();
  impl->store = std::move(*store);
  for (const auto& name : impl->store->facets().numeric_fields) impl->metric_names.push_back(name);
  for (const auto& name : view::ComputedMetricNames()) impl->metric_names.push_back(name);
  impl->Routes();
  return std::unique_ptr<Viewer>(new Viewer(std::move(impl)));
}

Status Viewer::Bind() {
  Impl& m = *impl_;
  if (m.options.port == 0) {
    m.port = m.server.bind_to_any_port("127.0.0.1");
  } else {
    m.port = m.server.bind_to_port("127.0.0.1", m.options.port) ? m.options.port : -1;
  }
  if (m.port < 0) {
    return Status::Unavailable("cannot listen on 127.0.0.1:" + std::to_string(m.options.port) +
                               " (in use? try --port 0 for a free port)");
  }
  return Status::OK();
}

int Viewer::port() const { return impl_->port; }
std::string Viewer::url() const { return "http://127.0.0.1:" + std::to_string(impl_->port) + "/"; }
uint64_t Viewer::rows() const { return impl_->store->size(); }

Status Viewer::Serve() {
  if (impl_->port < 0) CF_RETURN_IF_ERROR(Bind());
  if (!impl_->server.listen_after_bind() && impl_->server.is_running()) {
    return Status::IOError("the server stopped unexpectedly");
  }
  return Status::OK();
}

void Viewer::Stop() { impl_->server.stop(); }

}  // namespace capsfusion

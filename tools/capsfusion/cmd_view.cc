// capsfusion view: a local web page to browse, search and filter rows.
#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <unistd.h>
#include <memory>
#include <thread>

#include "capsfusion/viewer.h"
#include "command.h"
#include "input_options.h"

namespace capsfusion::cli {

namespace {

int g_stop_pipe[2] = {-1, -1};

void OnStopSignal(int sig) {
  unsigned char b = static_cast<unsigned char>(sig);
  (void)!write(g_stop_pipe[1], &b, 1);
}

struct ViewArgs {
  std::vector<std::string> inputs;
  InputOptions in;
  ViewerOptions view;
};

int RunView(ViewArgs& a) {
  const std::string cmd = "view";
  auto ropt = MakeReaderOptions(a.in);
  if (!ropt.ok()) return Fail(cmd, ropt.status());
  a.view.inputs = a.inputs;
  a.view.reader = *ropt;
  const bool progress = StderrIsTerminal();
  if (progress) {
    a.view.progress = [](uint64_t rows) {
      std::fprintf(stderr, "\rcapsfusion view: indexed %llu rows", static_cast<unsigned long long>(rows));
    };
  }

  // SIGINT and SIGTERM stop the server. A handler (process-wide, whichever
  // thread takes the signal: libraries may have started threads of their own
  // before this point) writes the signal into a pipe that a waiting thread reads.
  if (pipe(g_stop_pipe) != 0) return Fail(cmd, "cannot create a pipe for signal handling");
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {}, old_term {};
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);

  auto viewer = Viewer::Open(a.view);
  if (progress) std::fprintf(stderr, "\r\033[K");
  if (!viewer.ok()) return Fail(cmd, viewer.status());
  Status s = (*viewer)->Bind();
  if (!s.ok()) return Fail(cmd, s);
  std::printf("capsfusion view: %llu rows at %s (Ctrl-C stops)\n", static_cast<unsigned long long>((*viewer)->rows()),
              (*viewer)->url().c_str());
  std::fflush(stdout);

  Viewer* v = viewer->get();
  int received = 0;
  std::thread waiter([&] {
    unsigned char sig = 0;
    while (read(g_stop_pipe[0], &sig, 1) < 0 && errno == EINTR) {
    }
    if (sig != 0) {
      received = sig;
      v->Stop();
    }
  });
  s = v->Serve();
  if (received == 0) {
    unsigned char zero = 0;
    (void)!write(g_stop_pipe[1], &zero, 1);  // the server ended on its own: wake the waiter
  }
  waiter.join();
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  close(g_stop_pipe[0]);
  close(g_stop_pipe[1]);
  if (!s.ok()) return Fail(cmd, s);
  if (received != 0) std::fprintf(stderr, "capsfusion view: stopped\n");
  return kExitOk;
}

}  // namespace

void AddViewCommand(CLI::App& app, Runner* run) {
  auto args = std::make_shared<ViewArgs>();
  CLI::App* sub = app.add_subcommand("view", "Browse, search and filter rows in a local web page (127.0.0.1)");
  sub->footer(
      "Indexes the inputs in one pass (row offsets only), then serves a page with the raw, synthetic\n"
      "and fused captions side by side, the fused words coloured by origin. Rows link as /row/N or #row=N.\n"
      "API and details: docs/stats-and-view.md.\n\n"
      "Examples:\n"
      "  capsfusion view fused.jsonl\n"
      "  capsfusion view train.json --fused-field capsfuion_official --port 0");
  sub->add_option("inputs", args->inputs, "Dataset files (JSON, JSONL, CSV, TSV; gzip or zstd)")->required();
  sub->add_option("--port", args->view.port, "Port on 127.0.0.1 (0: any free port; the URL is printed)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  sub->add_option("--fused-field", args->view.fused_field, "Field with the fused caption")->capture_default_str();
  sub->add_option("-r,--reference-field", args->view.reference_fields, "Field with a reference caption (repeatable)");
  sub->add_option("--qc-field", args->view.qc_field, "Field with QC reasons")->capture_default_str();
  sub->add_option("--max-page-rows", args->view.max_page_rows, "Largest page a request may ask for")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  sub->add_option("--spool-dir", args->view.spool_dir,
                  "Where compressed and CSV inputs are unpacked for random access (default: temp dir)");
  sub->add_flag("--log-requests", args->view.log_requests, "Log each request on stderr");
  AddInputOptions(sub, &args->in);
  sub->callback([args, run] { *run = [args] { return RunView(*args); }; });
}

}  // namespace capsfusion::cli

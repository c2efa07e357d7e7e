// capsfusion view: a local web page to browse, search and filter rows.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <thread>

#include "capsfusion/viewer.h"
#include "command.h"
#include "input_options.h"

namespace capsfusion::cli {

namespace {

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

  // SIGINT and SIGTERM are taken by a waiting thread that stops the server;
  // block them before any thread starts so that every thread inherits that.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);  // wakes the waiting thread when the server ends on its own
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

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
    int sig = 0;
    if (sigwait(&signals, &sig) == 0 && sig != SIGUSR1) {
      received = sig;
      v->Stop();
    }
  });
  s = v->Serve();
  if (received == 0) pthread_kill(waiter.native_handle(), SIGUSR1);
  waiter.join();
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

// fake_openai_server: FakeOpenAI as its own process, for the CLI tests that
// kill and restart a server during a run.
//
//   fake_openai_server --port-file P [--port N] [--delay S] [--key K] [--log F]
//
// Writes the port it listens on to the port file, then serves until killed.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include "fake_openai.h"

int main(int argc, char** argv) {
  capsfusion::testing::FakeOpenAI::Options opt;
  std::string port_file;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--port") opt.port = std::atoi(v.c_str());
    else if (k == "--port-file") port_file = v;
    else if (k == "--delay") opt.delay_s = std::atof(v.c_str());
    else if (k == "--key") opt.api_key = v;
    else if (k == "--log") opt.log_path = v;
    else if (k == "--model") opt.model = v;
    else {
      std::fprintf(stderr, "fake_openai_server: unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  // Blocked before any thread starts, so that only sigwait takes them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  capsfusion::testing::FakeOpenAI server(opt);
  if (server.port() <= 0) {
    std::fprintf(stderr, "fake_openai_server: cannot listen\n");
    return 1;
  }
  if (!port_file.empty()) {
    std::string tmp = port_file + ".tmp";
    { std::ofstream(tmp) << server.port() << "\n"; }
    std::rename(tmp.c_str(), port_file.c_str());
  }
  int sig = 0;
  sigwait(&set, &sig);
  server.Stop();
  return 0;
}

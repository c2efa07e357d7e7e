// Helpers of the fuse pipeline tests: generated input with malformed rows,
// running the CLI as a child process that can be killed, reading files.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace capsfusion::testing {

inline std::string Cli() { return BinaryDir() + "/capsfusion"; }

//! `rows` JSONL rows; every 37th is malformed JSON, every 53rd lacks laion_coco.
//! Returns the number of valid rows.
inline size_t WriteFuseInput(const std::string& path, size_t rows, uint32_t seed, size_t first_id = 0) {
  std::mt19937 rng(seed);
  const char* words[] = {"Nike", "Air", "Max", "Paris", "red", "barn", "cat", "sunset", "2019", "poster", "vintage", "dog"};
  std::string out;
  size_t valid = 0;
  for (size_t i = 0; i < rows; ++i) {
    const size_t id = first_id + i;
    if (i % 37 == 11) {
      out += "{\"laion_2b\": \"broken row " + std::to_string(id) + "\n";
      continue;
    }
    std::string raw, syn;
    size_t n = 2 + rng() % 12;  // varied lengths, so length batching reorders
    for (size_t k = 0; k < n; ++k) raw += std::string(k ? " " : "") + words[rng() % 12];
    syn = "a photo of a " + std::string(words[rng() % 12]) + " " + std::to_string(id);
    if (i % 53 == 7) {
      out += "{\"id\": " + std::to_string(id) + ", \"laion_2b\": \"" + raw + "\"}\n";
      continue;
    }
    out += "{\"id\": " + std::to_string(id) + ", \"laion_2b\": \"" + raw + "\", \"laion_coco\": \"" + syn + "\"}\n";
    ++valid;
  }
  WriteFile(path, out);
  return valid;
}

//! Splits a command line on spaces (no quoting; test paths have no spaces).
inline std::vector<std::string> SplitArgs(const std::string& cmd) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < cmd.size()) {
    size_t j = cmd.find(' ', i);
    if (j == std::string::npos) j = cmd.size();
    if (j > i) out.push_back(cmd.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

//! Starts `args` with stdout and stderr to `log`; returns the pid.
inline pid_t Spawn(const std::vector<std::string>& args, const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

//! Waits for `pid`; exit code, or 128 + signal.
inline int Wait(pid_t pid) {
  int st = 0;
  while (waitpid(pid, &st, 0) < 0) {
  }
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return -1;
}

//! Runs to the end; the exit code.
inline int RunToEnd(const std::vector<std::string>& args, const std::string& log) { return Wait(Spawn(args, log)); }

//! Runs and sends `sig` after `delay_ms` (unless it ended before); the exit code.
inline int RunAndSignal(const std::vector<std::string>& args, const std::string& log, int delay_ms, int sig) {
  pid_t pid = Spawn(args, log);
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
  int st = 0;
  while (std::chrono::steady_clock::now() < until) {
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill(pid, sig);
  return Wait(pid);
}

inline std::vector<nlohmann::json> ReadJsonlRows(const std::string& path) {
  std::vector<nlohmann::json> rows;
  std::string text = ReadFile(path);
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find('\n', i);
    if (j == std::string::npos) j = text.size();
    if (j > i) rows.push_back(nlohmann::json::parse(text.substr(i, j - i)));
    i = j + 1;
  }
  return rows;
}

}  // namespace capsfusion::testing

#include "train/sp_trainer.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

extern char** environ;

namespace capsfusion::train {

namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

//! Runs argv[0] (searched in PATH) with stdout and stderr sent to `log`;
//! returns the exit status, or -1 when it could not be started.
int Run(const std::vector<std::string>& args, const std::string& log) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace

std::vector<std::string> TemplateSpecialPieces(const std::string& tmpl) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '<') continue;
    size_t j = tmpl.find('>', i);
    if (j == std::string::npos) break;
    std::string piece = tmpl.substr(i, j - i + 1);
    if (piece.size() > 2 && piece.find_first_of(" {}<", 1) == std::string::npos && seen.insert(piece).second) {
      out.push_back(piece);
    }
    i = j;
  }
  return out;
}

Status TrainSentencePiece(const std::vector<std::string>& texts, const std::vector<std::string>& special,
                          const TokenizerOptions& options, int threads, const std::string& path) {
  if (texts.empty()) return Status::InvalidArgument("no text to train the tokenizer on");
  if (options.vocab_size < 300) {
    return Status::InvalidArgument("vocabulary size " + std::to_string(options.vocab_size) +
                                   " is too small (byte fallback alone takes 259 pieces)");
  }
  std::string symbols;
  for (const std::string& s : special) {
    if (s.find_first_of(", \t\n") != std::string::npos) return Status::InvalidArgument("bad special piece: " + s);
    symbols += (symbols.empty() ? "" : ",") + s;
  }
  // One caption per line: line breaks inside a caption become spaces.
  const std::string input = path + ".input.txt", log = path + ".log", prefix = path + ".spm";
  {
    std::ofstream out(input, std::ios::binary | std::ios::trunc);
    for (std::string t : texts) {
      for (char& c : t) {
        if (c == '\n' || c == '\r') c = ' ';
      }
      out << t << '\n';
    }
    if (!out) return Status::IOError("cannot write " + input);
  }
  const char* env = std::getenv("CAPSFUSION_SPM_TRAIN");
  std::string binary = env != nullptr && *env != '\0' ? env : "spm_train";
  // LLaMA's trainer flags (tokenizer/spm_model.h: kLlamaSpmTrainerFlags).
  std::vector<std::string> args = {
      binary,
      "--input=" + input,
      "--model_prefix=" + prefix,
      "--vocab_size=" + std::to_string(options.vocab_size),
      "--character_coverage=" + std::to_string(options.character_coverage),
      "--model_type=bpe",
      "--byte_fallback=true",
      "--split_digits=true",
      "--allow_whitespace_only_pieces=true",
      "--remove_extra_whitespaces=false",
      "--normalization_rule_name=identity",
      "--add_dummy_prefix=true",
      "--split_by_unicode_script=true",
      "--split_by_whitespace=true",
      "--max_sentencepiece_length=16",
      "--unk_id=0",
      "--bos_id=1",
      "--eos_id=2",
      "--pad_id=-1",
      "--max_sentence_length=16384",
      "--hard_vocab_limit=false",
      "--num_threads=" + std::to_string(threads > 0 ? threads : 1),
      "--minloglevel=2",
  };
  if (!symbols.empty()) args.push_back("--user_defined_symbols=" + symbols);
  int rc = Run(args, log);
  std::remove(input.c_str());
  std::remove((prefix + ".vocab").c_str());
  if (rc == -1) {
    return Status::NotFound("cannot run " + binary +
                            " (the SentencePiece trainer; install the sentencepiece package or set CAPSFUSION_SPM_TRAIN)");
  }
  if (rc != 0) {
    std::string msg = ReadAll(log);
    if (msg.size() > 400) msg = "..." + msg.substr(msg.size() - 400);
    return Status::InvalidArgument("tokenizer training failed (" + binary + " exit " + std::to_string(rc) + "): " + msg);
  }
  std::remove(log.c_str());
  if (std::rename((prefix + ".model").c_str(), path.c_str()) != 0) {
    return Status::IOError("cannot move " + prefix + ".model to " + path + ": " + std::strerror(errno));
  }
  return Status::OK();
}

}  // namespace capsfusion::train

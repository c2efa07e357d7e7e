// capsfusion_random_model OUT.gguf [--layers N --dim N --vocab N --ctx N --seed N]: writes a
// LLaMA model with random weights (the tests' and benchmarks' stand-in for a trained model).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "engine/random_llama.h"

int main(int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') {
    std::fprintf(stderr, "usage: %s OUT.gguf [--layers N] [--dim N] [--vocab N] [--ctx N] [--seed N]\n", argv[0]);
    return 2;
  }
  capsfusion::engine::RandomLlamaConfig c;
  for (int i = 2; i + 1 < argc; i += 2) {
    const unsigned long v = std::strtoul(argv[i + 1], nullptr, 10);
    if (!std::strcmp(argv[i], "--layers")) {
      c.n_layer = static_cast<uint32_t>(v);
    } else if (!std::strcmp(argv[i], "--dim")) {
      c.n_embd = static_cast<uint32_t>(v);
      c.n_ff = static_cast<uint32_t>(v * 8 / 3 / 32 * 32 + 32);
    } else if (!std::strcmp(argv[i], "--vocab")) {
      c.n_vocab = static_cast<uint32_t>(v);
    } else if (!std::strcmp(argv[i], "--ctx")) {
      c.n_ctx = static_cast<uint32_t>(v);
    } else if (!std::strcmp(argv[i], "--seed")) {
      c.seed = v;
    } else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  capsfusion::Status s = capsfusion::engine::MakeRandomLlama(c).Write(argv[1]);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}

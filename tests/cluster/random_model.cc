// Writes a small LLaMA GGUF with random weights (engine/random_llama.h) for the cluster tests:
//   capsfusion_random_model OUT.gguf [SEED]
#include <cstdio>
#include <cstdlib>

#include "engine/random_llama.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: capsfusion_random_model OUT.gguf [SEED]\n");
    return 2;
  }
  capsfusion::engine::RandomLlamaConfig cfg;
  cfg.n_ctx = 512;
  if (argc == 3) cfg.seed = std::strtoull(argv[2], nullptr, 10);
  capsfusion::Status s = capsfusion::engine::MakeRandomLlama(cfg).Write(argv[1]);
  if (!s.ok()) {
    std::fprintf(stderr, "capsfusion_random_model: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}

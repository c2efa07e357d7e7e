#include "toy_data.h"

#include <fstream>
#include <stdexcept>

#include "capsfusion/record.h"
#include "train/rng.h"

namespace capsfusion::train::testing {

namespace {

std::string Name(Rng* rng) {
  static const char* kStart[] = {"Zor", "Quil", "Mar", "Bel", "Tor", "Vex", "Lum", "Dra", "Kel", "Fen"};
  static const char* kEnd[] = {"vex", "lan", "beck", "ora", "wick", "ton", "ix", "aro", "dell", "mont"};
  return std::string(kStart[rng->Uniform(10)]) + kEnd[rng->Uniform(10)];
}

}  // namespace

void WriteToyData(const std::string& path, int rows, uint64_t seed, int leak_every) {
  static const char* kProducts[] = {"backpack", "lamp", "chair", "mug", "jacket", "bicycle"};
  static const char* kColors[] = {"red", "blue", "green", "black", "white", "yellow"};
  Rng rng(seed);
  std::ofstream out(path);
  for (int i = 0; i < rows; ++i) {
    std::string a = Name(&rng), b = Name(&rng);
    std::string product = kProducts[rng.Uniform(6)], color = kColors[rng.Uniform(6)];
    std::string num = std::to_string(10 + rng.Uniform(90));
    std::string raw = a + " " + b + " " + product + " " + num + " " + color;
    std::string syn = "a " + color + " " + product + " on a white background";
    std::string fused = "The " + a + " " + b + " " + product + " " + num + " is a " + color + " " + product +
                        " on a white background.";
    if (leak_every > 0 && i % leak_every == 0) fused += " It provides detailed real-world knowledge.";
    out << "{\"laion_2b\":" << JsonString(raw) << ",\"laion_coco\":" << JsonString(syn)
        << ",\"capsfuion_official\":" << JsonString(fused) << "}\n";
  }
  if (!out) throw std::runtime_error("cannot write " + path);
}

TrainOptions TinyOptions(const std::string& run_dir, const std::string& train, const std::string& dev) {
  TrainOptions o;
  o.run_dir = run_dir;
  o.data.train_files = {train};
  o.data.dev_files = {dev};
  o.data.max_raw_tokens = 32;
  o.data.max_synthetic_tokens = 24;
  o.data.max_target_tokens = 64;
  o.tokenizer.vocab_size = 500;
  o.model.n_layer = 2;
  o.model.n_embd = 64;
  o.model.n_head = 4;
  o.model.n_ff = 128;
  o.model.n_ctx = 128;
  o.model.dropout = 0.1f;
  o.optim.lr = 3e-3;
  o.optim.warmup_steps = 10;
  o.optim.batch_size = 16;
  o.optim.epochs = 2;
  o.eval.decode_samples = 8;
  o.eval.max_new_tokens = 40;
  o.eval.patience = 0;
  o.checkpoint_every = 5;
  o.threads = 1;
  o.seed = 7;
  o.progress = 0;
  o.quiet = true;
  return o;
}

}  // namespace capsfusion::train::testing

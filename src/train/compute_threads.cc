#include "train/compute_threads.h"

#include <dlfcn.h>

#include <torch/torch.h>

namespace capsfusion::train {

void SetComputeThreads(int threads) {
  if (threads < 1) threads = 1;
  torch::set_num_threads(threads);
  using SetThreads = void (*)(int);
  if (auto* f = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) f(threads);
}

}  // namespace capsfusion::train

// How many threads the trainer's tensor work uses.
#pragma once

namespace capsfusion::train {

//! Sets LibTorch's intra-op threads and, when the BLAS in use is OpenBLAS, its
//! own thread pool too (Debian's LibTorch calls OpenBLAS, whose pthread build
//! otherwise starts one busy-waiting thread per core whatever LibTorch is
//! told, which on a shared machine costs other jobs' time).
void SetComputeThreads(int threads);

}  // namespace capsfusion::train

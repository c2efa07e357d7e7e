// CpuFeatures: which x86 vector extensions this machine (and its OS) supports,
// and which kernel path the engine uses.
//
// The environment variable CAPSFUSION_CPU=generic|avx2|avx512 restricts the
// detected features (it can only take features away), so that the portable and
// the AVX2 paths can be run and compared on an AVX-512 machine.
#pragma once

#include <string>

namespace capsfusion::engine {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512vnni = false;
};

//! The kernel families, from the most portable up.
enum class KernelPath { kGeneric = 0, kAvx2 = 1, kAvx512 = 2 };

//! "generic", "avx2" or "avx512".
const char* KernelPathName(KernelPath path);

//! What the processor and OS support (cpuid and xgetbv), without any override.
CpuFeatures DetectCpuRaw();

//! Applies an override ("generic", "avx2", "avx512"; empty or null: none) to
//! `hw`. Unknown values are ignored.
CpuFeatures ApplyCpuOverride(const CpuFeatures& hw, const char* override_value);

//! The features the engine uses: DetectCpuRaw() with CAPSFUSION_CPU applied,
//! computed once.
const CpuFeatures& DetectCpu();

//! The best path `f` allows: kAvx512 needs avx512f/bw/vl/vnni plus the AVX2
//! set, kAvx2 needs avx2, fma and f16c.
KernelPath BestPath(const CpuFeatures& f);

//! True when this machine can run `path` (ignoring the override).
bool PathSupported(KernelPath path);

//! "avx2 fma f16c avx512f ..." (for logs and benchmarks).
std::string CpuFeaturesString(const CpuFeatures& f);

}  // namespace capsfusion::engine

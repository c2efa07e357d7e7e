// CPU feature detection via cpuid/xgetbv.
#include "engine/cpu_features.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace capsfusion::engine {
namespace {

#if defined(__x86_64__) || defined(__i386__)
uint64_t ReadXcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}
#endif

}  // namespace

const char* KernelPathName(KernelPath path) {
  switch (path) {
    case KernelPath::kGeneric: return "generic";
    case KernelPath::kAvx2: return "avx2";
    case KernelPath::kAvx512: return "avx512";
  }
  return "?";
}

CpuFeatures DetectCpuRaw() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return f;
  const unsigned max_leaf = eax;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  const bool osxsave = (ecx >> 27) & 1;
  const bool avx = (ecx >> 28) & 1;
  const bool fma = (ecx >> 12) & 1;
  const bool f16c = (ecx >> 29) & 1;
  if (!osxsave || !avx) return f;
  const uint64_t xcr0 = ReadXcr0();
  const bool ymm_state = (xcr0 & 0x6) == 0x6;     // SSE and AVX state
  const bool zmm_state = (xcr0 & 0xe0) == 0xe0;   // opmask, ZMM_Hi256, Hi16_ZMM
  if (!ymm_state) return f;
  f.fma = fma;
  f.f16c = f16c;
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    f.avx2 = (ebx >> 5) & 1;
    if (zmm_state) {
      f.avx512f = (ebx >> 16) & 1;
      f.avx512bw = (ebx >> 30) & 1;
      f.avx512vl = (ebx >> 31) & 1;
      f.avx512vnni = (ecx >> 11) & 1;
    }
  }
#endif
  return f;
}

CpuFeatures ApplyCpuOverride(const CpuFeatures& hw, const char* value) {
  CpuFeatures f = hw;
  if (value == nullptr || *value == '\0') return f;
  if (std::strcmp(value, "generic") == 0) {
    f = CpuFeatures{};
  } else if (std::strcmp(value, "avx2") == 0) {
    f.avx512f = f.avx512bw = f.avx512vl = f.avx512vnni = false;
  }
  // "avx512" (and anything else) keeps what the hardware has.
  return f;
}

const CpuFeatures& DetectCpu() {
  static const CpuFeatures features = ApplyCpuOverride(DetectCpuRaw(), std::getenv("CAPSFUSION_CPU"));
  return features;
}

KernelPath BestPath(const CpuFeatures& f) {
  const bool avx2_set = f.avx2 && f.fma && f.f16c;
  if (avx2_set && f.avx512f && f.avx512bw && f.avx512vl && f.avx512vnni) return KernelPath::kAvx512;
  if (avx2_set) return KernelPath::kAvx2;
  return KernelPath::kGeneric;
}

bool PathSupported(KernelPath path) {
  static const KernelPath best = BestPath(DetectCpuRaw());
  return static_cast<int>(path) <= static_cast<int>(best);
}

std::string CpuFeaturesString(const CpuFeatures& f) {
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(f.avx2, "avx2");
  add(f.fma, "fma");
  add(f.f16c, "f16c");
  add(f.avx512f, "avx512f");
  add(f.avx512bw, "avx512bw");
  add(f.avx512vl, "avx512vl");
  add(f.avx512vnni, "avx512vnni");
  if (s.empty()) s = "none";
  return s;
}

}  // namespace capsfusion::engine

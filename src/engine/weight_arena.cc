#include "engine/weight_arena.h"

#include <sys/mman.h>

#include <new>
#include <utility>

namespace capsfusion::engine {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

}  // namespace

WeightArena::WeightArena(size_t bytes) {
  if (bytes == 0) return;
  capacity_ = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  map_bytes_ = capacity_ + kHugePage;  // room to align the start
  map_ = mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map_ == MAP_FAILED) {
    map_ = nullptr;
    throw std::bad_alloc();
  }
  const auto addr = reinterpret_cast<uintptr_t>(map_);
  base_ = reinterpret_cast<uint8_t*>((addr + kHugePage - 1) / kHugePage * kHugePage);
#ifdef MADV_HUGEPAGE
  madvise(base_, capacity_, MADV_HUGEPAGE);  // a request: ordinary pages where refused
#endif
}

WeightArena::~WeightArena() { Free(); }

WeightArena::WeightArena(WeightArena&& other) noexcept { *this = std::move(other); }

WeightArena& WeightArena::operator=(WeightArena&& other) noexcept {
  if (this != &other) {
    Free();
    base_ = std::exchange(other.base_, nullptr);
    map_ = std::exchange(other.map_, nullptr);
    map_bytes_ = std::exchange(other.map_bytes_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    used_ = std::exchange(other.used_, 0);
  }
  return *this;
}

uint8_t* WeightArena::Take(size_t n) {
  const size_t take = Round(n);
  if (take > capacity_ - used_) throw std::bad_alloc();
  uint8_t* p = base_ + used_;
  used_ += take;
  return p;
}

void WeightArena::Free() {
  if (map_ != nullptr) munmap(map_, map_bytes_);
  map_ = nullptr;
  base_ = nullptr;
  map_bytes_ = capacity_ = used_ = 0;
}

}  // namespace capsfusion::engine

#include "eval/ngrams.h"

#include <algorithm>
#include <cstring>

namespace capsfusion::eval {
namespace {

inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline uint64_t Mix(uint64_t a, uint64_t b) {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline uint32_t MixId(uint32_t k) {
  k *= 0x9E3779B1u;
  return k ^ (k >> 15);
}

// Whether the ASCII byte is whitespace for Python's str.isspace():
// \t \n \v \f \r, the separators \x1c..\x1f, and ' '.
inline bool IsAsciiSpace(unsigned char c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
}

}  // namespace

size_t PyWhitespaceLength(std::string_view s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return IsAsciiSpace(c) ? 1 : 0;
  const size_t left = s.size() - i;
  auto at = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  switch (c) {
    case 0xC2:  // U+0085 NEXT LINE, U+00A0 NO-BREAK SPACE
      if (left >= 2 && (at(1) == 0x85 || at(1) == 0xA0)) return 2;
      return 0;
    case 0xE1:  // U+1680 OGHAM SPACE MARK
      if (left >= 3 && at(1) == 0x9A && at(2) == 0x80) return 3;
      return 0;
    case 0xE2:
      if (left < 3) return 0;
      if (at(1) == 0x80) {
        const unsigned char d = at(2);
        // U+2000..U+200A, U+2028, U+2029, U+202F
        if ((d >= 0x80 && d <= 0x8A) || d == 0xA8 || d == 0xA9 || d == 0xAF) return 3;
        return 0;
      }
      if (at(1) == 0x81 && at(2) == 0x9F) return 3;  // U+205F
      return 0;
    case 0xE3:  // U+3000 IDEOGRAPHIC SPACE
      if (left >= 3 && at(1) == 0x80 && at(2) == 0x80) return 3;
      return 0;
    default:
      return 0;
  }
}

bool SplitPyWhitespace(std::string_view s, std::vector<std::string_view>* out) {
  out->clear();
  bool same_as_space_split = !s.empty();
  size_t i = 0, start = 0;
  bool in_token = false;
  size_t run = 0;  // whitespace characters in the current run
  while (i < s.size()) {
    const size_t w = PyWhitespaceLength(s, i);
    if (w == 0) {
      if (!in_token) {
        if (run > 1 || (run == 1 && out->empty())) same_as_space_split = false;
        start = i;
        in_token = true;
        run = 0;
      }
      ++i;
      continue;
    }
    if (w != 1 || s[i] != ' ') same_as_space_split = false;
    if (in_token) {
      out->emplace_back(s.data() + start, i - start);
      in_token = false;
    }
    ++run;
    i += w;
  }
  if (in_token) {
    out->emplace_back(s.data() + start, s.size() - start);
  } else if (!s.empty()) {
    same_as_space_split = false;  // trailing whitespace (or only whitespace)
  }
  return same_as_space_split;
}

void SplitOnSpace(std::string_view s, std::vector<std::string_view>* out) {
  out->clear();
  size_t start = 0;
  while (true) {
    const size_t p = s.find(' ', start);
    if (p == std::string_view::npos) {
      out->push_back(s.substr(start));
      return;
    }
    out->push_back(s.substr(start, p - start));
    start = p + 1;
  }
}

uint64_t HashBytes(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = 0x243F6A8885A308D3ULL ^ (n * 0x9E3779B97F4A7C15ULL);
  while (n >= 8) {
    h = Mix(h ^ Load64(p), 0xa0761d6478bd642fULL);
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t v = 0;
    std::memcpy(&v, p, n);
    h = Mix(h ^ v, 0xe7037ed1a0b428dbULL);
  }
  return Mix(h, 0x8ebc6af09c88c6e3ULL);
}

// ---------------------------------------------------------------- TokenInterner

TokenInterner::TokenInterner() : slots_(1024, 0), offsets_(1, 0), mask_(1023) {}

uint32_t TokenInterner::Intern(std::string_view token) {
  const uint64_t h = HashBytes(token);
  const uint64_t tag = h & 0xFFFFFFFF00000000ULL;
  uint64_t i = h & mask_;
  while (true) {
    const uint64_t s = slots_[i];
    if (s == 0) break;
    if ((s & 0xFFFFFFFF00000000ULL) == tag) {
      const uint32_t id = static_cast<uint32_t>(s) - 1;
      if (Token(id) == token) return id;
    }
    i = (i + 1) & mask_;
  }
  const uint32_t id = static_cast<uint32_t>(size());
  bytes_.append(token);
  offsets_.push_back(bytes_.size());
  slots_[i] = tag | (id + 1);
  if (size() * 2 > slots_.size()) Grow();
  return id;
}

void TokenInterner::Grow() {
  std::vector<uint64_t> slots(slots_.size() * 2, 0);
  const uint64_t mask = slots.size() - 1;
  for (uint64_t s : slots_) {
    if (s == 0) continue;
    // The low bits of the hash are not kept: rehash the token.
    uint64_t i = HashBytes(Token(static_cast<uint32_t>(s) - 1)) & mask;
    while (slots[i] != 0) i = (i + 1) & mask;
    slots[i] = s;
  }
  slots_.swap(slots);
  mask_ = mask;
}

// ------------------------------------------------------------------ SmallIdMap

void SmallIdMap::Rehash(size_t capacity) {
  std::vector<Slot> old;
  old.swap(slots_);
  const uint32_t old_stamp = stamp_;
  slots_.assign(capacity, Slot{0, 0, 0});
  mask_ = static_cast<uint32_t>(capacity - 1);
  stamp_ = 1;
  used_ = 0;
  for (const Slot& s : old) {
    if (s.stamp != old_stamp || old_stamp == 0) continue;
    bool inserted;
    Insert(s.key, s.value, &inserted);
  }
}

void SmallIdMap::Reset(size_t expected) {
  size_t capacity = 16;
  while (capacity < expected * 2) capacity *= 2;
  if (capacity > slots_.size()) {
    slots_.assign(capacity, Slot{0, 0, 0});
    mask_ = static_cast<uint32_t>(capacity - 1);
    stamp_ = 1;
  } else if (++stamp_ == 0) {
    for (Slot& s : slots_) s.stamp = 0;
    stamp_ = 1;
  }
  used_ = 0;
}

uint32_t* SmallIdMap::Find(uint32_t key) {
  if (slots_.empty()) return nullptr;
  uint32_t i = MixId(key) & mask_;
  while (true) {
    Slot& s = slots_[i];
    if (s.stamp != stamp_) return nullptr;
    if (s.key == key) return &s.value;
    i = (i + 1) & mask_;
  }
}

uint32_t* SmallIdMap::Insert(uint32_t key, uint32_t value, bool* inserted) {
  if (slots_.empty() || (used_ + 1) * 2 > slots_.size()) {
    Rehash(std::max<size_t>(16, slots_.size() * 2));
  }
  uint32_t i = MixId(key) & mask_;
  while (true) {
    Slot& s = slots_[i];
    if (s.stamp != stamp_) {
      s.key = key;
      s.value = value;
      s.stamp = stamp_;
      ++used_;
      *inserted = true;
      return &s.value;
    }
    if (s.key == key) {
      *inserted = false;
      return &s.value;
    }
    i = (i + 1) & mask_;
  }
}

// ------------------------------------------------------------------ NGramTable

NGramTable::NGramTable() : slots_(1024, Slot{0, 0, 0}), mask_(1023) {}

void NGramTable::Clear() {
  if (size_ == 0) return;
  std::fill(slots_.begin(), slots_.end(), Slot{0, 0, 0});
  size_ = 0;
}

uint32_t NGramTable::Intern(uint64_t key, uint64_t hash) {
  uint64_t i = hash & mask_;
  while (true) {
    Slot& s = slots_[i];
    if (s.id_plus_one == 0) break;
    if (s.key == key) return s.id_plus_one - 1;
    i = (i + 1) & mask_;
  }
  const uint32_t id = static_cast<uint32_t>(size_++);
  slots_[i] = Slot{key, id + 1, 0};
  if (size_ * 4 > slots_.size() * 3) Grow();  // load factor at most 3/4
  return id;
}

uint32_t NGramTable::Find(uint64_t key, uint64_t hash) const {
  uint64_t i = hash & mask_;
  while (true) {
    const Slot& s = slots_[i];
    if (s.id_plus_one == 0) return kNoPrefix;
    if (s.key == key) return s.id_plus_one - 1;
    i = (i + 1) & mask_;
  }
}

void NGramTable::Grow() {
  std::vector<Slot> slots(slots_.size() * 2, Slot{0, 0, 0});
  const uint64_t mask = slots.size() - 1;
  for (const Slot& s : slots_) {
    if (s.id_plus_one == 0) continue;
    uint64_t i = Hash(s.key) & mask;
    while (slots[i].id_plus_one != 0) i = (i + 1) & mask;
    slots[i] = s;
  }
  slots_.swap(slots);
  mask_ = mask;
}

// ---------------------------------------------------------------- NGramCounter

void NGramCounter::Count(const uint32_t* tokens, size_t n, bool insert, NGramTable* table,
                         NGramCounts* out) {
  out->entries.clear();
  out->length = static_cast<uint32_t>(n);
  index_.Reset(n * kMaxOrder);
  if (!insert) local_.Clear();
  prev_.resize(n);
  cur_.resize(n);
  keys_.resize(n);
  hashes_.resize(n);
  for (int k = 1; k <= kMaxOrder; ++k) {
    out->begin[k - 1] = static_cast<uint32_t>(out->entries.size());
    if (n < static_cast<size_t>(k)) continue;
    const size_t count = n - k + 1;
    // All keys of this order first, so the table's slots can be fetched
    // from memory in parallel.
    for (size_t i = 0; i < count; ++i) {
      const uint32_t prefix = k == 1 ? NGramTable::kNoPrefix : prev_[i];
      keys_[i] = NGramTable::Key(prefix, tokens[i + k - 1]);
      hashes_[i] = NGramTable::Hash(keys_[i]);
      table->Prefetch(hashes_[i]);
    }
    for (size_t i = 0; i < count; ++i) {
      uint32_t id;
      if (insert) {
        id = table->Intern(keys_[i], hashes_[i]);
      } else {
        const uint32_t prefix = static_cast<uint32_t>(keys_[i] >> 32);
        id = NGramTable::kNoPrefix;
        // A prefix that is local is missing from the table, so its extensions are too.
        if (prefix == NGramTable::kNoPrefix || prefix < NGramTable::kLocalBase) id = table->Find(keys_[i], hashes_[i]);
        if (id == NGramTable::kNoPrefix) id = NGramTable::kLocalBase + local_.Intern(keys_[i], hashes_[i]);
      }
      cur_[i] = id;
      bool inserted;
      uint32_t* slot = index_.Insert(id, static_cast<uint32_t>(out->entries.size()), &inserted);
      if (inserted) {
        out->entries.push_back(NGramCount{id, 1});
      } else {
        ++out->entries[*slot].count;
      }
    }
    prev_.swap(cur_);
  }
  out->begin[kMaxOrder] = static_cast<uint32_t>(out->entries.size());
}

}  // namespace capsfusion::eval

// Caption-like rows for the I/O benchmarks: CapsFusion release layout
// (laion_2b, laion_coco, capsfuion_official), deterministic, with the mix of
// punctuation, entities, digits and non-ASCII text that web alt-text has.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "capsfusion/record.h"

namespace capsfusion::bench {

class CaptionGenerator {
 public:
  explicit CaptionGenerator(uint64_t seed = 0x9E3779B97F4A7C15ULL) : x_(seed) {}

  //! The next row as a Record (fields only, JSON strings).
  void Next(Record* r) {
    r->fields.resize(3);
    r->fields[0].name = "laion_2b";
    r->fields[0].json = JsonString(Words(4 + Rand() % 24, true));
    r->fields[1].name = "laion_coco";
    r->fields[1].json = JsonString(Words(6 + Rand() % 10, false));
    r->fields[2].name = "capsfuion_official";
    r->fields[2].json = JsonString(Words(14 + Rand() % 18, false));
  }

  //! The next row as one JSON object (no newline).
  std::string NextJson() {
    Record r;
    Next(&r);
    std::string s = "{";
    for (size_t i = 0; i < r.fields.size(); ++i) {
      if (i) s += ", ";
      s += "\"" + r.fields[i].name + "\": " + r.fields[i].json;
    }
    return s + "}";
  }

 private:
  uint64_t Rand() {
    x_ ^= x_ << 13;
    x_ ^= x_ >> 7;
    x_ ^= x_ << 17;
    return x_;
  }

  std::string Words(uint64_t n, bool noisy) {
    static const char* kWords[] = {
        "a", "the", "man", "woman", "standing", "in", "front", "of", "white", "building", "with", "red",
        "car", "parked", "on", "street", "photo", "vintage", "postcard", "Nike", "Air", "Max", "90", "size",
        "10", "shoes", "for", "sale", "2017", "fashion", "show", "backstage", "logo", "design", "vector",
        "illustration", "caf\xC3\xA9", "Z\xC3\xBCrich", "\xE6\x97\xA5\xE6\x9C\xAC", "dog", "sitting", "grass"};
    static const char* kNoise[] = {"&amp;", "&quot;", "|", "-", "#sale", "(new)", "\"quoted\"", "IMG_2041.jpg"};
    std::string s;
    for (uint64_t i = 0; i < n; ++i) {
      if (i) s += (noisy && Rand() % 17 == 0) ? "  " : " ";
      if (noisy && Rand() % 9 == 0) {
        s += kNoise[Rand() % (sizeof kNoise / sizeof kNoise[0])];
      } else {
        s += kWords[Rand() % (sizeof kWords / sizeof kWords[0])];
      }
    }
    if (!noisy) s += ".";
    return s;
  }

  uint64_t x_;
};

}  // namespace capsfusion::bench

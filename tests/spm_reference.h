// Test helpers around libsentencepiece, the reference LlamaTokenizer is checked
// against: train a model in memory, load captions, compare encodings.
#pragma once

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenizer/llama_tokenizer.h"
#include "tokenizer/spm_model.h"

namespace capsfusion::testing {

//! Feeds training sentences to SentencePieceTrainer from memory.
class VectorSentenceIterator : public sentencepiece::SentenceIterator {
 public:
  explicit VectorSentenceIterator(const std::vector<std::string>& sentences) : sentences_(sentences) {}
  bool done() const override { return index_ >= sentences_.size(); }
  void Next() override { ++index_; }
  const std::string& value() const override { return sentences_[index_]; }
  sentencepiece::util::Status status() const override { return sentencepiece::util::Status(); }

 private:
  const std::vector<std::string>& sentences_;
  size_t index_ = 0;
};

//! "--a=1 --b=x" -> {a: 1, b: x}; later flags replace earlier ones.
inline void ParseFlags(const std::string& flags, std::unordered_map<std::string, std::string>* out) {
  std::istringstream in(flags);
  std::string word;
  while (in >> word) {
    if (word.rfind("--", 0) == 0) word = word.substr(2);
    const size_t eq = word.find('=');
    if (eq == std::string::npos) {
      (*out)[word] = "true";
    } else {
      (*out)[word.substr(0, eq)] = word.substr(eq + 1);
    }
  }
}

//! Trains a model on `sentences` with kLlamaSpmTrainerFlags, overridden by
//! `extra_flags`; returns the serialized ModelProto, or "" with `error` set.
inline std::string TrainSentencePiece(const std::vector<std::string>& sentences, const std::string& extra_flags,
                                      std::string* error) {
  std::unordered_map<std::string, std::string> flags;
  ParseFlags(kLlamaSpmTrainerFlags, &flags);
  ParseFlags("--minloglevel=2 " + extra_flags, &flags);
  VectorSentenceIterator it(sentences);
  std::string model;
  const auto status = sentencepiece::SentencePieceTrainer::Train(flags, &it, &model);
  if (!status.ok()) {
    *error = status.ToString();
    return "";
  }
  return model;
}

//! The three caption fields of every row of a CapsFusion JSON file.
inline std::vector<std::string> LoadCaptions(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> out;
  if (!in) return out;
  const nlohmann::json rows = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!rows.is_array()) return out;
  for (const auto& row : rows) {
    if (!row.is_object()) continue;
    for (const char* field : {"laion_2b", "laion_coco", "capsfuion_official"}) {
      const auto it = row.find(field);
      if (it != row.end() && it->is_string()) out.push_back(it->get<std::string>());
    }
  }
  return out;
}

//! How our encoder compares with SentencePiece on a set of texts.
struct Agreement {
  size_t texts = 0;
  size_t ids_equal = 0;        //!< our ids == SentencePieceProcessor::Encode
  size_t round_trips = 0;      //!< Decode(Encode(x)) == x
  size_t decodes_equal = 0;    //!< our Decode == SentencePiece's Decode of the same ids
  std::vector<std::string> first_mismatches;  //!< up to 5, for the failure message
  std::string Summary() const {
    std::ostringstream s;
    s << ids_equal << "/" << texts << " id sequences equal, " << round_trips << "/" << texts << " round trips, "
      << decodes_equal << "/" << texts << " decodes equal";
    for (const auto& m : first_mismatches) s << "\n  " << m;
    return s.str();
  }
};

inline std::string JoinIds(const std::vector<int>& ids) {
  std::string s;
  for (int id : ids) s += (s.empty() ? "" : " ") + std::to_string(id);
  return s;
}

inline Agreement CompareWithSentencePiece(const sentencepiece::SentencePieceProcessor& sp, const LlamaTokenizer& tok,
                                          const std::vector<std::string>& texts) {
  Agreement a;
  for (const std::string& text : texts) {
    ++a.texts;
    std::vector<int> expected;
    sp.Encode(text, &expected).IgnoreError();
    const std::vector<int32_t> got = tok.Encode(text, /*add_bos=*/false);
    const std::vector<int> got_int(got.begin(), got.end());
    if (got_int == expected) {
      ++a.ids_equal;
    } else if (a.first_mismatches.size() < 5) {
      a.first_mismatches.push_back("[" + text + "] ours: " + JoinIds(got_int) + " | sentencepiece: " +
                                   JoinIds(expected));
    }
    const std::string decoded = tok.Decode(got);
    if (decoded == text) ++a.round_trips;
    std::string sp_decoded;
    sp.Decode(got_int, &sp_decoded).IgnoreError();
    if (sp_decoded == decoded) ++a.decodes_equal;
  }
  return a;
}

}  // namespace capsfusion::testing

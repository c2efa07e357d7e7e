#include "tokenizer/llama_tokenizer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <utility>

#include "tokenizer/utf8.h"

namespace capsfusion {

namespace {

constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81";  // U+2581 "▁"
constexpr std::string_view kUnknownSurface = " \xE2\x81\x87 ";  // " ⁇ "
// Texts longer than this are encoded in consecutive chunks of at most this many
// bytes (cut at a character boundary) so symbol indices fit in int32.
constexpr size_t kMaxChunk = size_t{1} << 30;

bool Mergeable(TokenType t) {
  return t == TokenType::kNormal || t == TokenType::kUserDefined || t == TokenType::kUnused;
}

// One symbol of the text being encoded: a byte range of the normalised text,
// linked to its neighbours. A merged-away symbol has len == 0.
struct Symbol {
  size_t start;
  uint32_t len;
  int32_t prev;
  int32_t next;
  int32_t id;   // token id of the symbol's text, -1 when it is not a piece
  bool frozen;  // a user-defined token: never merged
};

// A candidate merge of symbols `left` and `left`'s right neighbour `right`.
struct Bigram {
  float score;
  int32_t left;
  int32_t right;
  int32_t id;     // token id of the merged piece
  uint32_t size;  // byte length of the merged piece, to detect stale entries
};

struct BigramLess {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

}  // namespace

struct LlamaTokenizer::Scratch {
  std::string norm;
  std::vector<Symbol> symbols;
  std::vector<Bigram> heap;
  // Merged unused piece -> byte length of its left half (only with unused pieces).
  std::unordered_map<std::string_view, uint32_t> rev_merge;
};

StatusOr<std::unique_ptr<LlamaTokenizer>> LlamaTokenizer::Create(LlamaVocab vocab) {
  CF_RETURN_IF_ERROR(ValidateLlamaVocab(vocab));
  std::unique_ptr<LlamaTokenizer> tok(new LlamaTokenizer(std::move(vocab)));
  tok->Build();
  return tok;
}

LlamaTokenizer::LlamaTokenizer(LlamaVocab vocab) : vocab_(std::move(vocab)) { byte_ids_.fill(-1); }

void LlamaTokenizer::Build() {
  const size_t n = vocab_.size();
  types_.resize(n);
  scores_.resize(n);
  surfaces_.resize(n);
  strip_space_.assign(n, 0);
  mergeable_.Reserve(n);
  all_pieces_.Reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const int32_t id = static_cast<int32_t>(i);
    TokenType t = vocab_.type(i);
    if (t == TokenType::kUndefined) t = TokenType::kNormal;
    types_[i] = t;
    const float s = vocab_.score(i);
    scores_[i] = std::isnan(s) ? std::numeric_limits<float>::lowest() : s;
    const std::string& piece = vocab_.tokens[i];
    all_pieces_.Insert(piece, id);
    if (Mergeable(t) && !piece.empty()) mergeable_.Insert(piece, id);
    if (t == TokenType::kUnused) has_unused_ = true;
    if (t == TokenType::kUnknown && unk_id_ < 0) unk_id_ = id;
    if (t == TokenType::kUserDefined && !piece.empty()) {
      if (std::find(user_lengths_.begin(), user_lengths_.end(), piece.size()) == user_lengths_.end()) {
        user_lengths_.push_back(piece.size());
      }
      user_first_byte_[static_cast<unsigned char>(piece[0])] = true;
    }
    // Decoded surface.
    switch (t) {
      case TokenType::kControl:
        break;
      case TokenType::kUnknown:
        surfaces_[i] = std::string(kUnknownSurface);
        break;
      case TokenType::kByte: {
        const int b = ParseBytePiece(piece);
        if (b >= 0) {
          surfaces_[i] = std::string(1, static_cast<char>(b));
          if (byte_ids_[b] < 0) byte_ids_[b] = id;
          has_byte_fallback_ = true;
        }
        break;
      }
      default: {
        std::string& out = surfaces_[i];
        out.reserve(piece.size());
        for (size_t p = 0; p < piece.size();) {
          if (piece.compare(p, kSpaceSymbol.size(), kSpaceSymbol) == 0) {
            out.push_back(' ');
            p += kSpaceSymbol.size();
          } else {
            out.push_back(piece[p++]);
          }
        }
        strip_space_[i] = piece.compare(0, kSpaceSymbol.size(), kSpaceSymbol) == 0;
        break;
      }
    }
  }
  if (vocab_.unk_id >= 0) unk_id_ = vocab_.unk_id;
  std::sort(user_lengths_.rbegin(), user_lengths_.rend());
}

std::string LlamaTokenizer::name() const {
  return "llama/sentencepiece, " + std::to_string(vocab_.size()) + " tokens";
}

int LlamaTokenizer::TokenByte(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= types_.size() || types_[id] != TokenType::kByte) return -1;
  const std::string& s = surfaces_[id];
  return s.size() == 1 ? static_cast<unsigned char>(s[0]) : -1;
}

const std::string& LlamaTokenizer::TokenText(int32_t id) const {
  static const std::string kEmpty;
  if (id < 0 || static_cast<size_t>(id) >= vocab_.size()) return kEmpty;
  return vocab_.tokens[id];
}

std::vector<int32_t> LlamaTokenizer::Encode(std::string_view text, bool add_bos) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 2);
  if (add_bos && vocab_.bos_id >= 0) ids.push_back(vocab_.bos_id);
  EncodeAppend(text, &ids);
  return ids;
}

std::vector<int32_t> LlamaTokenizer::EncodeForModel(std::string_view text) const {
  std::vector<int32_t> ids = Encode(text, vocab_.add_bos);
  if (vocab_.add_eos && vocab_.eos_id >= 0) ids.push_back(vocab_.eos_id);
  return ids;
}

size_t LlamaTokenizer::CountTokens(std::string_view text, bool add_bos) const {
  return Encode(text, add_bos).size();
}

void LlamaTokenizer::EncodeAppend(std::string_view text, std::vector<int32_t>* ids) const {
  if (text.empty()) return;
  Scratch scratch;
  bool first = true;
  while (!text.empty()) {
    size_t cut = text.size();
    if (cut > kMaxChunk) {
      // Cut before a character start (never inside a well-formed character).
      cut = kMaxChunk;
      while (cut > kMaxChunk - 4 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    }
    EncodeChunk(text.substr(0, cut), first && vocab_.add_space_prefix, &scratch, ids);
    text.remove_prefix(cut);
    first = false;
  }
}

void LlamaTokenizer::EncodeChunk(std::string_view text, bool space_prefix, Scratch* scratch,
                                 std::vector<int32_t>* ids) const {
  // 1. Normalise.
  std::string& norm = scratch->norm;
  norm.clear();
  norm.reserve(text.size() + text.size() / 4 + kSpaceSymbol.size());
  if (space_prefix) norm.append(kSpaceSymbol);
  for (char c : text) {
    if (c == ' ') {
      norm.append(kSpaceSymbol);
    } else {
      norm.push_back(c);
    }
  }

  // 2. Split into symbols: user-defined tokens, else UTF-8 characters.
  std::vector<Symbol>& symbols = scratch->symbols;
  symbols.clear();
  symbols.reserve(norm.size());
  const auto* bytes = reinterpret_cast<const unsigned char*>(norm.data());
  for (size_t pos = 0; pos < norm.size();) {
    const size_t left = norm.size() - pos;
    size_t len = 0;
    int32_t id = -1;
    bool frozen = false;
    if (!user_lengths_.empty() && user_first_byte_[bytes[pos]]) {
      for (size_t ulen : user_lengths_) {
        if (ulen > left) continue;
        const int32_t uid = mergeable_.Find(std::string_view(norm.data() + pos, ulen));
        if (uid >= 0 && types_[uid] == TokenType::kUserDefined) {
          len = ulen;
          id = uid;
          frozen = true;
          break;
        }
      }
    }
    if (len == 0) {
      len = Utf8CharLength(bytes + pos, left);
      if (len == 0) len = 1;  // an ill-formed byte is a character of its own
      id = mergeable_.Find(std::string_view(norm.data() + pos, len));
    }
    const int32_t index = static_cast<int32_t>(symbols.size());
    symbols.push_back(Symbol{pos, static_cast<uint32_t>(len), index - 1, -1, id, frozen});
    if (index > 0) symbols[index - 1].next = index;
    pos += len;
  }

  // 3. Merge the best-scoring adjacent pair until none is a piece.
  std::vector<Bigram>& heap = scratch->heap;
  heap.clear();
  auto& rev_merge = scratch->rev_merge;
  rev_merge.clear();
  bool heapify = true;  // initial pairs are pushed unordered, then heapified at once
  auto try_add = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols[left];
    const Symbol& r = symbols[right];
    if (l.frozen || r.frozen) return;
    const std::string_view merged(norm.data() + l.start, size_t{l.len} + r.len);
    const int32_t id = mergeable_.Find(merged);
    if (id < 0) return;
    heap.push_back(Bigram{scores_[id], left, right, id, static_cast<uint32_t>(merged.size())});
    if (!heapify) std::push_heap(heap.begin(), heap.end(), BigramLess{});
    if (types_[id] == TokenType::kUnused) rev_merge[merged] = l.len;
  };
  for (int32_t i = 1; i < static_cast<int32_t>(symbols.size()); ++i) try_add(i - 1, i);
  std::make_heap(heap.begin(), heap.end(), BigramLess{});
  heapify = false;
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), BigramLess{});
    const Bigram top = heap.back();
    heap.pop_back();
    Symbol& l = symbols[top.left];
    Symbol& r = symbols[top.right];
    if (l.len == 0 || r.len == 0 || size_t{l.len} + r.len != top.size) continue;  // stale
    l.len += r.len;
    l.id = top.id;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0) symbols[r.next].prev = top.left;
    try_add(l.prev, top.left);
    try_add(top.left, l.next);
  }

  // 4. Symbols to ids.
  bool last_unk = false;
  for (int32_t i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[i].next) {
    const Symbol& s = symbols[i];
    Emit(std::string_view(norm.data() + s.start, s.len), s.id, *scratch, ids, &last_unk);
  }
}

void LlamaTokenizer::Emit(std::string_view piece, int32_t id, const Scratch& scratch, std::vector<int32_t>* ids,
                          bool* last_unk) const {
  if (id < 0) {
    EmitFallback(piece, ids, last_unk);
    return;
  }
  if (has_unused_ && types_[id] == TokenType::kUnused) {
    const auto it = scratch.rev_merge.find(piece);
    if (it != scratch.rev_merge.end() && it->second > 0 && it->second < piece.size()) {
      const std::string_view left = piece.substr(0, it->second);
      const std::string_view right = piece.substr(it->second);
      Emit(left, mergeable_.Find(left), scratch, ids, last_unk);
      Emit(right, mergeable_.Find(right), scratch, ids, last_unk);
      return;
    }
  }
  ids->push_back(id);
  *last_unk = false;
}

void LlamaTokenizer::EmitFallback(std::string_view piece, std::vector<int32_t>* ids, bool* last_unk) const {
  for (char c : piece) {
    const int32_t byte_id = byte_ids_[static_cast<unsigned char>(c)];
    if (byte_id >= 0) {
      ids->push_back(byte_id);
      *last_unk = false;
    } else if (unk_id_ >= 0 && !*last_unk) {
      ids->push_back(unk_id_);
      *last_unk = true;
    }
    if (!has_byte_fallback_) return;  // the whole symbol is one unknown
  }
}

std::string LlamaTokenizer::Decode(const std::vector<int32_t>& ids) const {
  std::string out;
  bool first = true;
  for (int32_t id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= surfaces_.size()) continue;
    if (types_[id] == TokenType::kControl) continue;
    const std::string& s = surfaces_[id];
    if (first) {
      first = false;
      if (vocab_.add_space_prefix && strip_space_[id]) {
        out.append(s, 1, std::string::npos);
        continue;
      }
    }
    out.append(s);
  }
  return out;
}

}  // namespace capsfusion

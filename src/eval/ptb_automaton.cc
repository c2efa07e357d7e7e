// Pattern parser, Thompson NFA and lazily built DFA behind the PTB lexer.
#include "eval/ptb_automaton.h"

#include <algorithm>
#include <stdexcept>

#include "eval/ptb_unicode.h"

namespace capsfusion::ptb {

using Ranges = std::vector<CharRange>;

struct RuleSet::Ast {
  enum Kind { kSet, kCat, kAlt, kStar, kPlus, kOpt, kRep, kEmpty } kind = kEmpty;
  Ranges set;
  std::vector<std::shared_ptr<Ast>> kids;
  int min = 0, max = 0;
};

namespace {

using AstPtr = std::shared_ptr<RuleSet::Ast>;
constexpr int kInf = 1 << 28;

Ranges Normalize(Ranges r) {
  std::sort(r.begin(), r.end(), [](const CharRange& a, const CharRange& b) { return a.lo < b.lo; });
  Ranges out;
  for (const CharRange& x : r) {
    if (!out.empty() && static_cast<unsigned>(x.lo) <= static_cast<unsigned>(out.back().hi) + 1) {
      out.back().hi = std::max(out.back().hi, x.hi);
    } else {
      out.push_back(x);
    }
  }
  return out;
}

Ranges Complement(const Ranges& r) {
  Ranges out;
  unsigned next = 0;
  for (const CharRange& x : r) {
    if (x.lo > next) out.push_back({static_cast<char16_t>(next), static_cast<char16_t>(x.lo - 1)});
    next = static_cast<unsigned>(x.hi) + 1;
  }
  if (next <= 0xFFFF) out.push_back({static_cast<char16_t>(next), 0xFFFF});
  return out;
}

Ranges FromTable(const CharRange* t, size_t n) { return Ranges(t, t + n); }

AstPtr MakeSet(Ranges r) {
  auto a = std::make_shared<RuleSet::Ast>();
  a->kind = RuleSet::Ast::kSet;
  a->set = Normalize(std::move(r));
  return a;
}

AstPtr Make(RuleSet::Ast::Kind k, std::vector<AstPtr> kids) {
  auto a = std::make_shared<RuleSet::Ast>();
  a->kind = k;
  a->kids = std::move(kids);
  return a;
}

void Lengths(const AstPtr& a, int* lo, int* hi) {
  switch (a->kind) {
    case RuleSet::Ast::kSet: *lo = *hi = 1; return;
    case RuleSet::Ast::kEmpty: *lo = *hi = 0; return;
    case RuleSet::Ast::kCat: {
      *lo = *hi = 0;
      for (const auto& k : a->kids) {
        int l, h;
        Lengths(k, &l, &h);
        *lo += l;
        *hi = (*hi >= kInf || h >= kInf) ? kInf : *hi + h;
      }
      return;
    }
    case RuleSet::Ast::kAlt: {
      *lo = kInf;
      *hi = 0;
      for (const auto& k : a->kids) {
        int l, h;
        Lengths(k, &l, &h);
        *lo = std::min(*lo, l);
        *hi = std::max(*hi, h);
      }
      return;
    }
    case RuleSet::Ast::kStar: *lo = 0; *hi = kInf; return;
    case RuleSet::Ast::kPlus: Lengths(a->kids[0], lo, hi); *hi = kInf; return;
    case RuleSet::Ast::kOpt: Lengths(a->kids[0], lo, hi); *lo = 0; return;
    case RuleSet::Ast::kRep: {
      int l, h;
      Lengths(a->kids[0], &l, &h);
      *lo = l * a->min;
      *hi = (h >= kInf) ? kInf : h * a->max;
      return;
    }
  }
}

int FixedLength(const AstPtr& a) {
  int lo, hi;
  Lengths(a, &lo, &hi);
  return lo == hi ? lo : -1;
}

// Recursive-descent parser over the UTF-16 form of a pattern.
class Parser {
 public:
  Parser(std::u16string src, bool caseless, const std::map<std::string, AstPtr>& macros)
      : s_(std::move(src)), caseless_(caseless), macros_(macros) {}

  AstPtr Parse() {
    AstPtr a = Alt();
    if (i_ != s_.size()) Fail("unexpected character");
    return a;
  }

 private:
  [[noreturn]] void Fail(const char* what) {
    std::string p;
    AppendUtf8(s_, &p);
    throw std::logic_error(std::string("ptb pattern: ") + what + " in " + p);
  }
  bool AtEnd() const { return i_ >= s_.size(); }
  char16_t Peek() const { return s_[i_]; }

  AstPtr Alt() {
    std::vector<AstPtr> alts{Cat()};
    while (!AtEnd() && Peek() == u'|') {
      ++i_;
      alts.push_back(Cat());
    }
    return alts.size() == 1 ? alts[0] : Make(RuleSet::Ast::kAlt, std::move(alts));
  }

  AstPtr Cat() {
    std::vector<AstPtr> parts;
    while (!AtEnd() && Peek() != u'|' && Peek() != u')') parts.push_back(Post());
    if (parts.empty()) return Make(RuleSet::Ast::kEmpty, {});
    return parts.size() == 1 ? parts[0] : Make(RuleSet::Ast::kCat, std::move(parts));
  }

  AstPtr Post() {
    AstPtr a = Atom();
    while (!AtEnd()) {
      char16_t c = Peek();
      if (c == u'*') {
        ++i_;
        a = Make(RuleSet::Ast::kStar, {a});
      } else if (c == u'+') {
        ++i_;
        a = Make(RuleSet::Ast::kPlus, {a});
      } else if (c == u'?') {
        ++i_;
        a = Make(RuleSet::Ast::kOpt, {a});
      } else if (c == u'{' && i_ + 1 < s_.size() && s_[i_ + 1] >= u'0' && s_[i_ + 1] <= u'9') {
        ++i_;
        int lo = Number(), hi = lo;
        if (!AtEnd() && Peek() == u',') {
          ++i_;
          hi = Number();
        }
        if (AtEnd() || Peek() != u'}') Fail("bad repeat");
        ++i_;
        auto r = Make(RuleSet::Ast::kRep, {a});
        r->min = lo;
        r->max = hi;
        a = r;
      } else {
        break;
      }
    }
    return a;
  }

  int Number() {
    int v = 0;
    bool any = false;
    while (!AtEnd() && Peek() >= u'0' && Peek() <= u'9') {
      v = v * 10 + (Peek() - u'0');
      ++i_;
      any = true;
    }
    if (!any) Fail("number expected");
    return v;
  }

  char16_t Escape() {  // after the backslash
    if (AtEnd()) Fail("dangling escape");
    char16_t c = s_[i_++];
    switch (c) {
      case u'n': return u'\n';
      case u'r': return u'\r';
      case u't': return u'\t';
      case u'f': return u'\f';
      case u'u': {
        if (i_ + 4 > s_.size()) Fail("short \\u escape");
        unsigned v = 0;
        for (int k = 0; k < 4; ++k) {
          char16_t h = s_[i_++];
          v <<= 4;
          if (h >= u'0' && h <= u'9') v |= h - u'0';
          else if (h >= u'a' && h <= u'f') v |= h - u'a' + 10;
          else if (h >= u'A' && h <= u'F') v |= h - u'A' + 10;
          else Fail("bad hex digit");
        }
        return static_cast<char16_t>(v);
      }
      default: return c;
    }
  }

  AstPtr Literal(char16_t c) {
    Ranges r{{c, c}};
    if (caseless_) {
      char16_t v[3];
      int n = CaseVariants(c, v);
      for (int k = 0; k < n; ++k) r.push_back({v[k], v[k]});
    }
    return MakeSet(std::move(r));
  }

  bool NamedClass(Ranges* out) {  // at "[:"
    static const struct { const char16_t* name; int id; } kNames[] = {
        {u"[:letter:]", 0}, {u"[:digit:]", 1}, {u"[:uppercase:]", 2}};
    for (const auto& n : kNames) {
      std::u16string_view name(n.name);
      if (s_.compare(i_, name.size(), name) == 0) {
        i_ += name.size();
        Ranges r = n.id == 0   ? FromTable(kLetterRanges, kLetterRangesSize)
                   : n.id == 1 ? FromTable(kDigitRanges, kDigitRangesSize)
                               : FromTable(kUpperRanges, kUpperRangesSize);
        // The ASCII part lives in code, not in the tables' fast path.
        if (n.id == 0) {
          r.push_back({u'a', u'z'});
          r.push_back({u'A', u'Z'});
        } else if (n.id == 1) {
          r.push_back({u'0', u'9'});
        } else {
          r.push_back({u'A', u'Z'});
        }
        out->insert(out->end(), r.begin(), r.end());
        return true;
      }
    }
    return false;
  }

  AstPtr Class() {  // after '['
    bool negate = false;
    if (!AtEnd() && Peek() == u'^') {
      negate = true;
      ++i_;
      if (!AtEnd() && Peek() == u']') {  // [^] : any unit
        ++i_;
        return MakeSet({{0, 0xFFFF}});
      }
    }
    Ranges r;
    while (true) {
      if (AtEnd()) Fail("unterminated class");
      char16_t c = Peek();
      if (c == u']') {
        ++i_;
        break;
      }
      if (c == u'[' && i_ + 1 < s_.size() && s_[i_ + 1] == u':' && NamedClass(&r)) continue;
      ++i_;
      char16_t lo = (c == u'\\') ? Escape() : c;
      char16_t hi = lo;
      if (!AtEnd() && Peek() == u'-' && i_ + 1 < s_.size() && s_[i_ + 1] != u']') {
        ++i_;
        char16_t d = s_[i_++];
        hi = (d == u'\\') ? Escape() : d;
      }
      if (hi < lo) Fail("reversed range");
      r.push_back({lo, hi});
    }
    r = Normalize(std::move(r));
    return MakeSet(negate ? Complement(r) : r);
  }

  AstPtr Atom() {
    char16_t c = s_[i_++];
    switch (c) {
      case u'(': {
        AstPtr a = Alt();
        if (AtEnd() || Peek() != u')') Fail("missing )");
        ++i_;
        return a;
      }
      case u'[':
        if (!AtEnd() && Peek() == u':') {
          --i_;
          Ranges r;
          if (NamedClass(&r)) return MakeSet(std::move(r));
          ++i_;
        }
        return Class();
      case u'"': {
        std::vector<AstPtr> parts;
        while (!AtEnd() && Peek() != u'"') {
          char16_t d = s_[i_++];
          parts.push_back(Literal(d == u'\\' ? Escape() : d));
        }
        if (AtEnd()) Fail("unterminated string");
        ++i_;
        if (parts.empty()) return Make(RuleSet::Ast::kEmpty, {});
        return parts.size() == 1 ? parts[0] : Make(RuleSet::Ast::kCat, std::move(parts));
      }
      case u'.':
        return MakeSet(Complement(Normalize(
            {{u'\n', u'\r'}, {0x0085, 0x0085}, {0x2028, 0x2029}})));
      case u'{': {
        std::string name;
        while (!AtEnd() && Peek() != u'}') name.push_back(static_cast<char>(s_[i_++]));
        if (AtEnd()) Fail("unterminated macro name");
        ++i_;
        auto it = macros_.find(name);
        if (it == macros_.end()) Fail("unknown macro");
        return it->second;
      }
      case u'\\':
        return Literal(Escape());
      case u')': case u'|': case u'*': case u'+': case u'?':
        Fail("misplaced operator");
      default:
        return Literal(c);
    }
  }

  std::u16string s_;
  size_t i_ = 0;
  bool caseless_;
  const std::map<std::string, AstPtr>& macros_;
};

struct NState {
  int set = -1;   // label of the one consuming edge, or -1
  int next = -1;  // target of that edge
  std::vector<int> eps;
  int accept = -1;
};

}  // namespace

struct RuleSet::Nfa {
  std::vector<NState> st;
  std::vector<Ranges> sets;
  std::map<std::vector<std::pair<char16_t, char16_t>>, int> set_index;
  std::vector<std::vector<uint64_t>> set_bits;  // per set: bits over classes
  int start = -1;
  // Scratch for closures.
  std::vector<uint32_t> mark;
  uint32_t stamp = 0;

  int NewState() {
    st.emplace_back();
    return static_cast<int>(st.size()) - 1;
  }

  int SetId(const Ranges& r) {
    std::vector<std::pair<char16_t, char16_t>> key;
    for (const auto& x : r) key.emplace_back(x.lo, x.hi);
    auto it = set_index.find(key);
    if (it != set_index.end()) return it->second;
    int id = static_cast<int>(sets.size());
    sets.push_back(r);
    set_index.emplace(std::move(key), id);
    return id;
  }

  // Thompson construction; returns {start, end}.
  std::pair<int, int> Build(const AstPtr& a) {
    switch (a->kind) {
      case Ast::kSet: {
        int s = NewState(), e = NewState();
        st[s].set = SetId(a->set);
        st[s].next = e;
        return {s, e};
      }
      case Ast::kEmpty: {
        int s = NewState(), e = NewState();
        st[s].eps.push_back(e);
        return {s, e};
      }
      case Ast::kCat: {
        auto first = Build(a->kids[0]);
        int end = first.second;
        for (size_t k = 1; k < a->kids.size(); ++k) {
          auto f = Build(a->kids[k]);
          st[end].eps.push_back(f.first);
          end = f.second;
        }
        return {first.first, end};
      }
      case Ast::kAlt: {
        int s = NewState(), e = NewState();
        for (const auto& k : a->kids) {
          auto f = Build(k);
          st[s].eps.push_back(f.first);
          st[f.second].eps.push_back(e);
        }
        return {s, e};
      }
      case Ast::kStar: case Ast::kPlus: case Ast::kOpt: {
        int s = NewState(), e = NewState();
        auto f = Build(a->kids[0]);
        st[s].eps.push_back(f.first);
        st[f.second].eps.push_back(e);
        if (a->kind != Ast::kPlus) st[s].eps.push_back(e);
        if (a->kind != Ast::kOpt) st[f.second].eps.push_back(f.first);
        return {s, e};
      }
      case Ast::kRep: {
        int s = NewState();
        int end = s;
        for (int k = 0; k < a->min; ++k) {
          auto f = Build(a->kids[0]);
          st[end].eps.push_back(f.first);
          end = f.second;
        }
        int e = NewState();
        for (int k = a->min; k < a->max; ++k) {
          auto f = Build(a->kids[0]);
          st[end].eps.push_back(f.first);
          st[end].eps.push_back(e);
          end = f.second;
        }
        st[end].eps.push_back(e);
        return {s, e};
      }
    }
    return {-1, -1};
  }

  // Adds the epsilon closure of `s` to `out` (stamp-deduplicated).
  void Close(int s, std::vector<int>* out, std::vector<int>* stack) {
    if (mark[s] == stamp) return;
    mark[s] = stamp;
    stack->push_back(s);
    while (!stack->empty()) {
      int x = stack->back();
      stack->pop_back();
      out->push_back(x);
      for (int y : st[x].eps) {
        if (mark[y] != stamp) {
          mark[y] = stamp;
          stack->push_back(y);
        }
      }
    }
  }
  void NewStamp() {
    if (++stamp == 0) {
      std::fill(mark.begin(), mark.end(), 0);
      stamp = 1;
    }
  }
};

RuleSet::RuleSet(bool caseless) : caseless_(caseless) {}
RuleSet::~RuleSet() = default;

std::shared_ptr<RuleSet::Ast> RuleSet::Parse(const std::string& pattern) {
  return Parser(Utf8ToUtf16(pattern), caseless_, macros_).Parse();
}

void RuleSet::Define(const std::string& name, const std::string& pattern) {
  macros_[name] = Parse(pattern);
}

int RuleSet::AddRule(const std::string& pattern, const std::string& trail) {
  RuleDef r;
  r.main = Parse(pattern);
  if (!trail.empty()) r.trail = Parse(trail);
  r.main_fixed = FixedLength(r.main);
  if (r.trail) r.trail_fixed = FixedLength(r.trail);
  rules_.push_back(std::move(r));
  return static_cast<int>(rules_.size()) - 1;
}

bool RuleSet::HasTrail(int rule) const { return rules_[rule].trail != nullptr; }

void RuleSet::Build() {
  nfa_ = std::make_unique<Nfa>();
  Nfa& n = *nfa_;
  n.start = n.NewState();
  for (size_t i = 0; i < rules_.size(); ++i) {
    RuleDef& r = rules_[i];
    auto m = n.Build(r.main);
    int end = m.second;
    if (r.trail) {
      auto t = n.Build(r.trail);
      n.st[end].eps.push_back(t.first);
      end = t.second;
      // Separate copies for splitting a match into main part and trail.
      auto m2 = n.Build(r.main);
      r.main_start = m2.first;
      r.main_final = m2.second;
      auto t2 = n.Build(r.trail);
      r.trail_start = t2.first;
      r.trail_final = t2.second;
    }
    n.st[end].accept = static_cast<int>(i);
    r.full_start = m.first;
    n.st[n.start].eps.push_back(m.first);
  }
  n.mark.assign(n.st.size(), 0);

  // Partition the UTF-16 units into classes no label set distinguishes.
  std::vector<unsigned> cuts{0, 0x10000};
  for (const Ranges& r : n.sets) {
    for (const CharRange& x : r) {
      cuts.push_back(x.lo);
      cuts.push_back(static_cast<unsigned>(x.hi) + 1);
    }
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  std::map<std::vector<bool>, int> sig_index;
  std::vector<int> piece_class(cuts.size() - 1);
  for (size_t p = 0; p + 1 < cuts.size(); ++p) {
    char16_t c = static_cast<char16_t>(cuts[p]);
    std::vector<bool> sig(n.sets.size());
    for (size_t k = 0; k < n.sets.size(); ++k) {
      const Ranges& r = n.sets[k];
      auto it = std::upper_bound(r.begin(), r.end(), c,
                                 [](char16_t v, const CharRange& x) { return v < x.lo; });
      sig[k] = it != r.begin() && (it - 1)->hi >= c;
    }
    auto ins = sig_index.emplace(std::move(sig), static_cast<int>(sig_index.size()));
    piece_class[p] = ins.first->second;
  }
  num_classes_ = static_cast<int>(sig_index.size());
  cmap_.assign(0x10000, 0);
  for (size_t p = 0; p + 1 < cuts.size(); ++p) {
    for (unsigned c = cuts[p]; c < cuts[p + 1]; ++c) cmap_[c] = static_cast<uint16_t>(piece_class[p]);
  }
  size_t words = (num_classes_ + 63) / 64;
  n.set_bits.assign(n.sets.size(), std::vector<uint64_t>(words, 0));
  for (const auto& [sig, cls] : sig_index) {
    for (size_t k = 0; k < sig.size(); ++k) {
      if (sig[k]) n.set_bits[k][cls / 64] |= uint64_t{1} << (cls % 64);
    }
  }

  std::vector<int> init, stack;
  n.NewStamp();
  n.Close(n.start, &init, &stack);
  dfa_start_ = AddDfaState(std::move(init));
  built_ = true;
}

int RuleSet::AddDfaState(std::vector<int>&& states) {
  std::sort(states.begin(), states.end());
  auto it = dfa_index_.find(states);
  if (it != dfa_index_.end()) return it->second;
  int id = static_cast<int>(dfa_sets_.size());
  int acc = -1;
  for (int s : states) {
    int a = nfa_->st[s].accept;
    if (a >= 0 && (acc < 0 || a < acc)) acc = a;
  }
  dfa_index_.emplace(states, id);
  dfa_sets_.push_back(std::move(states));
  dfa_accept_.push_back(acc);
  dfa_trans_.resize(dfa_trans_.size() + num_classes_, -2);
  return id;
}

int RuleSet::Step(int d, int cls) {
  int& slot = dfa_trans_[static_cast<size_t>(d) * num_classes_ + cls];
  if (slot != -2) return slot;
  Nfa& n = *nfa_;
  std::vector<int> next, stack;
  n.NewStamp();
  for (int s : dfa_sets_[d]) {
    const NState& x = n.st[s];
    if (x.set >= 0 && (n.set_bits[x.set][cls / 64] >> (cls % 64) & 1)) n.Close(x.next, &next, &stack);
  }
  int target = next.empty() ? -1 : AddDfaState(std::move(next));
  // AddDfaState may have grown dfa_trans_; index again.
  dfa_trans_[static_cast<size_t>(d) * num_classes_ + cls] = target;
  return target;
}

RuleSet::Match RuleSet::Longest(const char16_t* text, size_t n, size_t pos, Memo* memo) {
  Match best;
  int d = dfa_start_;
  memo->pending.clear();
  for (size_t i = pos; i < n;) {
    if (!memo->failed.empty() &&
        memo->failed.count((static_cast<uint64_t>(d) << 32) | static_cast<uint32_t>(i))) {
      break;
    }
    d = Step(d, cmap_[text[i]]);
    if (d < 0) break;
    ++i;
    if (dfa_accept_[d] >= 0) {
      best.rule = dfa_accept_[d];
      best.end = i;
      memo->pending.clear();
    } else {
      memo->pending.push_back((static_cast<uint64_t>(d) << 32) | static_cast<uint32_t>(i));
    }
  }
  for (uint64_t k : memo->pending) memo->failed.insert(k);
  memo->pending.clear();
  return best;
}

size_t RuleSet::MainEnd(int rule, const char16_t* text, size_t start, size_t end) {
  const RuleDef& r = rules_[rule];
  if (!r.trail) return end;
  if (r.trail_fixed >= 0) return end - r.trail_fixed;
  if (r.main_fixed >= 0) return start + r.main_fixed;
  Nfa& n = *nfa_;
  // Where can the main part end? (NFA simulation over the matched text.)
  auto simulate = [&](int from_state, int final_state, size_t from, size_t to,
                      std::vector<size_t>* ends) -> bool {
    std::vector<int> cur, nxt, stack;
    n.NewStamp();
    n.Close(from_state, &cur, &stack);
    for (size_t i = from;; ++i) {
      bool fin = std::find(cur.begin(), cur.end(), final_state) != cur.end();
      if (fin && ends) ends->push_back(i);
      if (i == to) return fin;
      int cls = cmap_[text[i]];
      nxt.clear();
      n.NewStamp();
      for (int s : cur) {
        const NState& x = n.st[s];
        if (x.set >= 0 && (n.set_bits[x.set][cls / 64] >> (cls % 64) & 1)) n.Close(x.next, &nxt, &stack);
      }
      cur.swap(nxt);
      if (cur.empty()) return false;
    }
  };
  std::vector<size_t> ends;
  simulate(r.main_start, r.main_final, start, end, &ends);
  for (auto it = ends.rbegin(); it != ends.rend(); ++it) {
    if (simulate(r.trail_start, r.trail_final, *it, end, nullptr)) return *it;
  }
  return ends.empty() ? end : ends.back();
}

}  // namespace capsfusion::ptb

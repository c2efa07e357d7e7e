// Thompson NFA and lazily built DFA behind the PTB lexer.
#include "eval/ptb_automaton.h"

#include <algorithm>

#include "eval/ptb_unicode.h"

namespace capsfusion::ptb {

using Ranges = std::vector<CharRange>;

namespace {

constexpr size_t kShortOvershoot = 32;
// The lazily built DFA is dropped and rebuilt past this many states.
constexpr size_t kMaxDfaStates = 20000;

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
  std::pair<int, int> Build(const PatternPtr& a) {
    switch (a->kind) {
      case Pattern::kSet: {
        int s = NewState(), e = NewState();
        st[s].set = SetId(a->set);
        st[s].next = e;
        return {s, e};
      }
      case Pattern::kEmpty: {
        int s = NewState(), e = NewState();
        st[s].eps.push_back(e);
        return {s, e};
      }
      case Pattern::kCat: {
        auto first = Build(a->kids[0]);
        int end = first.second;
        for (size_t k = 1; k < a->kids.size(); ++k) {
          auto f = Build(a->kids[k]);
          st[end].eps.push_back(f.first);
          end = f.second;
        }
        return {first.first, end};
      }
      case Pattern::kAlt: {
        int s = NewState(), e = NewState();
        for (const auto& k : a->kids) {
          auto f = Build(k);
          st[s].eps.push_back(f.first);
          st[f.second].eps.push_back(e);
        }
        return {s, e};
      }
      case Pattern::kStar: case Pattern::kPlus: case Pattern::kOpt: {
        int s = NewState(), e = NewState();
        auto f = Build(a->kids[0]);
        st[s].eps.push_back(f.first);
        st[f.second].eps.push_back(e);
        if (a->kind != Pattern::kPlus) st[s].eps.push_back(e);
        if (a->kind != Pattern::kOpt) st[f.second].eps.push_back(f.first);
        return {s, e};
      }
      case Pattern::kRep: {
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

PatternPtr RuleSet::Parse(const std::string& pattern) {
  return ParsePattern(pattern, caseless_, macros_);
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

void RuleSet::ResetDfa(Memo* memo) {
  std::vector<int> start = dfa_sets_[dfa_start_];
  dfa_index_.clear();
  dfa_sets_.clear();
  dfa_accept_.clear();
  dfa_trans_.clear();
  dfa_start_ = AddDfaState(std::move(start));
  memo->failed.clear();  // its keys name states that are gone
}

RuleSet::Match RuleSet::Longest(const char16_t* text, size_t n, size_t pos, Memo* memo) {
  if (dfa_sets_.size() > kMaxDfaStates) ResetDfa(memo);
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
  // Short overshoots cost at most kShortOvershoot steps per token; only long
  // ones are remembered, so each (state, position) is walked past at most
  // once in a long overshoot and the pass stays linear.
  if (memo->pending.size() > kShortOvershoot) {
    for (uint64_t k : memo->pending) memo->failed.insert(k);
  }
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

// Parser for the PTB lexer's rule patterns. See ptb_pattern.h.
#include "eval/ptb_pattern.h"

#include <algorithm>
#include <stdexcept>

namespace capsfusion::ptb {
namespace {

using Ranges = std::vector<CharRange>;
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

PatternPtr MakeSet(Ranges r) {
  auto a = std::make_shared<Pattern>();
  a->kind = Pattern::kSet;
  a->set = Normalize(std::move(r));
  return a;
}

PatternPtr Make(Pattern::Kind k, std::vector<PatternPtr> kids) {
  auto a = std::make_shared<Pattern>();
  a->kind = k;
  a->kids = std::move(kids);
  return a;
}

void Lengths(const PatternPtr& a, int* lo, int* hi) {
  switch (a->kind) {
    case Pattern::kSet: *lo = *hi = 1; return;
    case Pattern::kEmpty: *lo = *hi = 0; return;
    case Pattern::kCat: {
      *lo = *hi = 0;
      for (const auto& k : a->kids) {
        int l, h;
        Lengths(k, &l, &h);
        *lo += l;
        *hi = (*hi >= kInf || h >= kInf) ? kInf : *hi + h;
      }
      return;
    }
    case Pattern::kAlt: {
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
    case Pattern::kStar: *lo = 0; *hi = kInf; return;
    case Pattern::kPlus: Lengths(a->kids[0], lo, hi); *hi = kInf; return;
    case Pattern::kOpt: Lengths(a->kids[0], lo, hi); *lo = 0; return;
    case Pattern::kRep: {
      int l, h;
      Lengths(a->kids[0], &l, &h);
      *lo = l * a->min;
      *hi = (h >= kInf) ? kInf : h * a->max;
      return;
    }
  }
}


// Recursive-descent parser over the UTF-16 form of a pattern.
class Parser {
 public:
  Parser(std::u16string src, bool caseless, const std::map<std::string, PatternPtr>& macros)
      : s_(std::move(src)), caseless_(caseless), macros_(macros) {}

  PatternPtr Parse() {
    PatternPtr a = Alt();
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

  PatternPtr Alt() {
    std::vector<PatternPtr> alts{Cat()};
    while (!AtEnd() && Peek() == u'|') {
      ++i_;
      alts.push_back(Cat());
    }
    return alts.size() == 1 ? alts[0] : Make(Pattern::kAlt, std::move(alts));
  }

  PatternPtr Cat() {
    std::vector<PatternPtr> parts;
    while (!AtEnd() && Peek() != u'|' && Peek() != u')') parts.push_back(Post());
    if (parts.empty()) return Make(Pattern::kEmpty, {});
    return parts.size() == 1 ? parts[0] : Make(Pattern::kCat, std::move(parts));
  }

  PatternPtr Post() {
    PatternPtr a = Atom();
    while (!AtEnd()) {
      char16_t c = Peek();
      if (c == u'*') {
        ++i_;
        a = Make(Pattern::kStar, {a});
      } else if (c == u'+') {
        ++i_;
        a = Make(Pattern::kPlus, {a});
      } else if (c == u'?') {
        ++i_;
        a = Make(Pattern::kOpt, {a});
      } else if (c == u'{' && i_ + 1 < s_.size() && s_[i_ + 1] >= u'0' && s_[i_ + 1] <= u'9') {
        ++i_;
        int lo = Number(), hi = lo;
        if (!AtEnd() && Peek() == u',') {
          ++i_;
          hi = Number();
        }
        if (AtEnd() || Peek() != u'}') Fail("bad repeat");
        ++i_;
        auto r = std::make_shared<Pattern>();
        r->kind = Pattern::kRep;
        r->kids = {a};
        r->min = lo;
        r->max = hi;
        a = std::move(r);
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

  PatternPtr Literal(char16_t c) {
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

  PatternPtr Class() {  // after '['
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

  PatternPtr Atom() {
    char16_t c = s_[i_++];
    switch (c) {
      case u'(': {
        PatternPtr a = Alt();
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
        std::vector<PatternPtr> parts;
        while (!AtEnd() && Peek() != u'"') {
          char16_t d = s_[i_++];
          parts.push_back(Literal(d == u'\\' ? Escape() : d));
        }
        if (AtEnd()) Fail("unterminated string");
        ++i_;
        if (parts.empty()) return Make(Pattern::kEmpty, {});
        return parts.size() == 1 ? parts[0] : Make(Pattern::kCat, std::move(parts));
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
  const std::map<std::string, PatternPtr>& macros_;
};


}  // namespace

int FixedLength(const PatternPtr& p) {
  int lo, hi;
  Lengths(p, &lo, &hi);
  return lo == hi ? lo : -1;
}

PatternPtr ParsePattern(const std::string& pattern, bool caseless,
                        const std::map<std::string, PatternPtr>& macros) {
  return Parser(Utf8ToUtf16(pattern), caseless, macros).Parse();
}

}  // namespace capsfusion::ptb

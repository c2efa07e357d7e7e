// Rules and token actions of the PTB lexer port. See ptb_lexer.h.
#include "eval/ptb_lexer.h"

#include <utility>

#include "eval/ptb_automaton.h"
#include "eval/ptb_unicode.h"

namespace capsfusion::ptb {
namespace {

enum Action {
  kPlain,          // the matched text
  kSkip,           // whitespace, control characters: nothing
  kNewline,        // a line break (tokenizeNLs)
  kUntokenizable,  // deleted (untokenizable=firstDelete)
  kSplitLast3,     // "cannot" -> "can" + "not" (splitAssimilations)
  kSplitLast2,     // "gonna" -> "gon" + "na"
  kSgml,           // spaces become U+00A0
  kDash,           // "--"
  kAmp,            // &amp; -> &
  kSoftHyphen,     // soft hyphens removed
  kQuoteRight,     // latex quotes, closing
  kQuoteLeft,      // latex quotes, opening
  kFraction,       // spaces become U+00A0
  kFractionChar,   // vulgar fraction characters spelled out
  kCurrency,       // currency signs normalized
  kAcronym,        // sentence-final acronym
  kAbbrevPeriod,   // abbreviation kept whole, and its period again as a token
  kPhone,          // spaces become U+00A0, parentheses escaped
  kSmiley,         // parentheses escaped
  kLrb, kRrb, kLcb, kRcb, kLsb, kRsb, kLess, kGreater,
  kHyphens,        // 3 or 4 hyphens -> "--"
  kEllipsis,       // "..."
};

struct RuleSpec {
  Action action;
  const char* pattern;
  const char* trail;
};

// Named sub-patterns. Syntax: see ptb_pattern.h.
const std::pair<const char*, const char*> kMacros[] = {
    {"SGML", R"(<([!?][A-Za-z\-][^>\r\n]*|[A-Za-z][A-Za-z0-9_:.\-]*([ ]+([A-Za-z][A-Za-z0-9_:.\-]*|[A-Za-z][A-Za-z0-9_:.\-]*[ ]*=[ ]*('[^']*'|\"[^\"]*\"|[A-Za-z][A-Za-z0-9_:.\-]*)))*[ ]*/?|/[A-Za-z][A-Za-z0-9_:.\-]*)[ ]*>)"},
    {"SPMDASH", R"(&(MD|mdash|ndash);|[\u0096\u0097\u2013\u2014\u2015])"},
    {"SPAMP", R"(&amp;)"},
    {"SPPUNC", R"(&(HT|TL|UR|LR|QC|QL|QR|odq|cdq|#[0-9]+);)"},
    {"SPLET", R"(&[aeiouAEIOU](acute|grave|uml);)"},
    {"SPACE", R"([ \t\u00A0\u2000-\u200A\u3000])"},
    {"SPACES", R"({SPACE}+)"},
    {"NEWLINE", R"(\r|\r?\n|\u2028|\u2029|\u000B|\u000C|\u0085)"},
    {"SPACENL", R"(({SPACE}|{NEWLINE}))"},
    {"SPACENLS", R"({SPACENL}+)"},
    {"SENTEND", R"({SPACENL}({SPACENL}|[:uppercase:]|{SGML}))"},
    {"DIGIT", R"([:digit:]|[\u07C0-\u07C9])"},
    {"DATE", R"({DIGIT}{1,2}[\-/]{DIGIT}{1,2}[\-/]{DIGIT}{2,4})"},
    {"NUM", R"({DIGIT}+|{DIGIT}*([.:,\u00AD\u066B\u066C]{DIGIT}+)+)"},
    {"NUMBER", R"([\-+]?{NUM})"},
    {"SUBSUPNUM", R"([\u207A\u207B\u208A\u208B]?([\u2070\u00B9\u00B2\u00B3\u2074-\u2079]+|[\u2080-\u2089]+))"},
    {"FRAC", R"(({DIGIT}{1,4}[\- \u00A0])?{DIGIT}{1,4}(\\?/|\u2044){DIGIT}{1,4})"},
    {"FRAC2", R"([\u00BC\u00BD\u00BE\u2153-\u215E])"},
    {"DOLSIGN", R"(([A-Z]*\$|#))"},
    {"DOLSIGN2", R"([\u00A2\u00A3\u00A4\u00A5\u0080\u20A0\u20AC\u060B\u0E3F\u20A4\uFFE0\uFFE1\uFFE5\uFFE6])"},
    {"LETTER", R"(([:letter:]|{SPLET}|[\u00AD\u0237-\u024F\u02C2-\u02C5\u02D2-\u02DF\u02E5-\u02FF\u0300-\u036F\u0370-\u037D\u0384\u0385\u03CF\u03F6\u03FC-\u03FF\u0483-\u0487\u04CF\u04F6-\u04FF\u0510-\u0525\u055A-\u055F\u0591-\u05BD\u05BF\u05C1\u05C2\u05C4\u05C5\u05C7\u0615-\u061A\u063B-\u063F\u064B-\u065E\u0670\u06D6-\u06EF\u06FA-\u06FF\u070F\u0711\u0730-\u074F\u0750-\u077F\u07A6-\u07B1\u07CA-\u07F5\u07FA\u0900-\u0903\u093C\u093E-\u094E\u0951-\u0955\u0962-\u0963\u0981-\u0983\u09BC-\u09C4\u09C7\u09C8\u09CB-\u09CD\u09D7\u09E2\u09E3\u0A01-\u0A03\u0A3C\u0A3E-\u0A4F\u0A81-\u0A83\u0ABC-\u0ACF\u0B82\u0BBE-\u0BC2\u0BC6-\u0BC8\u0BCA-\u0BCD\u0C01-\u0C03\u0C3E-\u0C56\u0D3E-\u0D44\u0D46-\u0D48\u0E30-\u0E3A\u0E47-\u0E4E\u0EB1-\u0EBC\u0EC8-\u0ECD]))"},
    {"WORD", R"({LETTER}({LETTER}|{DIGIT})*([.!?]{LETTER}({LETTER}|{DIGIT})*)*)"},
    {"APOS", R"(['\u0092\u2019]|&apos;)"},
    {"APOSETCETERA", R"({APOS}|[\u0091\u2018\u201B])"},
    {"ALNUM", R"(([:letter:]|[:digit:]))"},
    {"HYPHEN", R"([\-_\u058A\u2010\u2011])"},
    {"THING", R"(([dDoOlL]{APOSETCETERA}{ALNUM})?{ALNUM}+({HYPHEN}([dDoOlL]{APOSETCETERA}{ALNUM})?{ALNUM}+)*)"},
    {"THINGA", R"([A-Z]+(([+&]|{SPAMP})[A-Z]+)+)"},
    {"THING3", R"([A-Za-z0-9]+(\-[A-Za-z]+){0,2}(\\?/[A-Za-z0-9]+(\-[A-Za-z]+){0,2}){1,2})"},
    {"ACRO", R"([A-Za-z](\.[A-Za-z])*|(Canada|Sino|Korean|EU|Japan|non)\-U\.S|U\.S\.\-(U\.K|U\.S\.S\.R))"},
    {"ACRO2", R"([A-Za-z](\.[A-Za-z])+|(Canada|Sino|Korean|EU|Japan|non)\-U\.S|U\.S\.\-(U\.K|U\.S\.S\.R))"},
    {"HTHING", R"([A-Za-z0-9][A-Za-z0-9.,\u00AD]*(\-([A-Za-z0-9\u00AD]+|{ACRO2}\.))+)"},
    {"REDAUX", R"({APOS}([msdMSD]|re|ve|ll))"},
    {"SWORD", R"([A-Za-z\u00AD]*[A-MO-Za-mo-z]\u00AD*)"},
    {"SREDAUX", R"(n{APOSETCETERA}t)"},
    {"APOWORD", R"({APOS}n{APOS}?|[lLdDjJ]{APOS}|Dunkin{APOS}|somethin{APOS}|ol{APOS}|{APOS}em|[A-HJ-XZn]{APOSETCETERA}[:letter:]{2}[:letter:]*|{APOS}[2-9]0s|{APOS}till?|[:letter:][:letter:]*[aeiouyAEIOUY]{APOSETCETERA}[aeiouA-Z][:letter:]*|{APOS}cause|cont'd\.?|'twas|nor'easter|c'mon|e'er|s'mores|ev'ry|li'l|nat'l)"},
    {"APOWORD2", R"(y{APOS})"},
    {"FULLURL", R"(https?://[^ \t\n\f\r\"<>|()]+[^ \t\n\f\r\"<>|.!?(){},\-])"},
    {"LIKELYURL", R"(((www\.([^ \t\n\f\r\"<>|.!?(){},]+\.)+[a-zA-Z]{2,4})|(([^ \t\n\f\r\"`'<>|.!?(){},-_$]+\.)+(com|net|org|edu)))(/[^ \t\n\f\r\"<>|()]+[^ \t\n\f\r\"<>|.!?(){},\-])?)"},
    {"EMAIL", R"([a-zA-Z0-9][^ \t\n\f\r\"<>|()\u00A0]*@([^ \t\n\f\r\"<>|().\u00A0]+\.)*([^ \t\n\f\r\"<>|().\u00A0]+))"},
    {"TWITTER", R"(@[a-zA-Z_][a-zA-Z_0-9]*|#{LETTER}+)"},
    {"ABMONTH", R"(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)"},
    {"ABDAYS", R"(Mon|Tue|Tues|Wed|Thu|Thurs|Fri)"},
    {"ABSTATE", R"(Ala|Ariz|[A]z|[A]rk|Calif|Colo|Conn|Ct|Dak|[D]el|Fla|Ga|[I]ll|Ind|Kans?|Ky|[L]a|[M]ass|Md|Mich|Minn|[M]iss|Mo|Mont|Neb|Nev|Okla|[O]re|[P]a|Penn|Tenn|[T]ex|Va|Vt|[W]ash|Wisc?|Wyo)"},
    {"ABTITLE", R"(Mr|Mrs|Ms|[M]iss|Drs?|Profs?|Sens?|Reps?|Attys?|Lt|Col|Gen|Messrs|Govs?|Adm|Rev|Maj|Sgt|Cpl|Pvt|Mt|Capt|Ste?|Ave|Pres|Lieut|Hon|Brig|Co?mdr|Pfc|Spc|Supts?|Det)"},
    {"ABPTIT", R"(Jr|Sr|Bros|(Ed|Ph)\.D|Blvd|Rd|Esq)"},
    {"ABCOMP", R"(Inc|Cos?|Corp|Pp?tys?|Ltd|Plc|Bancorp|Dept|Bhd|Assn|Univ|Intl|Sys)"},
    {"ABCOMP2", R"(Invt|Elec|Natl|M[ft]g)"},
    {"ABNUM", R"(tel|est|ext|sq|ft)"},
    {"ABBREV3", R"((ca|figs?|prop|nos?|sect?s?|arts?|paras?|bldg|prop|pp|op|approx|[P][t])\.)"},
    {"ABBREV1", R"(({ABMONTH}|{ABDAYS}|{ABSTATE}|{ABCOMP}|{ABNUM}|{ABPTIT}|etc|al|seq)\.)"},
    {"ABBREV4", R"([A-Za-z]|{ABTITLE}|vs|Alex|Wm|Jos|Cie|a\.k\.a|cf|TREAS|{ACRO}|{ABCOMP2})"},
    {"ABBREV2", R"({ABBREV4}\.)"},
    {"ACRONYM", R"({ACRO}\.)"},
    {"PHONE", R"((\([0-9]{2,3}\)[ \u00A0]?|(\+\+?)?([0-9]{2,4}[\- \u00A0])?[0-9]{2,4}[\- \u00A0])[0-9]{3,4}[\- \u00A0]?[0-9]{3,5}|((\+\+?)?[0-9]{2,4}\.)?[0-9]{2,4}\.[0-9]{3,4}\.[0-9]{3,5})"},
    {"FAKEDUCKFEET", R"(<<|>>)"},
    {"HYPHENS", R"(\-+)"},
    {"LDOTS", R"(\.{3,5}|(\.[ \u00A0]){2,4}\.|[\u0085\u2026])"},
    {"FNMARKS", R"(@+|#+|_+)"},
    {"ASTS", R"(\*+|(\\\*){1,3})"},
    {"INSENTP", R"([,;:\u3001])"},
    {"QUOTES", R"({APOS}|''|[`\u2018\u2019\u201A\u201B\u201C\u201D\u0091\u0092\u0093\u0094\u201E\u201F\u2039\u203A\u00AB\u00BB]{1,2})"},
    {"DBLQUOT", R"(\"|&quot;)"},
    {"TBSPEC", R"(\-(RRB|LRB|RCB|LCB|RSB|LSB)\-|C\.D\.s|pro\-|anti\-|S(&|&amp;)P\-500|S(&|&amp;)Ls|Cap{APOS}n|c{APOS}est)"},
    {"TBSPEC2", R"({APOS}[0-9][0-9])"},
    {"FILENAME_EXT", R"(bat|bmp|bz2|c|class|cgi|cpp|dll|doc|docx|exe|gif|gz|h|htm|html|jar|java|jpeg|jpg|mov|mp3|pdf|php|pl|png|ppt|ps|py|sql|tar|txt|wav|x|xml|zip)"},
    {"FILENAME", R"({ALNUM}+(\.{ALNUM}+)*\.{FILENAME_EXT})"},
    {"SMILEY", R"([<>]?[:;=][\-o*']?[()DPdpO\\{@|\[\]])"},
    {"MISCSYMBOL", R"([+%&~\^|\\\u00A6\u00A7\u00A8\u00A9\u00AC\u00AE\u00AF\u00B0-\u00B3\u00B4-\u00BA\u00D7\u00F7\u0387\u05BE\u05C0\u05C3\u05C6\u05F3\u05F4\u0600-\u0603\u0606-\u060A\u060C\u0614\u061B\u061E\u066A\u066D\u0703-\u070D\u07F6\u07F7\u07F8\u0964\u0965\u0E4F\u1FBD\u2016\u2017\u2020-\u2023\u2030-\u2038\u203B\u203E-\u2042\u2044\u207A-\u207F\u208A-\u208E\u2100-\u214F\u2190-\u21FF\u2200-\u2BFF\u3012\u30FB\uFF01-\uFF0F\uFF1A-\uFF20\uFF3B-\uFF40\uFF5B-\uFF65])"},
    {"ACRONYM_NEXT", R"([A]bout|[A]ccording|[A]dditionally|[A]fter|[A]n|[A]|[A]s|[A]t|[B]ut|[E]arlier|[H]e|[H]er|[H]ere|[H]owever|[I]f|[I]n|[I]t|[L]ast|[M]any|[M]ore|[M]r\.|[M]s\.|[N]ow|[O]nce|[O]ne|[O]ther|[O]ur|[S]he|[S]ince|[S]o|[S]ome|[S]uch|[T]hat|[T]he|[T]hen|[T]here|[T]hese|[T]hey|[T]his|[W]e|[W]hen|[W]hile|[W]hat|[Y]et|[Y]ou|{SGML})"},
};

// The rules, in priority order (earlier wins a tie in length).
const RuleSpec kRules[] = {
    {kSplitLast3, R"(cannot|'twas|dunno)", ""},
    {kSplitLast2, R"({APOS}tis|gonna|gotta|lemme|gimme|wanna)", ""},
    {kSgml, R"({SGML})", ""},
    {kDash, R"({SPMDASH})", ""},
    {kAmp, R"({SPAMP})", ""},
    {kPlain, R"({SPPUNC})", ""},
    {kSoftHyphen, R"({WORD})", R"({REDAUX})"},
    {kSoftHyphen, R"({SWORD})", R"({SREDAUX})"},
    {kSoftHyphen, R"({WORD})", ""},
    {kPlain, R"({APOWORD})", ""},
    {kPlain, R"({APOWORD2})", R"([:letter:])"},
    {kPlain, R"({FULLURL})", ""},
    {kPlain, R"({LIKELYURL})", ""},
    {kPlain, R"({EMAIL})", ""},
    {kPlain, R"({TWITTER})", ""},
    {kQuoteRight, R"({REDAUX})", R"([^A-Za-z])"},
    {kQuoteRight, R"({SREDAUX})", ""},
    {kPlain, R"({DATE})", ""},
    {kSoftHyphen, R"({NUMBER})", ""},
    {kPlain, R"({SUBSUPNUM})", ""},
    {kFraction, R"({FRAC})", ""},
    {kFractionChar, R"({FRAC2})", ""},
    {kAmp, R"({TBSPEC})", ""},
    {kPlain, R"({THING3})", ""},
    {kPlain, R"({DOLSIGN})", ""},
    {kCurrency, R"({DOLSIGN2})", ""},
    {kAcronym, R"({ACRONYM})", R"({SPACENLS}{ACRONYM_NEXT}{SPACENL})"},
    {kPlain, R"({ABBREV3})", R"({SPACENL}?[:digit:])"},
    {kAbbrevPeriod, R"({ABBREV1})", R"({SENTEND})"},
    {kPlain, R"({ABBREV1})", R"([^][^])"},
    {kAbbrevPeriod, R"({ABBREV1})", ""},
    {kPlain, R"({ABBREV2})", ""},
    {kPlain, R"({ABBREV4})", R"({SPACE})"},
    {kPlain, R"({ACRO})", R"({SPACENL})"},
    {kPlain, R"({TBSPEC2})", R"({SPACENL})"},
    {kPlain, R"({FILENAME})", R"(({SPACENL}|[.?!,]))"},
    {kSoftHyphen, R"({WORD}\.)", R"({INSENTP})"},
    {kPhone, R"({PHONE})", ""},
    {kQuoteLeft, R"({DBLQUOT})", R"([A-Za-z0-9$])"},
    {kQuoteRight, R"({DBLQUOT})", ""},
    {kSkip, R"(0x7f)", ""},  // the literal text "0x7f" (any case) is dropped
    {kLess, R"(<|&lt;)", ""},
    {kGreater, R"(>|&gt;)", ""},
    {kSmiley, R"({SMILEY})", R"([^A-Za-z0-9])"},
    {kLcb, R"(\{)", ""},
    {kRcb, R"(\})", ""},
    {kLsb, R"(\[)", ""},
    {kRsb, R"(\])", ""},
    {kLrb, R"(\()", ""},
    {kRrb, R"(\))", ""},
    {kHyphens, R"({HYPHENS})", ""},
    {kEllipsis, R"({LDOTS})", ""},
    {kPlain, R"({FNMARKS})", ""},
    {kPlain, R"({ASTS})", ""},
    {kPlain, R"({INSENTP})", ""},
    {kPlain, R"([?!]+)", ""},
    {kPlain, R"([.\u00A1\u00BF\u037E\u0589\u061F\u06D4\u0700-\u0702\u07FA\u3002])", ""},
    {kPlain, R"(=)", ""},
    {kPlain, R"(/)", ""},
    {kSoftHyphen, R"({HTHING}\.)", R"({INSENTP})"},
    {kSoftHyphen, R"({HTHING})", ""},
    {kPlain, R"({THING}\.)", R"({INSENTP})"},
    {kPlain, R"({THING})", ""},
    {kAmp, R"({THINGA}\.)", R"({INSENTP})"},
    {kAmp, R"({THINGA})", ""},
    {kQuoteLeft, R"(')", R"([A-Za-z][^ \t\n\r\u00A0])"},
    {kQuoteRight, R"({REDAUX})", ""},
    {kQuoteRight, R"({QUOTES})", ""},
    {kPlain, R"({FAKEDUCKFEET})", ""},
    {kPlain, R"({MISCSYMBOL})", ""},
    {kSkip, R"(\u0000|{SPACES}|[\u200B\u200E-\u200F\uFEFF])", ""},
    {kNewline, R"({NEWLINE})", ""},
    {kSkip, R"(&nbsp;)", ""},
    {kUntokenizable, R"(.)", ""},
};

std::u16string ReplaceUnit(std::u16string s, char16_t from, char16_t to) {
  for (char16_t& c : s) {
    if (c == from) c = to;
  }
  return s;
}

std::u16string RemoveSoftHyphens(const std::u16string& s) {
  std::u16string out;
  for (char16_t c : s) {
    if (c != 0x00AD) out.push_back(c);
  }
  return out.empty() ? u"-" : out;
}

// Replaces every case-insensitive occurrence of `from` (ASCII) by `to`.
std::u16string ReplaceCaseless(const std::u16string& s, std::u16string_view from,
                               std::u16string_view to) {
  std::u16string out;
  size_t i = 0;
  while (i < s.size()) {
    bool hit = i + from.size() <= s.size();
    for (size_t k = 0; hit && k < from.size(); ++k) {
      char16_t a = s[i + k], b = from[k];
      if (a >= 'A' && a <= 'Z') a = static_cast<char16_t>(a + 32);
      hit = a == b;
    }
    if (hit) {
      out.append(to);
      i += from.size();
    } else {
      out.push_back(s[i++]);
    }
  }
  return out;
}

// PTBLexer.latexQuotes: straight quotes by the guessed side, curly ones by shape.
std::u16string LatexQuotes(const std::u16string& in, bool probably_left) {
  std::u16string s = ReplaceCaseless(in, u"&apos;", u"'");
  s = ReplaceCaseless(s, u"&quot;", u"\"");
  std::u16string out;
  for (char16_t c : s) {
    switch (c) {
      case u'\'': out += probably_left ? u"`" : u"'"; break;
      case u'"': out += probably_left ? u"``" : u"''"; break;
      case 0x0091: case 0x2018: case 0x201B: case 0x2039: out += u"`"; break;
      case 0x0092: case 0x2019: case 0x203A: out += u"'"; break;
      case 0x0093: case 0x201C: case 0x00AB: out += u"``"; break;
      case 0x0094: case 0x201D: case 0x00BB: out += u"''"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::u16string NormalizeCurrency(const std::u16string& in) {
  std::u16string out;
  for (char16_t c : in) {
    switch (c) {
      case 0x00A2: out += u"cents"; break;
      case 0x00A3: out += u"#"; break;
      case 0x0080: case 0x00A4: case 0x20A0: case 0x20AC: out += u"$"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::u16string NormalizeFraction(const std::u16string& in) {
  std::u16string out;
  for (char16_t c : in) {
    switch (c) {
      case 0x00BC: out += u"1/4"; break;
      case 0x00BD: out += u"1/2"; break;
      case 0x00BE: out += u"3/4"; break;
      case 0x2153: out += u"1/3"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::u16string EscapeParens(std::u16string in) {
  std::u16string out;
  for (char16_t c : in) {
    if (c == u'(') out += u"-LRB-";
    else if (c == u')') out += u"-RRB-";
    else out.push_back(c);
  }
  return out;
}

bool IsSpaceUnit(char16_t c) {
  return c == u' ' || c == u'\t' || (c >= u'\n' && c <= u'\r') || c == 0x0085;
}

}  // namespace

PtbLexer::PtbLexer() : rules_(std::make_unique<RuleSet>(/*caseless=*/true)) {
  for (const auto& [name, pattern] : kMacros) rules_->Define(name, pattern);
  for (const RuleSpec& r : kRules) {
    rules_->AddRule(r.pattern, r.trail);
    actions_.push_back(r.action);
  }
  rules_->Build();
}

PtbLexer::~PtbLexer() = default;

void PtbLexer::Tokenize(std::u16string_view text, const LexSink& sink) {
  RuleSet::Memo memo;
  const char16_t* s = text.data();
  const size_t n = text.size();
  size_t pos = 0;
  auto emit = [&](std::u16string_view t) { sink(t, false); };
  while (pos < n) {
    RuleSet::Match m = rules_->Longest(s, n, pos, &memo);
    if (m.rule < 0) {  // nothing matches (cannot happen with the catch-all)
      ++pos;
      continue;
    }
    size_t end = rules_->HasTrail(m.rule) ? rules_->MainEnd(m.rule, s, pos, m.end) : m.end;
    std::u16string tok(s + pos, end - pos);
    switch (static_cast<Action>(actions_[m.rule])) {
      case kPlain: emit(tok); break;
      case kSkip: case kUntokenizable: break;
      case kNewline: sink(std::u16string_view(), true); break;
      case kSplitLast3: case kSplitLast2: {
        size_t back = actions_[m.rule] == kSplitLast3 ? 3 : 2;
        end -= back;
        emit(tok.substr(0, tok.size() - back));
        break;
      }
      case kSgml: emit(ReplaceUnit(std::move(tok), u' ', 0x00A0)); break;
      case kDash: emit(u"--"); break;
      case kAmp: emit(ReplaceCaseless(tok, u"&amp;", u"&")); break;
      case kSoftHyphen: emit(RemoveSoftHyphens(tok)); break;
      case kQuoteRight: emit(LatexQuotes(tok, false)); break;
      case kQuoteLeft: emit(LatexQuotes(tok, true)); break;
      case kFraction: emit(ReplaceUnit(std::move(tok), u' ', 0x00A0)); break;
      case kFractionChar: emit(NormalizeFraction(tok)); break;
      case kCurrency: emit(NormalizeCurrency(tok)); break;
      case kAcronym: {
        while (end > pos && IsSpaceUnit(s[end - 1])) --end;
        if (end - pos == 2) {  // "I.": the letter, then the period next time
          --end;
          emit(std::u16string_view(s + pos, 1));
        } else {  // the acronym with its period, and the period again
          emit(std::u16string_view(s + pos, end - pos));
          --end;
        }
        break;
      }
      case kAbbrevPeriod:
        emit(tok);
        --end;
        break;
      case kPhone: emit(EscapeParens(ReplaceUnit(std::move(tok), u' ', 0x00A0))); break;
      case kSmiley: emit(EscapeParens(std::move(tok))); break;
      case kLrb: emit(u"-LRB-"); break;
      case kRrb: emit(u"-RRB-"); break;
      case kLcb: emit(u"-LCB-"); break;
      case kRcb: emit(u"-RCB-"); break;
      case kLsb: emit(u"-LSB-"); break;
      case kRsb: emit(u"-RSB-"); break;
      case kLess: emit(u"<"); break;
      case kGreater: emit(u">"); break;
      case kHyphens:
        if (tok.size() >= 3 && tok.size() <= 4) {
          emit(u"--");
        } else {
          emit(tok);
        }
        break;
      case kEllipsis: emit(u"..."); break;
    }
    pos = end;
  }
}

}  // namespace capsfusion::ptb

// Names for dropped_name and hallucination: a stricter reading of the fusion
// metrics' proper words (docs/metrics.md 2.1), because a QC flag must point
// at a real name, not at a capitalised ordinary word.
//
// A word is a name when the metrics call it proper (capitalised, no digit,
// not a stopword, not a common word at a sentence start or in a title-cased
// caption), it is not a common word anywhere ("Stock Photo", "VIDEO"), it is
// not a hashtag ("#Gallery"), and either
//   - it is marked as a name by its own letters: one or two capitals after a
//     lowercase letter ("McCoy", "iPhone", "DocuVaults") or all capitals of 2 to 4
//     letters ("CNN", "FDNY", "UK"); or
//   - it is capitalised where ordinary words are not: not at a sentence
//     start, not in a title-cased caption, and not an all-capitals word of
//     5 letters or more ("BLOCAGE", "REUTERS" shout rather than name).
// All-capitals words do not count in a caption that shouts (Caption::shouting),
// and web boilerplate never counts (file types, image sites, "Pin", "DIY",
// "ID", "TV", "Footage", "Credit"), two-letter abbreviations ("Fl", "Jr"),
// or code identifiers of three humps or more ("captionLinkClicked").

#include <string_view>

#include "qc/qc_checks.h"

namespace capsfusion::qc {
namespace {

inline bool Upper(char c) { return c >= 'A' && c <= 'Z'; }
inline bool Lower(char c) { return c >= 'a' && c <= 'z'; }

// Web boilerplate that is capitalised in alt-text but names nothing in the
// picture: file types, image sites, pin and share buttons, chat acronyms.
bool IsBoilerplate(std::string_view w) {
  static constexpr std::string_view kWords[] = {
      "jpg", "jpeg", "png", "gif", "webp", "pdf", "hd", "uhd", "pin", "pins", "repin", "pinterest",
      "eyeem", "stockfoto", "shutterstock", "alamy", "dreamstime", "istock", "istockphoto", "gettyimages",
      "depositphotos", "flickr", "tumblr", "wtf", "lol", "omg", "diy", "faq", "vs", "etc", "mr", "mrs", "ms", "dr",
      "id", "isbn", "jr", "sr", "ram", "dj", "tv", "dvd", "cd", "pc", "usb", "led", "lcd", "ac", "dc", "ok",
      "footage", "royalty", "credit", "credits", "getty", "file", "thumbnail", "editorial", "shipping",
      "photographer", "photographers", "photoshoot", "infographic", "highlights", "sticker", "quote", "quotes",
      "sayings", "memes", "inspiration", "thanks",
  };
  for (std::string_view b : kWords) {
    if (w == b) return true;
  }
  return false;
}

}  // namespace

bool IsName(const Caption& c, const eval::FusionWord& w) {
  if (!eval::IsProperWord(w, c.title_case) || eval::IsCommonWord(w.text, w.hash)) return false;
  const std::string_view text = Original(c.text, w);
  if (w.begin > 0 && c.text[w.begin - 1] == '#') return false;
  if (IsBoilerplate(w.text)) return false;
  size_t upper = 0, lower = 0, humps = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (Upper(text[i])) {
      ++upper;
      if (i > 0 && Lower(text[i - 1])) ++humps;
    } else if (Lower(text[i])) {
      ++lower;
    }
  }
  if (humps >= 3) return false;  // a code identifier ("stopPropagation", "productTileDesktop")
  if (humps > 0) return true;
  if (upper + lower < 3 && lower > 0) return false;  // "Fl", "Sm", "Jr": abbreviations
  const bool all_caps = lower == 0 && upper >= 2;
  if (all_caps) return upper <= 4 && !c.shouting;
  return !w.sentence_start && !c.title_case;
}

}  // namespace capsfusion::qc

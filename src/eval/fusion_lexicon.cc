// Word lists of the fusion metrics: English stopwords and common words.
// Both are lowercase, hand-written for this project, and fixed: changing them
// changes the metrics, so docs/metrics.md names them as part of the definition.

#include <cstdint>
#include <string_view>
#include <vector>

#include "eval/fusion_words.h"
#include "eval/ngrams.h"

namespace capsfusion::eval {
namespace {

// Function words: articles, pronouns, auxiliaries, prepositions, conjunctions,
// quantifiers, common adverbs, contraction pieces.
constexpr std::string_view kStopwords =
    "a an the and or but nor so yet if then else than as because while although though "
    "whether unless until since once when whenever where wherever why how what which who "
    "whom whose whoever whatever this that these those there here "
    "i me my mine myself we us our ours ourselves you your yours yourself yourselves "
    "he him his himself she her hers herself it its itself they them their theirs themselves "
    "one ones oneself "
    "am is are was were be been being have has had having do does did doing done "
    "will would shall should can could may might must ought "
    "isn't aren't wasn't weren't hasn't haven't hadn't doesn't don't didn't won't wouldn't "
    "shan't shouldn't can't cannot couldn't mustn't mightn't needn't "
    "i'm i've i'd i'll you're you've you'd you'll he'd he'll she'd she'll it'd it'll "
    "we're we've we'd we'll they're they've they'd they'll that'll there'll let's "
    "of at by for with about against between among into through during before after "
    "above below to from up down in out on off over under again further onto upon "
    "within without along across around behind beside besides beyond near toward towards "
    "via per amid throughout inside outside underneath "
    "all any both each few more most other some such no not only own same too very "
    "just also even still already almost quite rather really much many lot lots "
    "every either neither another else ever never always often sometimes "
    "now then soon later today s t d ll m o re ve y don doesn didn isn aren wasn weren "
    "hasn haven hadn won wouldn shouldn couldn mustn etc";

// Frequent English words and everyday caption vocabulary.
constexpr std::string_view kCommonWords =
    // frequent verbs and verb forms
    "get gets got getting make makes made making take takes took taken taking go goes went "
    "going gone come comes came coming see sees saw seen seeing look looks looked looking "
    "know knows knew known think thinks thought want wants wanted give gives gave given "
    "use uses used using find finds found tell tells told ask asks asked work works worked "
    "working seem seems feel feels felt try tries tried leave leaves left call calls called "
    "keep keeps kept let put puts set sets setting show shows showed shown showing "
    "hold holds held holding stand stands stood standing sit sits sat sitting lie lies lying "
    "lay laying run runs ran running walk walks walked walking play plays played playing "
    "move moves moving live lives lived living bring brings brought write writes wrote "
    "written read reads reading learn learning change changes build builds built building "
    "buy bought sell sale sales shop shopping open opens opened close closed closing "
    "start starts started end ends ended begin begins love loves loved like likes liked "
    "need needs needed help helps helped wear wears wearing worn carry carrying ride rides "
    "riding drive drives driving fly flying eat eats eating drink drinking cook cooking "
    "watch watching wait waiting meet meeting pose poses posing smile smiling hang hanging "
    "cut cutting add added create created design designed print printed paint painted "
    "draw drawing featuring features feature featured including includes include "
    "made available welcome celebrate celebrating enjoy enjoying visit visiting "
    "discover explore check click save download shop order "
    // frequent nouns
    "time times year years day days week weeks month months hour hours minute minutes "
    "morning night evening afternoon weekend people person man men woman women child "
    "children kid kids boy boys girl girls baby babies family friend friends couple "
    "mother father mom dad brother sister son daughter wife husband bride groom "
    "student students teacher team player players group crowd guy guys lady ladies "
    "world life way thing things part place places home house houses room rooms "
    "kitchen bathroom bedroom living garden yard wall walls floor roof door doors window "
    "windows table tables chair chairs bed beds sofa couch desk shelf lamp light lights "
    "city town street road roads park beach sea ocean lake river water mountain mountains "
    "hill forest tree trees flower flowers plant plants grass field sky sun moon star stars "
    "snow rain cloud clouds fire stone rock wood land island country state area side top "
    "bottom front back center middle corner edge line lines point number numbers name "
    "names word words text letter letters sign signs map view views scene image images "
    "photo photos photograph photography picture pictures shot screen video videos "
    "film movie music song art artwork painting drawing illustration vector icon icons "
    "logo poster cover book books page pages card cards paper magazine news story "
    "car cars truck bus train plane boat ship bike bicycle motorcycle vehicle wheel "
    "dog dogs cat cats bird birds horse horses fish animal animals pet "
    "food meal dinner lunch breakfast cake bread pizza coffee tea wine beer fruit "
    "dress shirt shirts shoes shoe boots hat jacket coat pants jeans bag bags "
    "hair face eyes hand hands head body arm arms leg legs foot feet "
    "box boxes set pack kit case frame glass bottle cup plate bowl pot key phone "
    "computer game games toy toys ball gift gifts party wedding birthday holiday "
    "christmas halloween easter summer winter spring fall autumn season "
    "school college university church hotel office store market restaurant hospital "
    "company business service services product products price quality style "
    "pattern patterns color colors colour colours size sizes shape model models "
    "collection series edition version type types kind piece pieces detail details "
    "idea ideas tips guide review question answer example group event events "
    "show shows concert festival game match race sport sports football soccer "
    "basketball baseball tennis golf "
    "background texture wallpaper stock graphic graphics template banner "
    "interior exterior decor decoration furniture "
    // months and days
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday "
    // frequent adjectives
    "new old good great best better big small large little long short high low "
    "first last next early late young happy beautiful pretty nice cute cool hot warm cold "
    "free full empty real true right wrong sure different same important possible "
    "white black red blue green yellow orange pink purple brown gray grey gold golden "
    "silver dark bright light colorful colourful clear "
    "modern vintage classic antique retro traditional simple elegant luxury "
    "fresh natural organic healthy delicious sweet "
    "main original special perfect amazing awesome wonderful unique creative "
    "open closed public private local national international official "
    "round square wooden metal plastic leather cotton "
    "top favorite favourite popular famous "
    "single double front rear upper lower left right inside outside "
    "ultimate complete easy fast quick slow "
    "mens womens "
    // frequent adverbs and others
    "well back away together home online live available";

// A fixed set of words: open addressing on the words' HashBytes values, so
// callers that already hashed a word look it up with one probe or two.
class Lexicon {
 public:
  explicit Lexicon(std::string_view words) {
    std::vector<std::string_view> list;
    size_t i = 0;
    while (i < words.size()) {
      while (i < words.size() && words[i] == ' ') ++i;
      size_t j = i;
      while (j < words.size() && words[j] != ' ') ++j;
      if (j > i) list.push_back(words.substr(i, j - i));
      i = j;
    }
    size_t capacity = 64;
    while (capacity < list.size() * 4) capacity *= 2;
    slots_.assign(capacity, Slot{0, std::string_view()});
    mask_ = capacity - 1;
    for (std::string_view w : list) {
      const uint64_t h = HashBytes(w);
      if (Contains(w, h)) continue;
      uint64_t k = h & mask_;
      while (!slots_[k].word.empty()) k = (k + 1) & mask_;
      slots_[k] = Slot{h, w};
    }
  }
  bool Contains(std::string_view w, uint64_t h) const {
    for (uint64_t k = h & mask_;; k = (k + 1) & mask_) {
      const Slot& s = slots_[k];
      if (s.word.empty()) return false;
      if (s.hash == h && s.word == w) return true;
    }
  }

 private:
  struct Slot {
    uint64_t hash;
    std::string_view word;
  };
  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
};

const Lexicon& Stopwords() {
  static const Lexicon lexicon(kStopwords);
  return lexicon;
}

const Lexicon& CommonWords() {
  static const Lexicon lexicon(kCommonWords);
  return lexicon;
}

}  // namespace

bool IsStopword(std::string_view lower, uint64_t hash) {
  // Single ASCII letters ("s" of a split possessive, sizes like "L") carry no
  // content either.
  if (lower.size() == 1) {
    const char c = lower[0];
    if (c >= 'a' && c <= 'z') return true;
  }
  return Stopwords().Contains(lower, hash);
}

bool IsStopword(std::string_view lower) { return IsStopword(lower, HashBytes(lower)); }

bool IsCommonWord(std::string_view lower, uint64_t hash) { return CommonWords().Contains(lower, hash); }

bool IsCommonWord(std::string_view lower) { return IsCommonWord(lower, HashBytes(lower)); }

}  // namespace capsfusion::eval

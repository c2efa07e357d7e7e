// Quality checks (include/capsfusion/qc.h, docs/qc.md): each check on crafted
// captions, the thresholds, reason and action names, QcResult::ToJson,
// QcPolicy parsing and precedence.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "capsfusion/qc.h"

namespace capsfusion {
namespace {

QcResult Check(const std::string& raw, const std::string& syn, const std::string& fused,
               const QcOptions& o = QcOptions()) {
  return CheckFusion(raw, syn, fused, o);
}

bool Fails(QcReason r, const std::string& raw, const std::string& syn, const std::string& fused,
           const QcOptions& o = QcOptions()) {
  return Check(raw, syn, fused, o).Has(r);
}

std::string Detail(QcReason r, const std::string& raw, const std::string& syn, const std::string& fused,
                   const QcOptions& o = QcOptions()) {
  for (const QcFinding& f : ExplainFusion(raw, syn, fused, o)) {
    if (f.reason == r) return f.detail;
  }
  return "";
}

const char* kRaw = "Autumn in Kyoto, Japan - photo by Hiroshi Tanaka";
const char* kSyn = "A river surrounded by trees with red leaves.";
const char* kGood = "In Kyoto, Japan, a river is surrounded by trees with red autumn leaves, in a photo by Hiroshi Tanaka.";

TEST(QcTest, AGoodFusionPasses) {
  const QcResult r = Check(kRaw, kSyn, kGood);
  EXPECT_TRUE(r.passed()) << r.ToJson();
  EXPECT_EQ(r.ToJson(), "[]");
  EXPECT_TRUE(ExplainFusion(kRaw, kSyn, kGood, QcOptions()).empty());
}

TEST(QcTest, EmptyAndWhitespace) {
  for (const char* fused : {"", " ", "\t\n  ", "\xC2\xA0", "...", " - "}) {
    const QcResult r = Check(kRaw, kSyn, fused);
    ASSERT_EQ(r.reasons.size(), 1u) << "[" << fused << "] " << r.ToJson();
    EXPECT_EQ(r.reasons[0], QcReason::kEmpty);
  }
  EXPECT_FALSE(Fails(QcReason::kEmpty, kRaw, kSyn, "x"));
  // Disabled, an empty caption passes (no other check is defined on it).
  QcOptions o;
  o.enabled[static_cast<size_t>(QcReason::kEmpty)] = false;
  EXPECT_TRUE(Check(kRaw, kSyn, "  ", o).passed());
}

TEST(QcTest, PromptLeakOfThePapersPhrases) {
  for (const char* fused : {
           "Sentence 1 provides detailed real-world knowledge about Kyoto, Japan, with trees with red leaves.",
           "A river in Kyoto, Japan with red trees, exhibits nice sentence structure, photo by Hiroshi Tanaka.",
           "The merged sentence: a river in Kyoto, Japan surrounded by red trees, photo by Hiroshi Tanaka.",
           "A river in Kyoto, Japan; lacking in-depth real-world details, by Hiroshi Tanaka, red leaves.",
       }) {
    EXPECT_TRUE(Fails(QcReason::kPromptLeak, kRaw, kSyn, fused)) << fused;
  }
  EXPECT_FALSE(Fails(QcReason::kPromptLeak, kRaw, kSyn, kGood));
  // "sentence 10" is not "sentence 1"; a phrase the source has is no leak.
  EXPECT_FALSE(Fails(QcReason::kPromptLeak, "Exam sentence 10 answers", "A sheet of paper.",
                     "The answers to exam sentence 10 on a sheet of paper."));
  EXPECT_FALSE(Fails(QcReason::kPromptLeak, "Sentence structure worksheet for kids", "A worksheet.",
                     "A worksheet for kids about sentence structure."));
}

TEST(QcTest, Concatenation) {
  const std::string raw = kRaw, syn = kSyn;
  EXPECT_TRUE(Fails(QcReason::kConcatenation, raw, syn, raw + " " + syn));
  EXPECT_TRUE(Fails(QcReason::kConcatenation, raw, syn, syn + " " + raw));
  EXPECT_FALSE(Fails(QcReason::kConcatenation, raw, syn, kGood));
}

TEST(QcTest, DroppedNames) {
  EXPECT_EQ(Detail(QcReason::kDroppedName, kRaw, kSyn, "A river in Japan surrounded by trees with red leaves, by Hiroshi."),
            "Kyoto, Tanaka");
  // Case, possessives, word breaks and stems do not matter.
  EXPECT_FALSE(Fails(QcReason::kDroppedName, "Visit the NorthFace store in Canada", "A store.",
                     "A north face store for canadian visitors."));
  EXPECT_FALSE(Fails(QcReason::kDroppedName, "Albany County Executive Dan McCoy announced overAlbany plans", "Two men.",
                     "Two men: Dan Mccoy's plans over the Albany county executive announced."));
  // Not names: common words, boilerplate, hashtags, title-case style, shouting.
  EXPECT_FALSE(Fails(QcReason::kDroppedName, "Red balloons Stock Photo #Gallery", "Red balloons.", "Red balloons."));
  EXPECT_FALSE(Fails(QcReason::kDroppedName, "Mini Portable Automatic Circuit Breaker Device", "A breaker.",
                     "A small circuit breaker."));
  EXPECT_FALSE(Fails(QcReason::kDroppedName, "LOST PETS in the HYGIENIC area", "Two dogs.", "Two dogs in an area."));
  EXPECT_FALSE(Fails(QcReason::kDroppedName, "Hey, look at this dog", "A dog.", "A dog."));
  EXPECT_FALSE(Fails(QcReason::kDroppedName, "Dog photo by John Smith Footage Credit stopPropagationLinkClicked",
                     "A dog.", "A dog photo by John Smith."));
  // A corrected spelling keeps the name; a different name does not.
  EXPECT_FALSE(Fails(QcReason::kDroppedName, "Flags of Afganistan and Albania", "Flags.", "Flags of Afghanistan and Albania."));
  EXPECT_TRUE(Fails(QcReason::kDroppedName, "Flags of Afganistan and Albania", "Flags.", "Flags of Pakistan and Albania."));
  // Marked names count even there: acronyms and camel case.
  EXPECT_EQ(Detail(QcReason::kDroppedName, "CNN In Panic Mode With McDonald Fries", "A man.", "A man with fries."),
            "CNN, McDonald");
  // The threshold.
  QcOptions o;
  o.max_dropped_names = 4;  // Kyoto, Japan, Hiroshi, Tanaka
  EXPECT_FALSE(Fails(QcReason::kDroppedName, kRaw, kSyn, "A river surrounded by trees.", o));
  o.max_dropped_names = 3;
  EXPECT_TRUE(Fails(QcReason::kDroppedName, kRaw, kSyn, "A river surrounded by trees.", o));
}

TEST(QcTest, DroppedNumbers) {
  const char* raw = "Sale: 1,000 chairs for $49.99 on 3rd May 2017, 2 per family";
  EXPECT_FALSE(Fails(QcReason::kDroppedNumber, raw, "Chairs.",
                     "A sale of 1000 chairs for 49.99 dollars on the third of May 2017, two per family."));
  EXPECT_EQ(Detail(QcReason::kDroppedNumber, raw, "Chairs.", "A sale of chairs for 49.99 dollars in May, two per family."),
            "1,000, 3rd, 2017");
  EXPECT_EQ(Detail(QcReason::kDroppedNumber, "Pi is 3.14159 not 3.2", "A pie.", "Pi is 3.2, a pie."), "3.14159");
  // Dates with month names, numbers inside words, unicode words.
  EXPECT_FALSE(Fails(QcReason::kDroppedNumber, "Fire on 12/05/2020 in NYC", "A fire.", "A fire in NYC on December 5, 2020."));
  EXPECT_FALSE(Fails(QcReason::kDroppedNumber, "Street scene c1880", "A street.", "A street scene from about 1880."));
  EXPECT_FALSE(Fails(QcReason::kDroppedNumber, "东京 2019年11月", "A city.", "Tokyo in November 2019."));
  // Not quantities: ids, hashes, image sizes, picture indexes, escapes.
  EXPECT_FALSE(Fails(QcReason::kDroppedNumber,
                     "Autumn in Kyoto Stock Image - 82873236 45446ceb 800x452 1024 x 683 roses_1_ (1) slide 2",
                     "Trees.", "Autumn trees in Kyoto."));
  EXPECT_FALSE(Fails(QcReason::kDroppedNumber, "modern-combat-4-zero-hour-1-1-6", "A gun.", "Modern Combat 4, a gun."));
  EXPECT_FALSE(Fails(QcReason::kDroppedNumber, "World\\u0027s best", "A cup.", "The world's best cup."));
  EXPECT_FALSE(Fails(QcReason::kDroppedNumber, "139. Sunset (17 of 27) Photo 6: beach don 39 t go P6YR8wq %20Clip",
                     "A beach.", "A sunset on a beach."));
  // Other ways of writing a kept number.
  EXPECT_FALSE(Fails(QcReason::kDroppedNumber, "Ticket stub July 30,1997", "A ticket.", "A ticket from July 30, 1997."));
  EXPECT_FALSE(Fails(QcReason::kDroppedNumber, "Fall '17 show, vintage 20s style", "Models.",
                     "Models at the fall 2017 show in a vintage 1920s style."));
  EXPECT_EQ(Detail(QcReason::kDroppedNumber, "Fall '17 show with 20s style", "Models.", "Models at a show, 2015."), "17, 20s");
  // A year at the end is no index.
  EXPECT_TRUE(Fails(QcReason::kDroppedNumber, "Tour de France 2017", "Cyclists.", "Cyclists at the Tour de France."));
  QcOptions o;
  o.max_dropped_numbers = 1;
  EXPECT_FALSE(Fails(QcReason::kDroppedNumber, "Tour de France 2017", "Cyclists.", "Cyclists at the Tour de France.", o));
}

TEST(QcTest, Hallucination) {
  EXPECT_EQ(Detail(QcReason::kHallucination, kRaw, kSyn,
                   "In Kyoto, Japan, near Mount Fuji, a river is surrounded by trees, photo by Hiroshi Tanaka."),
            "Mount, Fuji");
  // From the sources: case, stems, nationality words, word breaks.
  EXPECT_FALSE(Fails(QcReason::kHallucination, "Women's hockey team from Canada wins gold in France", "Players.",
                     "The Canadian women's hockey team wins gold at the French games."));
  EXPECT_FALSE(Fails(QcReason::kHallucination, "Made in China #LukeBryan", "A man.", "Chinese fans of Luke Bryan."));
  EXPECT_FALSE(Fails(QcReason::kHallucination, "A flag of the US", "A flag.", "The flag of the United States."));
  EXPECT_FALSE(Fails(QcReason::kHallucination, "Twitter erupts over Guiliani interview", "Two men.",
                     "Twitter erupts over the Giuliani interview of two men."));
  EXPECT_TRUE(Fails(QcReason::kHallucination, "Twitter erupts over Guiliani interview", "Two men.",
                    "Twitter erupts over the Gianni interview of two men."));
  // Sentence-initial style words are not names; marked names are.
  EXPECT_FALSE(Fails(QcReason::kHallucination, "red trees", "A river.", "Nestled among red trees, a river flows."));
  EXPECT_TRUE(Fails(QcReason::kHallucination, "red trees", "A river.", "NASA photographed red trees by a river."));
  QcOptions o;
  o.max_hallucinated_names = 1;
  EXPECT_FALSE(Fails(QcReason::kHallucination, "red trees", "A river.", "NASA photographed red trees by a river.", o));
}

TEST(QcTest, LengthRatio) {
  const std::string raw = "Kyoto river", syn = "A river with red trees.";  // 2 and 5 words
  EXPECT_FALSE(Fails(QcReason::kLengthRatio, raw, syn, "A river in Kyoto with red trees."));
  EXPECT_TRUE(Fails(QcReason::kLengthRatio, raw, syn, "Kyoto."));  // 1 < 0.5 * 5
  std::string longer = "A river in Kyoto";
  for (int i = 0; i < 14; ++i) longer += " and trees";  // 4 + 28 = 32 > 2.5 * 7
  EXPECT_TRUE(Fails(QcReason::kLengthRatio, raw, syn, longer));
  QcOptions o;
  o.max_length_ratio = 5;
  EXPECT_FALSE(Fails(QcReason::kLengthRatio, raw, syn, longer, o));
  o.min_length_ratio = 0.1;
  EXPECT_FALSE(Fails(QcReason::kLengthRatio, raw, syn, "Kyoto.", o));
  // A long keyword list counts as length_source_cap words.
  std::string keywords;
  for (int i = 0; i < 100; ++i) keywords += "kyoto river tree ";
  EXPECT_FALSE(Fails(QcReason::kLengthRatio, keywords, syn,
                     "A river in Kyoto with red trees and more of them, on a sunny day in the autumn."));
  EXPECT_TRUE(Fails(QcReason::kLengthRatio, keywords, syn, "A river in Kyoto."));
  EXPECT_EQ(Detail(QcReason::kLengthRatio, raw, syn, "Kyoto."), "1 fused words for 2 raw and 5 synthetic");
}

TEST(QcTest, Repetition) {
  const std::string raw = "Kyoto river", syn = "A river with red trees.";
  EXPECT_FALSE(Fails(QcReason::kRepetition, raw, syn, "A river with red trees. A river with red trees."));
  EXPECT_TRUE(Fails(QcReason::kRepetition, raw, syn, "A river with red trees, a river with red trees, a river with red."));
  EXPECT_EQ(Detail(QcReason::kRepetition, raw, syn, "red river trees here, red river trees there, red river trees."),
            "\"red river trees\" x3");
  QcOptions o;
  o.max_ngram_repeats = 0;
  EXPECT_TRUE(Fails(QcReason::kRepetition, raw, syn, "A river with red trees. A river with red trees.", o));
  o.repeat_ngram = 6;
  EXPECT_FALSE(Fails(QcReason::kRepetition, raw, syn, "A river with red trees. A river with red trees.", o));
  // A source that repeats the n-gram allows it.
  EXPECT_FALSE(Fails(QcReason::kRepetition, "Friends With Benefits by Friends With Benefits Friends With Benefits",
                     "A quote.", "Friends with benefits, by friends with benefits, friends with benefits quote."));
}

TEST(QcTest, RepetitionIncludesAWordWrittenTwiceInARow) {
  const std::string raw = "Acrylic Lectern", syn = "A clear podium with a white top.";
  EXPECT_TRUE(Fails(QcReason::kRepetition, raw, syn, "The Acrylic Lectern is a clear podium with a white top top."));
  EXPECT_EQ(Detail(QcReason::kRepetition, raw, syn, "The Acrylic Lectern is a podium with a white Top, top."),
            "\"top top\"");
  EXPECT_FALSE(Fails(QcReason::kRepetition, raw, syn, "The Acrylic Lectern is a clear podium with a white top."));
  // A source with the same doubled word allows it as often as it has it.
  EXPECT_FALSE(Fails(QcReason::kRepetition, "Duran Duran tour poster", syn, "A Duran Duran tour poster on a podium."));
  EXPECT_TRUE(Fails(QcReason::kRepetition, "Duran Duran tour poster", syn, "Duran Duran and Duran Duran Duran."));
  EXPECT_FALSE(Fails(QcReason::kRepetition, "M M Modi College", syn, "M. M. Modi College has a podium."));
  // Off with the repetition check.
  QcOptions o;
  o.repeat_ngram = 0;
  EXPECT_FALSE(Fails(QcReason::kRepetition, raw, syn, "A white top top.", o));
}

TEST(QcTest, LanguageScripts) {
  const char* raw = "Autumn in Kyoto";
  const char* syn = "A river surrounded by trees.";
  EXPECT_TRUE(Fails(QcReason::kLanguage, raw, syn, "京都の秋、木々に囲まれた川。"));
  EXPECT_TRUE(Fails(QcReason::kLanguage, raw, syn, "Осень в Киото, река среди деревьев."));
  EXPECT_TRUE(Fails(QcReason::kLanguage, raw, syn, "خريف في كيوتو، نهر تحيط به الأشجار."));
  EXPECT_NE(Detail(QcReason::kLanguage, raw, syn, "京都の秋、木々に囲まれた川。").find("script"), std::string::npos);
  // The script of a source is fine, and so are a few foreign letters.
  EXPECT_FALSE(Fails(QcReason::kLanguage, "京都の秋 Kyoto", syn, "京都の秋、木々に囲まれた川。"));
  EXPECT_FALSE(Fails(QcReason::kLanguage, "Москва зимой", "A city in winter.", "Москва зимой."));
  EXPECT_FALSE(Fails(QcReason::kLanguage, "Москва зимой", "A city in winter.", "Moscow (Москва) in winter, a snowy city."));
  EXPECT_FALSE(Fails(QcReason::kLanguage, raw, syn, "Autumn in Kyoto (京都), a river surrounded by many tall trees."));
  // English from sources in another script.
  EXPECT_TRUE(Fails(QcReason::kLanguage, "Москва зимой", "Город зимой.", "Moscow in winter."));
}

TEST(QcTest, LanguageLatinFunctionWords) {
  const char* raw = "Autumn in Kyoto";
  const char* syn = "A river surrounded by trees.";
  // French and German captions from English sources.
  EXPECT_TRUE(Fails(QcReason::kLanguage, raw, syn, "L'automne à Kyoto: une rivière est entourée par des arbres et la lumière."));
  EXPECT_TRUE(Fails(QcReason::kLanguage, raw, syn, "Der Herbst in Kyoto: ein Fluss ist von den Bäumen und dem Licht umgeben."));
  // The raw caption in that language allows it.
  EXPECT_FALSE(Fails(QcReason::kLanguage, "Der Herbst in Kyoto", syn,
                     "Der Herbst in Kyoto: ein Fluss ist von den Bäumen und dem Licht umgeben."));
  // Weak evidence is not flagged: a French title inside English, names, short text.
  EXPECT_FALSE(Fails(QcReason::kLanguage, raw, syn,
                     "A poster for the film \"La vie de la famille et des amis\" with a river and the trees of Kyoto."));
  EXPECT_FALSE(Fails(QcReason::kLanguage, raw, syn, "Arc de Triomphe in Paris, Le Mans, and La Jolla in autumn."));
  EXPECT_FALSE(Fails(QcReason::kLanguage, raw, syn, "Le fleuve."));
  // English from German sources needs the sources to show German.
  EXPECT_TRUE(Fails(QcReason::kLanguage, "Der Herbst in Kyoto und die Bäume", "Ein Fluss mit den Bäumen.",
                    "The autumn in Kyoto: a river with the trees and the light of the sun."));
  EXPECT_FALSE(Fails(QcReason::kLanguage, "Kyoto Herbst", "Fluss",
                     "The autumn in Kyoto: a river with the trees and the light of the sun."));
  QcOptions o;
  o.min_function_words = 20;
  EXPECT_FALSE(Fails(QcReason::kLanguage, raw, syn,
                     "L'automne à Kyoto: une rivière est entourée par des arbres et la lumière.", o));
}

TEST(QcTest, AnyBytesNeverCrash) {
  const std::string bad = "\xFF\xFE\xC3 caf\xC3\xA9 \xE4\xBD \xF0\x9F\x98\x80 1,,2 ..3 ''s '";
  for (const std::string& a : {std::string(), bad, std::string(kRaw)}) {
    for (const std::string& b : {std::string(), bad, std::string(kSyn)}) {
      for (const std::string& c : {std::string(), bad, std::string(kGood)}) {
        const QcResult r = Check(a, b, c);
        EXPECT_EQ(r.reasons.size(), ExplainFusion(a, b, c, QcOptions()).size());
      }
    }
  }
}

TEST(QcTest, RandomBytesNeverCrash) {
  // Captions drawn from bytes that stress the word splitter and the checks:
  // capitals, digits, separators, UTF-8 pieces (valid and broken), CJK.
  const std::vector<std::string> pieces = {"A", "b", "Zz", "1", "0", ",", ".", " ", "x", "'", "#", "_", "(", ")",
                                           "\xC3\x97", "\xE4\xBA\xAC", "\xD0\x9C", "\xFF", "\xC3", "Sentence 1",
                                           "the", "de", "la", "39", "of", "%20", "u0027", "McX"};
  uint64_t s = 12345;
  auto next = [&] {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<size_t>(s >> 33);
  };
  auto caption = [&] {
    std::string c;
    const size_t n = next() % 40;
    for (size_t i = 0; i < n; ++i) c += pieces[next() % pieces.size()];
    return c;
  };
  QcOptions o;
  o.max_ngram_repeats = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string raw = caption(), syn = caption(), fused = caption();
    const QcResult r = Check(raw, syn, fused, o);
    const std::vector<QcFinding> why = ExplainFusion(raw, syn, fused, o);
    ASSERT_EQ(why.size(), r.reasons.size());
    for (size_t k = 0; k < why.size(); ++k) ASSERT_EQ(why[k].reason, r.reasons[k]);
  }
}

TEST(QcTest, DisabledChecksAndOrder) {
  const std::string fused = "Sentence 1: Sentence 1: Sentence 1: Sentence 1: Kyoto.";
  QcResult r = Check(kRaw, kSyn, fused);
  for (size_t i = 1; i < r.reasons.size(); ++i) EXPECT_LT(r.reasons[i - 1], r.reasons[i]);  // enum order
  EXPECT_TRUE(r.Has(QcReason::kPromptLeak));
  EXPECT_TRUE(r.Has(QcReason::kRepetition));
  QcOptions o;
  o.enabled.fill(false);
  EXPECT_TRUE(Check(kRaw, kSyn, fused, o).passed());
  o.enabled[static_cast<size_t>(QcReason::kRepetition)] = true;
  r = Check(kRaw, kSyn, fused, o);
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_EQ(r.reasons[0], QcReason::kRepetition);
}

TEST(QcTest, ReasonNamesRoundTrip) {
  for (size_t i = 0; i < kQcReasonCount; ++i) {
    const QcReason r = static_cast<QcReason>(i);
    auto parsed = ParseQcReason(QcReasonName(r));
    ASSERT_TRUE(parsed.ok()) << QcReasonName(r);
    EXPECT_EQ(*parsed, r);
  }
  EXPECT_STREQ(QcReasonName(QcReason::kPromptLeak), "prompt_leak");
  EXPECT_STREQ(QcReasonName(QcReason::kLanguage), "language");
  for (const char* bad : {"", "Prompt_Leak", "leak", "prompt_leak "}) {
    auto p = ParseQcReason(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_NE(p.status().message().find("dropped_number"), std::string::npos) << p.status().message();
  }
  for (const char* a : {"keep", "retry", "synthetic", "raw", "drop"}) {
    auto p = ParseQcAction(a);
    ASSERT_TRUE(p.ok());
    EXPECT_STREQ(QcActionName(*p), a);
  }
  EXPECT_FALSE(ParseQcAction("fallback").ok());
}

TEST(QcTest, ResultJson) {
  QcResult r;
  EXPECT_EQ(r.ToJson(), "[]");
  r.reasons = {QcReason::kPromptLeak, QcReason::kRepetition};
  EXPECT_EQ(r.ToJson(), "[\"prompt_leak\",\"repetition\"]");
  EXPECT_TRUE(r.Has(QcReason::kRepetition));
  EXPECT_FALSE(r.Has(QcReason::kEmpty));
  QcOptions o;
  const std::string j = o.ToJson();
  EXPECT_EQ(j.front(), '{');
  EXPECT_NE(j.find("\"min_length_ratio\":0.5"), std::string::npos) << j;
  EXPECT_NE(j.find("\"enabled\":[\"empty\",\"prompt_leak\""), std::string::npos) << j;
}

TEST(QcTest, PolicyDefaultAndParse) {
  const QcPolicy d = QcPolicy::Default();
  EXPECT_EQ(d.ToString(),
            "empty=retry,prompt_leak=retry,concatenation=retry,dropped_name=keep,dropped_number=keep,"
            "hallucination=keep,length_ratio=keep,repetition=retry,language=keep");
  auto p = QcPolicy::Parse(" prompt_leak = synthetic , empty=raw,,language=drop,", d);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->action[static_cast<size_t>(QcReason::kPromptLeak)], QcAction::kFallbackSynthetic);
  EXPECT_EQ(p->action[static_cast<size_t>(QcReason::kEmpty)], QcAction::kFallbackRaw);
  EXPECT_EQ(p->action[static_cast<size_t>(QcReason::kLanguage)], QcAction::kDrop);
  EXPECT_EQ(p->action[static_cast<size_t>(QcReason::kRepetition)], QcAction::kRetry);  // from the base
  auto all = QcPolicy::Parse("all=keep,repetition=drop", d);
  ASSERT_TRUE(all.ok());
  for (size_t i = 0; i < kQcReasonCount; ++i) {
    EXPECT_EQ(all->action[i], i == static_cast<size_t>(QcReason::kRepetition) ? QcAction::kDrop : QcAction::kKeep);
  }
  auto same = QcPolicy::Parse("", d);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->ToString(), d.ToString());
  auto round = QcPolicy::Parse(p->ToString(), QcPolicy());
  ASSERT_TRUE(round.ok());
  EXPECT_EQ(round->ToString(), p->ToString());
  struct Bad {
    const char* spec;
    const char* says;
  };
  for (const Bad& b : {Bad{"prompt_leak", "not reason=action"}, Bad{"leak=retry", "unknown QC reason \"leak\""},
                       Bad{"prompt_leak=fallback", "unknown QC action \"fallback\""},
                       Bad{"=retry", "unknown QC reason \"\""}, Bad{"empty=", "unknown QC action \"\""}}) {
    auto r = QcPolicy::Parse(b.spec, d);
    ASSERT_FALSE(r.ok()) << b.spec;
    EXPECT_NE(r.status().message().find(b.says), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(b.spec), std::string::npos) << r.status().message();
  }
}

TEST(QcTest, PolicyDecidePrecedence) {
  auto p = QcPolicy::Parse(
      "empty=drop,prompt_leak=raw,concatenation=synthetic,repetition=retry,dropped_name=keep", QcPolicy());
  ASSERT_TRUE(p.ok());
  auto decide = [&](std::vector<QcReason> reasons) { return p->Decide(QcResult{std::move(reasons)}); };
  EXPECT_EQ(decide({}), QcAction::kKeep);
  EXPECT_EQ(decide({QcReason::kDroppedName}), QcAction::kKeep);
  EXPECT_EQ(decide({QcReason::kDroppedName, QcReason::kRepetition}), QcAction::kRetry);
  EXPECT_EQ(decide({QcReason::kRepetition, QcReason::kConcatenation}), QcAction::kFallbackSynthetic);
  EXPECT_EQ(decide({QcReason::kConcatenation, QcReason::kPromptLeak, QcReason::kRepetition}), QcAction::kFallbackRaw);
  EXPECT_EQ(decide({QcReason::kPromptLeak, QcReason::kEmpty}), QcAction::kDrop);
  EXPECT_EQ(QcPolicy::Default().Decide(QcResult{{QcReason::kLanguage, QcReason::kPromptLeak}}), QcAction::kRetry);
}

}  // namespace
}  // namespace capsfusion

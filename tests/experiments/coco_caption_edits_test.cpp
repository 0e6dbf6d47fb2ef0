#include "clipscope/experiments/coco_caption_edits.h"

#include <gtest/gtest.h>

#include "clipscope/error.h"

namespace clipscope::experiments {
namespace {

MentionMatcher animal_matcher() {
  return MentionMatcher({"dog", "cat", "bed", "person", "apple", "skis", "bus"}, {{"man", "person"}, {"men", "person"}});
}

std::vector<ObjectSpan> spans_of(const std::string& caption, const std::vector<std::string>& categories) {
  return find_object_spans(caption, animal_matcher().find(caption), categories);
}

TEST(ObjectSpans, TakeDeterminerBeforeMention) {
  const std::string caption = "A dog and two cats on the large bed.";
  const std::vector<ObjectSpan> spans = spans_of(caption, {"dog", "cat", "bed"});
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(caption.substr(spans[0].begin, spans[0].end - spans[0].begin), "A dog");
  EXPECT_EQ(caption.substr(spans[1].begin, spans[1].end - spans[1].begin), "two cats");
  // "large" is no determiner, so "the" stays in place
  EXPECT_EQ(caption.substr(spans[2].begin, spans[2].end - spans[2].begin), "bed");
  EXPECT_EQ(spans[0].noun_begin, 2u);
}

TEST(ObjectSpans, FirstMentionOfEachCategory) {
  const std::string caption = "A dog sees a cat and another dog.";
  const std::vector<ObjectSpan> spans = spans_of(caption, {"cat", "dog"});
  EXPECT_EQ(spans[0].category, "cat");
  EXPECT_EQ(spans[1].noun_begin, 2u);
}

TEST(ObjectSpans, RejectsUnmentionedCategory) {
  EXPECT_THROW(spans_of("A dog on a bed.", {"dog", "cat"}), Error);
}

TEST(ComposeCaption, MovesLargestFirstAndFixesCase) {
  const std::string caption = "A dog and a cat on a bed.";
  const std::vector<ObjectSpan> spans = spans_of(caption, {"dog", "cat", "bed"});
  std::vector<std::string> phrases;
  for (const ObjectSpan& span : spans) phrases.push_back(caption.substr(span.begin, span.end - span.begin));

  const std::vector<size_t> first = order_with_largest(3, 2, true);
  EXPECT_EQ(first, (std::vector<size_t>{2, 0, 1}));
  std::vector<std::string> placed;
  for (size_t index : first) placed.push_back(phrases[index]);
  EXPECT_EQ(compose_caption(caption, spans, placed), "A bed and a dog on a cat.");

  const std::vector<size_t> last = order_with_largest(3, 0, false);
  EXPECT_EQ(last, (std::vector<size_t>{1, 2, 0}));
  placed.clear();
  for (size_t index : last) placed.push_back(phrases[index]);
  EXPECT_EQ(compose_caption(caption, spans, placed), "A cat and a bed on a dog.");
}

TEST(MovableSpans, DropDeterminersUnlessAllHaveOne) {
  const std::string caption = "A pretty lady sitting on top of a motorcycle.";
  const std::vector<ObjectSpan> spans =
      movable_spans(caption, MentionMatcher({"person", "motorcycle"}, {{"lady", "person"}}).find(caption),
                    {"person", "motorcycle"});
  EXPECT_EQ(spans[1].begin, spans[1].noun_begin);
  EXPECT_EQ(compose_caption(caption, spans, {"motorcycle", "lady"}), "A pretty motorcycle sitting on top of a lady.");

  const std::string determined = "A dog and two cats.";
  const std::vector<ObjectSpan> moved = movable_spans(determined, animal_matcher().find(determined), {"dog", "cat"});
  EXPECT_EQ(moved[1].begin, 10u);
}

TEST(ComposeCaption, FixesArticleBeforeMovedNoun) {
  const std::string caption = "A big dog next to an apple";
  const std::vector<ObjectSpan> spans = movable_spans(caption, animal_matcher().find(caption), {"dog", "apple"});
  EXPECT_EQ(compose_caption(caption, spans, {"apple", "dog"}), "A big apple next to a dog");
  EXPECT_EQ(compose_caption("a dog", {{"dog", 2, 2, 5}}, {"Apple"}), "an apple");
  EXPECT_EQ(compose_caption("A dog", {{"dog", 2, 2, 5}}, {"apple"}), "An apple");
}

TEST(ComposeCaption, KeepsAcronymsAndBareNouns) {
  const std::string caption = "Dog near a TV";
  const std::vector<ObjectSpan> spans = {{"dog", 0, 0, 3}, {"tv", 11, 11, 13}};
  EXPECT_EQ(compose_caption(caption, spans, {"TV", "dog"}), "TV near a dog");
  EXPECT_EQ(compose_caption(caption, spans, {"cat", "Bed"}), "Cat near a bed");
}

TEST(ComposeCaption, RejectsOverlapAndCountMismatch) {
  const std::string caption = "a dog bed";
  const std::vector<ObjectSpan> overlapping = {{"dog", 0, 2, 5}, {"bed", 4, 6, 9}};
  EXPECT_THROW(compose_caption(caption, overlapping, {"x", "y"}), Error);
  EXPECT_THROW(compose_caption(caption, {{"dog", 0, 2, 5}}, {"x", "y"}), Error);
}

TEST(ReplacedPhrase, FixesArticleAndNumber) {
  const std::string caption = "A dog and two cats near a man.";
  const std::vector<ObjectSpan> spans = spans_of(caption, {"dog", "cat", "person"});
  EXPECT_EQ(replaced_phrase(caption, spans[0], "apple"), "An apple");
  EXPECT_EQ(replaced_phrase(caption, spans[1], "apple"), "two apples");
  EXPECT_EQ(replaced_phrase(caption, spans[1], "skis"), "two skis");
  EXPECT_EQ(replaced_phrase(caption, spans[1], "bus"), "two buses");
  EXPECT_EQ(replaced_phrase(caption, spans[2], "dog"), "a dog");
}

TEST(PluralMention, UsesSuffixAndIrregularList) {
  EXPECT_TRUE(is_plural_mention("dogs", "dog"));
  EXPECT_TRUE(is_plural_mention("Men", "person"));
  EXPECT_FALSE(is_plural_mention("bus", "bus"));
  EXPECT_FALSE(is_plural_mention("man", "person"));
}

}  // namespace
}  // namespace clipscope::experiments

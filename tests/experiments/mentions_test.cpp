#include "clipscope/experiments/mentions.h"

#include <gtest/gtest.h>

#include <fstream>

#include "clipscope/error.h"
#include "test_support.h"

namespace clipscope::experiments {
namespace {

using clipscope::testing::make_temp_dir;
using clipscope::testing::shared_path;

std::vector<std::string> coco_names() {
  io::CocoDataset dataset = io::read_coco_instances(shared_path("data/coco-mini/annotations/instances_train2017.json"));
  std::vector<std::string> names;
  for (const auto& category : dataset.categories) names.push_back(category.name);
  return names;
}

const MentionMatcher& coco_matcher() {
  static const MentionMatcher matcher(coco_names(), read_synonyms(default_synonyms_path()));
  return matcher;
}

std::vector<std::string> categories_in(std::string_view caption) {
  std::vector<std::string> categories;
  for (const Mention& mention : coco_matcher().find(caption)) categories.push_back(mention.category);
  return categories;
}

struct MentionCase {
  const char* caption;
  std::vector<std::string> categories;
};

TEST(MentionMatcher, HardCases) {
  const std::vector<MentionCase> cases = {
      // plurals, regular and irregular
      {"Two dogs and three buses", {"dog", "bus"}},
      {"Women and children near the benches", {"person", "person", "bench"}},
      {"a pile of knives and mice", {"knife", "mouse"}},
      {"Several wine glasses and skis", {"wine glass", "skis"}},
      {"A pair of skis and a ski", {"skis", "skis"}},
      {"some puppies and ponies", {"dog", "horse"}},
      // multi-word names win over their parts
      {"a teddy bear on a bed", {"teddy bear", "bed"}},
      {"two hot dogs with ketchup", {"hot dog"}},
      {"A traffic light over the street", {"traffic light"}},
      {"a man on his cell phone", {"person", "cell phone"}},
      {"a dining table and a table", {"dining table", "dining table"}},
      {"a fire hydrant next to a stop sign", {"fire hydrant", "stop sign"}},
      // substrings of other words are not mentions
      {"carrots and a carpet", {"carrot"}},
      {"a cartoon catalog of cakes", {"cake"}},
      {"the bearded doge", {}},
      // capitalisation, punctuation and hyphenation
      {"A DOG. A Cat! (bird)", {"dog", "cat", "bird"}},
      {"a teddy-bear and a hot-dog", {"teddy bear", "hot dog"}},
      {"man's bike, motorbike; aeroplane", {"person", "bicycle", "motorcycle", "airplane"}},
      {"a TV set, a television and a couch/sofa", {"tv", "tv", "couch", "couch"}},
      {"cellphone,phone;smartphone", {"cell phone", "cell phone", "cell phone"}},
  };
  for (const MentionCase& item : cases) {
    EXPECT_EQ(categories_in(item.caption), item.categories) << item.caption;
  }
}

TEST(MentionMatcher, ReportsOffsetsAndWordIndices) {
  std::vector<Mention> mentions = coco_matcher().find("Two  Teddy-Bears, and a dog.");
  ASSERT_EQ(mentions.size(), 2u);
  EXPECT_EQ(mentions[0].category, "teddy bear");
  EXPECT_EQ(mentions[0].text, "Teddy-Bears");
  EXPECT_EQ(mentions[0].char_offset, 5u);
  EXPECT_EQ(mentions[0].word_index, 1u);
  EXPECT_EQ(mentions[1].category, "dog");
  EXPECT_EQ(mentions[1].char_offset, 24u);
  EXPECT_EQ(mentions[1].word_index, 5u);
}

TEST(MentionMatcher, CategoryOfWholeLabel) {
  EXPECT_EQ(coco_matcher().category_of("Teddy Bear"), "teddy bear");
  EXPECT_EQ(coco_matcher().category_of("sofa"), "couch");
  EXPECT_EQ(coco_matcher().category_of("a dog"), "");
}

TEST(MentionMatcher, RejectsConflictingSynonyms) {
  std::vector<Synonym> synonyms = {{"pup", "dog"}, {"pup", "cat"}};
  EXPECT_THROW(MentionMatcher({"dog", "cat"}, synonyms), Error);
}

TEST(RegularPlural, Rules) {
  EXPECT_EQ(regular_plural("bus"), "buses");
  EXPECT_EQ(regular_plural("sandwich"), "sandwiches");
  EXPECT_EQ(regular_plural("box"), "boxes");
  EXPECT_EQ(regular_plural("baby"), "babies");
  EXPECT_EQ(regular_plural("toy"), "toys");
  EXPECT_EQ(regular_plural("giraffe"), "giraffes");
}

TEST(Synonyms, RejectsRowWithoutTab) {
  auto folder = make_temp_dir();
  std::ofstream(folder / "synonyms.tsv") << "# comment\npuppy\tdog\nkitten cat\n";
  try {
    read_synonyms(folder / "synonyms.tsv");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("synonyms.tsv: line 3"), std::string::npos) << error.what();
  }
}

TEST(LangSam, ReadsDocumentedLayout) {
  auto folder = make_temp_dir();
  std::ofstream(folder / "detections.json") << R"({"images": [
    {"image_id": 5, "file_name": "a.jpg", "width": 100, "height": 50, "objects": [
      {"label": "Teddy Bear", "box": [10, 5, 60, 45], "mask_area": 1500, "score": 0.9},
      {"label": "sofa", "box": [0, 0, 100, 50], "mask_area": 4000.5},
      {"label": "lamp", "box": [1, 2, 3, 4], "mask_area": 3}]}]})";
  io::CocoDataset dataset = read_lang_sam_detections(folder / "detections.json", coco_matcher());
  ASSERT_EQ(dataset.images.size(), 1u);
  EXPECT_EQ(dataset.images[0].width, 100);
  ASSERT_EQ(dataset.annotations.size(), 3u);
  EXPECT_EQ(dataset.category(dataset.annotations[0].category_id).name, "teddy bear");
  EXPECT_EQ(dataset.category(dataset.annotations[1].category_id).name, "couch");
  EXPECT_EQ(dataset.category(dataset.annotations[2].category_id).name, "lamp");
  EXPECT_EQ(dataset.annotations[0].bbox, (std::array<double, 4>{10, 5, 50, 40}));
  EXPECT_EQ(dataset.annotations[1].area, 4000.5);
  EXPECT_EQ(dataset.annotations_of(5).size(), 3u);
}

TEST(LangSam, RejectsMalformedRecords) {
  auto folder = make_temp_dir();
  struct BadCase {
    const char* json;
    const char* message;
  };
  const std::vector<BadCase> cases = {
      {R"({"detections": []})", "detections.json: top level: missing array \"images\""},
      {R"([{"file_name": "a.jpg"}])", "detections.json: image 0: missing integer \"image_id\""},
      {R"([{"image_id": 4, "width": 10, "height": 10, "objects": [{"label": "dog", "box": [0, 0, 1], "mask_area": 1}]}])",
       "detections.json: image 4: object 0: \"box\" must be [x0, y0, x1, y1]"},
      {R"([{"image_id": 4, "width": 10, "height": 10, "objects": [{"label": "dog", "box": [0, 0, 1, 1]}]}])",
       "detections.json: image 4: object 0: missing non-negative number \"mask_area\""},
      {R"([{"image_id": 4, "width": 10, "height": 10, "objects": []},
           {"image_id": 4, "width": 10, "height": 10, "objects": []}])",
       "detections.json: image 4: \"image_id\" appears twice"},
  };
  for (const BadCase& item : cases) {
    std::ofstream(folder / "detections.json") << item.json;
    try {
      read_lang_sam_detections(folder / "detections.json", coco_matcher());
      ADD_FAILURE() << "no error for " << item.json;
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find(item.message), std::string::npos) << error.what();
    }
  }
  EXPECT_THROW(read_lang_sam_detections(folder / "missing.json", coco_matcher()), Error);
}

}  // namespace
}  // namespace clipscope::experiments

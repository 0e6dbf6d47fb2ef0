#include "clipscope/experiments/captions.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "clipscope/error.h"
#include "test_support.h"

namespace clipscope::experiments {
namespace {

TEST(BuiltinVocabulary, Sizes) {
  EXPECT_EQ(builtin_vocabulary("simco").names.size(), 18u);
  EXPECT_EQ(builtin_vocabulary("coco80").names.size(), 80u);
  Vocabulary coco90 = builtin_vocabulary("coco90");
  ASSERT_EQ(coco90.names.size(), 90u);
  EXPECT_EQ(coco90.names[11], "street sign");
  EXPECT_EQ(coco90.names[89], "toothbrush");
  EXPECT_THROW(builtin_vocabulary("imagenet"), Error);
}

TEST(MakeCaptions, AllPermutationsInItertoolsOrder) {
  Vocabulary vocabulary{"test", {"cube", "sphere", "cone"}};
  std::vector<Caption> captions = make_captions(vocabulary, 2, 100, 0, {});
  ASSERT_EQ(captions.size(), 6u);
  EXPECT_EQ(captions[0].text, "cube and sphere");
  EXPECT_EQ(captions[1].text, "cube and cone");
  EXPECT_EQ(captions[2].text, "sphere and cube");
  EXPECT_EQ(captions[5].text, "cone and sphere");
  EXPECT_EQ(captions[2].objects, (std::vector<int64_t>{1, 0}));
}

TEST(MakeCaptions, SeededSampleIsDistinctAndRepeatable) {
  Vocabulary vocabulary = builtin_vocabulary("simco");
  std::vector<Caption> first = make_captions(vocabulary, 4, 50, 3, {});
  std::vector<Caption> second = make_captions(vocabulary, 4, 50, 3, {});
  ASSERT_EQ(first.size(), 50u);
  std::set<std::string> texts;
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].text, second[i].text);
    texts.insert(first[i].text);
    std::set<int64_t> distinct(first[i].objects.begin(), first[i].objects.end());
    EXPECT_EQ(distinct.size(), 4u);
  }
  EXPECT_EQ(texts.size(), 50u);
}

TEST(CaptionText, ArticlesAndTemplates) {
  Vocabulary vocabulary{"test", {"apple", "cube"}};
  CaptionStyle style{true, {"a photo of {objects}.", "{2} beside {1}"}};
  EXPECT_EQ(caption_text(vocabulary, {0, 1}, style, 0), "a photo of an apple and a cube.");
  EXPECT_EQ(caption_text(vocabulary, {0, 1}, style, 1), "a cube beside an apple");
  CaptionStyle too_many{false, {"{3}"}};
  EXPECT_THROW(caption_text(vocabulary, {0, 1}, too_many, 0), Error);
}

TEST(LoadVocabulary, FileErrors) {
  auto folder = testing::make_temp_dir();
  std::ofstream(folder / "duplicate.txt") << "cube\n# comment\nsphere\ncube\n";
  std::ofstream(folder / "empty.txt") << "\n# nothing\n";
  std::ofstream(folder / "good.txt") << "cube\r\n  sphere \n";
  EXPECT_THROW(load_vocabulary((folder / "duplicate.txt").string()), Error);
  EXPECT_THROW(load_vocabulary((folder / "empty.txt").string()), Error);
  EXPECT_THROW(load_vocabulary((folder / "missing.txt").string()), Error);
  EXPECT_EQ(load_vocabulary((folder / "good.txt").string()).names, (std::vector<std::string>{"cube", "sphere"}));
}

TEST(ReadTemplates, RejectsLineWithoutSlot) {
  auto folder = testing::make_temp_dir();
  std::ofstream(folder / "bad.txt") << "a photo of {objects}\nno slot here\n";
  std::ofstream(folder / "good.txt") << "a photo of {objects}\n\n{1} next to {2}\n";
  EXPECT_THROW(read_templates(folder / "bad.txt"), Error);
  EXPECT_EQ(read_templates(folder / "good.txt").size(), 2u);
}

}  // namespace
}  // namespace clipscope::experiments

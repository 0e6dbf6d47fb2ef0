// Learning a BPE vocabulary: expected merges on small corpora, deterministic files, and a round
// trip of the saved files through Tokenizer::from_vocab_and_merges.
#include "clipscope/text/bpe_trainer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/text/tokenizer.h"
#include "test_support.h"

namespace clipscope::text {
namespace {

using clipscope::testing::make_temp_dir;
using Merges = std::vector<std::pair<std::string, std::string>>;

// Captions in the style of the rendered-scene training sets: a few dozen words.
std::vector<std::string> scene_captions() {
  std::vector<std::string> captions;
  const char* colors[] = {"red", "green", "blue", "yellow", "purple"};
  const char* shapes[] = {"cube", "sphere", "cylinder", "cone", "torus"};
  const char* relations[] = {"left of", "right of", "above", "below", "next to"};
  for (const char* color : colors) {
    for (const char* shape : shapes) {
      for (const char* relation : relations) {
        captions.push_back(std::string("A ") + color + " " + shape + " " + relation + " a large " +
                           colors[(shape[0] + 1) % 5] + " " + shapes[color[0] % 5] + ".");
      }
    }
  }
  return captions;
}

BPETrainerConfig config(int64_t vocab_size, int64_t min_pair_count) {
  BPETrainerConfig result;
  result.vocab_size = vocab_size;
  result.min_pair_count = min_pair_count;
  return result;
}

TEST(BPETrainer, LearnsMostFrequentPairsFirst) {
  BPEVocabulary vocabulary = learn_bpe({"ab ab ab ac"}, config(600, 1));
  EXPECT_EQ(vocabulary.merges, (Merges{{"a", "b</w>"}, {"a", "c</w>"}}));
  ASSERT_EQ(vocabulary.tokens.size(), 512u + 2u + 2u);
  EXPECT_EQ(vocabulary.tokens[0], "!");
  EXPECT_EQ(vocabulary.tokens[256], "!</w>");
  EXPECT_EQ(vocabulary.tokens[512], "ab</w>");
  EXPECT_EQ(vocabulary.tokens[513], "ac</w>");
  EXPECT_EQ(vocabulary.tokens[514], "<|startoftext|>");
  EXPECT_EQ(vocabulary.tokens[515], "<|endoftext|>");
}

TEST(BPETrainer, BreaksTiesByTokenStrings) {
  EXPECT_EQ(learn_bpe({"cd ab"}, config(600, 1)).merges, (Merges{{"a", "b</w>"}, {"c", "d</w>"}}));
  // "low" x2, "lower" x1: l-o (3) then lo-w (2)... all counts computed over the cleaned corpus
  EXPECT_EQ(learn_bpe({"low low lower"}, config(600, 2)).merges,
            (Merges{{"l", "o"}, {"lo", "w</w>"}}));
}

TEST(BPETrainer, StopsAtVocabularySizeAndMinimumCount) {
  BPEVocabulary small = learn_bpe(scene_captions(), config(520, 2));
  EXPECT_EQ(small.tokens.size(), 520u);
  EXPECT_EQ(small.merges.size(), 6u);
  BPEVocabulary rare = learn_bpe({"zebra"}, config(2000, 2));
  EXPECT_TRUE(rare.merges.empty());
}

TEST(BPETrainer, SameCorpusGivesIdenticalFiles) {
  auto folder = make_temp_dir();
  std::vector<std::string> captions = scene_captions();
  save_bpe(learn_bpe(captions, config(700, 2)), folder / "a.json", folder / "a.txt");
  std::reverse(captions.begin(), captions.end());
  save_bpe(learn_bpe(captions, config(700, 2)), folder / "b.json", folder / "b.txt");
  EXPECT_EQ(io::read_file(folder / "a.json"), io::read_file(folder / "b.json"));
  EXPECT_EQ(io::read_file(folder / "a.txt"), io::read_file(folder / "b.txt"));
  EXPECT_EQ(io::read_file(folder / "a.txt").rfind("#version: 0.2\n", 0), 0u);
}

TEST(BPETrainer, LearnedVocabularyRoundTripsThroughTokenizer) {
  auto folder = make_temp_dir();
  std::vector<std::string> captions = scene_captions();
  BPEVocabulary vocabulary = learn_bpe(captions, config(2000, 1));
  save_bpe(vocabulary, folder / "vocab.json", folder / "merges.txt");
  Tokenizer tokenizer =
      Tokenizer::from_vocab_and_merges(folder / "vocab.json", folder / "merges.txt");
  EXPECT_EQ(tokenizer.vocab_size(), static_cast<int64_t>(vocabulary.tokens.size()));
  EXPECT_EQ(tokenizer.start_token(), tokenizer.vocab_size() - 2);
  EXPECT_EQ(tokenizer.end_token(), tokenizer.vocab_size() - 1);

  for (const std::string& caption : captions) {
    std::vector<int64_t> ids = tokenizer.encode(caption);
    // every word of the corpus became one token: one id per word and one for the final "."
    std::string expected = clean_text(caption);
    size_t words = std::count(expected.begin(), expected.end(), ' ') + 1;
    ASSERT_EQ(ids.size(), words + 1) << caption;
    // the final "." is its own piece
    ASSERT_EQ(expected.back(), '.') << caption;
    expected.pop_back();
    expected += " .";
    EXPECT_EQ(tokenizer.decode(ids), expected + " ");
    std::vector<int64_t> row = tokenizer.tokenize({caption}, 16)[0];
    EXPECT_EQ(row[0], tokenizer.start_token());
    EXPECT_EQ(row[ids.size() + 1], tokenizer.end_token());
  }

  // unseen text still encodes, byte by byte, and decodes back
  std::string unseen = "an orange pyramid";
  EXPECT_EQ(tokenizer.decode(tokenizer.encode(unseen)), "an orange pyramid ");
}

TEST(BPETrainer, RejectsTooSmallVocabulary) {
  try {
    learn_bpe({"a"}, config(100, 2));
    FAIL() << "vocab_size 100 was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(error.what()).find("514"), std::string::npos);
  }
  EXPECT_THROW(learn_bpe({"a"}, config(600, 0)), Error);
}

}  // namespace
}  // namespace clipscope::text

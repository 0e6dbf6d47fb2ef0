// The tokenizer against open_clip 2.30's ids for the 431 fixture captions (vocabulary from the
// .txt.gz and from the Hugging Face files), plus padding, truncation, decoding and bad files.
#include "clipscope/text/tokenizer.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <sstream>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/io/npy.h"
#include "test_support.h"
#include "text/pre_tokenizer.h"

namespace clipscope::text {
namespace {

using clipscope::testing::make_temp_dir;
using clipscope::testing::shared_path;

constexpr int kContext = 77;
constexpr int64_t kStart = 49406;
constexpr int64_t kEnd = 49407;
constexpr size_t kLiteralSpecialsRow = 407;  // "<|startoftext|>literal specials<|endoftext|>"

// One caption per '\n'-terminated line (U+2028 inside a caption is not a line break here).
std::vector<std::string> fixture_captions() {
  std::string text = io::read_file(shared_path("fixtures/open_clip-2.30.0/captions.txt"));
  std::vector<std::string> captions;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    captions.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return captions;
}

std::vector<std::vector<int64_t>> fixture_tokens() {
  io::NpyArray array = io::read_npy(shared_path("fixtures/open_clip-2.30.0/captions.tokens.npy"));
  std::vector<int64_t> values = array.values<int64_t>();
  std::vector<std::vector<int64_t>> rows;
  for (int64_t row = 0; row < array.shape[0]; ++row) {
    rows.emplace_back(values.begin() + row * array.shape[1],
                      values.begin() + (row + 1) * array.shape[1]);
  }
  return rows;
}

// Loaded once per mode and copied: copies share the vocabulary.
Tokenizer gz_tokenizer(SpecialTokenText special = SpecialTokenText::kLiteral) {
  auto load = [](SpecialTokenText mode) {
    return Tokenizer::from_bpe_gz(shared_path("vocab/bpe_simple_vocab_16e6.txt.gz"), mode);
  };
  static const Tokenizer literal = load(SpecialTokenText::kLiteral);
  static const Tokenizer special_ids = load(SpecialTokenText::kSpecial);
  return special == SpecialTokenText::kLiteral ? literal : special_ids;
}

Tokenizer hf_tokenizer(SpecialTokenText special = SpecialTokenText::kLiteral) {
  auto load = [](SpecialTokenText mode) {
    return Tokenizer::from_vocab_and_merges(
        shared_path("fixtures/hf-format/vit-tiny-quickgelu/vocab.json"),
        shared_path("fixtures/hf-format/vit-tiny-quickgelu/merges.txt"), mode);
  };
  static const Tokenizer literal = load(SpecialTokenText::kLiteral);
  static const Tokenizer special_ids = load(SpecialTokenText::kSpecial);
  return special == SpecialTokenText::kLiteral ? literal : special_ids;
}

void expect_fixture_rows(const Tokenizer& tokenizer, size_t skip_row = SIZE_MAX) {
  std::vector<std::string> captions = fixture_captions();
  std::vector<std::vector<int64_t>> expected = fixture_tokens();
  ASSERT_EQ(captions.size(), 431u);
  ASSERT_EQ(expected.size(), captions.size());
  std::vector<std::vector<int64_t>> got = tokenizer.tokenize(captions, kContext);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t row = 0; row < got.size(); ++row) {
    if (row == skip_row) continue;
    EXPECT_EQ(got[row], expected[row]) << "caption " << row << ": \"" << captions[row] << "\"";
  }
}

std::string expect_error(const std::function<void()>& action, ErrorKind kind) {
  try {
    action();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), kind) << error.what();
    std::string message = error.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
    return message;
  }
  ADD_FAILURE() << "no clipscope::Error thrown";
  return "";
}

void write_gzip(const std::filesystem::path& path, const std::string& text) {
  gzFile file = gzopen(path.c_str(), "wb");
  gzwrite(file, text.data(), static_cast<unsigned>(text.size()));
  gzclose(file);
}

TEST(Tokenizer, MatchesOpenCLIPOnFixtureCaptionsWithGzVocabulary) {
  Tokenizer tokenizer = gz_tokenizer();
  EXPECT_EQ(tokenizer.vocab_size(), 49408);
  EXPECT_EQ(tokenizer.start_token(), kStart);
  EXPECT_EQ(tokenizer.end_token(), kEnd);
  expect_fixture_rows(tokenizer);
}

TEST(Tokenizer, MatchesOpenCLIPOnFixtureCaptionsWithHuggingFaceVocabulary) {
  Tokenizer tokenizer = hf_tokenizer();
  EXPECT_EQ(tokenizer.vocab_size(), 49408);
  EXPECT_EQ(tokenizer.start_token(), kStart);
  EXPECT_EQ(tokenizer.end_token(), kEnd);
  expect_fixture_rows(tokenizer);
}

TEST(Tokenizer, SpecialTextModeMapsLiteralSpecialStringsToSpecialIds) {
  // As the hf-format README documents: with the special names mapped, only row 407 changes.
  std::vector<int64_t> inner = gz_tokenizer().encode("literal specials");
  std::vector<int64_t> expected = {kStart, kStart};
  expected.insert(expected.end(), inner.begin(), inner.end());
  expected.push_back(kEnd);
  expected.push_back(kEnd);
  expected.resize(kContext, 0);
  for (const Tokenizer& tokenizer :
       {hf_tokenizer(SpecialTokenText::kSpecial), gz_tokenizer(SpecialTokenText::kSpecial)}) {
    expect_fixture_rows(tokenizer, kLiteralSpecialsRow);
    std::string caption = fixture_captions()[kLiteralSpecialsRow];
    EXPECT_EQ(tokenizer.tokenize({caption})[0], expected);
    EXPECT_NE(tokenizer.tokenize({caption})[0], fixture_tokens()[kLiteralSpecialsRow]);
  }
}

TEST(Tokenizer, LiteralModeMapsOpenCLIPSpecialNamesOnly) {
  Tokenizer tokenizer = gz_tokenizer();
  EXPECT_EQ(tokenizer.encode("<start_of_text>a<END_OF_TEXT>"),
            (std::vector<int64_t>{kStart, tokenizer.encode("a")[0], kEnd}));
  EXPECT_GT(tokenizer.encode("<|endoftext|>").size(), 1u);
}

TEST(Tokenizer, EmptyCaptionIsStartEndAndPadding) {
  std::vector<int64_t> expected = {kStart, kEnd};
  expected.resize(kContext, 0);
  EXPECT_EQ(gz_tokenizer().tokenize({""})[0], expected);
  EXPECT_EQ(gz_tokenizer().tokenize({"  \t "})[0], expected);
  EXPECT_TRUE(gz_tokenizer().encode("").empty());
}

TEST(Tokenizer, TruncatesLongCaptionKeepingEndTokenLast) {
  Tokenizer tokenizer = gz_tokenizer();
  std::string caption;
  for (int i = 0; i < 200; ++i) caption += "a red cube next to a blue sphere ";
  std::vector<int64_t> row = tokenizer.tokenize({caption})[0];
  ASSERT_EQ(row.size(), static_cast<size_t>(kContext));
  EXPECT_EQ(row.front(), kStart);
  EXPECT_EQ(row.back(), kEnd);
  std::vector<int64_t> body = tokenizer.encode(caption);
  EXPECT_TRUE(std::equal(row.begin() + 1, row.end() - 1, body.begin()));

  // exactly full: kept; one token too many: the last word gives way to the end token
  int64_t x = tokenizer.encode("x")[0];
  EXPECT_EQ(tokenizer.tokenize({"x"}, 3)[0], (std::vector<int64_t>{kStart, x, kEnd}));
  EXPECT_EQ(tokenizer.tokenize({"x y"}, 3)[0], (std::vector<int64_t>{kStart, x, kEnd}));
  EXPECT_EQ(tokenizer.tokenize({"x"}, 1)[0], (std::vector<int64_t>{kEnd}));
}

TEST(Tokenizer, RejectsContextLengthBelowOne) {
  std::string message =
      expect_error([] { gz_tokenizer().tokenize({"a"}, 0); }, ErrorKind::kInvalidArgument);
  EXPECT_NE(message.find("context_length 0"), std::string::npos);
}

TEST(Tokenizer, DecodesAsOpenCLIP) {
  Tokenizer tokenizer = gz_tokenizer();
  EXPECT_EQ(tokenizer.decode(tokenizer.encode("A photo of  a Cat!")), "a photo of a cat ! ");
  EXPECT_EQ(tokenizer.decode(tokenizer.encode("it's 42")), "it 's 4 2 ");
  EXPECT_EQ(tokenizer.decode({kStart, kEnd, 0}), "<start_of_text><end_of_text>!");
  EXPECT_EQ(hf_tokenizer().decode({kStart, kEnd}), "<|startoftext|><|endoftext|>");
  EXPECT_THROW(tokenizer.decode({49408}), Error);
  EXPECT_THROW(tokenizer.decode({-1}), Error);
}

TEST(Tokenizer, DecodeRoundTripsCleanedWords) {
  Tokenizer tokenizer = gz_tokenizer();
  for (std::string caption : {"a dog riding a skateboard", "caf\u00e9 cr\u00e8me br\u00fbl\u00e9e",
                              "emoji \U0001f431\U0001f436 and kanji \u732b\u3068\u72ac",
                              "right-to-left \u05e2\u05d1\u05e8\u05d9\u05ea"}) {
    // words separated by spaces and made of one character class decode to themselves + ' '
    std::string cleaned = clean_text(caption);
    std::string decoded = tokenizer.decode(tokenizer.encode(caption));
    if (caption.find('-') != std::string::npos) {
      EXPECT_EQ(decoded, "right - to - left \u05e2\u05d1\u05e8\u05d9\u05ea ");
    } else {
      EXPECT_EQ(decoded, cleaned + " ") << caption;
    }
  }
  for (const std::string& caption : fixture_captions()) {
    std::string decoded = tokenizer.decode(tokenizer.encode(caption));
    std::string cleaned = clean_text(caption);
    std::erase(decoded, ' ');
    std::erase(cleaned, ' ');
    EXPECT_EQ(decoded, cleaned) << caption;
  }
}

TEST(Tokenizer, CopiesShareVocabularyAndAgree) {
  Tokenizer tokenizer = gz_tokenizer();
  Tokenizer copy = tokenizer;
  EXPECT_EQ(copy.encode("two dogs"), tokenizer.encode("two dogs"));
  EXPECT_EQ(copy.token(kStart), "<start_of_text>");
  EXPECT_EQ(hf_tokenizer().token(kEnd), "<|endoftext|>");
}

TEST(PreTokenizer, SplitsLikeCLIPsPattern) {
  struct Case {
    std::string text;
    std::vector<std::string> pieces;
  };
  std::vector<Case> cases = {
      {"it's they're we've i'm you'll he'd don't",
       {"it", "'s", "they", "'re", "we", "'ve", "i", "'m", "you", "'ll", "he", "'d", "don", "'t"}},
      {"''s", {"''", "s"}},
      {"2024 3.14", {"2", "0", "2", "4", "3", ".", "1", "4"}},
      {"hello!!! (test)", {"hello", "!!!", "(", "test", ")"}},
      {"\U0001f431\U0001f436 \u732b\u3068\u72ac", {"\U0001f431\U0001f436", "\u732b\u3068\u72ac"}},
      {"\u217b roman", {"\u217b", "roman"}},
      {"<|startoftext|>x", {"<|", "startoftext", "|>", "x"}},
      {"<start_of_text>x<end_of_text>", {"<start_of_text>", "x", "<end_of_text>"}},
      {"\u03b9\u0345x", {"\u03b9", "x"}},
  };
  std::array<std::string, 2> specials = {"<start_of_text>", "<end_of_text>"};
  for (const Case& test : cases) {
    std::vector<detail::Piece> pieces;
    detail::pre_tokenize(test.text, specials, pieces);
    std::vector<std::string> got;
    for (const auto& piece : pieces) got.emplace_back(piece.text);
    EXPECT_EQ(got, test.pieces) << test.text;
  }
}

TEST(TokenizerFiles, MissingVocabularyFileIsNotFound) {
  std::string message =
      expect_error([] { Tokenizer::from_bpe_gz("/nonexistent/bpe_simple_vocab_16e6.txt.gz"); },
                   ErrorKind::kNotFound);
  EXPECT_NE(message.find("/nonexistent/bpe_simple_vocab_16e6.txt.gz"), std::string::npos);
  message = expect_error(
      [] {
        Tokenizer::from_vocab_and_merges(
            "/nonexistent/vocab.json",
            shared_path("fixtures/hf-format/vit-tiny-quickgelu/merges.txt"));
      },
      ErrorKind::kNotFound);
  EXPECT_NE(message.find("/nonexistent/vocab.json"), std::string::npos);
}

TEST(TokenizerFiles, CorruptGzipIsRejected) {
  auto folder = make_temp_dir();
  std::string original = io::read_file(shared_path("vocab/bpe_simple_vocab_16e6.txt.gz"));

  std::string corrupt = original;
  for (size_t i = 1000; i < 1100; ++i) corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5A);
  std::ofstream(folder / "corrupt.txt.gz", std::ios::binary) << corrupt;
  std::string message = expect_error([&] { Tokenizer::from_bpe_gz(folder / "corrupt.txt.gz"); },
                                     ErrorKind::kInvalidArgument);
  EXPECT_NE(message.find("corrupt.txt.gz"), std::string::npos);

  std::ofstream(folder / "truncated.txt.gz", std::ios::binary) << original.substr(0, 5000);
  message = expect_error([&] { Tokenizer::from_bpe_gz(folder / "truncated.txt.gz"); },
                         ErrorKind::kInvalidArgument);
  EXPECT_NE(message.find("truncated.txt.gz"), std::string::npos);

  std::ofstream(folder / "plain.txt.gz") << "#version: 0.2\na b\n";
  message = expect_error([&] { Tokenizer::from_bpe_gz(folder / "plain.txt.gz"); },
                         ErrorKind::kInvalidArgument);
  EXPECT_NE(message.find("not gzip"), std::string::npos);
}

TEST(TokenizerFiles, GzipWithBadLineNamesTheLine) {
  auto folder = make_temp_dir();
  write_gzip(folder / "bad.txt.gz", "#version: 0.2\ni n\nt h e\n");
  std::string message = expect_error([&] { Tokenizer::from_bpe_gz(folder / "bad.txt.gz"); },
                                     ErrorKind::kInvalidArgument);
  EXPECT_NE(message.find("bad.txt.gz' line 3"), std::string::npos) << message;
}

TEST(TokenizerFiles, MergesWithBadLineNamesTheLine) {
  auto folder = make_temp_dir();
  std::filesystem::copy_file(shared_path("fixtures/hf-format/vit-tiny-quickgelu/vocab.json"),
                             folder / "vocab.json");
  std::ofstream(folder / "merges.txt") << "#version: 0.2\ni n\nthis line has four\nt h\n";
  std::string message = expect_error(
      [&] { Tokenizer::from_vocab_and_merges(folder / "vocab.json", folder / "merges.txt"); },
      ErrorKind::kInvalidArgument);
  EXPECT_NE(message.find("merges.txt' line 3"), std::string::npos) << message;
}

TEST(TokenizerFiles, VocabularyMissingMergeResultIsRejected) {
  auto folder = make_temp_dir();
  std::ofstream(folder / "merges.txt") << "#version: 0.2\nx y</w>\n";
  // a vocabulary with the 512 byte symbols and the special tokens but not "xy</w>"
  Tokenizer base = gz_tokenizer();
  std::ofstream vocab(folder / "vocab.json");
  vocab << "{";
  for (int64_t id = 0; id < 512; ++id) {
    std::string token = base.token(id);
    std::string escaped;
    for (char c : token) {
      if (c == '"' || c == '\\') escaped.push_back('\\');
      escaped.push_back(c);
    }
    vocab << "\"" << escaped << "\": " << id << ", ";
  }
  vocab << "\"<|startoftext|>\": 512, \"<|endoftext|>\": 513}";
  vocab.close();
  std::string message = expect_error(
      [&] { Tokenizer::from_vocab_and_merges(folder / "vocab.json", folder / "merges.txt"); },
      ErrorKind::kInvalidArgument);
  EXPECT_NE(message.find("xy</w>"), std::string::npos) << message;
  EXPECT_NE(message.find("vocab.json"), std::string::npos) << message;
  EXPECT_NE(message.find("merges.txt' line 2"), std::string::npos) << message;
}

TEST(TokenizerFiles, InvalidVocabularyJSONIsRejected) {
  auto folder = make_temp_dir();
  std::ofstream(folder / "merges.txt") << "#version: 0.2\n";
  std::ofstream(folder / "vocab.json") << "{\"a\": 0,";
  std::string message = expect_error(
      [&] { Tokenizer::from_vocab_and_merges(folder / "vocab.json", folder / "merges.txt"); },
      ErrorKind::kInvalidArgument);
  EXPECT_NE(message.find("not valid JSON"), std::string::npos) << message;

  std::ofstream(folder / "vocab.json", std::ios::trunc) << "{\"a\": 0, \"b\": 0}";
  message = expect_error(
      [&] { Tokenizer::from_vocab_and_merges(folder / "vocab.json", folder / "merges.txt"); },
      ErrorKind::kInvalidArgument);
  EXPECT_NE(message.find("each used once"), std::string::npos) << message;
}

}  // namespace
}  // namespace clipscope::text

// The CLIP tokenizer: open_clip 2.30's text cleaning (an ftfy subset, HTML unescaping, whitespace
// collapse, lower-casing) and byte-level BPE with context-77 padding, equal to open_clip's ids.
// Learning a new BPE vocabulary is in bpe_trainer.h; docs/tokenizer.md describes the divergences.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace clipscope::text {

namespace detail {
struct BPEModel;
struct WordCache;
}  // namespace detail

/// Which strings in a caption stand for the start and end tokens.
enum class SpecialTokenText {
  /// open_clip 2.30 (the default): its special tokens are named "<start_of_text>" and
  /// "<end_of_text>", so only those strings map to the special ids and a literal
  /// "<|startoftext|>" or "<|endoftext|>" in a caption is encoded as ordinary text.
  kLiteral,
  /// OpenAI CLIP and Hugging Face: "<|startoftext|>" and "<|endoftext|>" map to the special ids.
  kSpecial,
};

/// Byte-level BPE tokenizer with CLIP's vocabulary layout. Copies share the vocabulary and the
/// per-word cache; every method is safe to call from several threads at once.
class Tokenizer {
 public:
  /// Loads CLIP's merges file (bpe_simple_vocab_16e6.txt.gz): the first 48,894 merges after the
  /// header line, vocabulary = 256 byte symbols, the same with "</w>", the merges joined, then
  /// the start and end tokens (ids 49406 and 49407 for the stock file).
  /// Throws Error(kNotFound) if the file is missing and Error(kInvalidArgument) naming the file
  /// if it is not gzip, is truncated or corrupt, is not UTF-8, or has a line that is not two
  /// symbols.
  static Tokenizer from_bpe_gz(const std::filesystem::path& merges_gz,
                               SpecialTokenText special_text = SpecialTokenText::kLiteral);

  /// Loads a Hugging Face vocabulary: `vocab_json` maps token to id (ids 0..N-1, each once) and
  /// must name the start and end tokens "<|startoftext|>"/"<|endoftext|>" (or open_clip's
  /// "<start_of_text>"/"<end_of_text>"); `merges_txt` is a "#version" line then "a b" merges (the
  /// first 48,894 are read, as transformers does). Throws Error(kNotFound) for a missing file and
  /// Error(kInvalidArgument) naming the file and line for bad JSON, a bad merge line, a merge
  /// whose parts or result are not in the vocabulary, or a missing byte symbol or special token.
  static Tokenizer from_vocab_and_merges(
      const std::filesystem::path& vocab_json, const std::filesystem::path& merges_txt,
      SpecialTokenText special_text = SpecialTokenText::kLiteral);

  /// Returns the BPE ids of clean_text(text), without start and end tokens. Accepts any bytes;
  /// ill-formed UTF-8 is read as U+FFFD.
  std::vector<int64_t> encode(std::string_view text) const;

  /// Returns one row of exactly `context_length` ids per text: start token, encode(text), end
  /// token, then 0 padding. A longer row is cut to `context_length` with the end token kept last,
  /// as open_clip does. Throws Error(kInvalidArgument) if context_length < 1.
  std::vector<std::vector<int64_t>> tokenize(const std::vector<std::string>& texts,
                                             int context_length = 77) const;

  /// Maps ids back to text as open_clip's decode does: token strings joined, byte symbols turned
  /// back into UTF-8 (ill-formed bytes become U+FFFD) and every "</w>" replaced by a space.
  /// Special and padding ids are kept (0 decodes to "!"). Throws Error(kInvalidArgument) for an
  /// id outside [0, vocab_size()).
  std::string decode(const std::vector<int64_t>& ids) const;

  /// Id of the start-of-text token (49406 for CLIP).
  int64_t start_token() const;

  /// Id of the end-of-text token (49407 for CLIP).
  int64_t end_token() const;

  /// Number of ids in the vocabulary (49408 for CLIP).
  int64_t vocab_size() const;

  /// The token string of `id` (byte symbols as in vocab.json). Throws Error(kInvalidArgument) for
  /// an id outside [0, vocab_size()).
  const std::string& token(int64_t id) const;

  /// Which strings map to the special ids.
  SpecialTokenText special_text() const { return special_text_; }

 private:
  Tokenizer(std::shared_ptr<const detail::BPEModel> model, SpecialTokenText special_text);

  std::shared_ptr<const detail::BPEModel> model_;
  std::shared_ptr<detail::WordCache> cache_;
  SpecialTokenText special_text_;
};

/// Cleans a caption as open_clip 2.30's default clean='lower' does: ftfy.fix_text (the subset
/// listed in docs/tokenizer.md), html.unescape twice, strip, runs of whitespace to one space,
/// lower-case. Input and output are UTF-8; ill-formed input bytes are read as U+FFFD.
std::string clean_text(std::string_view text);

}  // namespace clipscope::text

// CLIP's byte-level BPE vocabulary: the byte-to-symbol map, token strings and merge ranks, read
// from bpe_simple_vocab_16e6.txt.gz or from Hugging Face vocab.json + merges.txt, and the merge
// loop that turns one pre-tokenized word into ids. The public wrapper is tokenizer.h.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace clipscope::text::detail {

/// The number of merges CLIP reads from its merges file (49152 - 256 - 2).
inline constexpr int64_t kClipMergeCount = 48894;

/// Suffix that marks the last symbol of a word.
inline constexpr std::string_view kEndOfWord = "</w>";

/// Token names of the special tokens, as open_clip 2.30 and as OpenAI/Hugging Face spell them.
inline constexpr std::string_view kOpenCLIPStart = "<start_of_text>";
inline constexpr std::string_view kOpenCLIPEnd = "<end_of_text>";
inline constexpr std::string_view kOpenAIStart = "<|startoftext|>";
inline constexpr std::string_view kOpenAIEnd = "<|endoftext|>";

/// Hash that lets unordered maps keyed by std::string be searched with a string_view.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

template <typename Value>
using StringMap = std::unordered_map<std::string, Value, StringHash, std::equal_to<>>;

/// GPT-2/CLIP's bytes_to_unicode(): the code point that stands for each byte in token strings.
const std::array<char32_t, 256>& bytes_to_unicode();

/// The 256 byte symbols in CLIP's vocabulary order (printable Latin-1 first, then the rest).
std::vector<std::string> byte_symbols_in_vocab_order();

/// A loaded vocabulary.
struct BPEModel {
  struct Merge {
    int64_t rank = 0;
    int64_t result = 0;  ///< id of the joined symbol
  };

  std::vector<std::string> tokens;             ///< id -> token string
  StringMap<int64_t> ids;                      ///< token string -> id
  std::array<int64_t, 256> byte_ids{};         ///< id of each byte's symbol
  std::array<int64_t, 256> byte_end_ids{};     ///< id of each byte's symbol + "</w>"
  std::unordered_map<uint64_t, Merge> merges;  ///< (left id << 32 | right id) -> merge
  int64_t start_id = -1;
  int64_t end_id = -1;

  /// BPE-encodes one pre-tokenized word given as its UTF-8 bytes: byte symbols, the last one with
  /// "</w>", then the lowest-ranked adjacent pair merged everywhere until none is left.
  std::vector<int64_t> encode_word(std::string_view word) const;

  /// Adds a merge of two known ids; the joined string must be in `ids`. Later duplicates of a
  /// pair take the later rank, as Python's dict(zip(merges, range(...))) does.
  void add_merge(int64_t left, int64_t right, int64_t rank, int64_t result);
};

/// Reads bpe_simple_vocab_16e6.txt.gz as open_clip 2.30 does. Throws clipscope::Error.
BPEModel load_bpe_gz(const std::filesystem::path& path);

/// Reads Hugging Face vocab.json + merges.txt as transformers' CLIPTokenizer does.
/// Throws clipscope::Error.
BPEModel load_vocab_and_merges(const std::filesystem::path& vocab_json,
                               const std::filesystem::path& merges_txt);

}  // namespace clipscope::text::detail

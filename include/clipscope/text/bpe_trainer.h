// Learning a small byte-level BPE vocabulary in CLIP's layout from a caption corpus, and saving
// it as Hugging Face vocab.json + merges.txt for Tokenizer::from_vocab_and_merges (tokenizer.h).
// Meant for tiny CLIP models trained on captions with a few dozen distinct words.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace clipscope::text {

/// Settings of learn_bpe.
struct BPETrainerConfig {
  /// Number of ids to reach, counting the 512 byte symbols and the start and end tokens; at
  /// least 514. Default 1024.
  int64_t vocab_size = 1024;
  /// A pair of symbols seen fewer times than this in the corpus is never merged. Default 2.
  int64_t min_pair_count = 2;
};

/// A learned vocabulary: ids 0-255 the byte symbols, 256-511 the same with "</w>", then one token
/// per new merge result, then "<|startoftext|>" and "<|endoftext|>".
struct BPEVocabulary {
  std::vector<std::string> tokens;                          ///< id -> token string
  std::vector<std::pair<std::string, std::string>> merges;  ///< in rank order
};

/// Learns merges from `captions`: each caption is cleaned and pre-tokenized as the Tokenizer does
/// (open_clip's clean_text, CLIP's pattern), then the most frequent adjacent pair of symbols is
/// merged until the vocabulary has config.vocab_size ids or no pair occurs
/// config.min_pair_count times. Ties go to the pair whose (left, right) token strings sort first
/// bytewise, so the result depends only on the multiset of captions.
/// Throws Error(kInvalidArgument) if vocab_size < 514 or min_pair_count < 1.
BPEVocabulary learn_bpe(const std::vector<std::string>& captions, const BPETrainerConfig& config);

/// Writes `vocabulary` as `vocab_json` (token -> id, in id order) and `merges_txt`
/// ("#version: 0.2" then one "left right" line per merge), each atomically. The same vocabulary
/// always gives byte-identical files. Throws Error(kIo) naming the file that cannot be written.
void save_bpe(const BPEVocabulary& vocabulary, const std::filesystem::path& vocab_json,
              const std::filesystem::path& merges_txt);

}  // namespace clipscope::text

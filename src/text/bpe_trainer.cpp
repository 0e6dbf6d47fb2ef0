#include "clipscope/text/bpe_trainer.h"

#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/text/tokenizer.h"
#include "text/bpe_model.h"
#include "text/pre_tokenizer.h"
#include "text/unicode.h"

namespace clipscope::text {
namespace {

constexpr int64_t kFixedTokens = 512 + 2;  // byte symbols with and without </w>, two specials

struct Word {
  std::vector<int64_t> symbols;
  int64_t count = 0;
};

// Distinct pre-tokenized words of the corpus with their counts, in bytewise order.
std::map<std::string, int64_t> count_words(const std::vector<std::string>& captions) {
  const std::array<std::string, 2> specials = {std::string(detail::kOpenCLIPStart),
                                               std::string(detail::kOpenCLIPEnd)};
  std::map<std::string, int64_t> counts;
  std::vector<detail::Piece> pieces;
  for (const std::string& caption : captions) {
    std::string cleaned = clean_text(caption);
    pieces.clear();
    detail::pre_tokenize(cleaned, specials, pieces);
    for (const detail::Piece& piece : pieces) {
      if (piece.special >= 0 && piece.text == specials[piece.special]) continue;
      ++counts[std::string(piece.text)];
    }
  }
  return counts;
}

}  // namespace

BPEVocabulary learn_bpe(const std::vector<std::string>& captions, const BPETrainerConfig& config) {
  if (config.vocab_size < kFixedTokens) {
    fail(ErrorKind::kInvalidArgument,
         "BPE vocab_size {} is below {}, the 512 byte symbols plus the start and end tokens; ask "
         "for at least {}",
         config.vocab_size, kFixedTokens, kFixedTokens);
  }
  if (config.min_pair_count < 1) {
    fail(ErrorKind::kInvalidArgument, "BPE min_pair_count {} must be at least 1",
         config.min_pair_count);
  }

  // base vocabulary and the corpus as symbol sequences
  BPEVocabulary vocabulary;
  vocabulary.tokens = detail::byte_symbols_in_vocab_order();
  for (size_t i = 0; i < 256; ++i) {
    vocabulary.tokens.push_back(vocabulary.tokens[i] + std::string(detail::kEndOfWord));
  }
  detail::StringMap<int64_t> ids;
  for (size_t id = 0; id < vocabulary.tokens.size(); ++id) ids[vocabulary.tokens[id]] = id;
  std::array<int64_t, 256> byte_ids{};
  std::array<int64_t, 256> byte_end_ids{};
  for (int byte = 0; byte < 256; ++byte) {
    std::string symbol;
    detail::append_utf8(symbol, detail::bytes_to_unicode()[byte]);
    byte_ids[byte] = ids.at(symbol);
    byte_end_ids[byte] = ids.at(symbol + std::string(detail::kEndOfWord));
  }
  std::vector<Word> words;
  for (const auto& [text, count] : count_words(captions)) {
    Word word{{}, count};
    for (size_t i = 0; i < text.size(); ++i) {
      auto byte = static_cast<unsigned char>(text[i]);
      word.symbols.push_back(i + 1 == text.size() ? byte_end_ids[byte] : byte_ids[byte]);
    }
    words.push_back(std::move(word));
  }

  while (static_cast<int64_t>(vocabulary.tokens.size()) + 2 < config.vocab_size) {
    // the most frequent adjacent pair; ties to the bytewise-first (left, right) strings
    std::map<std::pair<int64_t, int64_t>, int64_t> pair_counts;
    for (const Word& word : words) {
      for (size_t i = 0; i + 1 < word.symbols.size(); ++i) {
        pair_counts[{word.symbols[i], word.symbols[i + 1]}] += word.count;
      }
    }
    const std::pair<int64_t, int64_t>* best = nullptr;
    int64_t best_count = 0;
    for (const auto& [pair, count] : pair_counts) {
      bool better = count > best_count ||
                    (count == best_count && best != nullptr &&
                     std::tie(vocabulary.tokens[pair.first], vocabulary.tokens[pair.second]) <
                         std::tie(vocabulary.tokens[best->first], vocabulary.tokens[best->second]));
      if (better) {
        best = &pair;
        best_count = count;
      }
    }
    if (best == nullptr || best_count < config.min_pair_count) break;

    // record the merge; a result spelled like an existing token reuses its id
    auto [left, right] = *best;
    std::string joined = vocabulary.tokens[left] + vocabulary.tokens[right];
    vocabulary.merges.emplace_back(vocabulary.tokens[left], vocabulary.tokens[right]);
    auto [found, inserted] =
        ids.try_emplace(joined, static_cast<int64_t>(vocabulary.tokens.size()));
    if (inserted) vocabulary.tokens.push_back(joined);
    int64_t result = found->second;

    // apply it everywhere, left to right, as the tokenizer does
    for (Word& word : words) {
      std::vector<int64_t> merged;
      merged.reserve(word.symbols.size());
      for (size_t i = 0; i < word.symbols.size(); ++i) {
        if (i + 1 < word.symbols.size() && word.symbols[i] == left &&
            word.symbols[i + 1] == right) {
          merged.push_back(result);
          ++i;
        } else {
          merged.push_back(word.symbols[i]);
        }
      }
      word.symbols.swap(merged);
    }
  }

  vocabulary.tokens.emplace_back(detail::kOpenAIStart);
  vocabulary.tokens.emplace_back(detail::kOpenAIEnd);
  return vocabulary;
}

void save_bpe(const BPEVocabulary& vocabulary, const std::filesystem::path& vocab_json,
              const std::filesystem::path& merges_txt) {
  nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
  for (size_t id = 0; id < vocabulary.tokens.size(); ++id) vocab[vocabulary.tokens[id]] = id;
  io::write_file_atomic(vocab_json, vocab.dump(2) + "\n");

  std::string merges = "#version: 0.2\n";
  for (const auto& [left, right] : vocabulary.merges) merges += left + " " + right + "\n";
  io::write_file_atomic(merges_txt, merges);
}

}  // namespace clipscope::text

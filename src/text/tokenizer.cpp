#include "clipscope/text/tokenizer.h"

#include <mutex>
#include <shared_mutex>

#include "clipscope/error.h"
#include "text/bpe_model.h"
#include "text/pre_tokenizer.h"
#include "text/unicode.h"

namespace clipscope::text {
namespace detail {

/// BPE results per pre-tokenized word, shared by copies of a Tokenizer.
struct WordCache {
  /// Entries kept before the cache starts over; CLIP captions use a few thousand words.
  static constexpr size_t kMaxEntries = size_t{1} << 18;

  std::shared_mutex mutex;
  StringMap<std::vector<int64_t>> words;
};

}  // namespace detail

namespace {

std::array<std::string, 2> special_strings(SpecialTokenText special_text) {
  if (special_text == SpecialTokenText::kLiteral) {
    return {std::string(detail::kOpenCLIPStart), std::string(detail::kOpenCLIPEnd)};
  }
  return {std::string(detail::kOpenAIStart), std::string(detail::kOpenAIEnd)};
}

}  // namespace

Tokenizer::Tokenizer(std::shared_ptr<const detail::BPEModel> model, SpecialTokenText special_text)
    : model_(std::move(model)),
      cache_(std::make_shared<detail::WordCache>()),
      special_text_(special_text) {}

Tokenizer Tokenizer::from_bpe_gz(const std::filesystem::path& merges_gz,
                                 SpecialTokenText special_text) {
  return Tokenizer(std::make_shared<const detail::BPEModel>(detail::load_bpe_gz(merges_gz)),
                   special_text);
}

Tokenizer Tokenizer::from_vocab_and_merges(const std::filesystem::path& vocab_json,
                                           const std::filesystem::path& merges_txt,
                                           SpecialTokenText special_text) {
  return Tokenizer(std::make_shared<const detail::BPEModel>(
                       detail::load_vocab_and_merges(vocab_json, merges_txt)),
                   special_text);
}

std::vector<int64_t> Tokenizer::encode(std::string_view text) const {
  std::string cleaned = clean_text(text);
  std::array<std::string, 2> specials = special_strings(special_text_);
  std::vector<detail::Piece> pieces;
  detail::pre_tokenize(cleaned, specials, pieces);

  std::vector<int64_t> ids;
  ids.reserve(pieces.size() * 2);
  for (const detail::Piece& piece : pieces) {
    // open_clip's cache holds the exact special strings; a case-variant match is BPE-encoded
    if (piece.special >= 0 && piece.text == specials[piece.special]) {
      ids.push_back(piece.special == 0 ? model_->start_id : model_->end_id);
      continue;
    }
    {
      std::shared_lock lock(cache_->mutex);
      if (auto found = cache_->words.find(piece.text); found != cache_->words.end()) {
        ids.insert(ids.end(), found->second.begin(), found->second.end());
        continue;
      }
    }
    std::vector<int64_t> word = model_->encode_word(piece.text);
    ids.insert(ids.end(), word.begin(), word.end());
    std::unique_lock lock(cache_->mutex);
    if (cache_->words.size() >= detail::WordCache::kMaxEntries) cache_->words.clear();
    cache_->words.emplace(std::string(piece.text), std::move(word));
  }
  return ids;
}

std::vector<std::vector<int64_t>> Tokenizer::tokenize(const std::vector<std::string>& texts,
                                                      int context_length) const {
  if (context_length < 1) {
    fail(ErrorKind::kInvalidArgument,
         "context_length {} is too small; CLIP models use 77 (at least 1 is needed)",
         context_length);
  }
  std::vector<std::vector<int64_t>> rows;
  rows.reserve(texts.size());
  for (const std::string& text : texts) {
    std::vector<int64_t> tokens;
    tokens.push_back(model_->start_id);
    std::vector<int64_t> body = encode(text);
    tokens.insert(tokens.end(), body.begin(), body.end());
    tokens.push_back(model_->end_id);
    if (static_cast<int64_t>(tokens.size()) > context_length) {
      tokens.resize(context_length);
      tokens.back() = model_->end_id;
    }
    tokens.resize(context_length, 0);
    rows.push_back(std::move(tokens));
  }
  return rows;
}

std::string Tokenizer::decode(const std::vector<int64_t>& ids) const {
  // token strings -> bytes through the inverse of bytes_to_unicode
  const auto& table = detail::bytes_to_unicode();
  static const std::unordered_map<char32_t, unsigned char> inverse = [&table] {
    std::unordered_map<char32_t, unsigned char> result;
    for (int byte = 0; byte < 256; ++byte) result[table[byte]] = static_cast<unsigned char>(byte);
    return result;
  }();
  std::string bytes;
  for (int64_t id : ids) {
    for (char32_t c : detail::decode_utf8(token(id))) {
      auto found = inverse.find(c);
      if (found == inverse.end()) {
        fail(ErrorKind::kInvalidArgument,
             "token {} (\"{}\") holds a character that is no byte symbol; the vocabulary is not "
             "byte-level BPE",
             id, token(id));
      }
      bytes.push_back(static_cast<char>(found->second));
    }
  }

  // bytes -> text, then word ends -> spaces
  std::string text = detail::encode_utf8(detail::decode_utf8(bytes));
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, detail::kEndOfWord.size(), detail::kEndOfWord) == 0) {
      out.push_back(' ');
      i += detail::kEndOfWord.size();
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

int64_t Tokenizer::start_token() const {
  return model_->start_id;
}

int64_t Tokenizer::end_token() const {
  return model_->end_id;
}

int64_t Tokenizer::vocab_size() const {
  return static_cast<int64_t>(model_->tokens.size());
}

const std::string& Tokenizer::token(int64_t id) const {
  if (id < 0 || id >= vocab_size()) {
    fail(ErrorKind::kInvalidArgument, "token id {} is outside the vocabulary [0, {})", id,
         vocab_size());
  }
  return model_->tokens[id];
}

}  // namespace clipscope::text

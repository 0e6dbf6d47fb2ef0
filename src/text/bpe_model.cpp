#include "text/bpe_model.h"

#include <zlib.h>

#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "clipscope/error.h"
#include "text/unicode.h"

namespace clipscope::text::detail {
namespace {

uint64_t pair_key(int64_t left, int64_t right) {
  return (static_cast<uint64_t>(left) << 32) | static_cast<uint32_t>(right);
}

void require_file(const std::filesystem::path& path, std::string_view what) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    fail(ErrorKind::kNotFound, "{} '{}' not found; pass the path of an existing file", what,
         path.string());
  }
}

std::string read_gzip(const std::filesystem::path& path) {
  require_file(path, "CLIP BPE merges file");
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) {
    fail(ErrorKind::kIo, "cannot open '{}' for reading; check its permissions", path.string());
  }
  std::string text;
  bool not_gzip = gzdirect(file) == 1;
  std::string buffer(1 << 16, '\0');
  int count = 0;
  while (!not_gzip && (count = gzread(file, buffer.data(), buffer.size())) > 0) {
    text.append(buffer.data(), count);
  }
  int status = Z_OK;
  std::string message = gzerror(file, &status);
  gzclose(file);
  if (not_gzip) {
    fail(ErrorKind::kInvalidArgument,
         "'{}' is not gzip-compressed; pass bpe_simple_vocab_16e6.txt.gz as shipped with "
         "open_clip, not an unpacked or renamed file",
         path.string());
  }
  if (count < 0 || (status != Z_OK && status != Z_STREAM_END)) {
    fail(ErrorKind::kInvalidArgument,
         "'{}' is a corrupt or truncated gzip file (zlib: {}); replace it with an intact copy of "
         "bpe_simple_vocab_16e6.txt.gz",
         path.string(), message);
  }
  return text;
}

std::string read_text_file(const std::filesystem::path& path, std::string_view what) {
  require_file(path, what);
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    fail(ErrorKind::kIo, "cannot open '{}' for reading; check its permissions", path.string());
  }
  std::ostringstream contents;
  contents << stream.rdbuf();
  return contents.str();
}

void require_utf8(std::string_view text, const std::filesystem::path& path) {
  std::u32string decoded;
  if (!decode_utf8_strict(text, decoded)) {
    fail(ErrorKind::kInvalidArgument, "'{}' is not valid UTF-8; re-save it as UTF-8",
         path.string());
  }
}

// Python's str.split() on one line: runs of whitespace separate the fields.
std::vector<std::string> split_fields(std::string_view line) {
  std::vector<std::string> fields;
  std::string current;
  size_t i = 0;
  while (i < line.size()) {
    char32_t c = 0;
    size_t length = decode_next(line, i, c);
    if (is_python_space(c)) {
      if (!current.empty()) fields.push_back(std::move(current));
      current.clear();
    } else {
      current.append(line.substr(i, length));
    }
    i += length;
  }
  if (!current.empty()) fields.push_back(std::move(current));
  return fields;
}

struct MergeLine {
  std::string left;
  std::string right;
  size_t line_number = 0;  // 1-based, in the file
};

// Lines [1, 1 + kClipMergeCount) of `text`, each split into two symbols. A last line that is empty
// (the file's final newline) is skipped; any other line without exactly two fields is an error.
std::vector<MergeLine> parse_merges(std::string_view text, const std::filesystem::path& path) {
  std::vector<MergeLine> merges;
  size_t begin = 0;
  size_t line_index = 0;
  while (begin <= text.size() && static_cast<int64_t>(merges.size()) < kClipMergeCount) {
    size_t newline = text.find('\n', begin);
    size_t end = newline == std::string_view::npos ? text.size() : newline;
    std::string_view line = text.substr(begin, end - begin);
    bool last = newline == std::string_view::npos;
    if (line_index > 0 && !(last && line.empty())) {
      std::vector<std::string> fields = split_fields(line);
      if (fields.size() != 2) {
        fail(ErrorKind::kInvalidArgument,
             "'{}' line {}: expected two symbols separated by a space, got \"{}\"; fix or remove "
             "that line",
             path.string(), line_index + 1, line.substr(0, 80));
      }
      merges.push_back({std::move(fields[0]), std::move(fields[1]), line_index + 1});
    }
    if (last) break;
    begin = end + 1;
    ++line_index;
  }
  return merges;
}

// Python's str.strip() on the whole file, as transformers applies before splitting lines.
std::string_view strip_python(std::string_view text, size_t& leading_newlines) {
  leading_newlines = 0;
  size_t begin = 0;
  while (begin < text.size()) {
    char32_t c = 0;
    size_t length = decode_next(text, begin, c);
    if (!is_python_space(c)) break;
    if (c == '\n') ++leading_newlines;
    begin += length;
  }
  size_t end = text.size();
  while (end > begin) {
    size_t start = end - 1;
    while (start > begin && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    char32_t c = 0;
    decode_next(text, start, c);
    if (!is_python_space(c)) break;
    end = start;
  }
  return text.substr(begin, end - begin);
}

void fill_byte_ids(BPEModel& model, const std::filesystem::path& vocab_path) {
  const auto& symbols = bytes_to_unicode();
  for (int byte = 0; byte < 256; ++byte) {
    std::string symbol;
    append_utf8(symbol, symbols[byte]);
    std::string with_end = symbol + std::string(kEndOfWord);
    auto plain = model.ids.find(symbol);
    auto end = model.ids.find(with_end);
    if (plain == model.ids.end() || end == model.ids.end()) {
      fail(ErrorKind::kInvalidArgument,
           "'{}' lacks the byte symbol \"{}\" for byte {} (or its \"</w>\" form); a CLIP "
           "vocabulary holds all 512; use the vocab.json saved with this merges.txt",
           vocab_path.string(), plain == model.ids.end() ? symbol : with_end, byte);
    }
    model.byte_ids[byte] = plain->second;
    model.byte_end_ids[byte] = end->second;
  }
}

}  // namespace

const std::array<char32_t, 256>& bytes_to_unicode() {
  static const std::array<char32_t, 256> table = [] {
    std::array<char32_t, 256> result{};
    char32_t next = 256;
    for (int byte = 0; byte < 256; ++byte) {
      bool printable = (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) ||
                       (byte >= 0xAE && byte <= 0xFF);
      result[byte] = printable ? static_cast<char32_t>(byte) : next++;
    }
    return result;
  }();
  return table;
}

std::vector<std::string> byte_symbols_in_vocab_order() {
  const auto& table = bytes_to_unicode();
  std::vector<std::string> printable;
  std::vector<std::string> others;
  for (int byte = 0; byte < 256; ++byte) {
    std::string symbol;
    append_utf8(symbol, table[byte]);
    (table[byte] == static_cast<char32_t>(byte) ? printable : others).push_back(symbol);
  }
  printable.insert(printable.end(), others.begin(), others.end());
  return printable;
}

void BPEModel::add_merge(int64_t left, int64_t right, int64_t rank, int64_t result) {
  merges[pair_key(left, right)] = Merge{rank, result};
}

std::vector<int64_t> BPEModel::encode_word(std::string_view word) const {
  std::vector<int64_t> symbols;
  symbols.reserve(word.size());
  for (size_t i = 0; i < word.size(); ++i) {
    auto byte = static_cast<unsigned char>(word[i]);
    symbols.push_back(i + 1 == word.size() ? byte_end_ids[byte] : byte_ids[byte]);
  }
  std::vector<int64_t> merged;
  while (symbols.size() > 1) {
    // the adjacent pair with the lowest rank
    int64_t best_rank = std::numeric_limits<int64_t>::max();
    const Merge* best = nullptr;
    int64_t first = 0;
    int64_t second = 0;
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      auto found = merges.find(pair_key(symbols[i], symbols[i + 1]));
      if (found != merges.end() && found->second.rank < best_rank) {
        best_rank = found->second.rank;
        best = &found->second;
        first = symbols[i];
        second = symbols[i + 1];
      }
    }
    if (best == nullptr) break;

    // merge every occurrence, left to right
    merged.clear();
    for (size_t i = 0; i < symbols.size(); ++i) {
      if (i + 1 < symbols.size() && symbols[i] == first && symbols[i + 1] == second) {
        merged.push_back(best->result);
        ++i;
      } else {
        merged.push_back(symbols[i]);
      }
    }
    symbols.swap(merged);
  }
  return symbols;
}

BPEModel load_bpe_gz(const std::filesystem::path& path) {
  std::string text = read_gzip(path);
  require_utf8(text, path);
  std::vector<MergeLine> merge_lines = parse_merges(text, path);

  // vocabulary: byte symbols, the same with </w>, joined merges, open_clip's special tokens
  BPEModel model;
  model.tokens = byte_symbols_in_vocab_order();
  for (size_t i = 0; i < 256; ++i)
    model.tokens.push_back(model.tokens[i] + std::string(kEndOfWord));
  for (const MergeLine& merge : merge_lines) model.tokens.push_back(merge.left + merge.right);
  model.tokens.emplace_back(kOpenCLIPStart);
  model.tokens.emplace_back(kOpenCLIPEnd);
  for (size_t id = 0; id < model.tokens.size(); ++id) {
    model.ids[model.tokens[id]] = static_cast<int64_t>(id);  // a later duplicate wins, as in Python
  }
  fill_byte_ids(model, path);
  model.start_id = model.ids.at(std::string(kOpenCLIPStart));
  model.end_id = model.ids.at(std::string(kOpenCLIPEnd));

  // a merge whose part is no token can never apply, in Python as here
  for (size_t rank = 0; rank < merge_lines.size(); ++rank) {
    const MergeLine& merge = merge_lines[rank];
    auto left = model.ids.find(merge.left);
    auto right = model.ids.find(merge.right);
    if (left == model.ids.end() || right == model.ids.end()) continue;
    model.add_merge(left->second, right->second, static_cast<int64_t>(rank),
                    model.ids.at(merge.left + merge.right));
  }
  return model;
}

BPEModel load_vocab_and_merges(const std::filesystem::path& vocab_json,
                               const std::filesystem::path& merges_txt) {
  std::string vocab_text = read_text_file(vocab_json, "vocabulary file (vocab.json)");
  std::string merges_text = read_text_file(merges_txt, "merges file (merges.txt)");
  require_utf8(vocab_text, vocab_json);
  require_utf8(merges_text, merges_txt);

  // vocab.json: token -> id, ids 0..N-1 each once
  nlohmann::json vocab;
  try {
    vocab = nlohmann::json::parse(vocab_text);
  } catch (const nlohmann::json::exception& error) {
    fail(ErrorKind::kInvalidArgument, "'{}' is not valid JSON ({}); re-save the vocabulary",
         vocab_json.string(), error.what());
  }
  if (!vocab.is_object() || vocab.empty()) {
    fail(ErrorKind::kInvalidArgument,
         "'{}' must be a non-empty JSON object mapping token to id; pass the tokenizer's "
         "vocab.json",
         vocab_json.string());
  }
  BPEModel model;
  model.tokens.assign(vocab.size(), std::string());
  std::vector<bool> seen(vocab.size(), false);
  for (const auto& [token, value] : vocab.items()) {
    int64_t id = value.is_number_integer() ? value.get<int64_t>() : -1;
    if (id < 0 || id >= static_cast<int64_t>(vocab.size()) || seen[id]) {
      fail(ErrorKind::kInvalidArgument,
           "'{}': token \"{}\" has id {}, but ids must be the integers 0..{} each used once; "
           "re-save the vocabulary",
           vocab_json.string(), token, value.dump(), vocab.size() - 1);
    }
    seen[id] = true;
    model.tokens[id] = token;
    model.ids[token] = id;
  }
  fill_byte_ids(model, vocab_json);

  // the special tokens, under either spelling
  auto find_special = [&](std::string_view openai, std::string_view open_clip) {
    for (std::string_view name : {openai, open_clip}) {
      if (auto found = model.ids.find(name); found != model.ids.end()) return found->second;
    }
    fail(ErrorKind::kInvalidArgument,
         "'{}' has neither \"{}\" nor \"{}\"; add the start and end tokens to the vocabulary",
         vocab_json.string(), openai, open_clip);
  };
  model.start_id = find_special(kOpenAIStart, kOpenCLIPStart);
  model.end_id = find_special(kOpenAIEnd, kOpenCLIPEnd);

  // merges.txt, after transformers' strip()
  size_t leading_newlines = 0;
  std::string_view stripped = strip_python(merges_text, leading_newlines);
  std::vector<MergeLine> merge_lines = parse_merges(stripped, merges_txt);
  for (size_t rank = 0; rank < merge_lines.size(); ++rank) {
    const MergeLine& merge = merge_lines[rank];
    std::string joined = merge.left + merge.right;
    auto left = model.ids.find(merge.left);
    auto right = model.ids.find(merge.right);
    auto result = model.ids.find(joined);
    if (left == model.ids.end() || right == model.ids.end() || result == model.ids.end()) {
      std::string_view missing = left == model.ids.end()    ? std::string_view(merge.left)
                                 : right == model.ids.end() ? std::string_view(merge.right)
                                                            : std::string_view(joined);
      fail(ErrorKind::kInvalidArgument,
           "'{}' line {}: merge \"{} {}\" needs token \"{}\", which '{}' lacks; use the "
           "vocab.json that was saved with this merges.txt",
           merges_txt.string(), merge.line_number + leading_newlines, merge.left, merge.right,
           missing, vocab_json.string());
    }
    model.add_merge(left->second, right->second, static_cast<int64_t>(rank), result->second);
  }
  return model;
}

}  // namespace clipscope::text::detail

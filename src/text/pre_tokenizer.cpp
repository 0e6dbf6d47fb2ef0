#include "text/pre_tokenizer.h"

#include "text/unicode.h"

namespace clipscope::text::detail {
namespace {

constexpr char32_t kLongS = 0x017F;  // case-folds to 's', the only such character after lower()
constexpr char32_t kYpogegrammeni = 0x0345;

char32_t next_code_point(std::string_view text, size_t i, size_t& length) {
  char32_t c = 0;
  length = decode_next(text, i, c);
  return c;
}

// Whether code point `c` equals ASCII `pattern` under the regex module's simple case folding.
bool equal_ignoring_case(char32_t c, char pattern) {
  if (c == static_cast<unsigned char>(pattern)) return true;
  bool letter = (pattern >= 'a' && pattern <= 'z') || (pattern >= 'A' && pattern <= 'Z');
  if (!letter) return false;
  if (c == static_cast<char32_t>(pattern ^ 0x20)) return true;
  return (pattern == 's' || pattern == 'S') && c == kLongS;
}

// Returns the byte length of a case-insensitive match of ASCII `pattern` at text[i], or 0.
size_t match_literal(std::string_view text, size_t i, std::string_view pattern) {
  size_t j = i;
  for (char p : pattern) {
    if (j >= text.size()) return 0;
    size_t length = 0;
    char32_t c = next_code_point(text, j, length);
    if (!equal_ignoring_case(c, p)) return 0;
    j += length;
  }
  return j - i;
}

bool is_regex_space(char32_t c) {
  return is_python_space(c) && !(c >= 0x1C && c <= 0x1F);
}

}  // namespace

void pre_tokenize(std::string_view text, const std::array<std::string, 2>& specials,
                  std::vector<Piece>& out) {
  static constexpr std::string_view kContractions[] = {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};
  size_t i = 0;
  while (i < text.size()) {
    // special-token strings
    bool matched = false;
    for (int s = 0; s < 2 && !matched; ++s) {
      if (size_t length = match_literal(text, i, specials[s])) {
        out.push_back({text.substr(i, length), s});
        i += length;
        matched = true;
      }
    }
    if (matched) continue;

    // contractions
    if (text[i] == '\'') {
      for (std::string_view contraction : kContractions) {
        if (size_t length = match_literal(text, i, contraction)) {
          out.push_back({text.substr(i, length), -1});
          i += length;
          matched = true;
          break;
        }
      }
      if (matched) continue;
    }

    // a run of letters, one number, or a run of other non-space characters
    size_t length = 0;
    char32_t c = next_code_point(text, i, length);
    if (is_regex_space(c) || c == kYpogegrammeni) {
      i += length;
      continue;
    }
    size_t begin = i;
    i += length;
    if (is_number(c)) {
      out.push_back({text.substr(begin, i - begin), -1});
      continue;
    }
    bool letters = is_letter(c);
    while (i < text.size()) {
      char32_t next = next_code_point(text, i, length);
      bool same_class = letters ? is_letter(next)
                                : !(is_regex_space(next) || is_letter(next) || is_number(next) ||
                                    next == kYpogegrammeni);
      if (!same_class) break;
      i += length;
    }
    out.push_back({text.substr(begin, i - begin), -1});
  }
}

}  // namespace clipscope::text::detail

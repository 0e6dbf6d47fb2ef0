#include "clipscope/text/tokenizer.h"
#include "text/ftfy_fixes.h"
#include "text/html_unescape.h"
#include "text/unicode.h"

namespace clipscope::text {
namespace {

// Printable ASCII and \t\n\f\r, no '&': every ftfy fix and html.unescape leave such text alone
// apart from CR -> LF, which the whitespace collapse absorbs anyway.
bool is_plain_ascii(std::string_view text) {
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    bool plain = (byte >= 0x20 && byte < 0x7F && c != '&') || c == '\t' || c == '\n' || c == '\f' ||
                 c == '\r';
    if (!plain) return false;
  }
  return true;
}

std::string collapse_and_lower_ascii(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    bool space = c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
    if (space) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// " ".join(text.split()): also strips both ends.
std::u32string collapse_whitespace(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (detail::is_python_space(c)) {
      if (!out.empty() && out.back() != U' ') out.push_back(U' ');
    } else {
      out.push_back(c);
    }
  }
  if (!out.empty() && out.back() == U' ') out.pop_back();
  return out;
}

}  // namespace

std::string clean_text(std::string_view text) {
  if (is_plain_ascii(text)) return collapse_and_lower_ascii(text);

  // basic_clean: ftfy, then html.unescape twice (its strip() is subsumed by the collapse)
  std::u32string cleaned = detail::fix_text(detail::decode_utf8(text));
  cleaned = detail::python_html_unescape(detail::python_html_unescape(cleaned));

  // whitespace_clean, then lower()
  cleaned = detail::python_lower(collapse_whitespace(cleaned));
  return detail::encode_utf8(cleaned);
}

}  // namespace clipscope::text

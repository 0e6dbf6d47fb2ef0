#include "text/html_unescape.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <unordered_map>

#include "text/unicode.h"

namespace clipscope::text::detail {
namespace {

#include "text/html_entities.inc"

using EntityMap = std::unordered_map<std::u32string, std::u32string>;

EntityMap build_map(const HtmlEntity* begin, const HtmlEntity* end) {
  EntityMap map;
  for (const HtmlEntity* entity = begin; entity != end; ++entity) {
    map.emplace(decode_utf8(entity->name), decode_utf8(entity->value));
  }
  return map;
}

const EntityMap& html5_entities() {
  static const EntityMap map = build_map(std::begin(kHtml5Entities), std::end(kHtml5Entities));
  return map;
}

// ftfy's table: the HTML5 names ending in ';' plus the upper-cased spellings.
const EntityMap& ftfy_entities() {
  static const EntityMap map = [] {
    EntityMap result;
    for (const auto& [name, value] : html5_entities()) {
      if (!name.empty() && name.back() == U';') result.emplace(name, value);
    }
    for (const auto& entity : kUppercaseEntities) {
      result.emplace(decode_utf8(entity.name), decode_utf8(entity.value));
    }
    return result;
  }();
  return map;
}

bool is_ascii_digit(char32_t c) {
  return c >= '0' && c <= '9';
}

bool is_ascii_hex(char32_t c) {
  return is_ascii_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool is_ascii_alnum(char32_t c) {
  return is_ascii_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Python's _invalid_codepoints: C0/C1 controls other than whitespace, U+FDD0-U+FDEF, and the last
// two code points of every plane.
bool is_invalid_codepoint(uint64_t n) {
  return (n >= 0x1 && n <= 0x8) || n == 0xB || (n >= 0xE && n <= 0x1F) ||
         (n >= 0x7F && n <= 0x9F) || (n >= 0xFDD0 && n <= 0xFDEF) || (n & 0xFFFE) == 0xFFFE;
}

// Python's _replace_charref for a numeric reference with value `n` (saturated on overflow).
void append_numeric_reference(std::u32string& out, uint64_t n) {
  if (n == 0x00) {
    out.push_back(0xFFFD);
  } else if (n == 0x0D) {
    out.push_back(U'\r');
  } else if (n >= 0x80 && n <= 0x9F) {
    out.push_back(windows_1252_high(static_cast<int>(n - 0x80)));
  } else if ((n >= 0xD800 && n <= 0xDFFF) || n > 0x10FFFF) {
    out.push_back(0xFFFD);
  } else if (!is_invalid_codepoint(n)) {
    out.push_back(static_cast<char32_t>(n));
  }
}

// Tries a numeric reference at text[i] == '&', text[i + 1] == '#'. Python's pattern is
// '#[0-9]+;?' or '#[xX][0-9a-fA-F]+;?'. Returns the length consumed, or 0 if none matches.
size_t match_numeric(std::u32string_view text, size_t i, std::u32string& out) {
  size_t j = i + 2;
  bool hex = j < text.size() && (text[j] == 'x' || text[j] == 'X');
  if (hex) ++j;
  size_t digits_begin = j;
  uint64_t value = 0;
  constexpr uint64_t kSaturated = 0x7FFFFFFF;
  while (j < text.size() && (hex ? is_ascii_hex(text[j]) : is_ascii_digit(text[j]))) {
    char32_t c = text[j];
    uint64_t digit = is_ascii_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
    value = std::min<uint64_t>(kSaturated, value * (hex ? 16 : 10) + digit);
    ++j;
  }
  if (j == digits_begin) return 0;
  if (j < text.size() && text[j] == ';') ++j;
  append_numeric_reference(out, value);
  return j - i;
}

// Tries a named reference at text[i] == '&'. Python's pattern is '[^\t\n\f <&#;]{1,32};?'.
size_t match_named(std::u32string_view text, size_t i, std::u32string& out) {
  size_t j = i + 1;
  while (j < text.size() && j - (i + 1) < 32) {
    char32_t c = text[j];
    if (c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&' || c == '#' ||
        c == ';') {
      break;
    }
    ++j;
  }
  if (j == i + 1) return 0;
  if (j < text.size() && text[j] == ';') ++j;
  std::u32string_view name = text.substr(i + 1, j - (i + 1));
  const EntityMap& entities = html5_entities();
  if (auto found = entities.find(std::u32string(name)); found != entities.end()) {
    out += found->second;
    return j - i;
  }
  // the longest prefix (at least two characters) that is a name
  for (size_t length = name.size() - 1; length >= 2; --length) {
    if (auto found = entities.find(std::u32string(name.substr(0, length)));
        found != entities.end()) {
      out += found->second;
      out += name.substr(length);
      return j - i;
    }
  }
  out.push_back(U'&');
  out += name;
  return j - i;
}

}  // namespace

char32_t windows_1252_high(int i) {
  return kWindows1252High[i];
}

std::u32string python_html_unescape(std::u32string_view text) {
  if (text.find(U'&') == std::u32string_view::npos) return std::u32string(text);
  std::u32string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != U'&') {
      out.push_back(text[i++]);
      continue;
    }
    size_t consumed = 0;
    if (i + 1 < text.size() && text[i + 1] == U'#') {
      consumed = match_numeric(text, i, out);
    } else {
      consumed = match_named(text, i, out);
    }
    if (consumed == 0) {
      out.push_back(text[i++]);
    } else {
      i += consumed;
    }
  }
  return out;
}

std::u32string ftfy_unescape_html(std::u32string_view text) {
  if (text.find(U'&') == std::u32string_view::npos) return std::u32string(text);
  std::u32string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    // the pattern is '&#?[0-9A-Za-z]{1,24};'
    size_t j = i + 1;
    if (text[i] == U'&') {
      if (j < text.size() && text[j] == U'#') ++j;
      size_t name_begin = j;
      while (j < text.size() && is_ascii_alnum(text[j])) ++j;
      size_t length = j - name_begin;
      if (length >= 1 && length <= 24 && j < text.size() && text[j] == U';') {
        std::u32string_view reference = text.substr(i, j + 1 - i);
        const EntityMap& entities = ftfy_entities();
        if (auto found = entities.find(std::u32string(reference.substr(1)));
            found != entities.end()) {
          out += found->second;
        } else if (reference[1] == U'#') {
          // keep the reference if html.unescape would only decode part of it
          std::u32string decoded = python_html_unescape(reference);
          out += decoded.find(U';') == std::u32string::npos ? decoded : std::u32string(reference);
        } else {
          out += reference;
        }
        i = j + 1;
        continue;
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

}  // namespace clipscope::text::detail

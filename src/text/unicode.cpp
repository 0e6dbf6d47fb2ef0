#include "text/unicode.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

namespace clipscope::text::detail {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes one well-formed sequence starting at bytes[i]. Returns its length and sets `code_point`,
// or returns -(length of the maximal ill-formed prefix, at least 1).
int decode_one(std::string_view bytes, size_t i, char32_t& code_point) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(bytes[k]); };
  unsigned char lead = byte(i);
  if (lead < 0x80) {
    code_point = lead;
    return 1;
  }
  int length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code_point = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code_point = lead & 0x0F;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code_point = lead & 0x07;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return -1;
  }
  for (int k = 1; k < length; ++k) {
    if (i + k >= bytes.size()) return -k;
    unsigned char next = byte(i + k);
    if (next < low || next > high) return -k;
    low = 0x80;
    high = 0xBF;
    code_point = (code_point << 6) | (next & 0x3F);
  }
  return length;
}

bool category_is(char32_t code_point, std::initializer_list<utf8proc_category_t> categories) {
  utf8proc_category_t category = utf8proc_category(static_cast<utf8proc_int32_t>(code_point));
  for (auto wanted : categories) {
    if (category == wanted) return true;
  }
  return false;
}

// Unicode's Cased property, approximated as: a cased-letter category or a character with a case
// mapping (this covers the circled letters and Roman numerals of Other_Uppercase/Lowercase).
bool is_cased(char32_t c) {
  auto point = static_cast<utf8proc_int32_t>(c);
  return category_is(c, {UTF8PROC_CATEGORY_LU, UTF8PROC_CATEGORY_LL, UTF8PROC_CATEGORY_LT}) ||
         utf8proc_tolower(point) != point || utf8proc_toupper(point) != point;
}

// Unicode's Case_Ignorable property: categories Mn, Me, Cf, Lm and Sk, plus the ASCII apostrophe,
// full stop and colon (Word_Break MidLetter/MidNumLet/Single_Quote).
// NOTE: the non-ASCII MidLetter/MidNumLet characters (U+00B7, U+0387, U+2018, U+2019, U+2024,
// U+2027, U+FE13, U+FE52, U+FE55, U+FF07, U+FF0E, U+FF1A, ...) are not treated as case-ignorable,
// so a Greek capital sigma next to one of them may lower-case differently from CPython.
// ftfy has already turned U+2018/U+2019 into "'" by the time this runs.
bool is_case_ignorable(char32_t c) {
  if (c == '\'' || c == '.' || c == ':') return true;
  return category_is(c, {UTF8PROC_CATEGORY_MN, UTF8PROC_CATEGORY_ME, UTF8PROC_CATEGORY_CF,
                         UTF8PROC_CATEGORY_LM, UTF8PROC_CATEGORY_SK});
}

// CPython's Final_Sigma test for the capital sigma at text[i].
bool is_final_sigma(std::u32string_view text, size_t i) {
  size_t j = i;
  while (j > 0 && is_case_ignorable(text[j - 1])) --j;
  if (j == 0 || !is_cased(text[j - 1])) return false;
  size_t k = i + 1;
  while (k < text.size() && is_case_ignorable(text[k])) ++k;
  return k == text.size() || !is_cased(text[k]);
}

struct FreeDeleter {
  void operator()(utf8proc_uint8_t* pointer) const { std::free(pointer); }
};

std::u32string utf8proc_normalise(std::u32string_view text, int options) {
  std::string bytes = encode_utf8(text);
  utf8proc_uint8_t* raw = nullptr;
  utf8proc_ssize_t length = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(bytes.data()),
                                         static_cast<utf8proc_ssize_t>(bytes.size()), &raw,
                                         static_cast<utf8proc_option_t>(options));
  std::unique_ptr<utf8proc_uint8_t, FreeDeleter> owned(raw);
  if (length < 0) return std::u32string(text);  // unreachable: the input is well-formed UTF-8
  return decode_utf8(std::string_view(reinterpret_cast<const char*>(raw), length));
}

}  // namespace

size_t decode_next(std::string_view bytes, size_t i, char32_t& code_point) {
  int length = decode_one(bytes, i, code_point);
  if (length > 0) return static_cast<size_t>(length);
  code_point = kReplacement;
  return static_cast<size_t>(-length);
}

std::u32string decode_utf8(std::string_view bytes) {
  std::u32string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    char32_t code_point = 0;
    int length = decode_one(bytes, i, code_point);
    if (length > 0) {
      out.push_back(code_point);
      i += length;
    } else {
      out.push_back(kReplacement);
      i += -length;
    }
  }
  return out;
}

bool decode_utf8_strict(std::string_view bytes, std::u32string& out) {
  out.clear();
  size_t i = 0;
  while (i < bytes.size()) {
    char32_t code_point = 0;
    int length = decode_one(bytes, i, code_point);
    if (length <= 0) return false;
    out.push_back(code_point);
    i += length;
  }
  return true;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string encode_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) append_utf8(out, c);
  return out;
}

bool is_python_space(char32_t c) {
  if (c < 0x80) return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
  const utf8proc_property_t* property = utf8proc_get_property(static_cast<utf8proc_int32_t>(c));
  return property->category == UTF8PROC_CATEGORY_ZS ||
         property->bidi_class == UTF8PROC_BIDI_CLASS_WS ||
         property->bidi_class == UTF8PROC_BIDI_CLASS_B ||
         property->bidi_class == UTF8PROC_BIDI_CLASS_S;
}

bool is_letter(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  return category_is(c, {UTF8PROC_CATEGORY_LU, UTF8PROC_CATEGORY_LL, UTF8PROC_CATEGORY_LT,
                         UTF8PROC_CATEGORY_LM, UTF8PROC_CATEGORY_LO});
}

bool is_number(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return category_is(c, {UTF8PROC_CATEGORY_ND, UTF8PROC_CATEGORY_NL, UTF8PROC_CATEGORY_NO});
}

bool is_decimal_digit(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return category_is(c, {UTF8PROC_CATEGORY_ND});
}

std::u32string python_lower(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char32_t c = text[i];
    if (c < 0x80) {
      out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
    } else if (c == 0x0130) {
      // the one unconditional multi-character lower-case mapping in SpecialCasing.txt
      out.push_back(U'i');
      out.push_back(0x0307);
    } else if (c == 0x03A3) {
      out.push_back(is_final_sigma(text, i) ? 0x03C2 : 0x03C3);
    } else {
      out.push_back(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
    }
  }
  return out;
}

std::u32string nfc(std::u32string_view text) {
  bool ascii = true;
  for (char32_t c : text) ascii = ascii && c < 0x80;
  if (ascii) return std::u32string(text);
  return utf8proc_normalise(text, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
}

std::u32string nfkc(char32_t code_point) {
  return utf8proc_normalise(std::u32string_view(&code_point, 1),
                            UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
}

std::string unicode_version() {
  return utf8proc_unicode_version();
}

}  // namespace clipscope::text::detail

// Code-point helpers for the text area: UTF-8 decoding and encoding, and the character classes
// and case mapping of CPython's str methods, built on utf8proc. Cleaning is in ftfy_fixes.h.
#pragma once

#include <string>
#include <string_view>

namespace clipscope::text::detail {

/// Decodes UTF-8 into code points. Each maximal ill-formed subsequence becomes one U+FFFD, as
/// Python's bytes.decode('utf-8', errors='replace') does.
std::u32string decode_utf8(std::string_view bytes);

/// Decodes the code point starting at bytes[i] (i < bytes.size()) and returns its byte length;
/// an ill-formed subsequence gives U+FFFD and the length of that subsequence, as decode_utf8 does.
size_t decode_next(std::string_view bytes, size_t i, char32_t& code_point);

/// Decodes UTF-8 strictly as Python's codec does (no overlongs, surrogates or values past
/// U+10FFFF). Returns false, leaving `out` unspecified, if `bytes` is not well-formed.
bool decode_utf8_strict(std::string_view bytes, std::u32string& out);

/// Appends the UTF-8 encoding of `code_point` to `out`.
void append_utf8(std::string& out, char32_t code_point);

/// Encodes code points as UTF-8.
std::string encode_utf8(std::u32string_view text);

/// True for the characters CPython's str.isspace() accepts: ASCII \t\n\v\f\r, \x1c-\x1f and space,
/// and any other character of category Zs or bidirectional class WS, B or S.
bool is_python_space(char32_t code_point);

/// True for general categories Lu, Ll, Lt, Lm and Lo (regex \p{L}).
bool is_letter(char32_t code_point);

/// True for general categories Nd, Nl and No (regex \p{N}).
bool is_number(char32_t code_point);

/// True for general category Nd (Python re's \d on str patterns).
bool is_decimal_digit(char32_t code_point);

/// Lower-cases as CPython's str.lower(): the full lower-case mapping, including U+0130 to "i̇" and
/// the Final_Sigma rule for U+03A3.
std::u32string python_lower(std::u32string_view text);

/// Returns the NFC normalisation of `text`.
std::u32string nfc(std::u32string_view text);

/// Returns the NFKC normalisation of one code point.
std::u32string nfkc(char32_t code_point);

/// The Unicode version of the linked utf8proc, e.g. "15.0.0".
std::string unicode_version();

}  // namespace clipscope::text::detail

#include "text/ftfy_fixes.h"

#include <string>

#include "text/html_unescape.h"
#include "text/unicode.h"

namespace clipscope::text::detail {
namespace {

bool is_ascii(std::u32string_view text) {
  for (char32_t c : text) {
    if (c >= 0x80) return false;
  }
  return true;
}

// Encodes one character as Latin-1 (`windows_1252` false) or as ftfy's sloppy Windows-1252, in
// which the five undefined bytes stand for the C1 controls of the same value.
bool encode_single_byte(char32_t c, bool windows_1252, unsigned char& byte) {
  if (c < 0x80 || (c >= 0xA0 && c <= 0xFF)) {
    byte = static_cast<unsigned char>(c);
    return true;
  }
  if (!windows_1252) {
    if (c > 0xFF) return false;
    byte = static_cast<unsigned char>(c);
    return true;
  }
  for (int i = 0; i < 32; ++i) {
    if (windows_1252_high(i) == c) {
      byte = static_cast<unsigned char>(0x80 + i);
      return true;
    }
  }
  return false;
}

// Continuation characters that also occur in ordinary text right after an accented capital
// ("CAFÉ…", "NESTLÉ®", "SÉ¡"): a decodable sequence made only of these is not taken as mojibake.
bool is_ambiguous_continuation(char32_t c) {
  switch (c) {
    case 0x00A0:
    case 0x00A1:
    case 0x00A3:
    case 0x00AB:
    case 0x00AE:
    case 0x00B4:
    case 0x00B7:
    case 0x00BB:
    case 0x00BF:
    case 0x2013:
    case 0x2014:
    case 0x2018:
    case 0x2019:
    case 0x201C:
    case 0x201D:
    case 0x2022:
    case 0x2026:
    case 0x2122:
      return true;
    default:
      return false;
  }
}

// Whether the multi-byte sequences of `bytes` (one byte per character of `text`) look like
// mojibake: some sequence starts with Â or Ã (the lead bytes of U+0080-U+00FF) not followed by a
// curly apostrophe, or has a continuation character outside the ambiguous set.
bool looks_like_mojibake(std::u32string_view text, const std::string& bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    auto lead = static_cast<unsigned char>(bytes[i]);
    size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    if (length > 1) {
      if ((text[i] == 0x00C2 || text[i] == 0x00C3) && text[i + 1] != 0x2019) return true;
      for (size_t k = 1; k < length; ++k) {
        if (!is_ambiguous_continuation(text[i + k])) return true;
      }
    }
    i += length;
  }
  return false;
}

// The byte a character stands for in Latin-1 or Windows-1252, or -1.
int single_byte(char32_t c) {
  unsigned char byte = 0;
  if (encode_single_byte(c, false, byte) || encode_single_byte(c, true, byte)) return byte;
  return -1;
}

bool is_continuation(char32_t c) {
  int byte = single_byte(c);
  return byte >= 0x80 && byte <= 0xBF;
}

// Punctuation that may precede embedded mojibake (ftfy's utf8_continuation_strict leaves it out).
bool is_loose_continuation(char32_t c) {
  switch (c) {
    case 0x2013:
    case 0x2014:
    case 0x2018:
    case 0x2019:
    case 0x201A:
    case 0x201C:
    case 0x201D:
    case 0x201E:
    case 0x2022:
    case 0x2026:
      return true;
    default:
      return false;
  }
}

// The end of the run of UTF-8-shaped sequences (lead character, then its continuation
// characters) starting at text[begin], or `begin` if none starts there.
size_t match_utf8_run(std::u32string_view text, size_t begin) {
  size_t i = begin;
  while (i < text.size()) {
    int lead = single_byte(text[i]);
    size_t length = lead >= 0xC2 && lead <= 0xDF   ? 2
                    : lead >= 0xE0 && lead <= 0xEF ? 3
                    : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                   : 0;
    if (length == 0 || i + length > text.size()) break;
    bool complete = true;
    for (size_t k = 1; k < length && complete; ++k) complete = is_continuation(text[i + k]);
    if (!complete) break;
    i += length;
  }
  return i;
}

// ftfy's decode_inconsistent_utf8: mojibake embedded in text that as a whole does not re-encode
// (e.g. next to CJK or emoji) is fixed run by run. Each run is shorter than the text, so the
// recursion through fix_encoding ends.
std::u32string fix_embedded_mojibake(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    bool may_start = i == 0 || !is_continuation(text[i - 1]) || is_loose_continuation(text[i - 1]);
    size_t end = may_start ? match_utf8_run(text, i) : i;
    if (end > i) {
      std::u32string_view run = text.substr(i, end - i);
      out += run.size() < text.size() ? fix_encoding(run) : std::u32string(run);
      i = end;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

// One step of ftfy's _fix_encoding_one_step_and_explain, within clipscope's subset.
// NOTE: ftfy decides whether to re-decode with its 'badness' heuristic and tries ten single-byte
// encodings; clipscope tries Latin-1 and Windows-1252 only and accepts any re-decoding that is
// well-formed UTF-8 and passes looks_like_mojibake. docs/tokenizer.md gives the measured
// differences; ftfy's restore_byte_a0, replace_lossy_sequences and utf-8-variants (CESU-8, Java's
// C0 80) are not implemented.
bool fix_encoding_step(std::u32string& text) {
  if (is_ascii(text)) return false;
  for (bool windows_1252 : {false, true}) {
    std::string bytes;
    bytes.reserve(text.size());
    bool encodable = true;
    for (char32_t c : text) {
      unsigned char byte = 0;
      if (!encode_single_byte(c, windows_1252, byte)) {
        encodable = false;
        break;
      }
      bytes.push_back(static_cast<char>(byte));
    }
    if (!encodable) continue;
    std::u32string decoded;
    if (!decode_utf8_strict(bytes, decoded)) continue;
    if (!looks_like_mojibake(text, bytes)) return false;
    text = std::move(decoded);
    return true;
  }
  std::u32string fixed = fix_embedded_mojibake(text);
  if (fixed != text) {
    text = std::move(fixed);
    return true;
  }
  fixed = fix_c1_controls(text);
  if (fixed == text) return false;
  text = std::move(fixed);
  return true;
}

std::u32string fix_segment(std::u32string text, bool unescape_html) {
  while (true) {
    std::u32string original = text;
    if (unescape_html) text = ftfy_unescape_html(text);
    text = fix_encoding(text);
    text = fix_c1_controls(text);
    text = fix_latin_ligatures(text);
    text = fix_character_width(text);
    text = uncurl_quotes(text);
    text = fix_line_breaks(text);
    text = remove_terminal_escapes(text);
    text = remove_control_chars(text);
    text = nfc(text);
    if (text == original) return text;
  }
}

}  // namespace

std::u32string fix_encoding(std::u32string_view text) {
  std::u32string fixed(text);
  while (fix_encoding_step(fixed)) {
  }
  return fixed;
}

std::u32string fix_c1_controls(std::u32string_view text) {
  std::u32string out(text);
  for (char32_t& c : out) {
    if (c >= 0x80 && c <= 0x9F) c = windows_1252_high(static_cast<int>(c - 0x80));
  }
  return out;
}

std::u32string fix_latin_ligatures(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    bool ligature = c == 0x0132 || c == 0x0133 || c == 0x0149 || (c >= 0x01C4 && c <= 0x01CC) ||
                    (c >= 0x01F1 && c <= 0x01F3) || (c >= 0xFB00 && c <= 0xFB06);
    if (!ligature) {
      out.push_back(c);
    } else if (c == 0xFB05) {
      // ftfy uses the one-level decomposition, long s + t, where NFKC would give "st"
      out += U"\u017Ft";
    } else {
      out += nfkc(c);
    }
  }
  return out;
}

std::u32string fix_character_width(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (c == 0x3000) {
      out.push_back(U' ');
    } else if (c >= 0xFF01 && c <= 0xFFEF) {
      out += nfkc(c);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::u32string uncurl_quotes(std::u32string_view text) {
  std::u32string out(text);
  for (char32_t& c : out) {
    if (c == 0x02BC || (c >= 0x2018 && c <= 0x201B)) {
      c = U'\'';
    } else if (c >= 0x201C && c <= 0x201F) {
      c = U'"';
    }
  }
  return out;
}

std::u32string fix_line_breaks(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char32_t c = text[i];
    if (c == U'\r' && i + 1 < text.size() && text[i + 1] == U'\n') continue;
    out.push_back(c == U'\r' || c == 0x2028 || c == 0x2029 || c == 0x0085 ? U'\n' : c);
  }
  return out;
}

std::u32string remove_terminal_escapes(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == 0x1B && i + 1 < text.size() && text[i + 1] == U'[') {
      size_t j = i + 2;
      while (j < text.size() && (is_decimal_digit(text[j]) || text[j] == U';')) ++j;
      if (j < text.size() && text[j] < 0x80 && is_letter(text[j])) {
        i = j + 1;
        continue;
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

std::u32string remove_control_chars(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    bool control = c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F ||
                   (c >= 0x206A && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
    if (!control) out.push_back(c);
  }
  return out;
}

// NOTE: this is ftfy 6.3's fix_text without its badness heuristic, its other single-byte
// encodings (Windows-1250/1251/1253/1254/1257, ISO-8859-2, MacRoman, CP437), restore_byte_a0,
// replace_lossy_sequences, the utf-8-variants decoder and fix_surrogates (UTF-8 input holds no
// surrogates). Text needing those is left as it is; mojibake detection differs as measured in
// docs/tokenizer.md. CleanText.DoesNotRestoreNoBreakSpaceInMojibake pins one such case.
std::u32string fix_text(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  // ftfy's unescape_html='auto' switches off for good at the first line that holds '<'
  bool unescape_html = true;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t newline = text.find(U'\n', begin);
    size_t end = newline == std::u32string_view::npos ? text.size() : newline + 1;
    std::u32string_view segment = text.substr(begin, end - begin);
    if (segment.find(U'<') != std::u32string_view::npos) unescape_html = false;
    out += fix_segment(std::u32string(segment), unescape_html);
    begin = end;
  }
  return out;
}

}  // namespace clipscope::text::detail

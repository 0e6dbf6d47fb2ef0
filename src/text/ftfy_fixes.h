// The subset of ftfy 6.3's fix_text that clipscope implements, one function per ftfy fixer, and
// fix_text itself, which applies them in ftfy's order until the text stops changing.
// docs/tokenizer.md lists what is not covered; clean_text (tokenizer.h) builds on fix_text.
#pragma once

#include <string>
#include <string_view>

namespace clipscope::text::detail {

/// Repairs UTF-8 that was decoded as Latin-1 or Windows-1252 ("cafÃ©" -> "café"), repeatedly, and
/// maps leftover C1 controls to their Windows-1252 characters, like ftfy.fix_encoding.
std::u32string fix_encoding(std::u32string_view text);

/// Replaces C1 controls U+0080-U+009F with their Windows-1252 characters (ftfy fix_c1_controls).
std::u32string fix_c1_controls(std::u32string_view text);

/// Splits the Latin ligatures ĲĳŉǄ-ǌǱ-ǳﬀ-ﬆ into their letters (ftfy fix_latin_ligatures).
std::u32string fix_latin_ligatures(std::u32string_view text);

/// Maps U+3000 to a space and each of U+FF01-U+FFEF to its NFKC form (ftfy fix_character_width).
std::u32string fix_character_width(std::u32string_view text);

/// Replaces U+02BC and U+2018-U+201B with "'" and U+201C-U+201F with '"' (ftfy uncurl_quotes).
std::u32string uncurl_quotes(std::u32string_view text);

/// Turns CRLF, CR, U+2028, U+2029 and U+0085 into "\n" (ftfy fix_line_breaks).
std::u32string fix_line_breaks(std::u32string_view text);

/// Removes ANSI escapes ESC '[' (digits or ';')* letter (ftfy remove_terminal_escapes).
std::u32string remove_terminal_escapes(std::u32string_view text);

/// Removes U+0000-U+0008, U+000B, U+000E-U+001F, U+007F, U+206A-U+206F, U+FEFF and
/// U+FFF9-U+FFFC (ftfy remove_control_chars).
std::u32string remove_control_chars(std::u32string_view text);

/// ftfy.fix_text with its default configuration, within the subset above: per line, HTML
/// unescaping (disabled from the first line holding '<' on), then the fixes above and NFC,
/// repeated until the line stops changing.
std::u32string fix_text(std::u32string_view text);

}  // namespace clipscope::text::detail

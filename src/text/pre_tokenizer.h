// CLIP's pre-tokenizer: splits cleaned text into the pieces that BPE encodes one by one, as the
// regex <special>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+ (case-insensitive)
// of open_clip's SimpleTokenizer does. bpe_model.h encodes the pieces.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace clipscope::text::detail {

/// One match of the pre-tokenizer pattern, a view into the text.
struct Piece {
  std::string_view text;
  /// Index into the special strings (0 start, 1 end) when the piece matched that alternative, or
  /// -1. A special match is case-insensitive, so its text may still differ from the string.
  int special = -1;
};

/// Splits UTF-8 `text` into pieces, trying `specials` first at every position. Appends to `out`.
/// NOTE: U+0345 (combining ypogegrammeni) matches no alternative of the case-insensitive pattern
/// in Python's regex module (its case fold is a letter), so it is dropped here too; other
/// characters follow their utf8proc category (Unicode 15.0, as regex 2022.10.31).
void pre_tokenize(std::string_view text, const std::array<std::string, 2>& specials,
                  std::vector<Piece>& out);

}  // namespace clipscope::text::detail

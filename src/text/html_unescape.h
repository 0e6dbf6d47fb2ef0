// HTML character references: Python's html.unescape, and ftfy 6.3's stricter unescape_html fix.
// Both read the HTML5 entity list generated into html_entities.inc.
#pragma once

#include <string>
#include <string_view>

namespace clipscope::text::detail {

/// Decodes character references exactly as Python 3.11's html.unescape: named references from
/// the HTML5 list (the legacy ones also without ';', longest prefix first), decimal and hex
/// references with HTML5's replacements for invalid values.
std::u32string python_html_unescape(std::u32string_view text);

/// Decodes only references of the form &name; / &#digits; / &#xhex; (1-24 ASCII letters or digits,
/// the ';' required), plus upper-cased names such as &EACUTE;, as ftfy.fixes.unescape_html does.
std::u32string ftfy_unescape_html(std::u32string_view text);

/// What byte 0x80 + i decodes to in Windows-1252; the five undefined bytes map to the C1 control
/// of the same value.
char32_t windows_1252_high(int i);

}  // namespace clipscope::text::detail

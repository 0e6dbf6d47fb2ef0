// Rewriting real captions for the real-data matching experiment: the phrases that name the
// annotated objects are moved between their places in the caption, or one is replaced by another
// category, and the rest of the text is kept. mentions.h finds the phrases.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "clipscope/experiments/mentions.h"

namespace clipscope::experiments {

/// The phrase naming one object in a caption: the mention, extended to the left over a determiner
/// ("a", "the", "two", ...) that is separated from it by spaces only, so that the determiner
/// moves with its noun.
struct ObjectSpan {
  std::string category;
  size_t begin = 0;       ///< Byte offset of the phrase, determiner included.
  size_t noun_begin = 0;  ///< Byte offset of the mention itself.
  size_t end = 0;         ///< One past the mention's last byte.
};

/// Returns the span of the first mention of each of `categories`, in the order of `categories`.
/// `mentions` are MentionMatcher::find(caption). Throws Error(kInvalidArgument) naming the
/// category if one of `categories` is not mentioned.
std::vector<ObjectSpan> find_object_spans(std::string_view caption, const std::vector<Mention>& mentions,
                                          const std::vector<std::string>& categories);

/// Returns find_object_spans(), but every span starts at its mention unless all of them have a
/// determiner. Moving determiners only when every phrase has one avoids "a pretty a motorcycle",
/// where an adjective separates an article from its noun.
std::vector<ObjectSpan> movable_spans(std::string_view caption, const std::vector<Mention>& mentions,
                                      const std::vector<std::string>& categories);

/// Returns true if the mention text names more than one object: it differs from the category name
/// and ends in "s", or it is "men", "women", "people" or "children". A heuristic: irregular
/// plurals outside that list count as singular.
bool is_plural_mention(std::string_view text, std::string_view category);

/// Returns the span's phrase with its mention replaced by `category`. The new noun is pluralised
/// with regular_plural when the mention is plural and capitalised when the mention is. A
/// determiner "a" or "an" is set to match the new first letter, keeping its own case.
std::string replaced_phrase(std::string_view caption, const ObjectSpan& span, const std::string& category);

/// Returns `caption` with the text of spans[i] replaced by phrases[i], everything between spans
/// kept. A phrase is capitalised where it starts the caption or follows ".", "!" or "?", and gets a
/// lower-case first letter elsewhere unless its second letter is upper case too ("TV"). An article
/// "a" or "an" right before a phrase (spaces only between) is set to match the phrase's first letter.
/// Spans must not overlap. Throws Error(kInvalidArgument) if the counts differ or spans overlap.
std::string compose_caption(std::string_view caption, const std::vector<ObjectSpan>& spans,
                            const std::vector<std::string>& phrases);

/// Returns the object indices in caption order with `largest` moved to the front (`first`) or the
/// back, the others keeping their relative order.
std::vector<size_t> order_with_largest(size_t count, size_t largest, bool first);

}  // namespace clipscope::experiments

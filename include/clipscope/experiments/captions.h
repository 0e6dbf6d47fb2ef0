// Object vocabularies and the multi-object captions built from them: every ordered n-tuple of
// distinct names joined with " and " (a seeded sample when there are too many), with an optional
// article and caption template. tor.h and matching.h encode these captions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace clipscope::experiments {

/// A list of distinct object names.
struct Vocabulary {
  std::string name;                ///< "simco", "coco80", "coco90" or the file it was read from.
  std::vector<std::string> names;  ///< Object names in vocabulary order.
};

/// Returns a built-in vocabulary: "simco" (the 18 SimCO shapes), "coco80" (the 80 COCO-2014
/// detection categories) or "coco90" (COCO category ids 1..90, including the 10 ids without
/// annotations). Throws Error(kInvalidArgument) for another name.
Vocabulary builtin_vocabulary(std::string_view name);

/// Resolves `spec`: a built-in vocabulary name or a text file with one name per line (blank lines
/// and lines starting with '#' are skipped). Throws Error(kNotFound) for a missing file and
/// Error(kInvalidArgument) for an empty vocabulary or a duplicate name (naming the line).
Vocabulary load_vocabulary(const std::string& spec);

/// Size category of an object in the real world, for the size-ordered caption variants.
enum class SizeCategory { kSmall, kMedium, kLarge };

/// Returns the built-in size category of a COCO name (anything not listed as large or small is medium).
SizeCategory coco_size_category(std::string_view name);

/// A caption and the vocabulary indices it mentions, in caption order.
struct Caption {
  std::vector<int64_t> objects;
  std::string text;
};

/// Caption text options: article and templates.
struct CaptionStyle {
  bool article = false;  ///< Prefix each name with "a" or "an" (by its first letter).
  /// Template with "{objects}" for the joined list or "{1}".."{n}" for single names; empty means
  /// the joined list alone. Templates are used in turn, caption i takes template i modulo count.
  std::vector<std::string> templates;
};

/// Returns the name as it appears in a caption: with "a"/"an" when `article` is set.
std::string object_phrase(const std::string& name, bool article);

/// Joins the object phrases with " and " and fills template `caption_index` modulo the count.
/// Throws Error(kInvalidArgument) if a template slot "{k}" exceeds the object count.
std::string caption_text(const Vocabulary& vocabulary, const std::vector<int64_t>& objects,
                         const CaptionStyle& style, size_t caption_index);

/// Returns ordered tuples of `n` distinct indices whose first element comes from `first_pool` and
/// the others from `rest_pool`. If there are at most `max_count`, all of them in lexicographic
/// order (the order of Python's itertools.permutations for equal pools); otherwise `max_count`
/// distinct tuples drawn uniformly with `seed`, sorted. Throws Error(kInvalidArgument) if n < 1.
std::vector<std::vector<int64_t>> object_tuples(const std::vector<int64_t>& first_pool,
                                                const std::vector<int64_t>& rest_pool, int64_t n,
                                                int64_t max_count, uint64_t seed);

/// Builds the captions for all tuples of `n` vocabulary names (see object_tuples).
std::vector<Caption> make_captions(const Vocabulary& vocabulary, int64_t n, int64_t max_count, uint64_t seed,
                                   const CaptionStyle& style);

/// Returns our built-in long caption template; it keeps the object list in one "{objects}" slot.
std::string builtin_long_template();

/// Reads caption templates from a file, one per non-blank line. Throws Error(kNotFound) if the
/// file is missing and Error(kInvalidArgument) if it has no template or a line has no object slot.
std::vector<std::string> read_templates(const std::filesystem::path& path);

}  // namespace clipscope::experiments

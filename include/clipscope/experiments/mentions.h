// Finding object mentions in real captions: whole-word, case-insensitive matching of category names,
// their regular plurals and an editable synonym table (data/coco_synonyms.tsv), longest phrase first.
// Also reads detector output in the Lang-SAM layout as a stand-in for COCO annotations.
// order_vs_size.h builds the caption analyses on these mentions.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "clipscope/io/coco.h"

namespace clipscope::experiments {

/// One object mention found in a caption.
struct Mention {
  std::string category;    ///< Category name the phrase maps to ("person" for "women").
  std::string text;        ///< The phrase as written in the caption ("Women").
  size_t char_offset = 0;  ///< Byte offset of the phrase's first character in the caption.
  size_t word_index = 0;   ///< Index of the phrase's first word among the caption's words.
};

/// A (phrase, category) row of a synonym table.
using Synonym = std::pair<std::string, std::string>;

/// Returns the synonym table shipped with clipscope: data/coco_synonyms.tsv in the source tree.
std::filesystem::path default_synonyms_path();

/// Reads "phrase<TAB>category" lines; blank lines and lines starting with '#' are skipped.
/// Throws Error(kNotFound) for a missing file and Error(kInvalidArgument) naming the line for a row
/// without exactly two non-empty fields.
std::vector<Synonym> read_synonyms(const std::filesystem::path& path);

/// Returns the regular plural of a lowercase word: +es after s, x, z, ch and sh; y -> ies after a
/// consonant; +s otherwise. Irregular plurals belong in the synonym table.
std::string regular_plural(std::string_view word);

/// Finds category mentions in captions. A phrase matches only on whole words: words are runs of
/// letters, digits and non-ASCII bytes, everything else (spaces, punctuation, hyphens) separates
/// them, and case is ignored. At each word the longest matching phrase wins, so "teddy bear" is
/// not a bear and "hot dog" is not a dog.
class MentionMatcher {
 public:
  /// Builds the phrase table from category names (each matches itself and its regular plural) and
  /// synonyms (each phrase and its regular plural map to the category). Synonyms whose category is
  /// not in `categories` are skipped, so one table serves several vocabularies.
  /// Throws Error(kInvalidArgument) for an empty category name or a phrase mapped to two categories.
  MentionMatcher(const std::vector<std::string>& categories, const std::vector<Synonym>& synonyms);

  /// Returns every mention in `caption`, in caption order, including repeated categories.
  std::vector<Mention> find(std::string_view caption) const;

  /// Returns the category a whole text names (e.g. a detector label "Teddy Bear"), or "" if the
  /// text is not exactly one known phrase.
  std::string category_of(std::string_view text) const;

 private:
  std::unordered_map<std::string, std::string> phrases_;  // normalised phrase -> category
  size_t max_words_ = 1;
};

/// Reads detector output in the Lang-SAM layout documented in docs/captions.md into a dataset with
/// images, categories and box-only annotations (mask area in `area`, no segmentation). Labels map
/// to categories through `matcher.category_of`, and an unknown label becomes its own category.
/// Throws Error(kNotFound) for a missing file and Error(kInvalidArgument) naming the file and the
/// record for malformed content.
io::CocoDataset read_lang_sam_detections(const std::filesystem::path& path, const MentionMatcher& matcher);

}  // namespace clipscope::experiments

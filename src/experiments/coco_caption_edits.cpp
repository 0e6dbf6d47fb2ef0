#include "clipscope/experiments/coco_caption_edits.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "clipscope/error.h"

namespace clipscope::experiments {
namespace {

// Words that move with the noun they stand before.
constexpr std::array<std::string_view, 32> kDeterminers = {
    "a",     "an",    "the",   "one",   "two",     "three",   "four",  "five",  "six",   "seven",  "eight",
    "nine",  "ten",   "some",  "several", "many",  "few",     "this",  "that",  "these", "those",  "his",
    "her",   "their", "its",   "my",    "our",     "your",    "another", "each", "every", "both"};

std::string lower(std::string_view text) {
  std::string result(text);
  for (char& c : result) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return result;
}

bool is_letter(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_upper(char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; }

// Offset of the word that ends right before `at` with only spaces between, or `at` if there is none.
size_t preceding_word(std::string_view text, size_t at) {
  size_t end = at;
  while (end > 0 && text[end - 1] == ' ') --end;
  if (end == at) return at;
  size_t begin = end;
  while (begin > 0 && is_letter(text[begin - 1])) --begin;
  return begin == end ? at : begin;
}

// Plural of a category name for a replaced plural mention; names that already end in "s" ("skis",
// "scissors") stay as they are, except "bus".
std::string plural_name(const std::string& category) {
  if (category.size() > 1 && category.back() == 's' && category[category.size() - 2] != 'u') return category;
  return regular_plural(category);
}

// `phrase` with its first letter upper case (`upper`) or lower case; a phrase whose second letter is
// upper case too ("TV") keeps its case.
std::string set_first_case(std::string phrase, bool upper) {
  if (phrase.empty() || !is_letter(phrase[0])) return phrase;
  if (upper) {
    phrase[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(phrase[0])));
  } else if (phrase.size() < 2 || !is_upper(phrase[1])) {
    phrase[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(phrase[0])));
  }
  return phrase;
}

// "a" or "an" for a following word, in the case of `article`'s first letter.
std::string article_for(std::string_view article, std::string_view word) {
  const bool vowel = !word.empty() && std::string_view("aeiouAEIOU").find(word[0]) != std::string_view::npos;
  std::string result = vowel ? "an" : "a";
  if (!article.empty() && is_upper(article[0])) result[0] = 'A';
  return result;
}

// Sets an article "a" or "an" that ends `text` (spaces only after it) to match `next`.
void fix_trailing_article(std::string& text, std::string_view next) {
  const size_t word = preceding_word(text, text.size());
  if (word == text.size()) return;
  size_t word_end = word;
  while (word_end < text.size() && is_letter(text[word_end])) ++word_end;
  const std::string article = lower(std::string_view(text).substr(word, word_end - word));
  if (article != "a" && article != "an") return;
  text.replace(word, word_end - word, article_for(std::string_view(text).substr(word, 1), next));
}

// True if `at` starts the caption or follows ".", "!" or "?" and spaces.
bool starts_sentence(std::string_view text, size_t at) {
  size_t before = at;
  while (before > 0 && text[before - 1] == ' ') --before;
  return before == 0 || std::string_view(".!?").find(text[before - 1]) != std::string_view::npos;
}

}  // namespace

std::vector<ObjectSpan> find_object_spans(std::string_view caption, const std::vector<Mention>& mentions,
                                          const std::vector<std::string>& categories) {
  std::vector<ObjectSpan> spans;
  for (const std::string& category : categories) {
    auto mention = std::find_if(mentions.begin(), mentions.end(),
                                [&](const Mention& candidate) { return candidate.category == category; });
    if (mention == mentions.end()) {
      fail(ErrorKind::kInvalidArgument, "category \"{}\" is not mentioned in caption \"{}\"", category, caption);
    }
    ObjectSpan span;
    span.category = category;
    span.noun_begin = mention->char_offset;
    span.end = mention->char_offset + mention->text.size();
    span.begin = span.noun_begin;
    const size_t word = preceding_word(caption, span.noun_begin);
    if (word < span.noun_begin) {
      size_t word_end = word;
      while (word_end < caption.size() && is_letter(caption[word_end])) ++word_end;
      const std::string determiner = lower(caption.substr(word, word_end - word));
      if (std::find(kDeterminers.begin(), kDeterminers.end(), determiner) != kDeterminers.end()) span.begin = word;
    }
    spans.push_back(span);
  }
  return spans;
}

std::vector<ObjectSpan> movable_spans(std::string_view caption, const std::vector<Mention>& mentions,
                                      const std::vector<std::string>& categories) {
  std::vector<ObjectSpan> spans = find_object_spans(caption, mentions, categories);
  const bool all_determined =
      std::all_of(spans.begin(), spans.end(), [](const ObjectSpan& span) { return span.begin < span.noun_begin; });
  if (!all_determined) {
    for (ObjectSpan& span : spans) span.begin = span.noun_begin;
  }
  return spans;
}

bool is_plural_mention(std::string_view text, std::string_view category) {
  const std::string word = lower(text);
  if (word == lower(category)) return false;
  if (word == "men" || word == "women" || word == "people" || word == "children") return true;
  return !word.empty() && word.back() == 's';
}

std::string replaced_phrase(std::string_view caption, const ObjectSpan& span, const std::string& category) {
  const std::string_view noun = caption.substr(span.noun_begin, span.end - span.noun_begin);
  std::string replacement = is_plural_mention(noun, span.category) ? plural_name(category) : category;
  std::string determiner(caption.substr(span.begin, span.noun_begin - span.begin));

  // "a" or "an" before the new noun, in the determiner's case
  const std::string trimmed = lower(determiner.substr(0, determiner.find(' ')));
  if (trimmed == "a" || trimmed == "an") determiner = article_for(determiner, replacement) + determiner.substr(trimmed.size());
  const bool upper = !noun.empty() && is_upper(noun[0]);
  return determiner + set_first_case(replacement, upper);
}

std::string compose_caption(std::string_view caption, const std::vector<ObjectSpan>& spans,
                            const std::vector<std::string>& phrases) {
  if (spans.size() != phrases.size()) {
    fail(ErrorKind::kInvalidArgument, "{} phrases for {} object spans; pass one phrase per span", phrases.size(),
         spans.size());
  }
  std::vector<size_t> order(spans.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return spans[a].begin < spans[b].begin; });

  std::string result;
  size_t cursor = 0;
  for (size_t i : order) {
    const ObjectSpan& span = spans[i];
    if (span.begin < cursor || span.end < span.begin || span.end > caption.size()) {
      fail(ErrorKind::kInvalidArgument, "object span [{}, {}) of \"{}\" overlaps another span or leaves the caption",
           span.begin, span.end, span.category);
    }
    result.append(caption.substr(cursor, span.begin - cursor));
    fix_trailing_article(result, phrases[i]);
    result += set_first_case(phrases[i], starts_sentence(caption, span.begin));
    cursor = span.end;
  }
  result.append(caption.substr(cursor));
  return result;
}

std::vector<size_t> order_with_largest(size_t count, size_t largest, bool first) {
  std::vector<size_t> order;
  if (first) order.push_back(largest);
  for (size_t i = 0; i < count; ++i) {
    if (i != largest) order.push_back(i);
  }
  if (!first) order.push_back(largest);
  return order;
}

}  // namespace clipscope::experiments

// A persistent embedding cache: one SQLite file keyed by the model, the tower with its input
// pipeline (tokenizer or preprocessing) and the input (caption text or image content hash), and
// CachingEncoder, an Encoder wrapper that serves repeated inputs from it. Every encoded batch is
// committed on its own, so an interrupted run keeps what it finished. model/encoder.h is the
// interface.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "clipscope/model/encoder.h"

struct sqlite3;
struct sqlite3_stmt;

namespace clipscope::experiments {

/// File name of the cache inside a cache folder.
inline constexpr const char* kEmbeddingCacheFileName = "embeddings.sqlite3";

/// Version of the cache file layout; a file with another version is rejected.
inline constexpr int kEmbeddingCacheVersion = 1;

/// Returns the default cache folder: $XDG_CACHE_HOME/clipscope when XDG_CACHE_HOME is an absolute
/// path, else $HOME/.cache/clipscope. Throws Error(kNotFound) when neither variable is usable.
std::filesystem::path default_cache_folder();

/// Fingerprint of an encoder: everything its embeddings depend on besides the input, as JSON
/// objects.
struct EncoderFingerprint {
  /// identity() without the weights path and the model name, plus the architecture of a
  /// CLIPEncoder and the clipscope version.
  nlohmann::json model;
  /// For a CLIPEncoder: SHA-256 of the tokenizer files, context length and checkpoint source
  /// (which decides how "<|endoftext|>" in a text is tokenised). Empty object otherwise.
  nlohmann::json text;
  /// For a CLIPEncoder: every field of its image::PreprocessConfig. Empty object otherwise.
  nlohmann::json image;
};

/// Returns the fingerprint of `encoder`. Reads and hashes the tokenizer files of a CLIPEncoder.
/// NOTE: clipscope's own code is covered only through its version number, so a cache filled by
/// an older build of the same version is reused; delete the cache after changing model code.
EncoderFingerprint encoder_fingerprint(const model::Encoder& encoder);

/// The part of a cache key shared by a batch of inputs.
struct EmbeddingSource {
  std::string model;        ///< SHA-256 (hex) of the model fingerprint.
  std::string tower;        ///< "text" or "image".
  std::string pipeline;     ///< SHA-256 (hex) of the tower's fingerprint.
  std::string description;  ///< Both fingerprints as JSON text, stored for inspection.
};

/// Returns the source of `tower` ("text" or "image") for `fingerprint`.
EmbeddingSource embedding_source(const EncoderFingerprint& fingerprint, const std::string& tower);

/// An SQLite file of float32 embeddings. Not thread-safe; several processes may share one file.
class EmbeddingCache {
 public:
  /// Opens or creates `file` and its folder. Throws Error(kIo) naming the file if it cannot be
  /// created or opened, and Error(kInvalidArgument) naming the file and the fix (delete it) if
  /// it is corrupt, not an SQLite database, another program's database or another cache version.
  explicit EmbeddingCache(std::filesystem::path file);
  ~EmbeddingCache();

  EmbeddingCache(const EmbeddingCache&) = delete;
  EmbeddingCache& operator=(const EmbeddingCache&) = delete;

  /// Returns the stored vector of each input of `source`, or an empty vector where there is none.
  /// Throws as the constructor does when the file turns out to be corrupt.
  std::vector<std::vector<float>> lookup(const EmbeddingSource& source,
                                         const std::vector<std::string>& inputs);

  /// Stores row i of `rows` float32 [N, D] for inputs[i] in one transaction, replacing older
  /// entries. Throws Error(kInvalidArgument) if N differs from the number of inputs and Error(kIo)
  /// naming the file if the write fails (for example, a full disk); then nothing of the batch is
  /// kept.
  void store(const EmbeddingSource& source, const std::vector<std::string>& inputs,
             const torch::Tensor& rows);

  /// Returns the number of stored vectors.
  int64_t size();

  /// The database file.
  const std::filesystem::path& file() const { return file_; }

 private:
  int64_t source_id(const EmbeddingSource& source);
  void initialize();
  [[noreturn]] void raise(int code, const std::string& action) const;
  void check(int code, const std::string& action) const;

  std::filesystem::path file_;
  sqlite3* database_ = nullptr;
  sqlite3_stmt* select_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  std::map<std::string, int64_t> source_ids_;  ///< Key: model, tower and pipeline joined by spaces.
};

/// Settings of a CachingEncoder.
struct CachingEncoderOptions {
  /// Inputs per call of the wrapped encoder and per committed transaction.
  int64_t batch_size = 64;
};

/// Encoder that looks every input up in an EmbeddingCache and encodes only the missing ones, in
/// batches that are stored as soon as each is done. Inputs repeated within one call are encoded
/// once. Text inputs are keyed by their text, images by the SHA-256 of their file content.
class CachingEncoder : public model::Encoder {
 public:
  /// Wraps `inner` and `cache`, which must outlive this object. Throws Error(kInvalidArgument)
  /// for a batch size below 1.
  CachingEncoder(model::Encoder& inner, EmbeddingCache& cache, CachingEncoderOptions options = {});

  nlohmann::json identity() const override { return inner_.identity(); }
  bool has_text_tower() const override { return inner_.has_text_tower(); }
  bool has_image_tower() const override { return inner_.has_image_tower(); }

  /// Returns the embeddings of `texts` as the wrapped encoder does: float32 [N, D]. Throws the
  /// wrapped encoder's errors (batches finished before are kept) and the cache's errors.
  torch::Tensor encode_texts(const std::vector<std::string>& texts) override;

  /// Returns the embeddings of image files: float32 [N, D]. Throws Error(kNotFound) for a missing
  /// file, the wrapped encoder's errors (batches finished before are kept) and the cache's errors.
  torch::Tensor encode_images(const std::vector<std::filesystem::path>& images) override;

  /// The wrapped encoder.
  model::Encoder& inner() { return inner_; }

  /// Rows served from the cache so far, per tower ("text", "image").
  const std::map<std::string, int64_t>& cached_rows() const { return cached_rows_; }
  /// Rows the wrapped encoder computed so far, per tower.
  const std::map<std::string, int64_t>& encoded_rows() const { return encoded_rows_; }

 private:
  using EncodeRows = std::function<torch::Tensor(const std::vector<size_t>&)>;
  torch::Tensor encode_cached(const EmbeddingSource& source, const std::vector<std::string>& keys,
                              const EncodeRows& encode_rows);
  std::string image_key(const std::filesystem::path& file);

  model::Encoder& inner_;
  EmbeddingCache& cache_;
  CachingEncoderOptions options_;
  EmbeddingSource text_source_;
  EmbeddingSource image_source_;
  int64_t expected_dimension_ = -1;  ///< identity()'s embed_dim, or -1 if it has none.
  std::map<std::string, int64_t> cached_rows_;
  std::map<std::string, int64_t> encoded_rows_;
  /// Content hash per image path, with the size and modification time it was computed for.
  struct FileHash {
    uintmax_t size = 0;
    std::filesystem::file_time_type modified;
    std::string key;
  };
  std::map<std::filesystem::path, FileHash> image_keys_;
};

}  // namespace clipscope::experiments

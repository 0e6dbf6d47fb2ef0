#include "clipscope/experiments/embedding_cache.h"

#include <sqlite3.h>
#include <torch/torch.h>

#include <cstdlib>
#include <cstring>
#include <set>

#include "clipscope/error.h"
#include "clipscope/experiments/scene_set.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/model/clip_encoder.h"

namespace clipscope::experiments {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFormatName = "clipscope.embedding_cache";

// Time a writer waits for another process's lock before failing.
constexpr int kBusyTimeoutMilliseconds = 30000;

constexpr const char* kCreateSchema = R"sql(
CREATE TABLE clipscope_cache(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sources(
  id INTEGER PRIMARY KEY,
  model TEXT NOT NULL,
  tower TEXT NOT NULL,
  pipeline TEXT NOT NULL,
  description TEXT NOT NULL,
  UNIQUE(model, tower, pipeline));
CREATE TABLE embeddings(
  source INTEGER NOT NULL REFERENCES sources(id),
  input TEXT NOT NULL,
  vector BLOB NOT NULL,
  PRIMARY KEY(source, input)) WITHOUT ROWID;
)sql";

// Finalises a prepared statement when it goes out of scope.
class Statement {
 public:
  Statement(sqlite3* database, const char* sql, const std::function<void(int)>& on_error) {
    const int code = sqlite3_prepare_v2(database, sql, -1, &statement_, nullptr);
    if (code != SQLITE_OK) on_error(code);
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() const { return statement_; }

 private:
  sqlite3_stmt* statement_ = nullptr;
};

void bind_text(sqlite3_stmt* statement, int index, const std::string& text) {
  sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

std::string column_text(sqlite3_stmt* statement, int index) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, index));
  return text ? std::string(text, static_cast<size_t>(sqlite3_column_bytes(statement, index)))
              : std::string();
}

}  // namespace

fs::path default_cache_folder() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && fs::path(xdg).is_absolute()) return fs::path(xdg) / "clipscope";
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home != '\0') return fs::path(home) / ".cache" / "clipscope";
  fail(ErrorKind::kNotFound,
       "no default embedding cache folder: neither XDG_CACHE_HOME nor HOME is set; pass --cache "
       "DIR or --no-cache");
}

EncoderFingerprint encoder_fingerprint(const model::Encoder& encoder) {
  EncoderFingerprint fingerprint;
  fingerprint.model = encoder.identity();
  fingerprint.model.erase("weights");  // a path: moving the weights does not change the embeddings
  fingerprint.model.erase("name");
  fingerprint.model["clipscope_version"] = CLIPSCOPE_VERSION;
  fingerprint.text = nlohmann::json::object();
  fingerprint.image = nlohmann::json::object();

  const auto* clip = dynamic_cast<const model::CLIPEncoder*>(&encoder);
  if (clip == nullptr) return fingerprint;
  const model::LoadedModel& loaded = clip->loaded();
  fingerprint.model["architecture"] = model::describe(loaded.config());

  // the tokenizer's identity is its files' content, wherever they were found
  const model::TokenizerFiles& files = loaded.tokenizer;
  fingerprint.text["source_format"] = loaded.source_format;
  if (loaded.config().text_cfg)
    fingerprint.text["context_length"] = loaded.config().text_cfg->context_length;
  const std::vector<std::pair<const char*, fs::path>> tokenizer_files = {
      {"bpe_sha256", files.bpe_gz},
      {"vocab_sha256", files.vocab_json},
      {"merges_sha256", files.merges_txt}};
  for (const auto& [key, path] : tokenizer_files) {
    if (!path.empty()) fingerprint.text[key] = sha256_hex(io::read_file(path));
  }

  const image::PreprocessConfig& preprocess = clip->preprocess_config();
  fingerprint.image = {
      {"style", preprocess.style == image::PreprocessStyle::kHuggingFace ? "hf" : "open_clip"},
      {"image_size", preprocess.image_size},
      {"mean", preprocess.mean},
      {"std", preprocess.std},
      {"interpolation", preprocess.interpolation},
      {"resize_mode", preprocess.resize_mode},
      {"fill_color", preprocess.fill_color},
  };
  return fingerprint;
}

EmbeddingSource embedding_source(const EncoderFingerprint& fingerprint, const std::string& tower) {
  if (tower != "text" && tower != "image") {
    fail(ErrorKind::kInvalidArgument, "unknown tower \"{}\"; use \"text\" or \"image\"", tower);
  }
  const nlohmann::json& pipeline = tower == "text" ? fingerprint.text : fingerprint.image;
  EmbeddingSource source;
  source.model = sha256_hex(fingerprint.model.dump());
  source.tower = tower;
  source.pipeline = sha256_hex(pipeline.dump());
  source.description = nlohmann::json{{"model", fingerprint.model}, {"pipeline", pipeline}}.dump();
  return source;
}

// ---------------------------------------------------------------- EmbeddingCache

EmbeddingCache::EmbeddingCache(fs::path file) : file_(std::move(file)) {
  std::error_code error;
  if (file_.has_parent_path()) fs::create_directories(file_.parent_path(), error);
  if (error) {
    fail(ErrorKind::kIo,
         "cannot create the embedding cache folder \"{}\": {}; pass --cache with a writable folder "
         "or --no-cache",
         file_.parent_path().string(), error.message());
  }
  const int code = sqlite3_open_v2(file_.c_str(), &database_,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (code != SQLITE_OK) {
    const std::string message =
        database_ != nullptr ? sqlite3_errmsg(database_) : sqlite3_errstr(code);
    sqlite3_close(database_);
    database_ = nullptr;
    fail(ErrorKind::kIo,
         "cannot open the embedding cache \"{}\": {}; pass --cache with a writable folder or "
         "--no-cache",
         file_.string(), message);
  }
  sqlite3_busy_timeout(database_, kBusyTimeoutMilliseconds);
  try {
    initialize();
    check(sqlite3_prepare_v2(database_,
                             "SELECT vector FROM embeddings WHERE source = ?1 AND input = ?2", -1,
                             &select_, nullptr),
          "preparing a lookup");
    check(sqlite3_prepare_v2(
              database_,
              "INSERT OR REPLACE INTO embeddings(source, input, vector) VALUES(?1, ?2, ?3)", -1,
              &insert_, nullptr),
          "preparing an insert");
  } catch (...) {
    sqlite3_finalize(select_);
    sqlite3_finalize(insert_);
    sqlite3_close(database_);
    database_ = nullptr;
    throw;
  }
}

EmbeddingCache::~EmbeddingCache() {
  sqlite3_finalize(select_);
  sqlite3_finalize(insert_);
  sqlite3_close(database_);
}

void EmbeddingCache::raise(int code, const std::string& action) const {
  const std::string message =
      database_ != nullptr ? sqlite3_errmsg(database_) : sqlite3_errstr(code);
  const int primary = code & 0xff;
  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) {
    fail(ErrorKind::kInvalidArgument,
         "embedding cache \"{}\" is corrupt or not a database ({} while {}); delete the "
         "file or pass --no-cache",
         file_.string(), message, action);
  }
  fail(ErrorKind::kIo,
       "embedding cache \"{}\": {} failed: {}; check the disk space and permissions, or pass "
       "--no-cache",
       file_.string(), action, message);
}

void EmbeddingCache::check(int code, const std::string& action) const {
  if (code != SQLITE_OK && code != SQLITE_DONE && code != SQLITE_ROW) raise(code, action);
}

void EmbeddingCache::initialize() {
  // one write transaction, so two processes creating the same file do not both add the tables
  check(sqlite3_exec(database_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr),
        "starting a transaction");
  try {
    std::set<std::string> tables;
    {
      Statement list(database_, "SELECT name FROM sqlite_master WHERE type = 'table'",
                     [&](int code) { raise(code, "reading the schema"); });
      int code;
      while ((code = sqlite3_step(list.get())) == SQLITE_ROW)
        tables.insert(column_text(list.get(), 0));
      check(code, "reading the schema");
    }

    if (tables.empty()) {
      check(sqlite3_exec(database_, kCreateSchema, nullptr, nullptr, nullptr),
            "creating the tables");
      const std::string meta =
          fmt::format("INSERT INTO clipscope_cache VALUES('format', '{}'), ('version', '{}')",
                      kFormatName, kEmbeddingCacheVersion);
      check(sqlite3_exec(database_, meta.c_str(), nullptr, nullptr, nullptr),
            "writing the cache version");
    } else {
      if (!tables.count("clipscope_cache")) {
        fail(ErrorKind::kInvalidArgument,
             "\"{}\" is an SQLite database of another program, not a clipscope embedding "
             "cache; delete it or pass --cache with another folder",
             file_.string());
      }
      std::map<std::string, std::string> meta;
      {
        Statement read(database_, "SELECT key, value FROM clipscope_cache",
                       [&](int code) { raise(code, "reading the cache version"); });
        int code;
        while ((code = sqlite3_step(read.get())) == SQLITE_ROW) {
          meta[column_text(read.get(), 0)] = column_text(read.get(), 1);
        }
        check(code, "reading the cache version");
      }
      if (meta["format"] != kFormatName) {
        fail(ErrorKind::kInvalidArgument,
             "\"{}\" has format \"{}\", not a clipscope embedding cache; delete it or "
             "pass --cache with another folder",
             file_.string(), meta["format"]);
      }
      if (meta["version"] != std::to_string(kEmbeddingCacheVersion)) {
        fail(ErrorKind::kInvalidArgument,
             "embedding cache \"{}\" has layout version {}, this build reads version {}; "
             "delete the file",
             file_.string(), meta["version"], kEmbeddingCacheVersion);
      }
      if (!tables.count("sources") || !tables.count("embeddings")) {
        fail(ErrorKind::kInvalidArgument,
             "embedding cache \"{}\" lacks its sources or embeddings table; delete the file",
             file_.string());
      }
    }
    check(sqlite3_exec(database_, "COMMIT", nullptr, nullptr, nullptr), "committing the schema");
  } catch (...) {
    sqlite3_exec(database_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }

  // Write-ahead logging: readers do not block the writer, and a killed process loses at most its
  // open transaction. NORMAL synchronisation may lose the last commits on power loss, not on a
  // crash.
  check(sqlite3_exec(database_, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr),
        "enabling the WAL journal");
  check(sqlite3_exec(database_, "PRAGMA synchronous = NORMAL", nullptr, nullptr, nullptr),
        "setting synchronous");
}

int64_t EmbeddingCache::source_id(const EmbeddingSource& source) {
  const std::string key = source.model + " " + source.tower + " " + source.pipeline;
  const auto known = source_ids_.find(key);
  if (known != source_ids_.end()) return known->second;

  Statement select(database_,
                   "SELECT id FROM sources WHERE model = ?1 AND tower = ?2 AND pipeline = ?3",
                   [&](int code) { raise(code, "reading the sources"); });
  bind_text(select.get(), 1, source.model);
  bind_text(select.get(), 2, source.tower);
  bind_text(select.get(), 3, source.pipeline);
  const int code = sqlite3_step(select.get());
  check(code, "reading the sources");
  if (code != SQLITE_ROW) return -1;
  const int64_t id = sqlite3_column_int64(select.get(), 0);
  source_ids_[key] = id;
  return id;
}

std::vector<std::vector<float>> EmbeddingCache::lookup(const EmbeddingSource& source,
                                                       const std::vector<std::string>& inputs) {
  std::vector<std::vector<float>> vectors(inputs.size());
  const int64_t id = source_id(source);
  if (id < 0) return vectors;
  for (size_t i = 0; i < inputs.size(); ++i) {
    sqlite3_reset(select_);
    sqlite3_bind_int64(select_, 1, id);
    bind_text(select_, 2, inputs[i]);
    const int code = sqlite3_step(select_);
    check(code, "looking up an embedding");
    if (code != SQLITE_ROW) continue;
    const auto bytes = static_cast<size_t>(sqlite3_column_bytes(select_, 0));
    if (bytes == 0 || bytes % sizeof(float) != 0) {
      fail(ErrorKind::kInvalidArgument,
           "embedding cache \"{}\" contains an invalid vector of {} bytes, not a "
           "multiple of 4; delete the file",
           file_.string(), bytes);
    }
    vectors[i].resize(bytes / sizeof(float));
    std::memcpy(vectors[i].data(), sqlite3_column_blob(select_, 0), bytes);
  }
  sqlite3_reset(select_);
  return vectors;
}

void EmbeddingCache::store(const EmbeddingSource& source, const std::vector<std::string>& inputs,
                           const torch::Tensor& rows) {
  if (rows.dim() != 2 || rows.size(0) != static_cast<int64_t>(inputs.size())) {
    fail(ErrorKind::kInvalidArgument,
         "cannot store embeddings of shape [{}] for {} inputs; need [{}, D]",
         fmt::join(rows.sizes(), ", "), inputs.size(), inputs.size());
  }
  const torch::Tensor values =
      rows.detach().to(torch::kCPU, torch::kFloat32).contiguous();  // [N, D]
  const int64_t dimension = values.size(1);

  check(sqlite3_exec(database_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr),
        "starting a transaction");
  try {
    int64_t id = source_id(source);
    if (id < 0) {
      Statement insert(
          database_,
          "INSERT INTO sources(model, tower, pipeline, description) VALUES(?1, ?2, ?3, ?4)",
          [&](int code) { raise(code, "adding a source"); });
      bind_text(insert.get(), 1, source.model);
      bind_text(insert.get(), 2, source.tower);
      bind_text(insert.get(), 3, source.pipeline);
      bind_text(insert.get(), 4, source.description);
      check(sqlite3_step(insert.get()), "adding a source");
      id = sqlite3_last_insert_rowid(database_);
    }
    const float* data = values.data_ptr<float>();
    for (size_t i = 0; i < inputs.size(); ++i) {
      sqlite3_reset(insert_);
      sqlite3_bind_int64(insert_, 1, id);
      bind_text(insert_, 2, inputs[i]);
      sqlite3_bind_blob(insert_, 3, data + static_cast<int64_t>(i) * dimension,
                        static_cast<int>(dimension * static_cast<int64_t>(sizeof(float))),
                        SQLITE_STATIC);
      check(sqlite3_step(insert_), "storing an embedding");
    }
    sqlite3_reset(insert_);
    check(sqlite3_exec(database_, "COMMIT", nullptr, nullptr, nullptr), "committing a batch");
  } catch (...) {
    sqlite3_reset(insert_);
    sqlite3_exec(database_, "ROLLBACK", nullptr, nullptr, nullptr);
    // a source added in the rolled-back transaction does not exist
    source_ids_.erase(source.model + " " + source.tower + " " + source.pipeline);
    throw;
  }
}

int64_t EmbeddingCache::size() {
  Statement count(database_, "SELECT COUNT(*) FROM embeddings",
                  [&](int code) { raise(code, "counting embeddings"); });
  check(sqlite3_step(count.get()), "counting embeddings");
  return sqlite3_column_int64(count.get(), 0);
}

// ---------------------------------------------------------------- CachingEncoder

CachingEncoder::CachingEncoder(model::Encoder& inner, EmbeddingCache& cache,
                               CachingEncoderOptions options)
    : inner_(inner), cache_(cache), options_(options) {
  if (options_.batch_size < 1) {
    fail(ErrorKind::kInvalidArgument, "cache batch size {} is invalid; use a positive batch size",
         options_.batch_size);
  }
  const EncoderFingerprint fingerprint = encoder_fingerprint(inner_);
  text_source_ = embedding_source(fingerprint, "text");
  image_source_ = embedding_source(fingerprint, "image");
  const nlohmann::json identity = inner_.identity();
  if (identity.contains("embed_dim") && identity["embed_dim"].is_number_integer()) {
    expected_dimension_ = identity["embed_dim"].get<int64_t>();
  }
}

torch::Tensor CachingEncoder::encode_texts(const std::vector<std::string>& texts) {
  return encode_cached(text_source_, texts, [&](const std::vector<size_t>& rows) {
    std::vector<std::string> batch;
    for (size_t row : rows) batch.push_back(texts[row]);
    return inner_.encode_texts(batch);
  });
}

torch::Tensor CachingEncoder::encode_images(const std::vector<fs::path>& images) {
  std::vector<std::string> keys;
  for (const fs::path& file : images) keys.push_back(image_key(file));
  return encode_cached(image_source_, keys, [&](const std::vector<size_t>& rows) {
    std::vector<fs::path> batch;
    for (size_t row : rows) batch.push_back(images[row]);
    return inner_.encode_images(batch);
  });
}

std::string CachingEncoder::image_key(const fs::path& file) {
  std::error_code error;
  const uintmax_t size = fs::file_size(file, error);
  const fs::file_time_type modified = fs::last_write_time(file, error);
  if (error)
    return "sha256:" + sha256_hex(io::read_file(file));  // read_file names the missing file

  const auto known = image_keys_.find(file);
  if (known != image_keys_.end() && known->second.size == size &&
      known->second.modified == modified) {
    return known->second.key;
  }
  std::string key = "sha256:" + sha256_hex(io::read_file(file));
  image_keys_[file] = {size, modified, key};
  return key;
}

torch::Tensor CachingEncoder::encode_cached(const EmbeddingSource& source,
                                            const std::vector<std::string>& keys,
                                            const EncodeRows& encode_rows) {
  if (keys.empty()) return encode_rows({});
  std::vector<std::vector<float>> vectors = cache_.lookup(source, keys);

  // distinct missing inputs, each at its first position
  std::map<std::string, size_t> first_position;
  std::vector<size_t> missing;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!vectors[i].empty()) {
      ++cached_rows_[source.tower];
    } else if (first_position.emplace(keys[i], i).second) {
      missing.push_back(i);
    }
  }

  // encode and commit batch by batch, so an interruption keeps the finished batches
  const auto batch_size = static_cast<size_t>(options_.batch_size);
  for (size_t begin = 0; begin < missing.size(); begin += batch_size) {
    const std::vector<size_t> batch(missing.begin() + static_cast<std::ptrdiff_t>(begin),
                                    missing.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                          missing.size(), begin + batch_size)));
    const torch::Tensor rows =
        encode_rows(batch).detach().to(torch::kCPU, torch::kFloat32).contiguous();  // [b, D]
    TORCH_CHECK(rows.dim() == 2 && rows.size(0) == static_cast<int64_t>(batch.size()),
                "wrapped encoder returned shape ", rows.sizes(), " for ", batch.size(),
                " inputs; expected [", batch.size(), ", D]");
    std::vector<std::string> batch_keys;
    for (size_t row : batch) batch_keys.push_back(keys[row]);
    cache_.store(source, batch_keys, rows);
    for (size_t j = 0; j < batch.size(); ++j) {
      const float* data = rows[static_cast<int64_t>(j)].data_ptr<float>();
      vectors[batch[j]].assign(data, data + rows.size(1));
    }
    encoded_rows_[source.tower] += static_cast<int64_t>(batch.size());
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    if (vectors[i].empty()) vectors[i] = vectors[first_position.at(keys[i])];
  }

  const auto dimension = static_cast<int64_t>(vectors.front().size());
  for (const std::vector<float>& vector : vectors) {
    const auto size = static_cast<int64_t>(vector.size());
    if (size != dimension || (expected_dimension_ >= 0 && size != expected_dimension_)) {
      fail(ErrorKind::kInvalidArgument,
           "embedding cache \"{}\" contains a {}-float {} embedding where the model "
           "gives {} floats; delete the file",
           cache_.file().string(), size, source.tower,
           expected_dimension_ >= 0 ? expected_dimension_ : dimension);
    }
  }
  torch::Tensor output = torch::empty({static_cast<int64_t>(vectors.size()), dimension});  // [N, D]
  for (size_t i = 0; i < vectors.size(); ++i) {
    std::memcpy(output[static_cast<int64_t>(i)].data_ptr<float>(), vectors[i].data(),
                vectors[i].size() * sizeof(float));
  }
  return output;
}

}  // namespace clipscope::experiments

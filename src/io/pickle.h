// A restricted unpickler for the data.pkl records of torch.save and TorchScript archives
// (torch_archive.cpp). It builds plain values, never calls Python code, and accepts only globals
// from an allow-list of tensor-rebuilding functions, storage types and containers.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace clipscope::detail {

/// The Python globals the unpickler accepts; anything else is rejected when it is named.
enum class PickleGlobal {
  kOrderedDict,            ///< collections.OrderedDict
  kRebuildTensorV2,        ///< torch._utils._rebuild_tensor_v2
  kRebuildParameter,       ///< torch._utils._rebuild_parameter
  kRebuildParameterState,  ///< torch._utils._rebuild_parameter_with_state
  kRebuildFromTypeV2,      ///< torch._tensor._rebuild_from_type_v2
  kTensorType,             ///< torch.Tensor, torch.nn.parameter.Parameter (only passed, not called)
  kStorageType,            ///< torch.FloatStorage, torch.HalfStorage, ...
  kDtype,                  ///< torch.float32, torch.float16, ...
  kJitPassThrough,         ///< torch.jit._pickle.build_*list / restore_type_tag: return argument 0
  kTorchScriptClass,       ///< __torch__.* (TorchScript archives only): an attribute container
};

/// A value built by the unpickler. All values live in the Unpickler that made them.
struct PickleValue {
  enum class Kind {
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kBytes,
    kTuple,
    kList,
    kDict,
    kGlobal,
    kObject,
    kStorage,
    kTensor
  };

  Kind kind = Kind::kNone;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0;
  /// kString / kBytes: the contents; kGlobal: "module.name"; kObject: the class name;
  /// kStorage: the record key.
  std::string text;
  PickleGlobal global = PickleGlobal::kOrderedDict;  ///< kGlobal only.
  torch::ScalarType dtype = torch::kFloat32;         ///< kGlobal of a storage type or dtype.
  std::vector<PickleValue*> items;                   ///< kTuple, kList.
  /// kDict: the items in insertion order; kObject: the attributes set by BUILD.
  std::vector<std::pair<PickleValue*, PickleValue*>> entries;
  torch::Tensor tensor;  ///< kStorage: 1-D, all elements; kTensor: the tensor.

  /// The Python type name, for messages ("dict", "tensor", ...).
  std::string_view type_name() const;
  /// The value of a string-keyed entry of a kDict or kObject, or nullptr.
  const PickleValue* find(std::string_view key) const;
};

/// Returns a storage record as a 1-D tensor of `numel` elements of `dtype`. Called once per key.
using StorageLoader =
    std::function<torch::Tensor(const std::string& key, torch::ScalarType dtype, int64_t numel)>;

/// Unpickles one record. `file` and `record` only name the input in error messages.
class Unpickler {
 public:
  Unpickler(std::string file, std::string record, std::span<const uint8_t> data,
            StorageLoader load_storage, bool allow_torchscript_classes);

  /// Runs the pickle up to STOP and returns the value it produced (owned by this Unpickler).
  /// Throws Error(kInvalidArgument) naming the file for malformed data or a global outside the
  /// allow-list, Error(kUnsupported) for tensor kinds clipscope does not read (quantized, sparse).
  const PickleValue& load();

 private:
  PickleValue& make(PickleValue::Kind kind);
  PickleValue* pop();
  std::vector<PickleValue*> pop_to_mark();
  PickleValue& top(PickleValue::Kind expected, std::string_view opcode);

  PickleValue* resolve_global(const std::string& module, const std::string& name);
  PickleValue* persistent_load(const PickleValue& id);
  PickleValue* reduce(const PickleValue& callable, const PickleValue& arguments);
  PickleValue* rebuild_tensor(const PickleValue& arguments);
  PickleValue* make_string(PickleValue::Kind kind, uint64_t length);
  PickleValue* make_int(int64_t value);

  std::span<const uint8_t> read(uint64_t count);
  uint64_t read_uint(int bytes);
  std::string read_line();
  [[noreturn]] void malformed(const std::string& problem) const;

  std::string file_;
  std::string record_;
  std::span<const uint8_t> data_;
  size_t position_ = 0;
  size_t opcode_position_ = 0;
  StorageLoader load_storage_;
  bool allow_torchscript_classes_;

  std::deque<PickleValue> values_;
  std::vector<PickleValue*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PickleValue*> memo_;
  std::unordered_map<std::string, PickleValue*> storages_;
};

}  // namespace clipscope::detail

#include "io/pickle.h"

#include <fmt/ranges.h>

#include <bit>
#include <cstring>
#include <limits>

#include "clipscope/error.h"
#include "io/checkpoint_internal.h"

namespace clipscope::detail {

namespace {

using Kind = PickleValue::Kind;

/// More values than this means a hostile or broken pickle; a ViT-L training checkpoint with its
/// optimizer state needs well under a million.
constexpr size_t kMaxValues = 20'000'000;

struct NamedType {
  std::string_view name;
  torch::ScalarType type;
};

constexpr NamedType kStorageTypes[] = {
    {"FloatStorage", torch::kFloat32},     {"HalfStorage", torch::kFloat16},
    {"BFloat16Storage", torch::kBFloat16}, {"DoubleStorage", torch::kFloat64},
    {"LongStorage", torch::kInt64},        {"IntStorage", torch::kInt32},
    {"ShortStorage", torch::kInt16},       {"CharStorage", torch::kInt8},
    {"ByteStorage", torch::kUInt8},        {"BoolStorage", torch::kBool},
};

constexpr NamedType kDtypes[] = {
    {"float32", torch::kFloat32}, {"float", torch::kFloat32},     {"float16", torch::kFloat16},
    {"half", torch::kFloat16},    {"bfloat16", torch::kBFloat16}, {"float64", torch::kFloat64},
    {"double", torch::kFloat64},  {"int64", torch::kInt64},       {"long", torch::kInt64},
    {"int32", torch::kInt32},     {"int", torch::kInt32},         {"int16", torch::kInt16},
    {"short", torch::kInt16},     {"int8", torch::kInt8},         {"uint8", torch::kUInt8},
    {"bool", torch::kBool},
};

const NamedType* find_type(std::span<const NamedType> table, std::string_view name) {
  for (const auto& entry : table) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

// Pickle opcodes (Lib/pickletools.py), the binary ones of protocols 1-5.
enum Opcode : uint8_t {
  kMark = '(',
  kStop = '.',
  kPop = '0',
  kPopMark = '1',
  kDup = '2',
  kBinFloat = 'G',
  kBinInt = 'J',
  kBinInt1 = 'K',
  kBinInt2 = 'M',
  kNone = 'N',
  kBinPersId = 'Q',
  kReduce = 'R',
  kBinString = 'T',
  kShortBinString = 'U',
  kBinUnicode = 'X',
  kAppend = 'a',
  kBuild = 'b',
  kGlobal = 'c',
  kDict = 'd',
  kEmptyDict = '}',
  kAppends = 'e',
  kBinGet = 'h',
  kLongBinGet = 'j',
  kList = 'l',
  kEmptyList = ']',
  kBinPut = 'q',
  kLongBinPut = 'r',
  kSetItem = 's',
  kTuple = 't',
  kEmptyTuple = ')',
  kSetItems = 'u',
  kBinBytes = 'B',
  kShortBinBytes = 'C',
  kProto = 0x80,
  kNewObj = 0x81,
  kTuple1 = 0x85,
  kTuple2 = 0x86,
  kTuple3 = 0x87,
  kNewTrue = 0x88,
  kNewFalse = 0x89,
  kLong1 = 0x8a,
  kLong4 = 0x8b,
  kShortBinUnicode = 0x8c,
  kBinUnicode8 = 0x8d,
  kBinBytes8 = 0x8e,
  kEmptySet = 0x8f,
  kAddItems = 0x90,
  kFrozenSet = 0x91,
  kMemoize = 0x94,
  kFrame = 0x95,
  kByteArray8 = 0x96,
};

bool is_integer(const PickleValue* value) {
  return value->kind == Kind::kInt;
}

}  // namespace

std::string_view PickleValue::type_name() const {
  switch (kind) {
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kBytes:
      return "bytes";
    case Kind::kTuple:
      return "tuple";
    case Kind::kList:
      return "list";
    case Kind::kDict:
      return "dict";
    case Kind::kGlobal:
      return "global";
    case Kind::kObject:
      return "object";
    case Kind::kStorage:
      return "storage";
    case Kind::kTensor:
      return "tensor";
  }
  return "value";
}

const PickleValue* PickleValue::find(std::string_view key) const {
  for (const auto& [name, value] : entries) {
    if (name->kind == Kind::kString && name->text == key) return value;
  }
  return nullptr;
}

Unpickler::Unpickler(std::string file, std::string record, std::span<const uint8_t> data,
                     StorageLoader load_storage, bool allow_torchscript_classes)
    : file_(std::move(file)),
      record_(std::move(record)),
      data_(data),
      load_storage_(std::move(load_storage)),
      allow_torchscript_classes_(allow_torchscript_classes) {}

void Unpickler::malformed(const std::string& problem) const {
  fail(ErrorKind::kInvalidArgument,
       "'{}': record '{}' is not a valid checkpoint pickle: {} (opcode at byte {}); the file is "
       "corrupt",
       file_, quote_for_message(record_), problem, opcode_position_);
}

PickleValue& Unpickler::make(Kind kind) {
  if (values_.size() >= kMaxValues) {
    malformed(fmt::format("it builds more than {} values", kMaxValues));
  }
  PickleValue& value = values_.emplace_back();
  value.kind = kind;
  return value;
}

PickleValue* Unpickler::make_int(int64_t value) {
  PickleValue& result = make(Kind::kInt);
  result.integer = value;
  return &result;
}

PickleValue* Unpickler::make_string(Kind kind, uint64_t length) {
  auto bytes = read(length);
  PickleValue& value = make(kind);
  value.text.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return &value;
}

std::span<const uint8_t> Unpickler::read(uint64_t count) {
  if (count > data_.size() - position_) {
    malformed(
        fmt::format("it needs {} more bytes but only {} remain", count, data_.size() - position_));
  }
  auto bytes = data_.subspan(position_, static_cast<size_t>(count));
  position_ += static_cast<size_t>(count);
  return bytes;
}

uint64_t Unpickler::read_uint(int bytes) {
  auto raw = read(static_cast<uint64_t>(bytes));
  uint64_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) value = (value << 8) | raw[static_cast<size_t>(i)];
  return value;
}

std::string Unpickler::read_line() {
  std::string line;
  while (true) {
    auto byte = read(1)[0];
    if (byte == '\n') return line;
    if (line.size() > 1024) malformed("a GLOBAL name is longer than 1024 bytes");
    line += static_cast<char>(byte);
  }
}

PickleValue* Unpickler::pop() {
  if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) {
    malformed("it pops from an empty stack");
  }
  PickleValue* value = stack_.back();
  stack_.pop_back();
  return value;
}

std::vector<PickleValue*> Unpickler::pop_to_mark() {
  if (marks_.empty()) malformed("it uses a MARK that was never set");
  size_t mark = marks_.back();
  marks_.pop_back();
  std::vector<PickleValue*> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
  stack_.resize(mark);
  return items;
}

PickleValue& Unpickler::top(Kind expected, std::string_view opcode) {
  if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) {
    malformed(fmt::format("{} has no target on the stack", opcode));
  }
  PickleValue* value = stack_.back();
  bool ok = value->kind == expected;
  if (!ok) {
    malformed(fmt::format("{} applies to a {}", opcode, value->type_name()));
  }
  return *value;
}

PickleValue* Unpickler::resolve_global(const std::string& module, const std::string& name) {
  std::string full = module + "." + name;
  PickleValue& value = make(Kind::kGlobal);
  value.text = full;
  auto allow = [&](PickleGlobal global) {
    value.global = global;
    return &value;
  };

  if (full == "collections.OrderedDict") return allow(PickleGlobal::kOrderedDict);
  if (full == "torch._utils._rebuild_tensor_v2") return allow(PickleGlobal::kRebuildTensorV2);
  if (full == "torch._utils._rebuild_parameter") return allow(PickleGlobal::kRebuildParameter);
  if (full == "torch._utils._rebuild_parameter_with_state") {
    return allow(PickleGlobal::kRebuildParameterState);
  }
  if (full == "torch._tensor._rebuild_from_type_v2") return allow(PickleGlobal::kRebuildFromTypeV2);
  if (full == "torch.Tensor" || full == "torch.nn.parameter.Parameter") {
    return allow(PickleGlobal::kTensorType);
  }
  if (full == "torch.jit._pickle.build_intlist" || full == "torch.jit._pickle.build_doublelist" ||
      full == "torch.jit._pickle.build_boollist" || full == "torch.jit._pickle.build_tensorlist" ||
      full == "torch.jit._pickle.restore_type_tag") {
    return allow(PickleGlobal::kJitPassThrough);
  }
  if (module == "torch") {
    if (const auto* storage = find_type(kStorageTypes, name)) {
      value.dtype = storage->type;
      return allow(PickleGlobal::kStorageType);
    }
    if (const auto* dtype = find_type(kDtypes, name)) {
      value.dtype = dtype->type;
      return allow(PickleGlobal::kDtype);
    }
    if (name.ends_with("Storage")) {
      fail(ErrorKind::kUnsupported,
           "'{}' holds a tensor of storage type 'torch.{}', which clipscope does not read "
           "(supported: float32/16/64, bfloat16, int64/32/16/8, uint8, bool)",
           file_, quote_for_message(name));
    }
  }
  if (allow_torchscript_classes_ && (module == "__torch__" || module.starts_with("__torch__."))) {
    return allow(PickleGlobal::kTorchScriptClass);
  }
  if (module == "torch._utils" && name.starts_with("_rebuild_")) {
    fail(ErrorKind::kUnsupported,
         "'{}' holds a tensor rebuilt by 'torch._utils.{}' (a quantized, sparse, nested or "
         "new-dtype "
         "tensor), which clipscope does not read; save a dense state dict instead",
         file_, quote_for_message(name));
  }
  fail(ErrorKind::kInvalidArgument,
       "'{}' names the Python global '{}', which is not a tensor or container type; clipscope "
       "never runs code from checkpoints",
       file_, quote_for_message(full));
}

PickleValue* Unpickler::persistent_load(const PickleValue& id) {
  // ('storage', <storage type>, key, location, numel), as torch.save and torch.jit.save write it.
  if (id.kind != Kind::kTuple || id.items.size() != 5 || id.items[0]->kind != Kind::kString ||
      id.items[0]->text != "storage") {
    malformed("a persistent id is not a ('storage', type, key, location, size) tuple");
  }
  const PickleValue* type = id.items[1];
  const PickleValue* key = id.items[2];
  const PickleValue* numel = id.items[4];
  if (type->kind != Kind::kGlobal || type->global != PickleGlobal::kStorageType) {
    malformed(
        fmt::format("a persistent id names a {} instead of a storage type", type->type_name()));
  }
  if (key->kind != Kind::kString || !is_integer(numel) || numel->integer < 0) {
    malformed("a persistent id has a bad storage key or size");
  }
  // NOTE: the location ("cpu", "cuda:0") is ignored: every tensor is loaded on the CPU, as
  // torch.load(map_location="cpu") does.

  auto found = storages_.find(key->text);
  if (found != storages_.end()) {
    PickleValue* storage = found->second;
    if (storage->tensor.scalar_type() != type->dtype || storage->tensor.numel() != numel->integer) {
      malformed(fmt::format("storage '{}' is named twice with different types or sizes",
                            quote_for_message(key->text)));
    }
    return storage;
  }
  PickleValue& storage = make(Kind::kStorage);
  storage.text = key->text;
  storage.tensor = load_storage_(key->text, type->dtype, numel->integer);
  storages_.emplace(key->text, &storage);
  return &storage;
}

PickleValue* Unpickler::rebuild_tensor(const PickleValue& arguments) {
  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[,
  // metadata])
  if (arguments.kind != Kind::kTuple || arguments.items.size() < 4) {
    malformed("_rebuild_tensor_v2 gets fewer than 4 arguments");
  }
  const PickleValue* storage = arguments.items[0];
  const PickleValue* offset = arguments.items[1];
  const PickleValue* size = arguments.items[2];
  const PickleValue* stride = arguments.items[3];
  if (storage->kind != Kind::kStorage) {
    malformed(
        fmt::format("_rebuild_tensor_v2 gets a {} instead of a storage", storage->type_name()));
  }
  if (!is_integer(offset) || offset->integer < 0 || size->kind != Kind::kTuple ||
      stride->kind != Kind::kTuple || size->items.size() != stride->items.size()) {
    malformed("_rebuild_tensor_v2 gets a bad offset, size or stride");
  }

  // The largest element index the view touches must lie inside the storage.
  std::vector<int64_t> sizes;
  std::vector<int64_t> strides;
  bool empty = false;
  for (size_t i = 0; i < size->items.size(); ++i) {
    const PickleValue* dimension = size->items[i];
    const PickleValue* step = stride->items[i];
    if (!is_integer(dimension) || !is_integer(step) || dimension->integer < 0 ||
        step->integer < 0) {
      malformed("_rebuild_tensor_v2 gets a negative or non-integer size or stride");
    }
    sizes.push_back(dimension->integer);
    strides.push_back(step->integer);
    empty = empty || dimension->integer == 0;
  }
  int64_t storage_size = storage->tensor.numel();
  int64_t last = offset->integer;
  bool overflow = false;
  if (!empty) {
    for (size_t i = 0; i < sizes.size(); ++i) {
      int64_t extent = 0;
      overflow = overflow || __builtin_mul_overflow(sizes[i] - 1, strides[i], &extent) ||
                 __builtin_add_overflow(last, extent, &last);
    }
  }
  if (overflow || (empty ? last > storage_size : last >= storage_size)) {
    malformed(fmt::format(
        "a tensor of size [{}] with stride [{}] at offset {} reaches past its storage '{}' of {} "
        "elements",
        fmt::join(sizes, ", "), fmt::join(strides, ", "), offset->integer,
        quote_for_message(storage->text), storage_size));
  }

  PickleValue& tensor = make(Kind::kTensor);
  tensor.tensor = storage->tensor.as_strided(sizes, strides, offset->integer);
  return &tensor;
}

PickleValue* Unpickler::reduce(const PickleValue& callable, const PickleValue& arguments) {
  if (callable.kind != Kind::kGlobal) {
    malformed(fmt::format("REDUCE calls a {}", callable.type_name()));
  }
  if (arguments.kind != Kind::kTuple) {
    malformed(fmt::format("REDUCE passes a {} as the argument tuple", arguments.type_name()));
  }
  const auto& items = arguments.items;
  switch (callable.global) {
    case PickleGlobal::kOrderedDict:
      if (!items.empty()) malformed("OrderedDict is built with arguments");
      return &make(Kind::kDict);
    case PickleGlobal::kRebuildTensorV2:
      return rebuild_tensor(arguments);
    case PickleGlobal::kRebuildParameter:
    case PickleGlobal::kRebuildParameterState:
      // (data, requires_grad, backward_hooks[, state]): the parameter is its data.
      if (items.empty() || items[0]->kind != Kind::kTensor) {
        malformed("_rebuild_parameter gets no tensor");
      }
      return items[0];
    case PickleGlobal::kRebuildFromTypeV2: {
      // (function, type, arguments, state): a tensor subclass rebuilt by _rebuild_tensor_v2.
      // NOTE: the subclass and its state are dropped; the plain tensor is kept.
      if (items.size() != 4 || items[0]->kind != Kind::kGlobal ||
          items[0]->global != PickleGlobal::kRebuildTensorV2 || items[1]->kind != Kind::kGlobal ||
          items[1]->global != PickleGlobal::kTensorType) {
        malformed("_rebuild_from_type_v2 gets bad arguments");
      }
      PickleValue* result = reduce(*items[0], *items[2]);
      if (result->kind != Kind::kTensor) malformed("_rebuild_from_type_v2 does not give a tensor");
      return result;
    }
    case PickleGlobal::kJitPassThrough:
      if (items.empty()) malformed(fmt::format("{} gets no arguments", callable.text));
      return items[0];
    case PickleGlobal::kTensorType:
    case PickleGlobal::kStorageType:
    case PickleGlobal::kDtype:
    case PickleGlobal::kTorchScriptClass:
      break;
  }
  malformed(fmt::format("REDUCE calls '{}', which is not a function clipscope evaluates",
                        quote_for_message(callable.text)));
}

const PickleValue& Unpickler::load() {
  while (true) {
    opcode_position_ = position_;
    uint8_t opcode = read(1)[0];
    switch (opcode) {
      case kProto: {
        auto version = read_uint(1);
        if (version < 2 || version > 5) {
          malformed(fmt::format("pickle protocol {} is not one torch.save writes", version));
        }
        break;
      }
      case kFrame:
        read_uint(8);
        break;
      case kStop: {
        if (stack_.empty()) malformed("STOP with an empty stack");
        return *stack_.back();
      }

      // stack and memo
      case kMark:
        marks_.push_back(stack_.size());
        break;
      case kPop:
        pop();
        break;
      case kPopMark:
        pop_to_mark();
        break;
      case kDup: {
        PickleValue* value = pop();
        stack_.push_back(value);
        stack_.push_back(value);
        break;
      }
      case kBinPut:
      case kLongBinPut:
      case kMemoize: {
        uint64_t index = opcode == kBinPut       ? read_uint(1)
                         : opcode == kLongBinPut ? read_uint(4)
                                                 : memo_.size();
        PickleValue* value = pop();
        stack_.push_back(value);
        memo_[index] = value;
        break;
      }
      case kBinGet:
      case kLongBinGet: {
        uint64_t index = read_uint(opcode == kBinGet ? 1 : 4);
        auto found = memo_.find(index);
        if (found == memo_.end())
          malformed(fmt::format("memo entry {} is read before it is set", index));
        stack_.push_back(found->second);
        break;
      }

      // scalars
      case kNone:
        stack_.push_back(&make(Kind::kNone));
        break;
      case kNewTrue:
      case kNewFalse: {
        PickleValue& value = make(Kind::kBool);
        value.boolean = opcode == kNewTrue;
        stack_.push_back(&value);
        break;
      }
      case kBinInt:
        stack_.push_back(make_int(static_cast<int32_t>(static_cast<uint32_t>(read_uint(4)))));
        break;
      case kBinInt1:
        stack_.push_back(make_int(static_cast<int64_t>(read_uint(1))));
        break;
      case kBinInt2:
        stack_.push_back(make_int(static_cast<int64_t>(read_uint(2))));
        break;
      case kLong1:
      case kLong4: {
        uint64_t length = read_uint(opcode == kLong1 ? 1 : 4);
        if (length > 8) {
          malformed(fmt::format("an integer of {} bytes does not fit in 64 bits", length));
        }
        auto bytes = read(length);
        uint64_t value = 0;
        for (size_t i = bytes.size(); i-- > 0;) value = (value << 8) | bytes[i];
        if (length > 0 && length < 8 && (bytes[length - 1] & 0x80) != 0) {
          value |= ~uint64_t{0} << (8 * length);  // sign-extend
        }
        stack_.push_back(make_int(static_cast<int64_t>(value)));
        break;
      }
      case kBinFloat: {
        uint64_t bits = 0;
        for (uint8_t byte : read(8)) bits = (bits << 8) | byte;  // big-endian
        PickleValue& value = make(Kind::kFloat);
        value.real = std::bit_cast<double>(bits);
        stack_.push_back(&value);
        break;
      }
      case kShortBinUnicode:
      case kShortBinString:
        stack_.push_back(make_string(Kind::kString, read_uint(1)));
        break;
      case kBinUnicode:
      case kBinString:
        stack_.push_back(make_string(Kind::kString, read_uint(4)));
        break;
      case kBinUnicode8:
        stack_.push_back(make_string(Kind::kString, read_uint(8)));
        break;
      case kShortBinBytes:
        stack_.push_back(make_string(Kind::kBytes, read_uint(1)));
        break;
      case kBinBytes:
        stack_.push_back(make_string(Kind::kBytes, read_uint(4)));
        break;
      case kBinBytes8:
      case kByteArray8:
        stack_.push_back(make_string(Kind::kBytes, read_uint(8)));
        break;

      // containers
      case kEmptyTuple:
        stack_.push_back(&make(Kind::kTuple));
        break;
      case kTuple1:
      case kTuple2:
      case kTuple3: {
        size_t count = opcode - kTuple1 + 1;
        PickleValue& tuple = make(Kind::kTuple);
        tuple.items.resize(count);
        for (size_t i = count; i-- > 0;) tuple.items[i] = pop();
        stack_.push_back(&tuple);
        break;
      }
      case kTuple:
      case kList:
      case kFrozenSet: {
        PickleValue& sequence = make(opcode == kTuple ? Kind::kTuple : Kind::kList);
        sequence.items = pop_to_mark();
        stack_.push_back(&sequence);
        break;
      }
      case kEmptyList:
      case kEmptySet:
        stack_.push_back(&make(Kind::kList));
        break;
      case kEmptyDict:
        stack_.push_back(&make(Kind::kDict));
        break;
      case kDict: {
        auto items = pop_to_mark();
        if (items.size() % 2 != 0) malformed("DICT gets an odd number of items");
        PickleValue& dict = make(Kind::kDict);
        for (size_t i = 0; i < items.size(); i += 2)
          dict.entries.emplace_back(items[i], items[i + 1]);
        stack_.push_back(&dict);
        break;
      }
      case kAppend: {
        PickleValue* item = pop();
        top(Kind::kList, "APPEND").items.push_back(item);
        break;
      }
      case kAppends:
      case kAddItems: {
        auto items = pop_to_mark();
        auto& list = top(Kind::kList, opcode == kAppends ? "APPENDS" : "ADDITEMS").items;
        list.insert(list.end(), items.begin(), items.end());
        break;
      }
      case kSetItem: {
        PickleValue* value = pop();
        PickleValue* key = pop();
        top(Kind::kDict, "SETITEM").entries.emplace_back(key, value);
        break;
      }
      case kSetItems: {
        auto items = pop_to_mark();
        if (items.size() % 2 != 0) malformed("SETITEMS gets an odd number of items");
        auto& entries = top(Kind::kDict, "SETITEMS").entries;
        for (size_t i = 0; i < items.size(); i += 2) entries.emplace_back(items[i], items[i + 1]);
        break;
      }

      // globals, objects and tensors
      case kGlobal: {
        std::string module = read_line();
        std::string name = read_line();
        stack_.push_back(resolve_global(module, name));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        PickleValue* name = pop();
        PickleValue* module = pop();
        if (name->kind != Kind::kString || module->kind != Kind::kString) {
          malformed("STACK_GLOBAL gets names that are not strings");
        }
        stack_.push_back(resolve_global(module->text, name->text));
        break;
      }
      case kBinPersId:
        stack_.push_back(persistent_load(*pop()));
        break;
      case kReduce: {
        PickleValue* arguments = pop();
        PickleValue* callable = pop();
        stack_.push_back(reduce(*callable, *arguments));
        break;
      }
      case kNewObj: {
        PickleValue* arguments = pop();
        PickleValue* type = pop();
        if (type->kind != Kind::kGlobal || type->global != PickleGlobal::kTorchScriptClass) {
          malformed(fmt::format("NEWOBJ creates a '{}', not a TorchScript module",
                                quote_for_message(type->text)));
        }
        if (arguments->kind != Kind::kTuple) malformed("NEWOBJ gets no argument tuple");
        PickleValue& object = make(Kind::kObject);
        object.text = type->text;
        stack_.push_back(&object);
        break;
      }
      case kBuild: {
        PickleValue* state = pop();
        PickleValue* target = pop();
        stack_.push_back(target);
        // A TorchScript module's state is the dict of its attributes. Any other state (the
        // _metadata of a state dict, a tensor subclass's attributes) carries no tensors
        // clipscope needs and is dropped.
        if (target->kind == Kind::kObject && state->kind == Kind::kDict) {
          target->entries = state->entries;
        }
        break;
      }
      default:
        malformed(
            fmt::format("opcode 0x{:02x} is not one torch.save or torch.jit.save writes", opcode));
    }
  }
}

}  // namespace clipscope::detail

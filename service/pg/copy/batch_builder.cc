#include "service/pg/copy/batch_builder.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/repeated_field.h"

namespace tsdb_source::pg {
namespace {

using google::protobuf::RepeatedField;
using google::protobuf::RepeatedPtrField;

// One ColumnValues of a column (the column itself, or a nesting level of an array), with
// pointers to its repeated fields cached so that appending skips the proto accessors.
// The pointers stay valid until the ColumnValues is re-prepared (PrepareLevel).
struct Level {
  Storage storage = Storage::kString;
  v1::ColumnValues* values = nullptr;
  std::string* bitmap = nullptr;
  RepeatedField<bool>* bools = nullptr;
  RepeatedField<int64_t>* int64s = nullptr;
  RepeatedField<double>* doubles = nullptr;
  RepeatedPtrField<std::string>* strings = nullptr;
  RepeatedField<uint32_t>* lengths = nullptr;

  size_t size() const {
    switch (storage) {
      case Storage::kBool: return static_cast<size_t>(bools->size());
      case Storage::kInt64: return static_cast<size_t>(int64s->size());
      case Storage::kDouble: return static_cast<size_t>(doubles->size());
      case Storage::kString: return static_cast<size_t>(strings->size());
      case Storage::kList: return static_cast<size_t>(lengths->size());
    }
    return 0;
  }
};

// Makes *values hold `storage` with no entries and an empty bitmap. The oneof is switched
// only when it holds another case, so re-preparing a level keeps every capacity (and the
// cleared string objects, which RepeatedPtrField reuses on Add()).
Level PrepareLevel(v1::ColumnValues* values, Storage storage) {
  Level level;
  level.storage = storage;
  level.values = values;
  level.bitmap = values->mutable_null_bitmap();
  level.bitmap->clear();
  switch (storage) {
    case Storage::kBool:
      level.bools = values->mutable_bools()->mutable_values();
      level.bools->Clear();
      break;
    case Storage::kInt64:
      level.int64s = values->mutable_int64s()->mutable_values();
      level.int64s->Clear();
      break;
    case Storage::kDouble:
      level.doubles = values->mutable_doubles()->mutable_values();
      level.doubles->Clear();
      break;
    case Storage::kString:
      level.strings = values->mutable_strings()->mutable_values();
      level.strings->Clear();
      break;
    case Storage::kList:
      level.lengths = values->mutable_lists()->mutable_lengths();
      level.lengths->Clear();
      break;
  }
  return level;
}

// Null bitmap invariant: empty, or exactly ceil(entries / 8) bytes.
inline void MarkNull(std::string* bitmap, size_t index) {
  const size_t needed = index / 8 + 1;
  if (bitmap->size() < needed) bitmap->resize(needed, '\0');
  (*bitmap)[index / 8] = static_cast<char>((*bitmap)[index / 8] | (1u << (index % 8)));
}

inline void NoteValue(std::string* bitmap, size_t index) {
  if (!bitmap->empty() && index % 8 == 0) bitmap->push_back('\0');
}

void TruncateBitmap(std::string* bitmap, size_t entries) {
  if (bitmap->empty()) return;
  const size_t bytes = (entries + 7) / 8;
  if (bitmap->size() > bytes) bitmap->resize(bytes);
  if (entries % 8 != 0 && !bitmap->empty()) {
    (*bitmap)[bytes - 1] =
        static_cast<char>((*bitmap)[bytes - 1] & ((1u << (entries % 8)) - 1));
  }
  for (char c : *bitmap) {
    if (c != 0) return;
  }
  bitmap->clear();
}

// Removes entries past `entries`; returns the number of child entries the kept list
// entries own (0 for scalar levels).
size_t TruncateLevel(Level& level, size_t entries) {
  const int n = static_cast<int>(entries);
  size_t children = 0;
  switch (level.storage) {
    case Storage::kBool:
      if (level.bools->size() > n) level.bools->Truncate(n);
      break;
    case Storage::kInt64:
      if (level.int64s->size() > n) level.int64s->Truncate(n);
      break;
    case Storage::kDouble:
      if (level.doubles->size() > n) level.doubles->Truncate(n);
      break;
    case Storage::kString:
      while (level.strings->size() > n) level.strings->RemoveLast();  // kept for reuse
      break;
    case Storage::kList:
      if (level.lengths->size() > n) level.lengths->Truncate(n);
      for (uint32_t length : *level.lengths) children += length;
      break;
  }
  TruncateBitmap(level.bitmap, entries);
  return children;
}

// Approximate serialised bytes of a string entry beyond its contents (tag + length).
constexpr size_t kStringOverhead = 3;

// Appends one scalar value or NULL to `level`. On error the level may hold a partial
// entry; the caller truncates it.
inline absl::Status AppendScalar(Level& level, const ScalarDecoder& decoder,
                                 const FieldView& field, size_t* approx_bytes) {
  switch (level.storage) {
    case Storage::kBool: {
      const size_t index = static_cast<size_t>(level.bools->size());
      bool value = false;
      if (field.is_null()) {
        MarkNull(level.bitmap, index);
      } else {
        NoteValue(level.bitmap, index);
        absl::Status status = decoder.to_bool(field.bytes(), &value);
        if (!status.ok()) return status;
      }
      level.bools->Add(value);
      *approx_bytes += 1;
      return absl::OkStatus();
    }
    case Storage::kInt64: {
      const size_t index = static_cast<size_t>(level.int64s->size());
      int64_t value = 0;
      if (field.is_null()) {
        MarkNull(level.bitmap, index);
      } else {
        NoteValue(level.bitmap, index);
        absl::Status status = decoder.to_int64(field.bytes(), &value);
        if (!status.ok()) return status;
      }
      level.int64s->Add(value);
      *approx_bytes += 8;
      return absl::OkStatus();
    }
    case Storage::kDouble: {
      const size_t index = static_cast<size_t>(level.doubles->size());
      double value = 0;
      if (field.is_null()) {
        MarkNull(level.bitmap, index);
      } else {
        NoteValue(level.bitmap, index);
        absl::Status status = decoder.to_double(field.bytes(), &value);
        if (!status.ok()) return status;
      }
      level.doubles->Add(value);
      *approx_bytes += 8;
      return absl::OkStatus();
    }
    case Storage::kString: {
      const size_t index = static_cast<size_t>(level.strings->size());
      std::string* value = level.strings->Add();  // empty: new, or cleared and reused
      if (field.is_null()) {
        MarkNull(level.bitmap, index);
        *approx_bytes += kStringOverhead;
        return absl::OkStatus();
      }
      NoteValue(level.bitmap, index);
      absl::Status status = decoder.to_string(field.bytes(), value);
      if (!status.ok()) return status;
      *approx_bytes += value->size() + kStringOverhead;
      return absl::OkStatus();
    }
    case Storage::kList:
      break;
  }
  return absl::InternalError("scalar append on a list level");
}

}  // namespace

struct BatchBuilder::Column {
  ColumnSpec spec;
  v1::ValueKind kind = v1::VALUE_KIND_UNSPECIFIED;
  v1::ValueKind element_kind = v1::VALUE_KIND_UNSPECIFIED;
  uint32_t element_oid = 0;
  // Decoder of the column's values, or of its elements for arrays.
  ScalarDecoder decoder;
  // Number of list levels: 0 for scalar columns, the arrays' dimensions otherwise.
  int depth = 0;
  // Arrays: true once an array with elements fixed `depth` for this batch. Until then
  // every row is NULL or empty and the depth may still change.
  bool depth_fixed = false;
  // Arrays: `depth` before the row being appended, restored when the row fails.
  int depth_before_row = 0;
  // levels[0] is the column's ColumnValues; for arrays levels[depth] is the leaf.
  std::vector<Level> levels;
};

BatchBuilder::BatchBuilder() = default;
BatchBuilder::BatchBuilder(BatchBuilder&&) noexcept = default;
BatchBuilder& BatchBuilder::operator=(BatchBuilder&&) noexcept = default;
BatchBuilder::~BatchBuilder() = default;

absl::StatusOr<BatchBuilder> BatchBuilder::Create(std::vector<ColumnSpec> columns,
                                                  int server_version_num) {
  BatchBuilder builder;
  builder.columns_.reserve(columns.size());
  for (ColumnSpec& spec : columns) {
    if (spec.type_oid == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("column \"", spec.name, "\": no type OID"));
    }
    Column column;
    const uint32_t element_oid = spec.element_type_oid != 0
                                     ? spec.element_type_oid
                                     : ElementTypeForArray(spec.type_oid);
    if (element_oid != 0) {
      if (!HasBinaryDecoder(element_oid) || ElementTypeForArray(element_oid) != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "column \"", spec.name, "\": array elements of type OID ", element_oid,
            " have no binary decoder; select the column as text"));
      }
      absl::StatusOr<ScalarDecoder> decoder = ScalarDecoderForType(element_oid, server_version_num);
      if (!decoder.ok()) return decoder.status();
      column.decoder = *decoder;
      column.kind = v1::VALUE_KIND_ARRAY;
      column.element_kind = decoder->kind;
      column.element_oid = element_oid;
      column.depth = 1;
    } else {
      absl::StatusOr<ScalarDecoder> decoder =
          ScalarDecoderForType(spec.type_oid, server_version_num);
      if (!decoder.ok()) return decoder.status();
      column.decoder = *decoder;
      column.kind = decoder->kind;
    }
    column.spec = std::move(spec);
    builder.columns_.push_back(std::move(column));
  }
  builder.batch_ = std::make_unique<v1::RecordBatch>();
  builder.PrepareForNextBatch();
  return absl::StatusOr<BatchBuilder>(std::move(builder));
}

size_t BatchBuilder::column_count() const { return columns_.size(); }
const ColumnSpec& BatchBuilder::column(size_t i) const { return columns_[i].spec; }
v1::ValueKind BatchBuilder::kind(size_t i) const { return columns_[i].kind; }
v1::ValueKind BatchBuilder::element_kind(size_t i) const { return columns_[i].element_kind; }

void BatchBuilder::set_stream(const v1::StreamDescriptor& stream) {
  stream_ = stream;
  *batch_->mutable_stream() = stream_;
}

void BatchBuilder::set_chunk(absl::string_view chunk) {
  chunk_.assign(chunk.data(), chunk.size());
  batch_->set_chunk(chunk_);
}

void BatchBuilder::BuildLayout(size_t column_index) {
  Column& column = columns_[column_index];
  v1::ColumnValues* values = batch_->mutable_columns(static_cast<int>(column_index));
  column.levels.resize(static_cast<size_t>(column.depth) + 1);
  for (int k = 0; k < column.depth; ++k) {
    column.levels[k] = PrepareLevel(values, Storage::kList);
    values = values->mutable_lists()->mutable_elements();
  }
  column.levels[column.depth] = PrepareLevel(values, column.decoder.storage);
  column.depth_fixed = false;
}

void BatchBuilder::SetArrayDepth(size_t column_index, int depth) {
  // Only while no row of the batch has array elements: the inner levels are empty, and
  // level 0 (lengths and bitmap of the rows so far) is kept.
  Column& column = columns_[column_index];
  column.depth = depth;
  column.levels.resize(static_cast<size_t>(depth) + 1);
  v1::ColumnValues* values = column.levels[0].values->mutable_lists()->mutable_elements();
  for (int k = 1; k < depth; ++k) {
    column.levels[k] = PrepareLevel(values, Storage::kList);
    values = values->mutable_lists()->mutable_elements();
  }
  column.levels[depth] = PrepareLevel(values, column.decoder.storage);
}

void BatchBuilder::PrepareForNextBatch() {
  RepeatedPtrField<v1::ColumnValues>* values = batch_->mutable_columns();
  const int n = static_cast<int>(columns_.size());
  while (values->size() > n) values->RemoveLast();
  while (values->size() < n) values->Add();
  for (size_t c = 0; c < columns_.size(); ++c) BuildLayout(c);
  *batch_->mutable_stream() = stream_;
  batch_->set_chunk(chunk_);
  batch_->set_row_count(0);
  row_count_ = 0;
  approx_bytes_ = 0;
}

void BatchBuilder::Reset() { PrepareForNextBatch(); }

void BatchBuilder::Release(v1::RecordBatch* out) {
  // A column whose arrays were all NULL or empty gets the plain one-level layout, whatever
  // depth the previous batch left behind.
  for (size_t c = 0; c < columns_.size(); ++c) {
    Column& column = columns_[c];
    if (column.depth > 1 && !column.depth_fixed) SetArrayDepth(c, 1);
  }
  batch_->set_row_count(row_count_);
  out->Swap(batch_.get());
  PrepareForNextBatch();
}

v1::RecordBatch BatchBuilder::Release() {
  v1::RecordBatch out;
  Release(&out);
  return out;
}

void BatchBuilder::Truncate(size_t column_index, size_t rows) {
  Column& column = columns_[column_index];
  size_t entries = rows;
  for (Level& level : column.levels) entries = TruncateLevel(level, entries);
  if (column.depth > 0) {
    column.depth_fixed = false;
    for (uint32_t length : *column.levels[0].lengths) {
      if (length != 0) {
        column.depth_fixed = true;
        break;
      }
    }
  }
}

absl::Status BatchBuilder::AppendArray(Column& column, const FieldView& field) {
  column.depth_before_row = column.depth;
  Level& top = column.levels[0];
  const size_t index = static_cast<size_t>(top.lengths->size());
  if (field.is_null()) {
    MarkNull(top.bitmap, index);
    top.lengths->Add(0);
    approx_bytes_ += 1;
    return absl::OkStatus();
  }
  absl::StatusOr<ArrayReader> reader = ArrayReader::Open(field.bytes(), column.element_oid);
  if (!reader.ok()) return reader.status();
  const int dimensions = reader->dimensions();
  if (dimensions == 0) {
    NoteValue(top.bitmap, index);
    top.lengths->Add(0);
    approx_bytes_ += 1;
    return absl::OkStatus();
  }
  if (dimensions != column.depth) {
    if (column.depth_fixed) {
      return absl::FailedPreconditionError(absl::StrCat(
          "array with ", dimensions, " dimension(s) in a batch whose arrays have ",
          column.depth, "; release the batch and append this row to the next one"));
    }
    SetArrayDepth(static_cast<size_t>(&column - columns_.data()), dimensions);
  }
  column.depth_fixed = true;
  NoteValue(column.levels[0].bitmap, index);
  // Level k gets one length per sub-array of dimension k: the product of the sizes before.
  int64_t entries = 1;
  for (int k = 0; k < dimensions; ++k) {
    RepeatedField<uint32_t>* lengths = column.levels[k].lengths;
    const uint32_t size = static_cast<uint32_t>(reader->size(k));
    lengths->Resize(lengths->size() + static_cast<int>(entries), size);
    approx_bytes_ += static_cast<size_t>(entries) * (size < 128 ? 1 : 5);
    entries *= size;
  }
  Level& leaf = column.levels[dimensions];
  FieldView element;
  for (int64_t e = 0; e < entries; ++e) {
    absl::Status status = reader->Next(&element);
    if (status.ok()) status = AppendScalar(leaf, column.decoder, element, &approx_bytes_);
    if (!status.ok()) {
      return absl::Status(status.code(), absl::StrCat("array element ", e, ": ",
                                                      status.message()));
    }
  }
  return reader->Finish();
}

absl::Status BatchBuilder::AppendRow(absl::Span<const FieldView> fields) {
  if (fields.size() != columns_.size()) {
    return absl::InvalidArgumentError(absl::StrCat("row of ", fields.size(),
                                                   " fields for a batch of ",
                                                   columns_.size(), " columns"));
  }
  const size_t approx_bytes_before = approx_bytes_;
  for (size_t c = 0; c < columns_.size(); ++c) {
    Column& column = columns_[c];
    absl::Status status =
        column.depth == 0
            ? AppendScalar(column.levels[0], column.decoder, fields[c], &approx_bytes_)
            : AppendArray(column, fields[c]);
    if (!status.ok()) {
      for (size_t k = 0; k <= c; ++k) {
        Truncate(k, row_count_);
        // A row that set the depth of a column without elements so far leaves no trace.
        Column& rolled_back = columns_[k];
        if (rolled_back.depth > 0 && !rolled_back.depth_fixed &&
            rolled_back.depth != rolled_back.depth_before_row) {
          SetArrayDepth(k, rolled_back.depth_before_row);
        }
      }
      approx_bytes_ = approx_bytes_before;
      return absl::Status(
          status.code(),
          absl::StrCat("column \"", column.spec.name, "\" (type OID ", column.spec.type_oid,
                       "), batch row ", row_count_, ": ", status.message()));
    }
  }
  ++row_count_;
  batch_->set_row_count(row_count_);
  return absl::OkStatus();
}

}  // namespace tsdb_source::pg

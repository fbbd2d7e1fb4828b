#include "client/data_channel/protobuf_records.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <string>
#include <system_error>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/data_channel/airbyte_type.h"
#include "client/data_channel/field_order.h"
#include "client/data_channel/timetz_text.h"
#include "client/data_channel/wire_format.h"
#include "client/json/json_writer.h"
#include "client/json/value_format.h"
#include "service/airbyte/json_schema.h"

namespace tsdb_source::client {
namespace {

// AirbyteMessageProtobuf.
constexpr uint8_t kMessageRecord = Tag(1, kWireLengthDelimited);
// AirbyteRecordMessageProtobuf.
constexpr uint8_t kRecordNamespace = Tag(1, kWireLengthDelimited);
constexpr uint8_t kRecordName = Tag(2, kWireLengthDelimited);
constexpr uint8_t kRecordEmittedAt = Tag(3, kWireVarint);
constexpr uint8_t kRecordPartition = Tag(4, kWireLengthDelimited);
constexpr uint8_t kRecordData = Tag(5, kWireLengthDelimited);
constexpr uint8_t kRecordMeta = Tag(6, kWireLengthDelimited);
// AirbyteValueProtobuf.
constexpr uint8_t kValueBoolean = Tag(1, kWireVarint);
constexpr uint8_t kValueString = Tag(2, kWireLengthDelimited);
constexpr uint8_t kValueInteger = Tag(3, kWireVarint);
constexpr uint8_t kValueBigInteger = Tag(4, kWireLengthDelimited);
constexpr uint8_t kValueNumber = Tag(5, kWireFixed64);
constexpr uint8_t kValueBigDecimal = Tag(6, kWireLengthDelimited);
constexpr uint8_t kValueDate = Tag(7, kWireVarint);
constexpr uint8_t kValueTimeTz = Tag(8, kWireLengthDelimited);
constexpr uint8_t kValueTime = Tag(9, kWireVarint);
constexpr uint8_t kValueTimestampTz = Tag(10, kWireLengthDelimited);
constexpr uint8_t kValueTimestamp = Tag(11, kWireLengthDelimited);
constexpr uint8_t kValueJson = Tag(12, kWireLengthDelimited);
// OffsetTime, OffsetDateTime, LocalDateTime: field 1 and 2 are varints in all three.
constexpr uint8_t kNested1 = Tag(1, kWireVarint);
constexpr uint8_t kNested2 = Tag(2, kWireVarint);
// AirbyteRecordMessageMeta and its change.
constexpr uint8_t kMetaChanges = Tag(1, kWireLengthDelimited);
constexpr uint8_t kChangeField = Tag(1, kWireLengthDelimited);
constexpr uint8_t kChangeReason = Tag(3, kWireVarint);
constexpr uint64_t kReasonSourceSerializationError = 6;
// (change NULLED is 0, proto3's default: not written.)

// A data element holding only is_null = true: 2A 02 68 01.
constexpr char kNullElement[] = {static_cast<char>(kRecordData), 2,
                                 static_cast<char>(Tag(13, kWireVarint)), 1};

constexpr int64_t kMicrosPerSecond = 1'000'000;
// java.time's last nanosecond of a day: LocalTime.ofNanoOfDay rejects 24:00:00.
constexpr uint64_t kLastNanoOfDay = 86'400'000'000'000 - 1;

// PostgreSQL's real (Column.type_oid): its DOUBLE values were floats.
constexpr uint32_t kFloat4Oid = 700;

bool IsNull(const v1::ColumnValues& values, uint32_t row) {
  const std::string& bitmap = values.null_bitmap();
  return !bitmap.empty() &&
         ((static_cast<unsigned char>(bitmap[row >> 3]) >> (row & 7)) & 1) != 0;
}

// PostgreSQL's special numerics, which the JSON mode nulls (validated text: the only ones
// starting with 'N', 'I' or "-I").
bool IsNumericSpecial(const std::string& text) {
  return text[0] == 'N' || text[0] == 'I' || (text.size() > 1 && text[1] == 'I');
}

// Digits with an optional leading '-': an integer of any size.
bool IsIntegerText(const std::string& text) {
  size_t i = !text.empty() && text[0] == '-' ? 1 : 0;
  if (i == text.size()) return false;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

// The double a reader of the JSON mode's text gets for a real: the shortest text of the
// float read as a double (3.14, not the float's exact 3.140000104904175).
double DoubleOfFloat(double value) {
  char buffer[32];
  const std::to_chars_result text =
      std::to_chars(buffer, buffer + sizeof(buffer), static_cast<float>(value));
  double d = value;
  if (text.ec == std::errc()) {
    const std::from_chars_result parsed = std::from_chars(buffer, text.ptr, d);
    if (parsed.ec != std::errc()) d = value;
  }
  return d;
}

// A data element whose AirbyteValueProtobuf is one varint field.
void AppendVarintElement(uint8_t tag, uint64_t v, std::string* out) {
  AppendLengthHeader(kRecordData, VarintFieldSize(v), out);
  AppendVarintField(tag, v, out);
}

// A data element whose AirbyteValueProtobuf is one length-delimited field of `bytes`.
void AppendBytesElement(uint8_t tag, std::string_view bytes, std::string* out) {
  AppendLengthHeader(kRecordData, LengthDelimitedSize(bytes.size()), out);
  AppendLengthDelimited(tag, bytes, out);
}

// A data element whose AirbyteValueProtobuf is a message of two varint fields (proto3: a
// zero is not written).
void AppendPairElement(uint8_t tag, uint64_t first, uint64_t second, std::string* out) {
  const size_t inner = (first != 0 ? VarintFieldSize(first) : 0) +
                       (second != 0 ? VarintFieldSize(second) : 0);
  AppendLengthHeader(kRecordData, LengthDelimitedSize(inner), out);
  AppendLengthHeader(tag, inner, out);
  if (first != 0) AppendVarintField(kNested1, first, out);
  if (second != 0) AppendVarintField(kNested2, second, out);
}

// Floor division into a quotient and a remainder in [0, divisor).
void FloorDivide(int64_t value, int64_t divisor, int64_t* quotient, int64_t* remainder) {
  *quotient = value / divisor;
  *remainder = value % divisor;
  if (*remainder < 0) {
    *remainder += divisor;
    *quotient -= 1;
  }
}

// The UTF-8 of `s` as the JSON mode's reader sees it (ill-formed sequences replaced).
std::string ValidUtf8(std::string_view s) {
  std::string out;
  AppendUtf8Replacing(s, &out);
  return out;
}

}  // namespace

absl::StatusOr<ProtobufRecordEncoder> ProtobufRecordEncoder::Create(
    const v1::StreamDescriptor& stream,
    const google::protobuf::RepeatedPtrField<v1::Column>& columns, bool changes,
    uint64_t emitted_at_ms, const std::vector<std::string>* fields) {
  ProtobufRecordEncoder encoder;
  encoder.columns_ = columns;
  if (changes) {
    encoder.columns_.MergeFrom(airbyte::CdcColumns());
    encoder.cdc_values_ = std::make_unique<airbyte::CdcValues>();
  }
  absl::StatusOr<RecordFormatter> formatter = RecordFormatter::Create(encoder.columns_);
  if (!formatter.ok()) return formatter.status();
  encoder.formatter_ = std::make_unique<RecordFormatter>(*std::move(formatter));

  const int n = encoder.columns_.size();
  std::vector<Field> by_column(static_cast<size_t>(n));
  std::vector<std::string> names;
  names.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const v1::Column& column = encoder.columns_.Get(i);
    const std::string schema =
        column.json_schema().empty() ? airbyte::JsonSchemaFor(column) : column.json_schema();
    absl::StatusOr<AirbyteType> type = AirbyteTypeOfSchema(schema);
    if (!type.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("column \"", column.name(), "\" (index ",
                                                     i, "): ", type.status().message()));
    }
    Field& field = by_column[static_cast<size_t>(i)];
    field.column = i;
    field.single_precision = column.type_oid() == kFloat4Oid;
    bool fits = true;
    switch (*type) {
      case AirbyteType::kArray:
      case AirbyteType::kObject:
      case AirbyteType::kUnion:
      case AirbyteType::kUnknown:
        field.member = Member::kJson;
        break;
      case AirbyteType::kBoolean:
        field.member = Member::kBoolean;
        fits = column.kind() == v1::VALUE_KIND_BOOL;
        break;
      case AirbyteType::kInteger:
        field.member = column.kind() == v1::VALUE_KIND_NUMERIC ? Member::kIntegerOfNumeric
                                                                : Member::kInteger;
        fits = column.kind() == v1::VALUE_KIND_INT64 || column.kind() == v1::VALUE_KIND_NUMERIC;
        break;
      case AirbyteType::kNumber:
        field.member = column.kind() == v1::VALUE_KIND_INT64     ? Member::kBigDecimalOfInt64
                       : column.kind() == v1::VALUE_KIND_NUMERIC ? Member::kBigDecimal
                                                                 : Member::kNumber;
        fits = column.kind() == v1::VALUE_KIND_INT64 ||
               column.kind() == v1::VALUE_KIND_NUMERIC || column.kind() == v1::VALUE_KIND_DOUBLE;
        break;
      case AirbyteType::kString:
        field.member =
            column.kind() == v1::VALUE_KIND_BYTES ? Member::kByteaHex : Member::kString;
        fits = column.kind() == v1::VALUE_KIND_TEXT || column.kind() == v1::VALUE_KIND_JSON ||
               column.kind() == v1::VALUE_KIND_BYTES;
        break;
      case AirbyteType::kDate:
        field.member = Member::kDate;
        fits = column.kind() == v1::VALUE_KIND_DATE;
        break;
      case AirbyteType::kTimeWithoutTimezone:
        field.member = Member::kTime;
        fits = column.kind() == v1::VALUE_KIND_TIME;
        break;
      case AirbyteType::kTimeWithTimezone:
        field.member = Member::kTimeTz;
        fits = column.kind() == v1::VALUE_KIND_TIMETZ;
        break;
      case AirbyteType::kTimestampWithoutTimezone:
        field.member = Member::kTimestamp;
        fits = column.kind() == v1::VALUE_KIND_TIMESTAMP;
        break;
      case AirbyteType::kTimestampWithTimezone:
        field.member = Member::kTimestampTz;
        fits = column.kind() == v1::VALUE_KIND_TIMESTAMPTZ;
        break;
    }
    if (!fits) {
      return absl::InvalidArgumentError(absl::StrCat(
          "column \"", column.name(), "\" (index ", i, ") of kind ",
          v1::ValueKind_Name(column.kind()), " cannot be written as Airbyte type ",
          AirbyteTypeName(*type), " (its JSON schema: ", schema, ")"));
    }
    names.push_back(column.name());

    // Its meta.changes entry: {field: name, change: NULLED (0, not written), reason}.
    std::string change;
    AppendLengthDelimited(kChangeField, ValidUtf8(column.name()), &change);
    AppendVarintField(kChangeReason, kReasonSourceSerializationError, &change);
    std::string entry;
    AppendLengthDelimited(kMetaChanges, change, &entry);
    encoder.changes_.push_back(std::move(entry));
  }
  encoder.field_order_ = OrderByUtf16(names);
  if (fields != nullptr) {
    // The configured catalog's fields only, each a column.
    std::set<std::string> wanted(fields->begin(), fields->end());
    for (const std::string& name : names) wanted.erase(name);
    if (!wanted.empty()) {
      return absl::NotFoundError(absl::StrCat(
          "the configured catalog lists field \"", *wanted.begin(), "\" of stream ",
          stream.name(), ", which the table no longer has: run discover again and update "
          "the connection's schema"));
    }
    std::set<std::string> selected(fields->begin(), fields->end());
    std::vector<int> order;
    for (int column : encoder.field_order_) {
      if (selected.count(names[static_cast<size_t>(column)]) != 0) order.push_back(column);
    }
    encoder.field_order_ = std::move(order);
  }
  encoder.fields_.reserve(encoder.field_order_.size());
  for (int column : encoder.field_order_) encoder.fields_.push_back(by_column[column]);

  if (!stream.namespace_().empty()) {
    AppendLengthDelimited(kRecordNamespace, ValidUtf8(stream.namespace_()),
                          &encoder.record_prefix_);
  }
  if (!stream.name().empty()) {
    AppendLengthDelimited(kRecordName, ValidUtf8(stream.name()), &encoder.record_prefix_);
  }
  if (emitted_at_ms != 0) {
    AppendVarintField(kRecordEmittedAt, emitted_at_ms, &encoder.record_prefix_);
  }
  encoder.values_.resize(static_cast<size_t>(n));
  encoder.batch_nulled_.resize(static_cast<size_t>(n));
  return encoder;
}

absl::Status ProtobufRecordEncoder::AppendBatch(const v1::RecordBatch& batch,
                                                std::string_view partition_id, std::string* out,
                                                std::vector<int>* nulled_columns) {
  if (nulled_columns != nullptr) nulled_columns->clear();
  absl::Status status;
  if (cdc_values_ != nullptr) {
    status = cdc_values_->Fill(batch);
    if (status.ok()) status = formatter_->StartBatch(batch, {cdc_values_->columns(), 3});
  } else {
    status = formatter_->StartBatch(batch);
  }
  if (!status.ok()) return status;
  // StartBatch checked the column count, value counts and bitmaps: every read below is
  // within bounds.
  for (int i = 0; i < columns_.size(); ++i) {
    values_[static_cast<size_t>(i)] =
        i < batch.columns_size() ? &batch.columns(i)
                                 : cdc_values_->columns()[i - batch.columns_size()];
  }
  std::fill(batch_nulled_.begin(), batch_nulled_.end(), 0);

  partition_field_.clear();
  if (!partition_id.empty()) {
    if (IsWellFormedUtf8(partition_id)) {
      AppendLengthDelimited(kRecordPartition, partition_id, &partition_field_);
    } else {
      AppendLengthDelimited(kRecordPartition, ValidUtf8(partition_id), &partition_field_);
    }
  }

  for (uint32_t row = 0; row < batch.row_count(); ++row) {
    data_.clear();
    row_nulled_.clear();
    for (const Field& field : fields_) {
      if (IsNull(*values_[static_cast<size_t>(field.column)], row)) {
        data_.append(kNullElement, sizeof(kNullElement));
        continue;
      }
      switch (AppendValue(field, row)) {
        case Written::kValue:
          break;
        case Written::kNulled:
          data_.append(kNullElement, sizeof(kNullElement));
          row_nulled_.push_back(field.column);
          break;
        case Written::kValueWithNulledElements:
          row_nulled_.push_back(field.column);
          break;
      }
    }
    meta_.clear();
    if (!row_nulled_.empty()) {
      // meta.changes in column order, as the JSON mode lists them.
      std::sort(row_nulled_.begin(), row_nulled_.end());
      for (int column : row_nulled_) {
        meta_.append(changes_[static_cast<size_t>(column)]);
        batch_nulled_[static_cast<size_t>(column)] = 1;
      }
    }
    const size_t record = record_prefix_.size() + partition_field_.size() + data_.size() +
                          (meta_.empty() ? 0 : LengthDelimitedSize(meta_.size()));
    AppendVarint(LengthDelimitedSize(record), out);
    AppendLengthHeader(kMessageRecord, record, out);
    out->append(record_prefix_);
    out->append(partition_field_);
    out->append(data_);
    if (!meta_.empty()) AppendLengthDelimited(kRecordMeta, meta_, out);
  }

  if (nulled_columns != nullptr) {
    for (size_t i = 0; i < batch_nulled_.size(); ++i) {
      if (batch_nulled_[i] != 0) nulled_columns->push_back(static_cast<int>(i));
    }
  }
  return absl::OkStatus();
}

ProtobufRecordEncoder::Written ProtobufRecordEncoder::AppendValue(const Field& field,
                                                                  uint32_t row) {
  const v1::ColumnValues& values = *values_[static_cast<size_t>(field.column)];
  const int index = static_cast<int>(row);
  switch (field.member) {
    case Member::kBoolean:
      AppendVarintElement(kValueBoolean, values.bools().values(index) ? 1 : 0, &data_);
      return Written::kValue;
    case Member::kInteger:
      AppendVarintElement(kValueInteger, ZigZag64(values.int64s().values(index)), &data_);
      return Written::kValue;
    case Member::kIntegerOfNumeric: {
      const std::string& text = values.strings().values(index);
      if (IsNumericSpecial(text)) return Written::kNulled;
      int64_t v;
      if (absl::SimpleAtoi(text, &v)) {
        AppendVarintElement(kValueInteger, ZigZag64(v), &data_);
      } else if (IsIntegerText(text)) {
        AppendBytesElement(kValueBigInteger, text, &data_);
      } else {
        return Written::kNulled;  // a fraction in an integer column: no integer form
      }
      return Written::kValue;
    }
    case Member::kBigDecimalOfInt64: {
      char digits[24];
      const std::to_chars_result r =
          std::to_chars(digits, digits + sizeof(digits), values.int64s().values(index));
      AppendBytesElement(kValueBigDecimal,
                         std::string_view(digits, static_cast<size_t>(r.ptr - digits)), &data_);
      return Written::kValue;
    }
    case Member::kNumber: {
      double d = values.doubles().values(index);
      if (!std::isfinite(d)) return Written::kNulled;
      if (field.single_precision) d = DoubleOfFloat(d);
      AppendLengthHeader(kRecordData, 9, &data_);
      AppendFixed64Field(kValueNumber, DoubleBits(d), &data_);
      return Written::kValue;
    }
    case Member::kBigDecimal: {
      const std::string& text = values.strings().values(index);
      if (IsNumericSpecial(text)) return Written::kNulled;
      AppendBytesElement(kValueBigDecimal, text, &data_);
      return Written::kValue;
    }
    case Member::kString: {
      const std::string& text = values.strings().values(index);
      if (IsWellFormedUtf8(text)) {
        AppendBytesElement(kValueString, text, &data_);
      } else {
        text_.clear();
        AppendUtf8Replacing(text, &text_);
        AppendBytesElement(kValueString, text_, &data_);
      }
      return Written::kValue;
    }
    case Member::kByteaHex: {
      static constexpr char kHex[] = "0123456789abcdef";
      const std::string& bytes = values.strings().values(index);
      const size_t length = 2 + 2 * bytes.size();
      AppendLengthHeader(kRecordData, LengthDelimitedSize(length), &data_);
      AppendLengthHeader(kValueString, length, &data_);
      const size_t at = data_.size();
      data_.resize(at + length);
      char* p = &data_[at];
      *p++ = '\\';
      *p++ = 'x';
      for (unsigned char b : bytes) {
        *p++ = kHex[b >> 4];
        *p++ = kHex[b & 0xF];
      }
      return Written::kValue;
    }
    case Member::kDate: {
      const int64_t days = values.int64s().values(index);
      if (!IsRepresentableDate(days)) return Written::kNulled;
      AppendVarintElement(kValueDate, ZigZag64(days), &data_);
      return Written::kValue;
    }
    case Member::kTime: {
      const int64_t micros = values.int64s().values(index);
      if (micros < 0 || micros > kMicrosPerDay) return Written::kNulled;
      const uint64_t nanos = static_cast<uint64_t>(micros) * 1000;
      AppendVarintElement(kValueTime, std::min(nanos, kLastNanoOfDay), &data_);
      return Written::kValue;
    }
    case Member::kTimeTz: {
      uint64_t nanos;
      int32_t offset;
      if (!ParseTimetzText(values.strings().values(index), &nanos, &offset)) {
        return Written::kNulled;
      }
      AppendPairElement(kValueTimeTz, std::min(nanos, kLastNanoOfDay), ZigZag32(offset), &data_);
      return Written::kValue;
    }
    case Member::kTimestamp: {
      const int64_t micros = values.int64s().values(index);
      if (!IsRepresentableTimestamp(micros)) return Written::kNulled;
      int64_t days, micros_of_day;
      FloorDivide(micros, kMicrosPerDay, &days, &micros_of_day);
      AppendPairElement(kValueTimestamp, ZigZag64(days),
                        static_cast<uint64_t>(micros_of_day) * 1000, &data_);
      return Written::kValue;
    }
    case Member::kTimestampTz: {
      const int64_t micros = values.int64s().values(index);
      if (!IsRepresentableTimestamp(micros)) return Written::kNulled;
      int64_t seconds, micros_of_second;
      FloorDivide(micros, kMicrosPerSecond, &seconds, &micros_of_second);
      // offset_seconds 0 (UTC, as the JSON mode's "+00:00"): proto3's default, not written.
      AppendPairElement(kValueTimestampTz, ZigZag64(seconds),
                        static_cast<uint64_t>(micros_of_second) * 1000, &data_);
      return Written::kValue;
    }
    case Member::kJson: {
      text_.clear();
      const bool nulled = formatter_->AppendColumnValue(field.column, row, &text_);
      if (nulled && text_ == "null") return Written::kNulled;
      AppendBytesElement(kValueJson, text_, &data_);
      return nulled ? Written::kValueWithNulledElements : Written::kValue;
    }
  }
  return Written::kNulled;  // unreachable: every member is handled above
}

}  // namespace tsdb_source::client

#include "client/json/record_json.h"

#include <cstring>

#include <utility>

#include "absl/strings/str_cat.h"
#include "client/json/json_writer.h"
#include "client/json/value_format.h"

namespace tsdb_source::client {
namespace {

using tsdb_source::v1::Column;
using tsdb_source::v1::ColumnValues;
using tsdb_source::v1::RecordBatch;
using tsdb_source::v1::ValueKind;

// PostgreSQL's numeric_out never prints an exponent, but any JSON number is accepted.
bool IsNumericSpecial(const std::string& text) {
  return text == "NaN" || text == "Infinity" || text == "-Infinity";
}

// After validation a NUMERIC value is a JSON number or a special value; specials are the
// only texts starting with 'N', 'I' or "-I".
inline bool IsValidatedNumericSpecial(const std::string& text) {
  return text[0] == 'N' || text[0] == 'I' || (text.size() > 1 && text[1] == 'I');
}

// The oneof case a kind travels in.
ColumnValues::ValuesCase CaseOf(ValueKind kind) {
  switch (kind) {
    case tsdb_source::v1::VALUE_KIND_BOOL:
      return ColumnValues::kBools;
    case tsdb_source::v1::VALUE_KIND_INT64:
    case tsdb_source::v1::VALUE_KIND_TIMESTAMP:
    case tsdb_source::v1::VALUE_KIND_TIMESTAMPTZ:
    case tsdb_source::v1::VALUE_KIND_DATE:
    case tsdb_source::v1::VALUE_KIND_TIME:
      return ColumnValues::kInt64S;
    case tsdb_source::v1::VALUE_KIND_DOUBLE:
      return ColumnValues::kDoubles;
    case tsdb_source::v1::VALUE_KIND_NUMERIC:
    case tsdb_source::v1::VALUE_KIND_TEXT:
    case tsdb_source::v1::VALUE_KIND_BYTES:
    case tsdb_source::v1::VALUE_KIND_JSON:
    case tsdb_source::v1::VALUE_KIND_TIMETZ:
      return ColumnValues::kStrings;
    case tsdb_source::v1::VALUE_KIND_ARRAY:
      return ColumnValues::kLists;
    default:
      return ColumnValues::VALUES_NOT_SET;
  }
}

const char* CaseName(ColumnValues::ValuesCase c) {
  switch (c) {
    case ColumnValues::kBools:
      return "bools";
    case ColumnValues::kInt64S:
      return "int64s";
    case ColumnValues::kDoubles:
      return "doubles";
    case ColumnValues::kStrings:
      return "strings";
    case ColumnValues::kLists:
      return "lists";
    case ColumnValues::VALUES_NOT_SET:
      break;
  }
  return "no values";
}

int64_t ValuesCount(const ColumnValues& values) {
  switch (values.values_case()) {
    case ColumnValues::kBools:
      return values.bools().values_size();
    case ColumnValues::kInt64S:
      return values.int64s().values_size();
    case ColumnValues::kDoubles:
      return values.doubles().values_size();
    case ColumnValues::kStrings:
      return values.strings().values_size();
    case ColumnValues::kLists:
      return values.lists().lengths_size();
    case ColumnValues::VALUES_NOT_SET:
      break;
  }
  return 0;
}

// PostgreSQL's real and real[] (Column.type_oid is the base type's, the array type's for
// arrays): their DOUBLE values were floats.
constexpr uint32_t kFloat4Oid = 700;
constexpr uint32_t kFloat4ArrayOid = 1021;

// PostgreSQL allows 6 dimensions (MAXDIM); the cap only bounds the recursion.
constexpr int kMaxArrayDepth = 32;

bool IsNull(const unsigned char* nulls, uint32_t index) {
  return nulls != nullptr && ((nulls[index >> 3] >> (index & 7)) & 1) != 0;
}

// bytea as source-postgres writes it, PostgreSQL's hex output as a JSON string:
// "\\x0a1b" (the backslash escaped). Exactly 2 * bytes.size() + 5 bytes at p.
char* WriteByteaHex(const std::string& bytes, char* p) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::memcpy(p, "\"\\\\x", 4);
  p += 4;
  for (unsigned char b : bytes) {
    *p++ = kHex[b >> 4];
    *p++ = kHex[b & 0xF];
  }
  *p++ = '"';
  return p;
}

void AppendByteaHex(const std::string& bytes, std::string* out) {
  const size_t old_size = out->size();
  out->resize(old_size + 2 * bytes.size() + 5);
  WriteByteaHex(bytes, &(*out)[old_size]);
}

// Appends `"<text>"` when `append` writes a value and returns false, else appends `null`
// and returns true (nulled).
template <typename AppendFn>
inline bool AppendQuotedOrNull(int64_t value, AppendFn append, std::string* out) {
  out->push_back('"');
  if (append(value, out)) {
    out->push_back('"');
    return false;
  }
  out->pop_back();
  AppendJsonNull(out);
  return true;
}

}  // namespace

absl::StatusOr<RecordFormatter> RecordFormatter::Create(
    const google::protobuf::RepeatedPtrField<Column>& columns) {
  RecordFormatter formatter;
  formatter.columns_.reserve(columns.size());
  for (int i = 0; i < columns.size(); ++i) {
    const Column& column = columns.Get(i);
    if (CaseOf(column.kind()) == ColumnValues::VALUES_NOT_SET) {
      return absl::InvalidArgumentError(absl::StrCat(
          "column \"", column.name(), "\" (index ", i, ") has no supported kind: ",
          static_cast<int>(column.kind())));
    }
    if (column.kind() == tsdb_source::v1::VALUE_KIND_ARRAY &&
        (column.element_kind() == tsdb_source::v1::VALUE_KIND_ARRAY ||
         CaseOf(column.element_kind()) == ColumnValues::VALUES_NOT_SET)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "array column \"", column.name(), "\" (index ", i,
          ") has no supported element_kind: ", static_cast<int>(column.element_kind())));
    }
    ColumnInfo info;
    info.name = column.name();
    info.key.push_back(i == 0 ? '{' : ',');
    AppendJsonString(column.name(), &info.key);
    info.key.push_back(':');
    info.kind = column.kind();
    info.element_kind = column.element_kind();
    info.single_precision =
        column.type_oid() == kFloat4Oid || column.type_oid() == kFloat4ArrayOid;
    formatter.columns_.push_back(std::move(info));
  }
  formatter.levels_.resize(formatter.columns_.size());
  // The row writer's bound: keys, '}', and per value its longest text ("null" at least).
  formatter.row_writer_ = true;
  formatter.fixed_bound_ = 1;
  for (size_t i = 0; i < formatter.columns_.size(); ++i) {
    const ColumnInfo& info = formatter.columns_[i];
    formatter.fixed_bound_ += info.key.size();
    switch (info.kind) {
      case tsdb_source::v1::VALUE_KIND_BOOL:
      case tsdb_source::v1::VALUE_KIND_INT64:
        formatter.fixed_bound_ += 20;
        break;
      case tsdb_source::v1::VALUE_KIND_DOUBLE:
        formatter.fixed_bound_ += kMaxJsonDoubleLength;
        break;
      case tsdb_source::v1::VALUE_KIND_TIMESTAMP:
      case tsdb_source::v1::VALUE_KIND_TIMESTAMPTZ:
      case tsdb_source::v1::VALUE_KIND_DATE:
      case tsdb_source::v1::VALUE_KIND_TIME:
        formatter.fixed_bound_ += kMaxTimestampLength + 2;
        break;
      case tsdb_source::v1::VALUE_KIND_NUMERIC:
      case tsdb_source::v1::VALUE_KIND_TEXT:
      case tsdb_source::v1::VALUE_KIND_TIMETZ:
      case tsdb_source::v1::VALUE_KIND_JSON:
      case tsdb_source::v1::VALUE_KIND_BYTES:
        formatter.fixed_bound_ += 5;
        formatter.variable_columns_.push_back(static_cast<int>(i));
        break;
      default:
        formatter.row_writer_ = false;  // arrays: value by value
        break;
    }
  }
  return formatter;
}

size_t RecordFormatter::RowBound(uint32_t row) const {
  size_t bound = fixed_bound_;
  for (int i : variable_columns_) {
    const Level& level = levels_[i];
    if (IsNull(level.nulls, row)) continue;
    const size_t length = level.strings->Get(static_cast<int>(row)).size();
    bound += level.kind == tsdb_source::v1::VALUE_KIND_NUMERIC ? length
             : level.kind == tsdb_source::v1::VALUE_KIND_BYTES ? 2 * length
                                                                : 6 * length + 2;
  }
  return bound;
}

bool RecordFormatter::WriteValue(const Level& level, uint32_t index, char** p) const {
  auto null = [p] {
    std::memcpy(*p, "null", 4);
    *p += 4;
  };
  if (IsNull(level.nulls, index)) {
    null();
    return false;
  }
  // A quoted date or time, or null (nulled) when it has no form.
  auto quoted = [&](char* (*write)(int64_t, char*)) {
    char* start = *p;
    char* end = write(level.int64s[index], start + 1);
    if (end == nullptr) {
      null();
      return true;
    }
    *start = '"';
    *end++ = '"';
    *p = end;
    return false;
  };
  switch (level.kind) {
    case tsdb_source::v1::VALUE_KIND_BOOL:
      if (level.bools[index]) {
        std::memcpy(*p, "true", 4);
        *p += 4;
      } else {
        std::memcpy(*p, "false", 5);
        *p += 5;
      }
      return false;
    case tsdb_source::v1::VALUE_KIND_INT64:
      *p = WriteJsonInt64(level.int64s[index], *p);
      return false;
    case tsdb_source::v1::VALUE_KIND_DOUBLE: {
      char* end = level.single_precision
                      ? WriteJsonFloat(static_cast<float>(level.doubles[index]), *p)
                      : WriteJsonDouble(level.doubles[index], *p);
      if (end == nullptr) {
        null();  // NaN, +/-Infinity
        return true;
      }
      *p = end;
      return false;
    }
    case tsdb_source::v1::VALUE_KIND_NUMERIC: {
      const std::string& text = level.strings->Get(static_cast<int>(index));
      if (IsValidatedNumericSpecial(text)) {
        null();
        return true;
      }
      std::memcpy(*p, text.data(), text.size());
      *p += text.size();
      return false;
    }
    case tsdb_source::v1::VALUE_KIND_TEXT:
    case tsdb_source::v1::VALUE_KIND_TIMETZ:
    case tsdb_source::v1::VALUE_KIND_JSON:
      *p = WriteJsonString(level.strings->Get(static_cast<int>(index)), *p);
      return false;
    case tsdb_source::v1::VALUE_KIND_BYTES:  // a column, never an array element here
      *p = WriteByteaHex(level.strings->Get(static_cast<int>(index)), *p);
      return false;
    case tsdb_source::v1::VALUE_KIND_TIMESTAMP:
      return quoted(WriteTimestampText);
    case tsdb_source::v1::VALUE_KIND_TIMESTAMPTZ:
      return quoted(WriteTimestampTzText);
    case tsdb_source::v1::VALUE_KIND_DATE:
      return quoted(WriteDateText);
    case tsdb_source::v1::VALUE_KIND_TIME:
      return quoted(WriteTimeText);
    default:
      null();  // unreachable: the row writer is only on for the kinds above
      return false;
  }
}

int RecordFormatter::AllocateLevel() {
  if (num_levels_ == static_cast<int>(levels_.size())) levels_.emplace_back();
  return num_levels_++;
}

absl::Status RecordFormatter::BindLevel(const ColumnValues& values, ValueKind kind,
                                        uint64_t count, int column, int depth,
                                        int level_index) {
  auto error = [&](auto&&... what) {
    return absl::InvalidArgumentError(absl::StrCat(
        "column \"", columns_[column].name,
        "\" (index ", column, ")", depth > 0 ? absl::StrCat(", array level ", depth) : "",
        ": ", what...));
  };
  if (depth > kMaxArrayDepth) return error("arrays nested deeper than ", kMaxArrayDepth);
  {
    Level& level = levels_[level_index];
    const bool keep_offsets = kind == tsdb_source::v1::VALUE_KIND_ARRAY;
    std::vector<uint32_t> offsets = std::move(level.offsets);
    level = Level();
    if (keep_offsets) level.offsets = std::move(offsets);
    level.kind = kind;
    level.single_precision = columns_[column].single_precision;
    level.array_element = depth > 0;
  }

  const std::string& bitmap = values.null_bitmap();
  if (!bitmap.empty()) {
    if (bitmap.size() < (count + 7) / 8) {
      return error("null_bitmap has ", bitmap.size(), " bytes, ", count, " values need ",
                   (count + 7) / 8);
    }
    levels_[level_index].nulls = reinterpret_cast<const unsigned char*>(bitmap.data());
  }
  const unsigned char* nulls = levels_[level_index].nulls;

  const ColumnValues::ValuesCase expected = CaseOf(kind);
  if (values.values_case() != expected) {
    // A sender may leave an empty level's oneof unset.
    if (values.values_case() == ColumnValues::VALUES_NOT_SET && count == 0) {
      if (kind == tsdb_source::v1::VALUE_KIND_ARRAY) levels_[level_index].offsets.assign(1, 0);
      return absl::OkStatus();
    }
    return error("values in ", CaseName(values.values_case()), ", expected ",
                 CaseName(expected), " for kind ", tsdb_source::v1::ValueKind_Name(kind));
  }
  if (static_cast<uint64_t>(ValuesCount(values)) != count) {
    return error(ValuesCount(values), " values, expected ", count);
  }

  switch (expected) {
    case ColumnValues::kBools:
      levels_[level_index].bools = values.bools().values().data();
      break;
    case ColumnValues::kInt64S:
      levels_[level_index].int64s = values.int64s().values().data();
      break;
    case ColumnValues::kDoubles:
      levels_[level_index].doubles = values.doubles().values().data();
      break;
    case ColumnValues::kStrings: {
      const auto& strings = values.strings().values();
      levels_[level_index].strings = &strings;
      if (kind == tsdb_source::v1::VALUE_KIND_NUMERIC) {
        for (int i = 0; i < strings.size(); ++i) {
          if (IsNull(nulls, i)) continue;
          const std::string& text = strings.Get(i);
          if (!IsJsonNumber(text) && !IsNumericSpecial(text)) {
            std::string shown;
            AppendJsonString(text.substr(0, 64), &shown);
            return error("value ", i, " is not a numeric: ", shown);
          }
        }
      } else if (kind == tsdb_source::v1::VALUE_KIND_JSON) {
        for (int i = 0; i < strings.size(); ++i) {
          if (!IsNull(nulls, i) && strings.Get(i).empty()) {
            return error("value ", i, " is empty, not JSON text");
          }
        }
      }
      break;
    }
    case ColumnValues::kLists: {
      const auto& lengths = values.lists().lengths();
      const ColumnValues& elements = values.lists().elements();
      const int64_t element_count = ValuesCount(elements);
      {
        std::vector<uint32_t>& offsets = levels_[level_index].offsets;
        offsets.resize(static_cast<size_t>(count) + 1);
        uint64_t sum = 0;
        offsets[0] = 0;
        for (uint64_t i = 0; i < count; ++i) {
          sum += lengths.Get(static_cast<int>(i));
          if (sum > static_cast<uint64_t>(element_count)) {
            return error("lengths add up to more than the ", element_count, " elements");
          }
          offsets[i + 1] = static_cast<uint32_t>(sum);
        }
        if (sum != static_cast<uint64_t>(element_count)) {
          return error("lengths add up to ", sum, ", but there are ", element_count,
                       " elements");
        }
      }
      const ValueKind element_kind = elements.values_case() == ColumnValues::kLists
                                         ? tsdb_source::v1::VALUE_KIND_ARRAY
                                         : columns_[column].element_kind;
      const int child = AllocateLevel();  // may reallocate levels_
      levels_[level_index].child = child;
      return BindLevel(elements, element_kind, static_cast<uint64_t>(element_count), column,
                       depth + 1, child);
    }
    case ColumnValues::VALUES_NOT_SET:
      break;
  }
  return absl::OkStatus();
}

absl::Status RecordFormatter::StartBatch(
    const RecordBatch& batch, absl::Span<const tsdb_source::v1::ColumnValues* const> extra) {
  bound_ = false;
  row_count_ = 0;
  const int given = batch.columns_size() + static_cast<int>(extra.size());
  if (given != num_columns()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "record batch of stream \"", batch.stream().namespace_(), "\".\"",
        batch.stream().name(), "\" has ", given, " columns, expected ", num_columns()));
  }
  num_levels_ = num_columns();
  for (int i = 0; i < num_columns(); ++i) {
    const tsdb_source::v1::ColumnValues& values =
        i < batch.columns_size() ? batch.columns(i) : *extra[i - batch.columns_size()];
    absl::Status status = BindLevel(values, columns_[i].kind, batch.row_count(), i, 0, i);
    if (!status.ok()) return status;
  }
  bound_ = true;
  row_count_ = batch.row_count();
  return absl::OkStatus();
}

absl::Status RecordFormatter::AppendRow(uint32_t row, std::string* out,
                                        std::vector<int>* nulled) const {
  if (!bound_) {
    return absl::FailedPreconditionError("RecordFormatter::AppendRow before StartBatch");
  }
  if (row >= row_count_) {
    return absl::OutOfRangeError(
        absl::StrCat("row ", row, " of a batch of ", row_count_, " rows"));
  }
  if (columns_.empty()) {
    out->append("{}", 2);
    return absl::OkStatus();
  }
  if (row_writer_) {
    // Room for the longest text the row can have, then stores into it: one resize instead
    // of two appends per value.
    const size_t old_size = out->size();
    out->resize(old_size + RowBound(row));
    char* const begin = &(*out)[old_size];
    char* const end = WriteRow(row, begin, nulled);
    out->resize(old_size + static_cast<size_t>(end - begin));
    return absl::OkStatus();
  }
  for (size_t i = 0; i < columns_.size(); ++i) {
    out->append(columns_[i].key);
    if (AppendValue(levels_[i], row, out) && nulled != nullptr) {
      nulled->push_back(static_cast<int>(i));
    }
  }
  out->push_back('}');
  return absl::OkStatus();
}

char* RecordFormatter::WriteRow(uint32_t row, char* p, std::vector<int>* nulled) const {
  for (size_t i = 0; i < columns_.size(); ++i) {
    const std::string& key = columns_[i].key;
    std::memcpy(p, key.data(), key.size());
    p += key.size();
    if (WriteValue(levels_[i], row, &p) && nulled != nullptr) {
      nulled->push_back(static_cast<int>(i));
    }
  }
  *p++ = '}';
  return p;
}

bool RecordFormatter::AppendValue(const Level& level, uint32_t index, std::string* out) const {
  if (IsNull(level.nulls, index)) {
    AppendJsonNull(out);
    return false;
  }
  switch (level.kind) {
    case tsdb_source::v1::VALUE_KIND_BOOL:
      AppendJsonBool(level.bools[index], out);
      return false;
    case tsdb_source::v1::VALUE_KIND_INT64:
      AppendJsonInt64(level.int64s[index], out);
      return false;
    case tsdb_source::v1::VALUE_KIND_DOUBLE: {
      const bool written =
          level.single_precision
              ? AppendJsonFloat(static_cast<float>(level.doubles[index]), out)
              : AppendJsonDouble(level.doubles[index], out);
      if (written) return false;
      AppendJsonNull(out);  // NaN, +/-Infinity
      return true;
    }
    case tsdb_source::v1::VALUE_KIND_NUMERIC: {
      const std::string& text = level.strings->Get(static_cast<int>(index));
      if (IsValidatedNumericSpecial(text)) {
        AppendJsonNull(out);
        return true;
      }
      out->append(text);
      return false;
    }
    case tsdb_source::v1::VALUE_KIND_TEXT:
    case tsdb_source::v1::VALUE_KIND_TIMETZ:
    case tsdb_source::v1::VALUE_KIND_JSON:
      AppendJsonString(level.strings->Get(static_cast<int>(index)), out);
      return false;
    case tsdb_source::v1::VALUE_KIND_BYTES:
      // source-postgres: bytea as hex text, the elements of bytea[] as base64.
      if (level.array_element) {
        AppendJsonBase64String(level.strings->Get(static_cast<int>(index)), out);
      } else {
        AppendByteaHex(level.strings->Get(static_cast<int>(index)), out);
      }
      return false;
    case tsdb_source::v1::VALUE_KIND_TIMESTAMP:
      return AppendQuotedOrNull(level.int64s[index], AppendTimestamp, out);
    case tsdb_source::v1::VALUE_KIND_TIMESTAMPTZ:
      return AppendQuotedOrNull(level.int64s[index], AppendTimestampTz, out);
    case tsdb_source::v1::VALUE_KIND_DATE:
      return AppendQuotedOrNull(level.int64s[index], AppendDate, out);
    case tsdb_source::v1::VALUE_KIND_TIME:
      return AppendQuotedOrNull(level.int64s[index], AppendTime, out);
    case tsdb_source::v1::VALUE_KIND_ARRAY: {
      out->push_back('[');
      const uint32_t begin = level.offsets[index];
      const uint32_t end = level.offsets[index + 1];
      bool nulled = false;
      if (begin != end) {
        const Level& elements = levels_[level.child];
        nulled = AppendValue(elements, begin, out);
        for (uint32_t j = begin + 1; j < end; ++j) {
          out->push_back(',');
          nulled |= AppendValue(elements, j, out);
        }
      }
      out->push_back(']');
      return nulled;
    }
    default:
      // Unreachable: Create and StartBatch admit only the kinds above.
      AppendJsonNull(out);
      return false;
  }
}

absl::Status AppendRecordData(const google::protobuf::RepeatedPtrField<Column>& columns,
                              const RecordBatch& batch, uint32_t row, std::string* out,
                              std::vector<int>* nulled) {
  absl::StatusOr<RecordFormatter> formatter = RecordFormatter::Create(columns);
  if (!formatter.ok()) return formatter.status();
  absl::Status status = formatter->StartBatch(batch);
  if (!status.ok()) return status;
  return formatter->AppendRow(row, out, nulled);
}

}  // namespace tsdb_source::client

// The records of one stream in the PROTOBUF format of Airbyte's socket data channel
// ("speed mode", docs/design/speed-mode.md 1.1, 1.2, 2.4): each row of a columnar
// tsdb_source.v1.RecordBatch becomes one AirbyteMessageProtobuf{record{...}} preceded by its
// length as a varint (proto/airbyte_socket/v1/data_channel.proto), written straight into
// the caller's buffer without message objects.
//
// A record: stream_namespace (when not empty), stream_name, emitted_at_ms (the value given
// to Create), partition_id (given per batch), data, and meta when a value was nulled.
// `data` holds one AirbyteValueProtobuf per column, every column present, ordered by column
// name in UTF-16 code unit order (field_order.h). The member of each value follows the
// column's Airbyte type, from Column.json_schema (airbyte_type.h; computed from the column
// as Discover does when empty), with the value as the JSON mode writes it (record_json.h):
//
//   kind       Airbyte type                 member                  value
//   BOOL       boolean                      boolean (1)             the bool
//   INT64      integer                      integer (3, sint64)     the int64
//   INT64      number (_ab_cdc_lsn)         big_decimal (6)         its decimal digits
//   DOUBLE     number                       number (5)              the double; real
//                                                                   (float4): the double of
//                                                                   its shortest text
//   NUMERIC    integer (numeric(p,0))       integer, or big_integer the digits
//                                           (4) beyond 64 bits
//   NUMERIC    number (numeric, money)      big_decimal (6)         the decimal text
//   TEXT, JSON string                       string (2)              the text
//   BYTES      string                       string                  "\x" and lower-case hex
//   DATE       date                         date (7, sint64)        days since 1970-01-01
//   TIME       time_without_timezone        time_without_timezone   nanoseconds of the day
//                                           (9)                     (24:00:00 as 23:59:59.
//                                                                   999999999, java.time's
//                                                                   last)
//   TIMETZ     time_with_timezone           time_with_timezone (8)  nanoseconds of the local
//                                                                   day (24:00 as above),
//                                                                   offset seconds east
//   TIMESTAMP  timestamp_without_timezone   timestamp_without_      days and nanoseconds of
//                                           timezone (11)           the day (floor)
//   TIMESTAMPTZ timestamp_with_timezone     timestamp_with_         epoch second (floor) and
//                                           timezone (10)           nano; offset 0
//   any        array, object, union,        json (12)               the JSON mode's JSON text
//              unknown                                              of the value
// Text is UTF-8 with ill-formed sequences replaced by U+FFFD, as the JSON mode replaces
// them (protobuf readers reject ill-formed strings).
//
// Nulls: a NULL, and a value the JSON mode nulls (NaN and infinities of floats and
// numerics, infinite dates and timestamps, years outside 9999 BC to 9999, times outside
// 00:00:00 to 24:00:00, and a timetz text that does not read back), are `is_null = true`
// without a member (bytes 68 01). A nulled value, or an array with a nulled element (then
// written with null there), adds {field: <column name>, change: NULLED, reason:
// SOURCE_SERIALIZATION_ERROR} to meta.changes, in column order, as the JSON mode does.
//
// Contract:
// - Create checks every column's kind against its Airbyte type (the table above) and fails
//   with InvalidArgument for another pairing, a kind the JSON mode cannot format, or a
//   json_schema that is not a JSON object. The caller then has no encoder for the stream.
// - AppendBatch validates the batch first (RecordFormatter::StartBatch: shape, value
//   counts, bitmaps, numeric text; CdcValues::Fill for the change metadata) and appends
//   nothing when it fails (InvalidArgument). Otherwise it appends row_count frames.
// - The encoder keeps no pointer into a batch after AppendBatch returns.
// Thread-safety: not thread-safe (scratch buffers are reused across rows and batches); one
// encoder per stream and thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/json/record_json.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "service/airbyte/cdc_columns.h"
#include "tsdb_source/v1/catalog.pb.h"
#include "tsdb_source/v1/records.pb.h"

namespace tsdb_source::client {

class ProtobufRecordEncoder final {
 public:
  // An encoder for the records of `stream` whose batches carry `columns`
  // (StreamStart.columns). With `changes` (StreamStart.changes) the records gain Airbyte's
  // _ab_cdc_* fields (service/airbyte/cdc_columns.h), made from RecordBatch.changes.
  // `emitted_at_ms`: milliseconds since the Unix epoch, the same for every record.
  // `fields`: the configured catalog's fields of the stream (its json_schema's properties),
  // when it lists them: the destination reads `data` by position against them, so only
  // these columns are written; a field that is no column (the table changed since
  // discover) is NotFound naming it. Null: every column.
  static absl::StatusOr<ProtobufRecordEncoder> Create(
      const v1::StreamDescriptor& stream,
      const google::protobuf::RepeatedPtrField<v1::Column>& columns, bool changes,
      uint64_t emitted_at_ms, const std::vector<std::string>* fields = nullptr);

  ProtobufRecordEncoder(ProtobufRecordEncoder&&) = default;
  ProtobufRecordEncoder& operator=(ProtobufRecordEncoder&&) = default;
  ProtobufRecordEncoder(const ProtobufRecordEncoder&) = delete;
  ProtobufRecordEncoder& operator=(const ProtobufRecordEncoder&) = delete;

  // Appends one delimited frame per row of `batch` to `out` (nothing cleared), each record
  // with `partition_id`. With `nulled_columns`, sets it (cleared first) to the columns with
  // a nulled value or element in this batch, each once, ascending: indices into
  // columns(), for the caller's warning (once per column and read, as the JSON mode logs).
  absl::Status AppendBatch(const v1::RecordBatch& batch, std::string_view partition_id,
                           std::string* out, std::vector<int>* nulled_columns = nullptr);

  // The columns of a record: Create's `columns`, then the _ab_cdc_* columns with `changes`.
  const google::protobuf::RepeatedPtrField<v1::Column>& columns() const { return columns_; }
  // The order of `data`: the value at position k is of column field_order()[k] (the
  // configured fields only, when Create was given them).
  const std::vector<int>& field_order() const { return field_order_; }

 private:
  // How a column's values are written (the table above).
  enum class Member {
    kBoolean,
    kInteger,             // INT64
    kIntegerOfNumeric,    // NUMERIC text: integer, or big_integer past 64 bits
    kBigDecimalOfInt64,   // INT64 typed number
    kNumber,              // DOUBLE
    kBigDecimal,          // NUMERIC text
    kString,              // TEXT, JSON
    kByteaHex,            // BYTES
    kDate,
    kTime,
    kTimeTz,
    kTimestamp,
    kTimestampTz,
    kJson,                // the JSON mode's text of the value (RecordFormatter)
  };
  struct Field {
    int column = 0;  // index into columns_
    Member member = Member::kJson;
    bool single_precision = false;  // a real (float4) column
  };
  // What writing one value did.
  enum class Written { kValue, kNulled, kValueWithNulledElements };

  ProtobufRecordEncoder() = default;

  // Appends the data element (tag, length, AirbyteValueProtobuf) of a non-NULL value of
  // `field` at `row`, or nothing when it is nulled.
  Written AppendValue(const Field& field, uint32_t row);

  google::protobuf::RepeatedPtrField<v1::Column> columns_;
  std::vector<Field> fields_;  // in data order
  std::vector<int> field_order_;
  // Per column: its meta.changes entry (tag, length, AirbyteRecordMessageMetaChange).
  std::vector<std::string> changes_;
  // Fields 1 to 3 of every record: namespace, name, emitted_at_ms.
  std::string record_prefix_;
  // Validates batches and writes the JSON text of kJson values.
  std::unique_ptr<RecordFormatter> formatter_;
  // With `changes`: the _ab_cdc_* values of the current batch (pointers into itself: kept
  // on the heap so the encoder can move).
  std::unique_ptr<airbyte::CdcValues> cdc_values_;

  // Per batch: each column's values (the batch's, then the CDC columns').
  std::vector<const v1::ColumnValues*> values_;
  std::vector<char> batch_nulled_;  // per column: a value was nulled in this batch
  // Scratch, reused: the partition_id field, the data of a row, text being fixed,
  // the columns nulled in a row, meta.changes of a row.
  std::string partition_field_;
  std::string data_;
  std::string text_;
  std::vector<int> row_nulled_;
  std::string meta_;
};

}  // namespace tsdb_source::client

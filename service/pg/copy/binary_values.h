// Decoding of PostgreSQL binary send formats (the field bytes of a binary COPY) into the
// wire kinds of tsdb_source.v1.ValueKind.
//
// Contract of every Decode* function: `value` is one non-NULL field exactly as the type's
// send function wrote it. The whole value must be consumed; any wrong length, out-of-range
// field or unknown format version gives InvalidArgument (OutOfRange for a valid PostgreSQL
// value the contract cannot carry) and never reads outside `value`. String outputs replace
// the previous contents of *out and reuse its capacity; numeric outputs are written only on
// success. No function allocates except through *out growing. Stateless and thread-safe.
//
// Mapping (type OID -> ValueKind, decoded value):
//   bool(16)                               BOOL         true/false
//   int2(21) int4(23) int8(20) oid(26)     INT64        the integer (oid unsigned)
//   float4(700) float8(701)                DOUBLE       the value, NaN and +-inf kept
//   numeric(1700)                          NUMERIC      exact decimal text as numeric_out
//                                                       prints it ("1.500", "NaN",
//                                                       "Infinity", "-Infinity")
//   timestamp(1114) timestamptz(1184)      TIMESTAMP[TZ] microseconds since 1970-01-01
//                                                       (UTC); +-infinity = INT64_MAX/MIN
//   date(1082)                             DATE         days since 1970-01-01;
//                                                       +-infinity = INT32_MAX/MIN
//   time(1083)                             TIME         microseconds since midnight
//   timetz(1266)                           TIMETZ       "HH:MM:SS[.ffffff]+HH:MM"
//   text(25) varchar(1043) bpchar(1042) name(19) "char"(18) xml(142)
//                                          TEXT         the bytes as sent
//   uuid(2950)                             TEXT         lowercase 8-4-4-4-12
//   interval(1186)                         TEXT         as IntervalStyle postgres prints it
//                                                       (see DecodeInterval: PG 17 change)
//   inet(869) cidr(650)                    TEXT         as inet_out / cidr_out print it
//   macaddr(829) macaddr8(774)             TEXT         "08:00:2b:01:02:03"
//   bytea(17)                              BYTES        the raw bytes
//   json(114) jsonb(3802)                  JSON         the JSON text (jsonb: version 1)
//   <known>[] (see ElementTypeForArray)    ARRAY        see ArrayReader
//   any other OID                          TEXT         the caller selects it as ::text,
//                                                       the bytes are copied as sent
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "service/pg/copy/pg_epoch.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/pg/copy/field_view.h"
#include "tsdb_source/v1/catalog.pb.h"

namespace tsdb_source::pg {

// Built-in type OIDs (pg_type.oid, stable across PostgreSQL versions).
namespace pg_oid {
inline constexpr uint32_t kBool = 16;
inline constexpr uint32_t kBytea = 17;
inline constexpr uint32_t kChar = 18;
inline constexpr uint32_t kName = 19;
inline constexpr uint32_t kInt8 = 20;
inline constexpr uint32_t kInt2 = 21;
inline constexpr uint32_t kInt4 = 23;
inline constexpr uint32_t kText = 25;
inline constexpr uint32_t kOid = 26;
inline constexpr uint32_t kJson = 114;
inline constexpr uint32_t kXml = 142;
inline constexpr uint32_t kCidr = 650;
inline constexpr uint32_t kFloat4 = 700;
inline constexpr uint32_t kFloat8 = 701;
inline constexpr uint32_t kMacaddr8 = 774;
inline constexpr uint32_t kMacaddr = 829;
inline constexpr uint32_t kInet = 869;
inline constexpr uint32_t kBpchar = 1042;
inline constexpr uint32_t kVarchar = 1043;
inline constexpr uint32_t kDate = 1082;
inline constexpr uint32_t kTime = 1083;
inline constexpr uint32_t kTimestamp = 1114;
inline constexpr uint32_t kTimestamptz = 1184;
inline constexpr uint32_t kInterval = 1186;
inline constexpr uint32_t kTimetz = 1266;
inline constexpr uint32_t kNumeric = 1700;
inline constexpr uint32_t kUuid = 2950;
inline constexpr uint32_t kJsonb = 3802;
}  // namespace pg_oid

// ValueKind of a column of this type: ARRAY for the supported array types, TEXT for any
// OID this file cannot decode (select such columns as `::text`).
v1::ValueKind ValueKindForType(uint32_t type_oid);

// Element type OID of a supported array type (1007 int4[] -> 23), 0 for anything else.
uint32_t ElementTypeForArray(uint32_t array_oid);

// True when values of this type can be decoded from their binary form: the scalar types of
// the table above and arrays of them. Columns of other types must be selected as `::text`
// (and their TEXT values are then copied as sent).
bool HasBinaryDecoder(uint32_t type_oid);

// Scalar decoders.
absl::Status DecodeBool(absl::string_view value, bool* out);
absl::Status DecodeInt2(absl::string_view value, int64_t* out);
absl::Status DecodeInt4(absl::string_view value, int64_t* out);
absl::Status DecodeInt8(absl::string_view value, int64_t* out);
absl::Status DecodeOid(absl::string_view value, int64_t* out);
absl::Status DecodeFloat4(absl::string_view value, double* out);
absl::Status DecodeFloat8(absl::string_view value, double* out);
// timestamp and timestamptz: the same wire format (UTC microseconds since 2000). A finite
// timestamp after 294247-01-10 04:00:54.775807 is a valid PostgreSQL value that does not fit
// in int64 microseconds since 1970: OutOfRange.
absl::Status DecodeTimestamp(absl::string_view value, int64_t* out);
absl::Status DecodeDate(absl::string_view value, int64_t* out);
absl::Status DecodeTime(absl::string_view value, int64_t* out);

absl::Status DecodeNumeric(absl::string_view value, std::string* out);
// "HH:MM:SS[.ffffff]+HH:MM"; fractional digits without trailing zeros; an offset with
// seconds (local mean time zones) gets ":SS". PostgreSQL stores the offset in seconds WEST
// of UTC, so a stored -3600 prints as "+01:00".
absl::Status DecodeTimetz(absl::string_view value, std::string* out);
absl::Status DecodeUuid(absl::string_view value, std::string* out);
// IntervalStyle postgres output (PostgreSQL's default, what interval_out prints and
// source-postgres emits): "1 year 2 mons 3 days 04:05:06.5", "00:00:00",
// "-1 years -2 mons", "-00:00:00.000001", "-10 mons -3 days +04:05:06.789".
// PostgreSQL 17 turned the two extreme bit patterns (all fields INT_MAX / all INT_MIN)
// into infinite intervals; before 17 they are the largest and smallest finite intervals.
// DecodeInterval reads them as 17+ does ("infinity" / "-infinity"); DecodeIntervalBefore17
// prints them as finite values, as PostgreSQL 16 and older do.
absl::Status DecodeInterval(absl::string_view value, std::string* out);
absl::Status DecodeIntervalBefore17(absl::string_view value, std::string* out);
absl::Status DecodeInet(absl::string_view value, std::string* out);
absl::Status DecodeCidr(absl::string_view value, std::string* out);
absl::Status DecodeMacaddr(absl::string_view value, std::string* out);
absl::Status DecodeMacaddr8(absl::string_view value, std::string* out);
absl::Status DecodeJsonb(absl::string_view value, std::string* out);
// text-like types, bytea, json, and columns read as ::text: the bytes as sent.
absl::Status DecodeRaw(absl::string_view value, std::string* out);

// Where values of a kind travel in a ColumnValues.
enum class Storage : uint8_t { kBool, kInt64, kDouble, kString, kList };
Storage StorageForKind(v1::ValueKind kind);

// The decoder of one scalar type, resolved once per column: exactly the function matching
// StorageForKind(kind) is set.
struct ScalarDecoder {
  v1::ValueKind kind = v1::VALUE_KIND_UNSPECIFIED;
  Storage storage = Storage::kString;
  absl::Status (*to_bool)(absl::string_view, bool*) = nullptr;
  absl::Status (*to_int64)(absl::string_view, int64_t*) = nullptr;
  absl::Status (*to_double)(absl::string_view, double*) = nullptr;
  absl::Status (*to_string)(absl::string_view, std::string*) = nullptr;
};

// Decoder for a non-array type (unknown OIDs get DecodeRaw, kind TEXT). InvalidArgument for
// a supported array type: read those with ArrayReader and the element's decoder.
// server_version_num is PQserverVersion() of the server that produced the values (0 means
// the latest format); it only matters for interval (see DecodeInterval).
absl::StatusOr<ScalarDecoder> ScalarDecoderForType(uint32_t type_oid,
                                                   int server_version_num = 0);

// Reader of the binary array format: int32 ndim, int32 has-null flag (0 or 1), uint32
// element OID, ndim x (int32 size, int32 lower bound), then the elements in row-major
// order, each an int32 length (-1 = NULL) and its bytes. Lower bounds are checked but not
// kept by the contract. An array without elements reads as 0 dimensions, as PostgreSQL's
// array_recv normalises it. The reader points into `value`, which must outlive it.
class ArrayReader final {
 public:
  // PostgreSQL's MAXDIM.
  static constexpr int kMaxDimensions = 6;

  // Parses the header. expected_element_oid 0 accepts any element type.
  static absl::StatusOr<ArrayReader> Open(absl::string_view value,
                                          uint32_t expected_element_oid);

  int dimensions() const { return dimensions_; }
  int32_t size(int dimension) const { return sizes_[dimension]; }
  int32_t lower_bound(int dimension) const { return lower_bounds_[dimension]; }
  uint32_t element_type() const { return element_type_; }
  // Product of the sizes (0 when dimensions() is 0).
  int64_t element_count() const { return element_count_; }

  // The next element (a view into `value`). Call at most element_count() times.
  absl::Status Next(FieldView* element);
  // After the last element: checks that the value holds nothing more.
  absl::Status Finish() const;

 private:
  ArrayReader() = default;

  const char* cursor_ = nullptr;
  const char* end_ = nullptr;
  int dimensions_ = 0;
  uint32_t element_type_ = 0;
  int64_t element_count_ = 0;
  int64_t elements_read_ = 0;
  std::array<int32_t, kMaxDimensions> sizes_{};
  std::array<int32_t, kMaxDimensions> lower_bounds_{};
};

}  // namespace tsdb_source::pg

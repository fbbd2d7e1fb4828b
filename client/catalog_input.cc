#include "client/catalog_input.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "client/input_json.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace tsdb_source::client {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;
using input_json::Bad;
using input_json::Field;
using input_json::FirstLine;
using input_json::InputFile;
using input_json::JsonTypeName;
using input_json::ParseJson;
using input_json::StringField;

// ["a"] or [["a"], ["b"]] (Airbyte paths of top-level columns) -> names.
absl::Status ColumnPaths(const Value* v, bool nested, const std::string& where,
                         google::protobuf::RepeatedPtrField<std::string>* out) {
  if (v == nullptr || v->kind_case() == Value::kNullValue) return absl::OkStatus();
  if (v->kind_case() != Value::kListValue) {
    return absl::InvalidArgumentError(absl::StrCat(where, " must be an array"));
  }
  for (const Value& item : v->list_value().values()) {
    const Value* name = &item;
    if (nested) {
      if (item.kind_case() != Value::kListValue || item.list_value().values_size() != 1) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, " must be an array of one-element arrays of column names "
                                "(nested fields are not supported)"));
      }
      name = &item.list_value().values(0);
    }
    if (name->kind_case() != Value::kStringValue) {
      return absl::InvalidArgumentError(absl::StrCat(where, " must hold column names (strings)"));
    }
    out->Add(std::string(name->string_value()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::ConfiguredCatalog> ParseConfiguredCatalog(const std::string& json,
                                                             const std::string& path,
                                                             ConfiguredFields* fields) {
  const InputFile file{"catalog", path};
  auto root = ParseJson(json, file);
  if (!root.ok()) return root.status();
  const Value* streams = Field(*root, "streams");
  if (streams == nullptr || streams->kind_case() != Value::kListValue) {
    return Bad(file, "a configured catalog needs a \"streams\" array");
  }
  v1::ConfiguredCatalog catalog;
  int index = 0;
  for (const Value& item : streams->list_value().values()) {
    std::string where = absl::StrCat("streams[", index++, "]");
    const Value* stream = Field(item, "stream");
    if (stream == nullptr || stream->kind_case() != Value::kStructValue) {
      return Bad(file, absl::StrCat(where, ".stream is required"));
    }
    v1::ConfiguredStream* out = catalog.add_streams();
    auto name = StringField(*stream, "name", where + ".stream", true);
    if (!name.ok()) return Bad(file, name.status().message());
    auto ns = StringField(*stream, "namespace", where + ".stream", false);
    if (!ns.ok()) return Bad(file, ns.status().message());
    out->mutable_stream()->set_name(*name);
    out->mutable_stream()->set_namespace_(*ns);
    if (fields != nullptr) {
      const Value* schema = Field(*stream, "json_schema");
      const Value* properties = schema == nullptr ? nullptr : Field(*schema, "properties");
      if (properties != nullptr && properties->kind_case() == Value::kStructValue) {
        std::vector<std::string>& names = (*fields)[{*ns, *name}];
        for (const auto& [key, value] : properties->struct_value().fields()) names.push_back(key);
        std::sort(names.begin(), names.end());
      }
    }
    auto sync_mode = StringField(item, "sync_mode", where, true);
    if (!sync_mode.ok()) return Bad(file, sync_mode.status().message());
    if (*sync_mode == "full_refresh") {
      out->set_sync_mode(v1::SYNC_MODE_FULL_REFRESH);
    } else if (*sync_mode == "incremental") {
      out->set_sync_mode(v1::SYNC_MODE_INCREMENTAL);
    } else {
      return Bad(file, absl::StrCat(where, ".sync_mode must be full_refresh or incremental, got '",
                                    *sync_mode, "'"));
    }
    auto dest = StringField(item, "destination_sync_mode", where, false);
    if (!dest.ok()) return Bad(file, dest.status().message());
    if (*dest == "append") out->set_destination_sync_mode(v1::DESTINATION_SYNC_MODE_APPEND);
    if (*dest == "overwrite") out->set_destination_sync_mode(v1::DESTINATION_SYNC_MODE_OVERWRITE);
    if (*dest == "append_dedup") {
      out->set_destination_sync_mode(v1::DESTINATION_SYNC_MODE_APPEND_DEDUP);
    }
    if (*dest == "overwrite_dedup") {
      out->set_destination_sync_mode(v1::DESTINATION_SYNC_MODE_OVERWRITE_DEDUP);
    }
    if (auto s = ColumnPaths(Field(item, "cursor_field"), false, where + ".cursor_field",
                             out->mutable_cursor_field());
        !s.ok()) {
      return Bad(file, s.message());
    }
    if (auto s = ColumnPaths(Field(item, "primary_key"), true, where + ".primary_key",
                             out->mutable_primary_key());
        !s.ok()) {
      return Bad(file, s.message());
    }
  }
  return catalog;
}

}  // namespace tsdb_source::client

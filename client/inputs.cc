#include "client/inputs.h"

#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace tsdb_source::client {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

absl::Status Bad(const std::string& path, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("invalid ", path, ": ", problem));
}

// The first line of a protobuf JSON error (later lines quote the input, which may hold
// secrets).
std::string FirstLine(absl::string_view message) {
  return std::string(message.substr(0, message.find('\n')));
}

absl::StatusOr<Value> ParseJson(const std::string& json, const std::string& path) {
  Value value;
  auto status = google::protobuf::util::JsonStringToMessage(json, &value);
  if (!status.ok()) {
    return Bad(path, absl::StrCat("not valid JSON (", FirstLine(status.message().as_string()), ")"));
  }
  return value;
}

const Value* Field(const Value& object, const char* name) {
  if (object.kind_case() != Value::kStructValue) return nullptr;
  auto it = object.struct_value().fields().find(name);
  return it == object.struct_value().fields().end() ? nullptr : &it->second;
}

absl::StatusOr<std::string> StringField(const Value& object, const char* name,
                                        const std::string& where, bool required) {
  const Value* v = Field(object, name);
  if (v == nullptr || v->kind_case() == Value::kNullValue) {
    if (required) return absl::InvalidArgumentError(absl::StrCat(where, ".", name, " is required"));
    return std::string();
  }
  if (v->kind_case() != Value::kStringValue) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".", name, " must be a string"));
  }
  return v->string_value();
}

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

absl::StatusOr<v1::StreamState> ParseStreamStateValue(const Value& stream_state,
                                                      const v1::StreamDescriptor& descriptor,
                                                      const std::string& where) {
  v1::StreamState state;
  const auto& fields = stream_state.struct_value().fields();
  if (fields.count("state_type") > 0 || fields.count("xmin_txid") > 0 ||
      fields.count("ctid") > 0) {
    // Airbyte's Postgres source: kept for the reader to migrate (version 0).
    v1::AirbytePostgresState* pg = state.mutable_airbyte_postgres();
    auto text = [&](const char* key) -> std::string {
      auto it = fields.find(key);
      if (it == fields.end()) return "";
      if (it->second.kind_case() == Value::kStringValue) return it->second.string_value();
      if (it->second.kind_case() == Value::kNumberValue) {
        std::string out;
        google::protobuf::util::MessageToJsonString(it->second, &out);
        return out;
      }
      return "";
    };
    pg->set_state_type(text("state_type"));
    pg->set_cursor(text("cursor"));
    if (auto it = fields.find("cursor_field");
        it != fields.end() && it->second.kind_case() == Value::kListValue) {
      for (const Value& f : it->second.list_value().values()) {
        if (f.kind_case() == Value::kStringValue) pg->add_cursor_field(f.string_value());
      }
    }
    if (fields.count("ctid") > 0 && pg->state_type().empty()) pg->set_state_type("ctid");
    if (fields.count("xmin_txid") > 0 && pg->state_type().empty()) pg->set_state_type("xmin");
    *state.mutable_stream() = descriptor;
    return state;
  }
  std::string json;
  google::protobuf::util::MessageToJsonString(stream_state, &json);
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(json, &state, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ".stream_state is not a tsdb-source state (",
        FirstLine(status.message().as_string()), ")"));
  }
  if (!state.has_stream()) *state.mutable_stream() = descriptor;
  return state;
}

}  // namespace

absl::StatusOr<std::string> ReadInputFile(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (file == nullptr) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::string data;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file.get())) > 0) {
    data.append(buffer, n);
    if (data.size() > kMaxInputBytes) {
      return Bad(path, absl::StrCat("larger than ", kMaxInputBytes >> 20, " MiB"));
    }
  }
  if (std::ferror(file.get())) return absl::DataLossError(absl::StrCat("cannot read ", path));
  return data;
}

absl::StatusOr<v1::SourceConfig> ParseConfig(const std::string& json, const std::string& path) {
  auto value = ParseJson(json, path);
  if (!value.ok()) return value.status();
  if (value->kind_case() != Value::kStructValue) return Bad(path, "the config must be a JSON object");
  v1::SourceConfig config;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(json, &config, options);
  if (!status.ok()) {
    std::string problem = FirstLine(status.message().as_string());
    // Never echo the password, whatever the parser quoted.
    if (const Value* pw = Field(*value, "password");
        pw != nullptr && pw->kind_case() == Value::kStringValue && !pw->string_value().empty()) {
      size_t at;
      while ((at = problem.find(pw->string_value())) != std::string::npos) {
        problem.replace(at, pw->string_value().size(), "****");
      }
    }
    return Bad(path, problem);
  }
  return config;
}

absl::StatusOr<v1::ConfiguredCatalog> ParseConfiguredCatalog(const std::string& json,
                                                             const std::string& path) {
  auto root = ParseJson(json, path);
  if (!root.ok()) return root.status();
  const Value* streams = Field(*root, "streams");
  if (streams == nullptr || streams->kind_case() != Value::kListValue) {
    return Bad(path, "a configured catalog needs a \"streams\" array");
  }
  v1::ConfiguredCatalog catalog;
  int index = 0;
  for (const Value& item : streams->list_value().values()) {
    std::string where = absl::StrCat("streams[", index++, "]");
    const Value* stream = Field(item, "stream");
    if (stream == nullptr || stream->kind_case() != Value::kStructValue) {
      return Bad(path, absl::StrCat(where, ".stream is required"));
    }
    v1::ConfiguredStream* out = catalog.add_streams();
    auto name = StringField(*stream, "name", where + ".stream", true);
    if (!name.ok()) return Bad(path, name.status().message());
    auto ns = StringField(*stream, "namespace", where + ".stream", false);
    if (!ns.ok()) return Bad(path, ns.status().message());
    out->mutable_stream()->set_name(*name);
    out->mutable_stream()->set_namespace_(*ns);
    auto sync_mode = StringField(item, "sync_mode", where, true);
    if (!sync_mode.ok()) return Bad(path, sync_mode.status().message());
    if (*sync_mode == "full_refresh") {
      out->set_sync_mode(v1::SYNC_MODE_FULL_REFRESH);
    } else if (*sync_mode == "incremental") {
      out->set_sync_mode(v1::SYNC_MODE_INCREMENTAL);
    } else {
      return Bad(path, absl::StrCat(where, ".sync_mode must be full_refresh or incremental, got '",
                                    *sync_mode, "'"));
    }
    auto dest = StringField(item, "destination_sync_mode", where, false);
    if (!dest.ok()) return Bad(path, dest.status().message());
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
      return Bad(path, s.message());
    }
    if (auto s = ColumnPaths(Field(item, "primary_key"), true, where + ".primary_key",
                             out->mutable_primary_key());
        !s.ok()) {
      return Bad(path, s.message());
    }
  }
  return catalog;
}

absl::StatusOr<std::vector<v1::StreamState>> ParseState(const std::string& json,
                                                        const std::string& path) {
  auto root = ParseJson(json, path);
  if (!root.ok()) return root.status();
  std::vector<v1::StreamState> states;
  std::vector<const Value*> messages;
  if (root->kind_case() == Value::kListValue) {
    for (const Value& v : root->list_value().values()) messages.push_back(&v);
  } else if (root->kind_case() == Value::kStructValue) {
    if (Field(*root, "type") != nullptr) {
      messages.push_back(&*root);
    } else if (Field(*root, "streams") != nullptr) {
      // A bare legacy blob, as older platforms pass it.
      messages.push_back(&*root);
    } else if (root->struct_value().fields().empty()) {
      return states;
    } else {
      return Bad(path, "expected an array of state messages");
    }
  } else if (root->kind_case() == Value::kNullValue) {
    return states;
  } else {
    return Bad(path, "expected an array of state messages");
  }
  int index = 0;
  for (const Value* message : messages) {
    std::string where = absl::StrCat("state[", index++, "]");
    auto type = StringField(*message, "type", where, false);
    if (!type.ok()) return Bad(path, type.status().message());
    const Value* legacy = nullptr;
    if (*type == "STREAM") {
      const Value* stream = Field(*message, "stream");
      const Value* descriptor = stream ? Field(*stream, "stream_descriptor") : nullptr;
      if (descriptor == nullptr) return Bad(path, absl::StrCat(where, ".stream.stream_descriptor is required"));
      v1::StreamDescriptor d;
      auto name = StringField(*descriptor, "name", where + ".stream.stream_descriptor", true);
      if (!name.ok()) return Bad(path, name.status().message());
      auto ns = StringField(*descriptor, "namespace", where + ".stream.stream_descriptor", false);
      if (!ns.ok()) return Bad(path, ns.status().message());
      d.set_name(*name);
      d.set_namespace_(*ns);
      const Value* stream_state = Field(*stream, "stream_state");
      if (stream_state == nullptr || stream_state->kind_case() == Value::kNullValue) continue;
      if (stream_state->kind_case() != Value::kStructValue) {
        return Bad(path, absl::StrCat(where, ".stream.stream_state must be an object"));
      }
      auto state = ParseStreamStateValue(*stream_state, d, where + ".stream");
      if (!state.ok()) return Bad(path, state.status().message());
      states.push_back(*std::move(state));
      continue;
    } else if (*type == "LEGACY" || type->empty()) {
      legacy = type->empty() ? message : Field(*message, "data");
    } else if (*type == "GLOBAL") {
      return Bad(path, absl::StrCat(where, ": GLOBAL state is only written by CDC syncs, which "
                                           "this build does not run yet"));
    } else {
      return Bad(path, absl::StrCat(where, ".type must be STREAM, GLOBAL or LEGACY, got '", *type, "'"));
    }
    // LEGACY: {"streams": [{"stream_name", "stream_namespace", ...state fields}]} (the
    // layout of Airbyte's Postgres source) or {"streams": [<tsdb-source StreamState>]}.
    const Value* streams = legacy ? Field(*legacy, "streams") : nullptr;
    if (streams == nullptr || streams->kind_case() != Value::kListValue) {
      return Bad(path, absl::StrCat(where, ": a LEGACY state needs data.streams (an array)"));
    }
    int si = 0;
    for (const Value& entry : streams->list_value().values()) {
      std::string ewhere = absl::StrCat(where, ".data.streams[", si++, "]");
      v1::StreamDescriptor d;
      auto name = StringField(entry, "stream_name", ewhere, false);
      auto ns = StringField(entry, "stream_namespace", ewhere, false);
      if (!name.ok() || !ns.ok()) return Bad(path, absl::StrCat(ewhere, ": stream_name and stream_namespace must be strings"));
      d.set_name(*name);
      d.set_namespace_(*ns);
      auto state = ParseStreamStateValue(entry, d, ewhere);
      if (!state.ok()) return Bad(path, state.status().message());
      if (state->stream().name().empty()) {
        return Bad(path, absl::StrCat(ewhere, " names no stream"));
      }
      states.push_back(*std::move(state));
    }
  }
  return states;
}

}  // namespace tsdb_source::client

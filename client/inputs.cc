#include "client/inputs.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/json/json_syntax.h"
#include "client/state_json.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace tsdb_source::client {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

// What a file is for, to name it in errors: "invalid state file 's.json': ...".
struct InputFile {
  const char* kind;  // "config", "catalog", "state"
  const std::string& path;
};

absl::Status Bad(const InputFile& file, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid ", file.kind, " file '", file.path, "': ", problem));
}

// The first line of a protobuf JSON error (later lines quote the input, which may hold
// secrets).
std::string FirstLine(absl::string_view message) {
  return std::string(message.substr(0, message.find('\n')));
}

// Checks the syntax first (bounded nesting, a position in every message), then parses.
absl::StatusOr<Value> ParseJson(const std::string& json, const InputFile& file) {
  if (absl::Status syntax = CheckJsonSyntax(json); !syntax.ok()) {
    return Bad(file, absl::StrCat("not valid JSON: ", syntax.message()));
  }
  Value value;
  auto status = google::protobuf::util::JsonStringToMessage(json, &value);
  if (!status.ok()) {
    return Bad(file,
               absl::StrCat("not valid JSON (", FirstLine(status.message().as_string()), ")"));
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

// A non-negative whole number given as a JSON number (exact below 2^53) or as digits.
bool WholeNumber(const Value* v, uint64_t* out) {
  if (v == nullptr) return false;
  if (v->kind_case() == Value::kNumberValue) {
    const double d = v->number_value();
    if (!(d >= 0 && d < 9007199254740992.0) || d != static_cast<double>(static_cast<uint64_t>(d))) {
      return false;
    }
    *out = static_cast<uint64_t>(d);
    return true;
  }
  return v->kind_case() == Value::kStringValue && absl::SimpleAtoi(v->string_value(), out);
}

// The text of a scalar state field ("" when absent, null or not a scalar).
std::string ScalarText(const Value* v) {
  if (v == nullptr) return "";
  if (v->kind_case() == Value::kStringValue) return v->string_value();
  if (v->kind_case() == Value::kNumberValue) {
    std::string out;
    google::protobuf::util::MessageToJsonString(*v, &out);
    return out;
  }
  return "";
}

// True for a per-stream state written by Airbyte's Postgres source: its STREAM states
// carry state_type ("cursor_based", "ctid", "xmin"), its legacy DbStreamState entries
// stream_name and a scalar cursor. A tsdb-source StreamState has none of these (its cursor
// is an object).
bool IsAirbytePostgresState(const Value& stream_state) {
  const auto& fields = stream_state.struct_value().fields();
  for (const char* key :
       {"state_type", "xmin_raw_value", "xmin_xid_value", "num_wraparound", "ctid",
        "stream_name", "cursor_record_count"}) {
    if (fields.count(key) > 0) return true;
  }
  auto cursor = fields.find("cursor");
  return cursor != fields.end() && cursor->second.kind_case() != Value::kStructValue;
}

// One stream's state value -> StreamState. `where` locates the value in the file.
absl::StatusOr<v1::StreamState> ParseStreamStateValue(const Value& stream_state,
                                                      const v1::StreamDescriptor& descriptor,
                                                      const std::string& where) {
  // A state of this release: source-postgres's fields beside ours under "tsdb_source"
  // (state_json.h). Ours is exact and typed, so it wins over the text cursor.
  if (const Value* own = Field(stream_state, kTsdbSourceStateKey); own != nullptr) {
    const std::string own_where = absl::StrCat(where, ".", kTsdbSourceStateKey);
    if (own->kind_case() != Value::kStructValue) {
      return absl::InvalidArgumentError(absl::StrCat(own_where, " must be an object"));
    }
    if (Field(*own, kTsdbSourceStateKey) != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(own_where, " is nested in itself"));
    }
    return ParseStreamStateValue(*own, descriptor, own_where);
  }
  v1::StreamState state;
  if (IsAirbytePostgresState(stream_state)) {
    // Kept for the reader to migrate (version 0): cursor_based continues, the others restart.
    v1::AirbytePostgresState* pg = state.mutable_airbyte_postgres();
    pg->set_state_type(ScalarText(Field(stream_state, "state_type")));
    if (pg->state_type().empty()) {
      if (Field(stream_state, "ctid") != nullptr) {
        pg->set_state_type("ctid");
      } else if (Field(stream_state, "xmin_raw_value") != nullptr ||
                 Field(stream_state, "xmin_xid_value") != nullptr) {
        pg->set_state_type("xmin");
      } else {
        pg->set_state_type("cursor_based");  // the legacy DbStreamState layout
      }
    }
    pg->set_cursor(ScalarText(Field(stream_state, "cursor")));
    if (pg->state_type() == "xmin") {
      // XminStatus: xmin_raw_value is the full ID; older states may only have its parts.
      uint64_t raw = 0, epoch = 0, xid = 0;
      if (WholeNumber(Field(stream_state, "xmin_raw_value"), &raw) && raw > 0) {
        pg->set_xmin_raw_value(raw);
      } else if (WholeNumber(Field(stream_state, "xmin_xid_value"), &xid) && xid <= 0xffffffffu) {
        (void)WholeNumber(Field(stream_state, "num_wraparound"), &epoch);
        if (epoch < (uint64_t{1} << 31)) pg->set_xmin_raw_value(epoch << 32 | xid);
      }
    }
    if (const Value* f = Field(stream_state, "cursor_field");
        f != nullptr && f->kind_case() == Value::kListValue) {
      for (const Value& name : f->list_value().values()) {
        if (name.kind_case() == Value::kStringValue) pg->add_cursor_field(name.string_value());
      }
    }
    *state.mutable_stream() = descriptor;
    return state;
  }
  if (Field(stream_state, "version") == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, " is neither a tsdb-source state (it has no version) nor a state of "
               "Airbyte's Postgres source"));
  }
  std::string json;
  google::protobuf::util::MessageToJsonString(stream_state, &json);
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(json, &state, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, " is not a valid tsdb-source state (", FirstLine(status.message().as_string()),
        ")"));
  }
  if (!state.has_stream()) {
    *state.mutable_stream() = descriptor;
  } else if (!descriptor.name().empty() &&
             (state.stream().name() != descriptor.name() ||
              (!descriptor.namespace_().empty() &&
               state.stream().namespace_() != descriptor.namespace_()))) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, " is the state of stream ", state.stream().namespace_(), ".",
        state.stream().name(), ", not of ", descriptor.namespace_(),
        descriptor.namespace_().empty() ? "" : ".", descriptor.name()));
  }
  return state;
}

const char* JsonTypeName(const Value& v) {
  switch (v.kind_case()) {
    case Value::kNullValue: return "null";
    case Value::kNumberValue: return "a number";
    case Value::kStringValue: return "a string";
    case Value::kBoolValue: return "a boolean";
    case Value::kStructValue: return "an object";
    case Value::kListValue: return "an array";
    default: return "nothing";
  }
}

// Checks one non-repeated value of `field`; "" when it fits, else what it must be.
std::string ScalarTypeProblem(const google::protobuf::FieldDescriptor& field, const Value& v) {
  using google::protobuf::FieldDescriptor;
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
    case FieldDescriptor::CPPTYPE_ENUM:
      return v.kind_case() == Value::kStringValue ? "" : "a string";
    case FieldDescriptor::CPPTYPE_BOOL:
      return v.kind_case() == Value::kBoolValue ? "" : "a boolean";
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return v.kind_case() == Value::kStructValue ? "" : "an object";
    case FieldDescriptor::CPPTYPE_INT32:
      if (v.kind_case() == Value::kNumberValue &&
          (v.number_value() < -2147483648.0 || v.number_value() > 2147483647.0)) {
        return "an integer from -2147483648 to 2147483647";
      }
      [[fallthrough]];
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
      return v.kind_case() == Value::kNumberValue &&
                     v.number_value() == static_cast<double>(static_cast<int64_t>(v.number_value()))
                 ? ""
                 : "an integer";
    default:
      return "";
  }
}

// Rejects the values protobuf's JSON parser would convert silently ("5432" for an integer,
// "public" for a list of strings), as Airbyte's own connectors reject a config that does
// not validate against their spec. Null means absent; unknown keys are ignored.
absl::Status CheckConfigTypes(const Value& object, const google::protobuf::Descriptor& type,
                              const std::string& prefix) {
  for (const auto& [key, value] : object.struct_value().fields()) {
    const google::protobuf::FieldDescriptor* field = type.FindFieldByName(key);
    for (int i = 0; field == nullptr && i < type.field_count(); ++i) {
      if (type.field(i)->json_name() == key) field = type.field(i);
    }
    if (field == nullptr || value.kind_case() == Value::kNullValue) continue;
    const std::string name = prefix + key;
    if (field->is_repeated()) {
      if (value.kind_case() != Value::kListValue) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, " must be an array, got ", JsonTypeName(value)));
      }
      int index = 0;
      for (const Value& item : value.list_value().values()) {
        if (std::string want = ScalarTypeProblem(*field, item); !want.empty()) {
          return absl::InvalidArgumentError(absl::StrCat(name, "[", index, "] must be ", want,
                                                         ", got ", JsonTypeName(item)));
        }
        ++index;
      }
      continue;
    }
    if (std::string want = ScalarTypeProblem(*field, value); !want.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " must be ", want, ", got ", JsonTypeName(value)));
    }
    if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      absl::Status nested = CheckConfigTypes(value, *field->message_type(), name + ".");
      if (!nested.ok()) return nested;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ReadInputFile(const std::string& path, absl::string_view kind) {
  const std::string what =
      kind.empty() ? absl::StrCat("'", path, "'") : absl::StrCat(kind, " file '", path, "'");
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (file == nullptr) {
    return absl::NotFoundError(absl::StrCat("cannot open the ", what, ": ", std::strerror(errno)));
  }
  std::string data;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file.get())) > 0) {
    data.append(buffer, n);
    if (data.size() > kMaxInputBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("the ", what, " is larger than ", kMaxInputBytes >> 20, " MiB"));
    }
  }
  if (std::ferror(file.get())) {
    return absl::DataLossError(absl::StrCat("cannot read the ", what, ": ", std::strerror(errno)));
  }
  return data;
}

absl::StatusOr<v1::SourceConfig> ParseConfig(const std::string& json, const std::string& path) {
  const InputFile file{"config", path};
  auto value = ParseJson(json, file);
  if (!value.ok()) return value.status();
  if (value->kind_case() != Value::kStructValue) {
    return Bad(file, "the config must be a JSON object");
  }
  if (absl::Status types = CheckConfigTypes(*value, *v1::SourceConfig::descriptor(), "");
      !types.ok()) {
    return Bad(file, types.message());
  }
  v1::SourceConfig config;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(json, &config, options);
  if (!status.ok()) {
    std::string problem = FirstLine(status.message().as_string());
    // Never echo a secret (the password, the SSH tunnel's key or password), whatever the
    // parser quoted.
    const Value* tunnel = Field(*value, "tunnel_method");
    for (const Value* secret :
         {Field(*value, "password"),
          tunnel != nullptr ? Field(*tunnel, "ssh_key") : nullptr,
          tunnel != nullptr ? Field(*tunnel, "tunnel_user_password") : nullptr}) {
      if (secret == nullptr || secret->kind_case() != Value::kStringValue ||
          secret->string_value().empty()) {
        continue;
      }
      size_t at;
      while ((at = problem.find(secret->string_value())) != std::string::npos) {
        problem.replace(at, secret->string_value().size(), "****");
      }
    }
    return Bad(file, problem);
  }
  // "schemas": [] asks for every readable schema, as in Airbyte's Postgres source; protobuf
  // reads it as no schemas, which means ["public"].
  if (const Value* schemas = Field(*value, "schemas");
      schemas != nullptr && schemas->kind_case() == Value::kListValue &&
      schemas->list_value().values_size() == 0) {
    config.set_all_schemas(true);
  }
  return config;
}

absl::StatusOr<v1::ConfiguredCatalog> ParseConfiguredCatalog(const std::string& json,
                                                             const std::string& path) {
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

absl::StatusOr<ParsedState> ParseState(const std::string& json, const std::string& path) {
  const InputFile file{"state", path};
  auto root = ParseJson(json, file);
  if (!root.ok()) return root.status();
  ParsedState parsed;
  std::vector<v1::StreamState>& states = parsed.streams;
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
      return parsed;
    } else {
      return Bad(file, "expected an array of state messages");
    }
  } else if (root->kind_case() == Value::kNullValue) {
    return parsed;
  } else {
    return Bad(file, "expected an array of state messages");
  }
  int index = 0;
  for (const Value* message : messages) {
    std::string where = absl::StrCat("state[", index++, "]");
    if (message->kind_case() != Value::kStructValue) {
      return Bad(file, absl::StrCat(where, " must be an object (an AirbyteStateMessage)"));
    }
    auto type = StringField(*message, "type", where, false);
    if (!type.ok()) return Bad(file, type.status().message());
    const Value* legacy = nullptr;
    if (*type == "STREAM") {
      const Value* stream = Field(*message, "stream");
      const Value* descriptor = stream ? Field(*stream, "stream_descriptor") : nullptr;
      if (descriptor == nullptr || descriptor->kind_case() != Value::kStructValue) {
        return Bad(file, absl::StrCat(where, ".stream.stream_descriptor is required"));
      }
      v1::StreamDescriptor d;
      auto name = StringField(*descriptor, "name", where + ".stream.stream_descriptor", true);
      if (!name.ok()) return Bad(file, name.status().message());
      auto ns = StringField(*descriptor, "namespace", where + ".stream.stream_descriptor", false);
      if (!ns.ok()) return Bad(file, ns.status().message());
      d.set_name(*name);
      d.set_namespace_(*ns);
      const Value* stream_state = Field(*stream, "stream_state");
      if (stream_state == nullptr || stream_state->kind_case() == Value::kNullValue) continue;
      if (stream_state->kind_case() != Value::kStructValue) {
        return Bad(file, absl::StrCat(where, ".stream.stream_state must be an object"));
      }
      auto state = ParseStreamStateValue(*stream_state, d, where + ".stream.stream_state");
      if (!state.ok()) return Bad(file, state.status().message());
      states.push_back(*std::move(state));
      continue;
    } else if (*type == "LEGACY" || type->empty()) {
      // A message without a type is LEGACY (the protocol's rule); a bare blob (no "data")
      // is how the oldest platforms passed it.
      legacy = Field(*message, "data");
      if (legacy == nullptr && type->empty()) legacy = message;
    } else if (*type == "GLOBAL") {
      where += " (GLOBAL)";
      if (parsed.global.has_value()) return Bad(file, absl::StrCat(where, ": a second GLOBAL state"));
      const Value* global = Field(*message, "global");
      if (global == nullptr || global->kind_case() != Value::kStructValue) {
        return Bad(file, absl::StrCat(where, ".global is required (an AirbyteGlobalState)"));
      }
      v1::GlobalState out;
      if (const Value* shared = Field(*global, "shared_state");
          shared != nullptr && shared->kind_case() == Value::kStructValue) {
        std::string shared_json;
        google::protobuf::util::MessageToJsonString(*shared, &shared_json);
        google::protobuf::util::JsonParseOptions options;
        options.ignore_unknown_fields = true;
        auto status = google::protobuf::util::JsonStringToMessage(shared_json, &out, options);
        if (!status.ok()) {
          return Bad(file, absl::StrCat(where, ".global.shared_state is not a tsdb-source CDC state (",
                                        FirstLine(status.message().as_string()), ")"));
        }
        out.clear_streams();
      } else {
        return Bad(file, absl::StrCat(where, ".global.shared_state is required"));
      }
      const Value* stream_states = Field(*global, "stream_states");
      if (stream_states == nullptr || stream_states->kind_case() != Value::kListValue) {
        return Bad(file, absl::StrCat(where, ".global.stream_states must be an array"));
      }
      int si = 0;
      for (const Value& entry : stream_states->list_value().values()) {
        std::string ewhere = absl::StrCat(where, ".global.stream_states[", si++, "]");
        const Value* descriptor = Field(entry, "stream_descriptor");
        if (descriptor == nullptr || descriptor->kind_case() != Value::kStructValue) {
          return Bad(file, absl::StrCat(ewhere, ".stream_descriptor is required"));
        }
        v1::StreamDescriptor d;
        auto name = StringField(*descriptor, "name", ewhere + ".stream_descriptor", true);
        if (!name.ok()) return Bad(file, name.status().message());
        auto ns = StringField(*descriptor, "namespace", ewhere + ".stream_descriptor", false);
        if (!ns.ok()) return Bad(file, ns.status().message());
        d.set_name(*name);
        d.set_namespace_(*ns);
        const Value* stream_state = Field(entry, "stream_state");
        if (stream_state == nullptr || stream_state->kind_case() != Value::kStructValue) continue;
        auto state = ParseStreamStateValue(*stream_state, d, ewhere + ".stream_state");
        if (!state.ok()) return Bad(file, state.status().message());
        *out.add_streams() = *std::move(state);
      }
      parsed.global = std::move(out);
      continue;
    } else {
      return Bad(file, absl::StrCat(where, ".type must be STREAM, GLOBAL or LEGACY, got '",
                                    *type, "'"));
    }
    // LEGACY: {"cdc": false, "streams": [{"stream_name", "stream_namespace", ...}]} (the
    // DbState of Airbyte's Postgres source) or {"streams": [<tsdb-source StreamState>]}.
    if (const Value* cdc = legacy ? Field(*legacy, "cdc") : nullptr;
        cdc != nullptr && cdc->kind_case() == Value::kBoolValue && cdc->bool_value()) {
      return Bad(file, absl::StrCat(where, ": a LEGACY CDC state (cdc: true) of Airbyte's Postgres "
                                           "source cannot be continued (its position is Debezium's); "
                                           "start the CDC streams without a state"));
    }
    const Value* streams = legacy ? Field(*legacy, "streams") : nullptr;
    if (streams == nullptr || streams->kind_case() != Value::kListValue) {
      return Bad(file, absl::StrCat(where, ": a LEGACY state needs data.streams (an array)"));
    }
    int si = 0;
    for (const Value& entry : streams->list_value().values()) {
      std::string ewhere = absl::StrCat(where, ".data.streams[", si++, "]");
      v1::StreamDescriptor d;
      auto name = StringField(entry, "stream_name", ewhere, false);
      auto ns = StringField(entry, "stream_namespace", ewhere, false);
      if (entry.kind_case() != Value::kStructValue) {
        return Bad(file, absl::StrCat(ewhere, " must be an object"));
      }
      if (!name.ok() || !ns.ok()) {
        return Bad(file,
                   absl::StrCat(ewhere, ": stream_name and stream_namespace must be strings"));
      }
      d.set_name(*name);
      d.set_namespace_(*ns);
      auto state = ParseStreamStateValue(entry, d, ewhere);
      if (!state.ok()) return Bad(file, state.status().message());
      if (state->stream().name().empty()) {
        return Bad(file, absl::StrCat(ewhere, " names no stream"));
      }
      states.push_back(*std::move(state));
    }
  }
  return parsed;
}

}  // namespace tsdb_source::client

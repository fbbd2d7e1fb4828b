#include "client/state_input.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/input_json.h"
#include "client/state_json.h"
#include "service/airbyte/postgres_state.h"
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

// One stream's state value -> StreamState, or none (an Airbyte Postgres state that cannot
// be continued: `warnings` says so). `where` locates the value in the file.
absl::StatusOr<std::optional<v1::StreamState>> ParseStreamStateValue(
    const Value& stream_state, const v1::StreamDescriptor& descriptor, const std::string& where,
    std::vector<std::string>* warnings) {
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
    return ParseStreamStateValue(*own, descriptor, own_where, warnings);
  }
  v1::StreamState state;
  if (IsAirbytePostgresState(stream_state)) {
    // Taken over as a state of ours where it can be (service/airbyte/postgres_state.h).
    airbyte::PostgresStreamState pg;
    pg.state_type = ScalarText(Field(stream_state, "state_type"));
    if (pg.state_type.empty()) {
      if (Field(stream_state, "ctid") != nullptr) {
        pg.state_type = "ctid";
      } else if (Field(stream_state, "xmin_raw_value") != nullptr ||
                 Field(stream_state, "xmin_xid_value") != nullptr) {
        pg.state_type = "xmin";
      } else {
        pg.state_type = "cursor_based";  // the legacy DbStreamState layout
      }
    }
    pg.cursor = ScalarText(Field(stream_state, "cursor"));
    if (pg.state_type == "xmin") {
      // XminStatus: xmin_raw_value is the full ID; older states may only have its parts.
      uint64_t raw = 0, epoch = 0, xid = 0;
      if (WholeNumber(Field(stream_state, "xmin_raw_value"), &raw) && raw > 0) {
        pg.xmin_raw_value = raw;
      } else if (WholeNumber(Field(stream_state, "xmin_xid_value"), &xid) && xid <= 0xffffffffu) {
        (void)WholeNumber(Field(stream_state, "num_wraparound"), &epoch);
        if (epoch < (uint64_t{1} << 31)) pg.xmin_raw_value = epoch << 32 | xid;
      }
    }
    if (const Value* f = Field(stream_state, "cursor_field");
        f != nullptr && f->kind_case() == Value::kListValue) {
      for (const Value& name : f->list_value().values()) {
        if (name.kind_case() == Value::kStringValue) pg.cursor_field.push_back(name.string_value());
      }
    }
    airbyte::MigratedState migrated = airbyte::MigratePostgresState(pg, descriptor);
    warnings->push_back(std::move(migrated.warning));
    return std::move(migrated.state);
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

}  // namespace

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
      auto state = ParseStreamStateValue(*stream_state, d, where + ".stream.stream_state",
                                         &parsed.warnings);
      if (!state.ok()) return Bad(file, state.status().message());
      if (state->has_value()) states.push_back(**std::move(state));
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
        auto state = ParseStreamStateValue(*stream_state, d, ewhere + ".stream_state",
                                           &parsed.warnings);
        if (!state.ok()) return Bad(file, state.status().message());
        if (state->has_value()) *out.add_streams() = **std::move(state);
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
      auto state = ParseStreamStateValue(entry, d, ewhere, &parsed.warnings);
      if (!state.ok()) return Bad(file, state.status().message());
      if (!state->has_value()) continue;
      if ((*state)->stream().name().empty()) {
        return Bad(file, absl::StrCat(ewhere, " names no stream"));
      }
      states.push_back(**std::move(state));
    }
  }
  return parsed;
}

}  // namespace tsdb_source::client

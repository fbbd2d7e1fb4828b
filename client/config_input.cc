#include "client/config_input.h"

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

}  // namespace tsdb_source::client

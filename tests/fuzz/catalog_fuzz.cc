// Fuzz target: the configured catalog (ParseConfiguredCatalog), one of the shim's parsers
// of the files Airbyte hands the connector; the input is the file's bytes. Checked: no
// crash, no memory error or undefined behaviour, no hang (libFuzzer's -timeout), and a
// failure is InvalidArgument naming the file.
#include <cstddef>
#include <cstdint>
#include <string>

#include "client/inputs.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string json(reinterpret_cast<const char*>(data), size);
  const auto parsed = tsdb_source::client::ParseConfiguredCatalog(json, "fuzz.json");
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument &&
                   parsed.status().message().find("'fuzz.json'") != absl::string_view::npos,
               "unexpected error: %s", parsed.status().ToString().c_str());
  }
  return 0;
}

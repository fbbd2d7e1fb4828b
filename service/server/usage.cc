#include "service/server/usage.h"

#include <algorithm>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tsdb_source {
namespace {

constexpr size_t kWidth = 80;
constexpr absl::string_view kHelpIndent = "      ";

// Appends `text` wrapped at kWidth, each line indented by kHelpIndent.
void AppendWrapped(absl::string_view text, std::string* out) {
  size_t column = 0;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (column > 0 && column + 1 + word.size() > kWidth) {
      out->push_back('\n');
      column = 0;
    }
    if (column == 0) {
      absl::StrAppend(out, kHelpIndent, word);
      column = kHelpIndent.size() + word.size();
    } else {
      absl::StrAppend(out, " ", word);
      column += 1 + word.size();
    }
  }
  out->push_back('\n');
}

}  // namespace

bool WantsUsage(int argc, const char* const argv[]) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-help" || arg == "-h") return true;
  }
  return false;
}

std::string FlagsUsage(absl::string_view flags_file) {
  std::vector<const absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (flag->Filename() == flags_file && !flag->IsRetired()) flags.push_back(flag);
  }
  std::sort(flags.begin(), flags.end(),
            [](const auto* a, const auto* b) { return a->Name() < b->Name(); });
  std::string out;
  for (const absl::CommandLineFlag* flag : flags) {
    std::string value = flag->DefaultValue();
    absl::StrAppend(&out, "  --", flag->Name(), " (default: ", value.empty() ? "none" : value,
                    ")\n");
    AppendWrapped(flag->Help(), &out);
  }
  return out;
}

}  // namespace tsdb_source

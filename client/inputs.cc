#include "client/inputs.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"

namespace tsdb_source::client {

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

}  // namespace tsdb_source::client

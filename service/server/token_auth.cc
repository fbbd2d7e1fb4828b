#include "service/server/token_auth.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tsdb_source {

bool ConstantTimeEquals(absl::string_view presented, absl::string_view expected) {
  if (expected.empty()) return false;
  // Length difference and every byte difference are OR-ed together; the loop always runs
  // over the whole presented value.
  volatile unsigned char diff = presented.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < presented.size(); ++i) {
    diff = diff | static_cast<unsigned char>(presented[i] ^ expected[i % expected.size()]);
  }
  return diff == 0;
}

absl::StatusOr<TokenAuth> TokenAuth::FromText(absl::string_view text, absl::string_view origin) {
  std::vector<std::string> tokens;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    if (line.size() < kMinTokenLength) {
      return absl::InvalidArgumentError(absl::StrCat("token file ", origin, ", line ", line_number,
                                                     ": a token needs at least ", kMinTokenLength,
                                                     " characters"));
    }
    for (char c : line) {
      if (!absl::ascii_isgraph(static_cast<unsigned char>(c))) {
        return absl::InvalidArgumentError(
            absl::StrCat("token file ", origin, ", line ", line_number,
                         ": a token may only hold printable ASCII characters without spaces"));
      }
    }
    tokens.emplace_back(line);
  }
  if (tokens.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("token file ", origin, " holds no token"));
  }
  return TokenAuth(std::move(tokens));
}

absl::StatusOr<TokenAuth> TokenAuth::FromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read token file ", path));
  std::stringstream contents;
  contents << in.rdbuf();
  return FromText(contents.str(), path);
}

bool TokenAuth::AllowsHeader(absl::string_view authorization) const {
  constexpr absl::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      !absl::StartsWithIgnoreCase(authorization, kScheme)) {
    return false;
  }
  absl::string_view presented = absl::StripAsciiWhitespace(authorization.substr(kScheme.size()));
  bool allowed = false;
  for (const std::string& token : tokens_) {
    allowed = ConstantTimeEquals(presented, token) || allowed;  // no short-circuit past a match
  }
  return allowed;
}

bool TokenAuth::Allows(const grpc::ServerContext& context) const {
  const auto& metadata = context.client_metadata();
  auto range = metadata.equal_range("authorization");
  if (range.first == range.second) return false;
  if (std::next(range.first) != range.second) return false;  // two headers: ambiguous
  const grpc::string_ref& value = range.first->second;
  return AllowsHeader(absl::string_view(value.data(), value.size()));
}

}  // namespace tsdb_source

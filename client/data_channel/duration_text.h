// A duration as the data channel's messages say it, in seconds: "600" for whole seconds,
// "0.25" for a fraction (the tests use short timeouts). Pure.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace tsdb_source::client {

inline std::string SecondsText(absl::Duration duration) {
  if (duration % absl::Seconds(1) == absl::ZeroDuration()) {
    return absl::StrCat(absl::ToInt64Seconds(duration));
  }
  std::string text = absl::StrFormat("%.3f", absl::ToDoubleSeconds(duration));
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

}  // namespace tsdb_source::client

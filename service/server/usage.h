// The text of `tsdb-source-server --help`: the flags part is read from absl's flag registry
// (every flag defined in one file, with its default and help), so the text cannot fall
// behind the flags. main asks WantsUsage before absl parses the command line: absl's own
// --help would print "No flags matched" for this binary and exit 1, and -h is no absl flag.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace tsdb_source {

// True when an argument is exactly --help, -help or -h (absl's --helpfull and
// --help=substring stay absl's).
bool WantsUsage(int argc, const char* const argv[]);

// Every flag defined in `flags_file` (absl's CommandLineFlag::Filename(), i.e. the __FILE__
// of the ABSL_FLAG), sorted by name, each as
//   "  --name (default: value)\n" and its help wrapped at 80 columns, indented by 6.
// An empty default reads "(default: none)".
std::string FlagsUsage(absl::string_view flags_file);

}  // namespace tsdb_source

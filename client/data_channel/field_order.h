// The order of a record's fields on Airbyte's PROTOBUF socket channel: the schema's field
// names sorted as Kotlin sorts Strings, by UTF-16 code units (the Bulk CDK's
// `sortedBy { it.id }` on the source, alphabetical by field name on the destination;
// docs/design/speed-mode.md 1.2). It differs from UTF-8 byte order (code point order) only
// where a name holds a character outside the Basic Multilingual Plane (U+10000 and up,
// two surrogates D800-DFFF in UTF-16) at the same place as one in U+E000-U+FFFF: UTF-16
// puts the first before, UTF-8 after.
// Names are UTF-8; an ill-formed sequence counts as U+FFFD (as AppendUtf8Replacing, and a
// JSON reader of the catalog, see it).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tsdb_source::client {

// The UTF-16 code units of `utf8`.
std::u16string Utf16Of(std::string_view utf8);

// True when `a` sorts before `b` by UTF-16 code units.
bool Utf16Less(std::string_view a, std::string_view b);

// The indices of `names` in that order; equal names keep their order.
std::vector<int> OrderByUtf16(const std::vector<std::string>& names);

}  // namespace tsdb_source::client

// Classifies a gRPC listen address: only loopback addresses may serve without TLS unless
// the operator says --insecure.
#pragma once

#include "absl/strings/string_view.h"

namespace tsdb_source {

// True for addresses only this machine can reach: 127.0.0.0/8, ::1, "localhost" (with a
// port, optionally "ipv4:"/"ipv6:" prefixed, IPv6 in brackets) and Unix sockets
// ("unix:", "unix-abstract:"). False for wildcard addresses (0.0.0.0, [::], ":port"), any
// other IP and any other host name.
bool IsLoopbackListenAddress(absl::string_view address);

}  // namespace tsdb_source

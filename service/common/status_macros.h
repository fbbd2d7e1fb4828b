// Early-return helpers for absl::Status / absl::StatusOr (abseil 20220623 ships none).
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define TSDB_CONCAT_INNER(a, b) a##b
#define TSDB_CONCAT(a, b) TSDB_CONCAT_INNER(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define RETURN_IF_ERROR(expr)                \
  do {                                       \
    ::absl::Status _tsdb_status = (expr);    \
    if (!_tsdb_status.ok()) return _tsdb_status; \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, StatusOrExpr())`: assigns the value or returns the error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(TSDB_CONCAT(_tsdb_statusor_, __LINE__), lhs, expr)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

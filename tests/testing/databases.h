// Test access to the real servers started by tools/dev-db (PostgreSQL 15 and the
// TimescaleDB dev server). A missing server is a test failure, never a skip:
// tools/test starts both and exports their TSDB_* variables.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "service/pg/connection.h"
#include "tsdb_source/v1/config.pb.h"

namespace tsdb_source::testing {

enum class Server { kPostgres, kTimescale };

// Config for the server (password included; sslmode disable).
v1::SourceConfig ConfigFor(Server server);

// libpq options for the server (password included; sslmode disable).
pg::ConnectOptions ConnectOptionsFor(Server server);

// An admin connection to create test data; the test fails (ADD_FAILURE + abort) without one.
pg::Connection Connect(Server server);

// Runs SQL on `conn`; fails the test on error (the message names the statement).
void Exec(pg::Connection& conn, const std::string& sql);

// The first column of `query`'s rows as integers (the keys a "no row lost" test compares
// the keys read with); fails the test when the query fails.
std::set<int64_t> KeysIn(Server server, const std::string& query);

// A name unique within this test run, for tables and schemas the test creates.
std::string UniqueName(const std::string& prefix);

}  // namespace tsdb_source::testing

// Test access to the real servers started by tools/dev-db (PostgreSQL 15 and the
// TimescaleDB dev server). A missing server is a test failure, never a skip:
// tools/test starts both and exports their TSDB_* variables.
#pragma once

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

// A name unique within this test run, for tables and schemas the test creates.
std::string UniqueName(const std::string& prefix);

}  // namespace tsdb_source::testing

#include "service/airbyte/spec.h"

#include <string>

namespace tsdb_source::airbyte {

namespace {

// Drops the whitespace outside strings, so the spec fits on one Airbyte line.
std::string Minify(absl::string_view json) {
  std::string out;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < json.size()) {
        out.push_back(json[++i]);
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
      out.push_back(c);
    } else if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
      out.push_back(c);
    }
  }
  return out;
}

constexpr absl::string_view kSpec = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "TimescaleDB Source Spec",
  "type": "object",
  "required": ["host", "port", "database", "username"],
  "additionalProperties": true,
  "properties": {
    "host": {"title": "Host", "description": "Hostname of the database.", "type": "string", "order": 0},
    "port": {"title": "Port", "description": "Port of the database.", "type": "integer", "minimum": 1, "maximum": 65535, "default": 5432, "examples": ["5432"], "order": 1},
    "database": {"title": "Database Name", "description": "Name of the database.", "type": "string", "order": 2},
    "schemas": {"title": "Schemas", "description": "The list of schemas to sync from (case sensitive); an empty list syncs every schema the user can read except PostgreSQL's and TimescaleDB's own. TimescaleDB's internal schemas are never synced.", "type": "array", "items": {"type": "string"}, "minItems": 0, "uniqueItems": true, "default": ["public"], "order": 3},
    "username": {"title": "Username", "description": "Username to access the database.", "type": "string", "order": 4},
    "password": {"title": "Password", "description": "Password associated with the username.", "type": "string", "airbyte_secret": true, "order": 5},
    "jdbc_url_params": {"title": "JDBC URL Parameters (Advanced)", "description": "Additional connection parameters as key=value pairs joined by '&' (e.g. ApplicationName=etl&connectTimeout=30), values URL-encoded, as Airbyte's Postgres source takes them. libpq's parameters (application_name, options, connect_timeout, target_session_attrs, keepalives_idle, sslmode, sslrootcert, ...) and the pgjdbc ones with a libpq equivalent (ApplicationName, connectTimeout, loginTimeout, tcpKeepAlive, targetServerType, ssl, ...) are applied; any other fails the config, naming it. This field is not masked: give a key's password as ssl_mode's client key password, not as sslpassword here.", "type": "string", "pattern_descriptor": "key1=value1&key2=value2", "order": 14},
    "checkpoint_target_interval_seconds": {"title": "Checkpoint interval (seconds)", "description": "Seconds between checkpoints inside a table read in primary-key order and in change data capture (chunks also checkpoint at their end).", "type": "integer", "minimum": 1, "default": 60, "order": 15},
    "ssl_mode": {
      "title": "SSL Modes",
      "description": "TLS mode of the connection to the database.",
      "type": "object",
      "order": 6,
      "oneOf": [
        {"title": "disable", "additionalProperties": true, "description": "Disables encryption of communication.", "required": ["mode"], "properties": {"mode": {"type": "string", "const": "disable", "order": 0}}},
        {"title": "allow", "additionalProperties": true, "description": "Enables encryption only when required by the server.", "required": ["mode"], "properties": {"mode": {"type": "string", "const": "allow", "order": 0}}},
        {"title": "prefer", "additionalProperties": true, "description": "Encrypts when the server supports it.", "required": ["mode"], "properties": {"mode": {"type": "string", "const": "prefer", "order": 0}}},
        {"title": "require", "additionalProperties": true, "description": "Always encrypts; fails when the server does not support TLS.", "required": ["mode"], "properties": {"mode": {"type": "string", "const": "require", "order": 0}}},
        {"title": "verify-ca", "additionalProperties": true, "description": "Always encrypts and verifies that the server's certificate is signed by the CA.", "required": ["mode", "ca_certificate"], "properties": {
          "mode": {"type": "string", "const": "verify-ca", "order": 0},
          "ca_certificate": {"type": "string", "title": "CA Certificate", "description": "PEM CA certificate.", "airbyte_secret": true, "multiline": true, "order": 1},
          "client_certificate": {"type": "string", "title": "Client Certificate", "description": "PEM client certificate.", "airbyte_secret": true, "multiline": true, "order": 2},
          "client_key": {"type": "string", "title": "Client Key", "description": "PEM client key.", "airbyte_secret": true, "multiline": true, "order": 3},
          "client_key_password": {"type": "string", "title": "Client key password", "description": "Password of an encrypted client key.", "airbyte_secret": true, "order": 4}}},
        {"title": "verify-full", "additionalProperties": true, "description": "Always encrypts, verifies the CA and that the server's host name matches its certificate.", "required": ["mode", "ca_certificate"], "properties": {
          "mode": {"type": "string", "const": "verify-full", "order": 0},
          "ca_certificate": {"type": "string", "title": "CA Certificate", "description": "PEM CA certificate.", "airbyte_secret": true, "multiline": true, "order": 1},
          "client_certificate": {"type": "string", "title": "Client Certificate", "description": "PEM client certificate.", "airbyte_secret": true, "multiline": true, "order": 2},
          "client_key": {"type": "string", "title": "Client Key", "description": "PEM client key.", "airbyte_secret": true, "multiline": true, "order": 3},
          "client_key_password": {"type": "string", "title": "Client key password", "description": "Password of an encrypted client key.", "airbyte_secret": true, "order": 4}}}
      ]
    },
    "replication_method": {
      "title": "Update Method",
      "description": "How changes are detected: cursor-based incremental (Standard), logical replication (CDC), or the xmin system column (Xmin: inserted and updated rows wherever they land, without a cursor; deletes are not seen).",
      "type": "object",
      "order": 7,
      "oneOf": [
        {"title": "Scan Changes with User Defined Cursor", "additionalProperties": true, "required": ["method"], "properties": {"method": {"type": "string", "const": "Standard", "order": 0}}},
        {"title": "Detect Changes with Xmin System Column", "description": "Each sync emits every row inserted or updated since the previous one, wherever it lands in time; chunks without a write since are not read. Deletes are not seen: use CDC for them.", "additionalProperties": true, "required": ["method"], "properties": {"method": {"type": "string", "const": "Xmin", "order": 0}}},
        {"title": "Read Changes using Write-Ahead Log (CDC)", "additionalProperties": true, "required": ["method", "replication_slot", "publication"], "properties": {
          "method": {"type": "string", "const": "CDC", "order": 0},
          "replication_slot": {"type": "string", "title": "Replication Slot", "description": "A logical replication slot using the pgoutput plugin.", "order": 1},
          "publication": {"type": "string", "title": "Publication", "description": "A publication covering the synced tables and the schema _timescaledb_internal.", "order": 2},
          "initial_waiting_seconds": {"type": "integer", "title": "Initial Waiting Time in Seconds", "description": "Seconds to wait for the first change before a read ends.", "minimum": 1, "maximum": 3600, "default": 300, "order": 3},
          "invalid_cdc_cursor_position_behavior": {"type": "string", "title": "Invalid CDC position behavior", "description": "What to do when the slot is behind the saved position.", "enum": ["Fail sync", "Re-sync data"], "default": "Fail sync", "order": 4}}}
      ]
    },
    "timescaledb_support": {"title": "TimescaleDB support", "description": "Read hypertables chunk by chunk with their TimescaleDB metadata. Databases without the extension are read as plain PostgreSQL either way.", "type": "boolean", "default": true, "order": 8},
    "timescaledb_chunk_discovery_interval_minutes": {"title": "Chunk discovery interval (minutes)", "description": "How long a discovered chunk list stays fresh.", "type": "integer", "minimum": 1, "maximum": 60, "default": 5, "order": 9},
    "timescaledb_max_concurrent_chunks": {"title": "Concurrent chunks", "description": "Chunks read at the same time per stream.", "type": "integer", "minimum": 1, "maximum": 10, "default": 1, "order": 10},
    "timescaledb_enable_chunk_caching": {"title": "Chunk caching", "description": "Cache chunk lists between discoveries.", "type": "boolean", "default": true, "order": 11},
    "connect_timeout_seconds": {"title": "Connect timeout (seconds)", "description": "Seconds a connection attempt may take.", "type": "integer", "minimum": 1, "maximum": 300, "default": 10, "order": 12},
    "tunnel_method": {
      "type": "object",
      "title": "SSH Tunnel Method",
      "description": "Whether to initiate an SSH tunnel before connecting to the database, and if so, which kind of authentication to use. Every connection then goes through the bastion to host and port as the bastion sees them.",
      "order": 13,
      "oneOf": [
        {"title": "No Tunnel", "required": ["tunnel_method"], "properties": {
          "tunnel_method": {"description": "No ssh tunnel needed to connect to database", "type": "string", "const": "NO_TUNNEL", "order": 0}}},
        {"title": "SSH Key Authentication", "required": ["tunnel_method", "tunnel_host", "tunnel_port", "tunnel_user", "ssh_key"], "properties": {
          "tunnel_method": {"description": "Connect through a jump server tunnel host using username and ssh key", "type": "string", "const": "SSH_KEY_AUTH", "order": 0},
          "tunnel_host": {"title": "SSH Tunnel Jump Server Host", "description": "Hostname of the jump server host that allows inbound ssh tunnel.", "type": "string", "order": 1},
          "tunnel_port": {"title": "SSH Connection Port", "description": "Port on the proxy/jump server that accepts inbound ssh connections.", "type": "integer", "minimum": 1, "maximum": 65535, "default": 22, "examples": ["22"], "order": 2},
          "tunnel_user": {"title": "SSH Login Username", "description": "OS-level username for logging into the jump server host.", "type": "string", "order": 3},
          "ssh_key": {"title": "SSH Private Key", "description": "OS-level user account ssh key credentials in RSA PEM format ( created with ssh-keygen -t rsa -m PEM -f myuser_rsa ); OpenSSH format keys of any type work too. Unencrypted.", "type": "string", "airbyte_secret": true, "multiline": true, "order": 4},
          "tunnel_host_key_fingerprint": {"title": "SSH Host Key Fingerprint (Optional)", "description": "The jump server's host key fingerprint as ssh-keygen -lf prints it (SHA256:...). When set, a jump server presenting another key is refused; otherwise the first key seen in a process is trusted and a change is refused.", "type": "string", "pattern": "^SHA256:[A-Za-z0-9+/]{43}$", "examples": ["SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"], "order": 5}}},
        {"title": "Password Authentication", "required": ["tunnel_method", "tunnel_host", "tunnel_port", "tunnel_user", "tunnel_user_password"], "properties": {
          "tunnel_method": {"description": "Connect through a jump server tunnel host using username and password authentication", "type": "string", "const": "SSH_PASSWORD_AUTH", "order": 0},
          "tunnel_host": {"title": "SSH Tunnel Jump Server Host", "description": "Hostname of the jump server host that allows inbound ssh tunnel.", "type": "string", "order": 1},
          "tunnel_port": {"title": "SSH Connection Port", "description": "Port on the proxy/jump server that accepts inbound ssh connections.", "type": "integer", "minimum": 1, "maximum": 65535, "default": 22, "examples": ["22"], "order": 2},
          "tunnel_user": {"title": "SSH Login Username", "description": "OS-level username for logging into the jump server host", "type": "string", "order": 3},
          "tunnel_user_password": {"title": "Password", "description": "OS-level password for logging into the jump server host", "type": "string", "airbyte_secret": true, "order": 4},
          "tunnel_host_key_fingerprint": {"title": "SSH Host Key Fingerprint (Optional)", "description": "The jump server's host key fingerprint as ssh-keygen -lf prints it (SHA256:...). When set, a jump server presenting another key is refused; otherwise the first key seen in a process is trusted and a change is refused.", "type": "string", "pattern": "^SHA256:[A-Za-z0-9+/]{43}$", "examples": ["SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"], "order": 5}}}
      ]
    }
  }
})json";

}  // namespace

absl::string_view ConnectionSpecificationJson() {
  static const std::string* minified = new std::string(Minify(kSpec));
  return *minified;
}

}  // namespace tsdb_source::airbyte

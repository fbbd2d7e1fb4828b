#include "service/config/jdbc_url_params.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "service/common/errors.h"

namespace tsdb_source {
namespace {

constexpr int kMinTimeout = 1;
constexpr int kMaxTimeout = 300;

enum class Kind {
  kString,      // a libpq parameter, any value
  kEnum,        // a libpq parameter, one of `values` ("a|b|c")
  kUnsigned,    // a libpq parameter, a non-negative integer
  kSecret,      // sslpassword: a libpq parameter whose value is never shown
  kKeyPath,     // sslkey: a path to a PEM key (not pgjdbc's DER or PKCS-12 files)
  kSslMode,     // sslmode, merged with ssl_mode.mode
  kTimeout,     // a connect timeout in seconds
  kMapped,      // a pgjdbc name: `values` maps its values ("from=to|...") onto `libpq`
  kSsl,         // pgjdbc's ssl switch
  kSslFactory,  // pgjdbc's sslfactory class
  kNoOp,        // accepted when the value is one of `values` (what tsdb-source does anyway)
  kRefused,     // never applied; `hint` says what to do
};

struct Rule {
  absl::string_view key;
  Kind kind;
  absl::string_view libpq;   // the libpq parameter it sets
  absl::string_view values;  // see Kind
  absl::string_view hint;    // what to do instead (kNoOp with another value, kRefused)
};

constexpr absl::string_view kModes = "disable|allow|prefer|require|verify-ca|verify-full";
constexpr absl::string_view kUseConfig =
    "sets where and as whom to connect: use the config's host, port, database and username "
    "instead";
constexpr absl::string_view kJavaTls =
    "is a setting of pgjdbc's Java TLS layer with no libpq equivalent: remove it (ssl_mode, "
    "or sslmode, sslrootcert, sslcert and sslkey here, set libpq's TLS)";

const std::vector<Rule>& Rules() {
  static const auto* rules = new std::vector<Rule>{
      // libpq's own parameters, and pgjdbc's names for the same thing.
      {"application_name", Kind::kString, "application_name", "", ""},
      {"ApplicationName", Kind::kString, "application_name", "", ""},
      {"options", Kind::kString, "options", "", ""},
      {"connect_timeout", Kind::kTimeout, "connect_timeout", "", ""},
      {"connectTimeout", Kind::kTimeout, "connect_timeout", "", ""},
      {"loginTimeout", Kind::kTimeout, "connect_timeout", "", ""},
      {"target_session_attrs", Kind::kEnum, "target_session_attrs",
       "any|read-write|read-only|primary|standby|prefer-standby", ""},
      // pgjdbc tells a primary by `SHOW transaction_read_only`, as libpq's read-write and
      // read-only do; with the one host of the config a "prefer" type takes that host.
      {"targetServerType", Kind::kMapped, "target_session_attrs",
       "any=any|primary=read-write|master=read-write|secondary=read-only|slave=read-only|"
       "preferSecondary=any|preferSlave=any|preferPrimary=any",
       ""},
      {"keepalives", Kind::kEnum, "keepalives", "0|1", ""},
      {"keepalives_idle", Kind::kUnsigned, "keepalives_idle", "", ""},
      {"keepalives_interval", Kind::kUnsigned, "keepalives_interval", "", ""},
      {"keepalives_count", Kind::kUnsigned, "keepalives_count", "", ""},
      {"tcp_user_timeout", Kind::kUnsigned, "tcp_user_timeout", "", ""},
      {"tcpKeepAlive", Kind::kMapped, "keepalives", "true=1|false=0", ""},
      {"sslmode", Kind::kSslMode, "sslmode", kModes, ""},
      {"ssl", Kind::kSsl, "sslmode", "", ""},
      {"sslrootcert", Kind::kString, "sslrootcert", "", ""},
      {"sslcert", Kind::kString, "sslcert", "", ""},
      {"sslkey", Kind::kKeyPath, "sslkey", "", ""},
      {"sslpassword", Kind::kSecret, "sslpassword", "", ""},
      {"sslcrl", Kind::kString, "sslcrl", "", ""},
      {"sslcrldir", Kind::kString, "sslcrldir", "", ""},
      {"sslsni", Kind::kEnum, "sslsni", "0|1", ""},
      {"ssl_min_protocol_version", Kind::kEnum, "ssl_min_protocol_version",
       "TLSv1|TLSv1.1|TLSv1.2|TLSv1.3", ""},
      {"ssl_max_protocol_version", Kind::kEnum, "ssl_max_protocol_version",
       "TLSv1|TLSv1.1|TLSv1.2|TLSv1.3", ""},
      {"sslfactory", Kind::kSslFactory, "", "", ""},
      {"gssencmode", Kind::kEnum, "gssencmode", "disable|prefer|require", ""},
      {"gssEncMode", Kind::kMapped, "gssencmode", "disable=disable|prefer=prefer|require=require",
       "libpq's gssencmode takes disable, prefer or require (it has no 'allow')"},
      {"channel_binding", Kind::kEnum, "channel_binding", "disable|prefer|require", ""},
      {"channelBinding", Kind::kMapped, "channel_binding",
       "disable=disable|prefer=prefer|require=require", ""},
      {"krbsrvname", Kind::kString, "krbsrvname", "", ""},
      {"kerberosServerName", Kind::kString, "krbsrvname", "", ""},
      // pgjdbc settings whose value asks for what tsdb-source does anyway.
      {"prepareThreshold", Kind::kNoOp, "", "0",
       "tsdb-source never uses server-side prepared statements (what prepareThreshold=0 "
       "asks, e.g. behind PgBouncer): remove it"},
      {"socketTimeout", Kind::kNoOp, "", "0",
       "libpq has no read timeout: remove it. A lost server is detected by TCP keepalives "
       "(keepalives_idle, keepalives_interval, keepalives_count, tcp_user_timeout) and a "
       "statement can be bounded with options=-c%20statement_timeout%3D<ms>"},
      {"tcpNoDelay", Kind::kNoOp, "", "true", "libpq always sets TCP_NODELAY: remove it"},
      {"readOnly", Kind::kNoOp, "", "true|false",
       "must be true or false (tsdb-source never writes, so either changes nothing)"},
      // Never applied.
      {"user", Kind::kRefused, "", "", kUseConfig},
      {"PGUSER", Kind::kRefused, "", "", kUseConfig},
      {"password", Kind::kRefused, "", "", "carries a password: use the config's password"},
      {"PGPASSWORD", Kind::kRefused, "", "", "carries a password: use the config's password"},
      {"host", Kind::kRefused, "", "", kUseConfig},
      {"hostaddr", Kind::kRefused, "", "", kUseConfig},
      {"PGHOST", Kind::kRefused, "", "", kUseConfig},
      {"port", Kind::kRefused, "", "", kUseConfig},
      {"PGPORT", Kind::kRefused, "", "", kUseConfig},
      {"dbname", Kind::kRefused, "", "", kUseConfig},
      {"PGDBNAME", Kind::kRefused, "", "", kUseConfig},
      {"service", Kind::kRefused, "", "",
       "reads connection settings from a file on the connector's machine: put them in the "
       "config"},
      {"passfile", Kind::kRefused, "", "",
       "reads the password from a file on the connector's machine: use the config's password"},
      {"replication", Kind::kRefused, "", "",
       "is set by tsdb-source itself on the connections that stream changes "
       "(replication_method CDC): remove it"},
      {"client_encoding", Kind::kRefused, "", "",
       "tsdb-source always reads UTF8 (the server converts): remove it"},
      {"charSet", Kind::kRefused, "", "",
       "tsdb-source always reads UTF8 (the server converts): remove it"},
      {"allowEncodingChanges", Kind::kRefused, "", "",
       "tsdb-source always reads UTF8 (the server converts): remove it"},
      {"fallback_application_name", Kind::kRefused, "", "",
       "tsdb-source always sets application_name: set application_name (or ApplicationName)"},
      {"currentSchema", Kind::kRefused, "", "",
       "tsdb-source qualifies every name with its schema: choose what is read with the "
       "config's schemas (a search_path for views: options=-c%20search_path%3D...)"},
      {"sslfactoryarg", Kind::kRefused, "", "", kJavaTls},
      {"sslhostnameverifier", Kind::kRefused, "", "", kJavaTls},
      {"sslpasswordcallback", Kind::kRefused, "", "", kJavaTls},
      {"sslResponseTimeout", Kind::kRefused, "", "", kJavaTls},
  };
  return *rules;
}

const Rule* FindRule(absl::string_view key) {
  for (const Rule& rule : Rules()) {
    if (rule.key == key) return &rule;
  }
  return nullptr;
}

// A known key spelled with other letter cases, for "did you mean".
const Rule* FindRuleIgnoringCase(absl::string_view key) {
  for (const Rule& rule : Rules()) {
    if (absl::EqualsIgnoreCase(rule.key, key)) return &rule;
  }
  return nullptr;
}

bool IsSecretKey(absl::string_view key) {
  return key == "password" || key == "sslpassword" || key == "PGPASSWORD";
}

absl::Status Invalid(absl::string_view problem) {
  return MakeError(absl::StatusCode::kInvalidArgument, v1::ERROR_REASON_INVALID_CONFIG,
                   absl::StrCat("config field 'jdbc_url_params': ", problem));
}

// How an error names a parameter: by its key, unless the key is not a known one and comes
// right after a secret's value, of which it may be the rest (a password with an unencoded
// "&"). `after_secret`: the secret key of the previous piece, else empty.
std::string Named(absl::string_view key, absl::string_view after_secret) {
  if (after_secret.empty() || FindRule(key) != nullptr) return absl::StrCat("parameter '", key, "'");
  return absl::StrCat("a parameter after '", after_secret,
                      "' (not named here: it may be the rest of that value; write an '&' inside "
                      "a value as %26)");
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// java.net.URLDecoder's decoding, which pgjdbc applies to URL values: "+" is a space, %XX a
// byte. False for a malformed escape or an encoded NUL (libpq takes C strings).
bool UrlDecode(absl::string_view raw, std::string* out) {
  out->clear();
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '+') {
      out->push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= raw.size()) return false;
      const int hi = HexDigit(raw[i + 1]);
      const int lo = HexDigit(raw[i + 2]);
      if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out->push_back(c);
    }
  }
  return true;
}

std::vector<absl::string_view> Choices(absl::string_view values) {
  return absl::StrSplit(values, '|');
}

bool OneOf(absl::string_view value, absl::string_view values) {
  for (absl::string_view v : Choices(values)) {
    if (v == value) return true;
  }
  return false;
}

// The libpq value a pgjdbc value maps to (letter case ignored), or nullopt.
std::optional<std::string> Mapped(absl::string_view value, absl::string_view mapping) {
  for (absl::string_view pair : Choices(mapping)) {
    std::pair<absl::string_view, absl::string_view> from_to = absl::StrSplit(pair, '=');
    if (absl::EqualsIgnoreCase(from_to.first, value)) return std::string(from_to.second);
  }
  return std::nullopt;
}

std::string Listed(absl::string_view values, bool mapping) {
  std::vector<std::string> names;
  for (absl::string_view v : Choices(values)) {
    names.push_back(std::string(mapping ? v.substr(0, v.find('=')) : v));
  }
  return absl::StrJoin(names, ", ");
}

// A connect timeout in seconds within the config's range, or nullopt.
std::optional<int> Timeout(absl::string_view value) {
  int seconds = 0;
  if (!absl::SimpleAtoi(value, &seconds) || seconds < kMinTimeout || seconds > kMaxTimeout) {
    return std::nullopt;
  }
  return seconds;
}

// The libpq parameters set so far, in the order given, each with the key that set it.
class LibpqParams {
 public:
  absl::Status Set(absl::string_view keyword, std::string value, absl::string_view key) {
    for (const Entry& e : entries_) {
      if (e.keyword == keyword) {
        return Invalid(absl::StrCat("parameters '", e.key, "' and '", key, "' both set libpq's ",
                                    keyword, ": keep one"));
      }
    }
    entries_.push_back({std::string(keyword), std::move(value), std::string(key)});
    return absl::OkStatus();
  }
  // Removes and returns the entry of `keyword`, if any.
  std::optional<std::pair<std::string, std::string>> Take(absl::string_view keyword) {
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->keyword == keyword) {
        std::pair<std::string, std::string> out{std::move(it->value), std::move(it->key)};
        entries_.erase(it);
        return out;
      }
    }
    return std::nullopt;
  }
  const std::string* Key(absl::string_view keyword) const {
    for (const Entry& e : entries_) {
      if (e.keyword == keyword) return &e.key;
    }
    return nullptr;
  }
  std::vector<std::pair<std::string, std::string>> Pairs() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const Entry& e : entries_) out.emplace_back(e.keyword, e.value);
    return out;
  }

 private:
  struct Entry {
    std::string keyword, value, key;
  };
  std::vector<Entry> entries_;
};

bool IsLibpqFactory(absl::string_view value) {
  return value == "org.postgresql.ssl.LibPQFactory" ||
         value == "org.postgresql.ssl.jdbc4.LibPQFactory";
}

}  // namespace

absl::StatusOr<std::vector<JdbcParam>> ParseJdbcUrlParams(absl::string_view text) {
  std::vector<JdbcParam> out;
  std::set<std::string> seen;
  std::string after_secret;  // the previous piece's key when it is a secret's
  int piece_number = 0;
  for (absl::string_view piece : absl::StrSplit(text, '&')) {
    if (piece.empty()) continue;
    ++piece_number;
    const size_t eq = piece.find('=');
    if (eq == absl::string_view::npos) {
      return Invalid(absl::StrCat(
          "piece ", piece_number, " has no '=' (not shown: it may be part of a secret); write "
          "key=value pairs joined by '&', with an '&' inside a value written as %26"));
    }
    if (eq == 0) {
      return Invalid(absl::StrCat("piece ", piece_number, " has no key before its '='"));
    }
    JdbcParam param;
    param.key = std::string(piece.substr(0, eq));
    if (!UrlDecode(piece.substr(eq + 1), &param.value)) {
      return Invalid(absl::StrCat(Named(param.key, after_secret),
                                  " has a malformed %-escape in its value (or an encoded NUL); "
                                  "write a '%' as %25"));
    }
    if (!seen.insert(param.key).second) {
      return Invalid(absl::StrCat(Named(param.key, after_secret), " is given twice: keep one"));
    }
    after_secret = IsSecretKey(param.key) ? param.key : "";
    out.push_back(std::move(param));
  }
  return out;
}

absl::Status ApplyJdbcUrlParams(const v1::SourceConfig& config, pg::ConnectOptions* connect) {
  if (config.jdbc_url_params().empty()) return absl::OkStatus();
  auto parsed = ParseJdbcUrlParams(config.jdbc_url_params());
  if (!parsed.ok()) return parsed.status();

  LibpqParams libpq;
  std::vector<int> timeouts;
  std::optional<bool> ssl_switch;
  std::string sslfactory;
  std::string after_secret;
  for (const JdbcParam& p : *parsed) {
    const std::string name = Named(p.key, after_secret);
    const bool hidden = FindRule(p.key) == nullptr && !after_secret.empty();
    after_secret = IsSecretKey(p.key) ? p.key : "";
    const Rule* rule = FindRule(p.key);
    if (rule == nullptr) {
      std::string problem = absl::StrCat(
          name, " is neither a libpq parameter nor a pgjdbc parameter with a faithful libpq "
                "equivalent, so tsdb-source cannot apply it: remove it (README, Configuration, "
                "lists the parameters tsdb-source applies)");
      if (const Rule* near = FindRuleIgnoringCase(p.key); near != nullptr && !hidden) {
        absl::StrAppend(&problem, "; names are case-sensitive: did you mean '", near->key, "'?");
      }
      return Invalid(problem);
    }
    switch (rule->kind) {
      case Kind::kString:
        if (auto s = libpq.Set(rule->libpq, p.value, p.key); !s.ok()) return s;
        break;
      case Kind::kEnum:
      case Kind::kSslMode:
        if (!OneOf(p.value, rule->values)) {
          return Invalid(absl::StrCat(name, " must be one of ", Listed(rule->values, false)));
        }
        if (auto s = libpq.Set(rule->libpq, p.value, p.key); !s.ok()) return s;
        break;
      case Kind::kUnsigned: {
        int n = 0;
        if (!absl::SimpleAtoi(p.value, &n) || n < 0) {
          return Invalid(absl::StrCat(name, " must be a whole number, 0 or more"));
        }
        if (auto s = libpq.Set(rule->libpq, std::to_string(n), p.key); !s.ok()) return s;
        break;
      }
      case Kind::kSecret:
        if (auto s = libpq.Set(rule->libpq, p.value, p.key); !s.ok()) return s;
        break;
      case Kind::kKeyPath: {
        const std::string lower = absl::AsciiStrToLower(p.value);
        if (absl::EndsWith(lower, ".pk8") || absl::EndsWith(lower, ".der") ||
            absl::EndsWith(lower, ".p12") || absl::EndsWith(lower, ".pfx")) {
          return Invalid(absl::StrCat(
              name, " names a pgjdbc key file (DER PKCS-8 or PKCS-12), which libpq cannot read: "
                    "convert it to PEM (openssl pkcs8 -inform DER -in key.pk8 -out key.pem, or "
                    "openssl pkcs12 -in key.p12 -nocerts -out key.pem) or put the PEM key in "
                    "ssl_mode.client_key"));
        }
        if (auto s = libpq.Set(rule->libpq, p.value, p.key); !s.ok()) return s;
        break;
      }
      case Kind::kTimeout: {
        std::optional<int> seconds = Timeout(p.value);
        if (!seconds.has_value()) {
          return Invalid(absl::StrCat(name, " must be a number of seconds from ", kMinTimeout,
                                      " to ", kMaxTimeout,
                                      " (tsdb-source bounds every connection attempt)"));
        }
        timeouts.push_back(*seconds);
        break;
      }
      case Kind::kMapped: {
        std::optional<std::string> to = Mapped(p.value, rule->values);
        if (!to.has_value()) {
          std::string problem =
              absl::StrCat(name, " must be one of ", Listed(rule->values, true));
          if (!rule->hint.empty()) absl::StrAppend(&problem, " (", rule->hint, ")");
          return Invalid(problem);
        }
        if (auto s = libpq.Set(rule->libpq, *to, p.key); !s.ok()) return s;
        break;
      }
      case Kind::kSsl: {
        const std::string lower = absl::AsciiStrToLower(p.value);
        if (lower != "" && lower != "true" && lower != "false") {
          return Invalid(absl::StrCat(name, " must be true or false"));
        }
        ssl_switch = lower != "false";
        break;
      }
      case Kind::kSslFactory:
        sslfactory = p.value;
        break;
      case Kind::kNoOp: {
        bool accepted = false;
        for (absl::string_view v : Choices(rule->values)) {
          accepted = accepted || absl::EqualsIgnoreCase(v, p.value);
        }
        if (!accepted) return Invalid(absl::StrCat(name, ": ", rule->hint));
        break;
      }
      case Kind::kRefused:
        return Invalid(absl::StrCat(name, " ", rule->hint));
    }
  }

  // TLS: the mode, then the files, each from one place only.
  const v1::SslMode& ssl = config.ssl_mode();
  std::optional<std::pair<std::string, std::string>> mode = libpq.Take("sslmode");
  if (mode.has_value() && !ssl.mode().empty() && mode->first != ssl.mode()) {
    return Invalid(absl::StrCat("parameter '", mode->second, "' asks for TLS mode ", mode->first,
                                " but ssl_mode.mode is ", ssl.mode(),
                                ": set the mode in one place"));
  }
  std::string effective_mode = connect->sslmode;
  if (ssl.mode().empty()) {
    if (mode.has_value()) {
      effective_mode = mode->first;
    } else if (ssl_switch.value_or(false)) {
      effective_mode = "verify-full";  // pgjdbc's ssl=true without sslmode
    }
  }
  // With a mode, pgjdbc ignores `ssl`; without one, ssl=false is its default (prefer).
  connect->sslmode = effective_mode;
  struct FileConflict {
    const char* keyword;
    const std::string& config_value;
    const char* config_field;
  };
  for (const FileConflict& f : {FileConflict{"sslrootcert", ssl.ca_certificate(), "ca_certificate"},
                                FileConflict{"sslcert", ssl.client_certificate(), "client_certificate"},
                                FileConflict{"sslkey", ssl.client_key(), "client_key"},
                                FileConflict{"sslpassword", ssl.client_key_password(),
                                             "client_key_password"}}) {
    const std::string* key = libpq.Key(f.keyword);
    if (key != nullptr && !f.config_value.empty()) {
      return Invalid(absl::StrCat("parameter '", *key, "' and ssl_mode.", f.config_field,
                                  " both set libpq's ", f.keyword, ": keep one"));
    }
  }
  if (!sslfactory.empty() && !IsLibpqFactory(sslfactory)) {
    const bool verifies = effective_mode == "verify-ca" || effective_mode == "verify-full";
    if (sslfactory != "org.postgresql.ssl.NonValidatingFactory") {
      return Invalid(absl::StrCat(
          "parameter 'sslfactory' names a Java TLS factory with no libpq equivalent: remove it "
          "and verify the server with ssl_mode verify-ca or verify-full and its "
          "ca_certificate (LibPQFactory and NonValidatingFactory are accepted)"));
    }
    if (verifies) {
      return Invalid(absl::StrCat(
          "parameter 'sslfactory' (NonValidatingFactory) turns off the certificate check that "
          "TLS mode ", effective_mode, " asks for: remove it, or use mode require"));
    }
    // NonValidatingFactory with a mode that does not verify: what libpq does anyway.
  }
  if (auto password = libpq.Take("sslpassword"); password.has_value()) {
    connect->ssl_key_password = std::move(password->first);
  }
  if (auto name = libpq.Take("application_name"); name.has_value()) {
    connect->application_name = std::move(name->first);
  }
  if (!timeouts.empty()) {
    int seconds = *std::min_element(timeouts.begin(), timeouts.end());
    if (config.has_connect_timeout_seconds()) {
      seconds = std::min(seconds, static_cast<int>(config.connect_timeout_seconds()));
    }
    // libpq treats values below 2 as 2.
    connect->connect_timeout_seconds = std::max(seconds, 2);
  }
  connect->extra_params = libpq.Pairs();
  return absl::OkStatus();
}

std::optional<int> JdbcUrlConnectTimeout(absl::string_view text) {
  std::optional<int> out;
  for (absl::string_view piece : absl::StrSplit(text, '&')) {
    const size_t eq = piece.find('=');
    if (eq == absl::string_view::npos) continue;
    const Rule* rule = FindRule(piece.substr(0, eq));
    if (rule == nullptr || rule->kind != Kind::kTimeout) continue;
    std::string value;
    if (!UrlDecode(piece.substr(eq + 1), &value)) continue;
    std::optional<int> seconds = Timeout(value);
    if (seconds.has_value() && (!out.has_value() || *seconds < *out)) out = seconds;
  }
  return out;
}

std::vector<std::string> JdbcUrlSecrets(absl::string_view text) {
  std::vector<std::string> out;
  bool after_secret = false;  // the previous piece is a secret's
  auto add = [&](absl::string_view raw) {
    if (raw.empty()) return;
    out.emplace_back(raw);
    std::string decoded;
    if (UrlDecode(raw, &decoded) && decoded != raw) out.push_back(std::move(decoded));
  };
  for (absl::string_view piece : absl::StrSplit(text, '&')) {
    if (piece.empty()) continue;
    const size_t eq = piece.find('=');
    if (eq == absl::string_view::npos) {
      add(piece);  // after a secret, or anywhere: may be a piece of one
      continue;
    }
    const absl::string_view key = piece.substr(0, eq);
    if (IsSecretKey(key)) {
      add(piece.substr(eq + 1));
    } else if (after_secret && FindRule(key) == nullptr) {
      add(piece);
      add(key);
      add(piece.substr(eq + 1));
    }
    after_secret = IsSecretKey(key);
  }
  return out;
}

}  // namespace tsdb_source

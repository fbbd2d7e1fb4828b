#include "service/pg/ssh_tunnel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <list>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "libssh/libssh.h"
#include "service/common/errors.h"

namespace tsdb_source::pg {

// The libssh session and the event that drives its socket once forwarding runs.
struct SshTunnel::Session {
  ssh_session ssh = nullptr;
  ssh_event event = nullptr;

  Session() = default;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() {
    if (event != nullptr) {
      if (ssh != nullptr) ssh_event_remove_session(event, ssh);
      ssh_event_free(event);
    }
    if (ssh != nullptr) {
      ssh_disconnect(ssh);
      ssh_free(ssh);
    }
  }
};

namespace {

constexpr size_t kChunk = 64 * 1024;  // bytes moved per read, each way

struct KeyDeleter {
  void operator()(ssh_key key) const { ssh_key_free(key); }
};
using UniqueKey = std::unique_ptr<std::remove_pointer_t<ssh_key>, KeyDeleter>;

// A file descriptor closed on destruction.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// The key as Airbyte's Postgres source takes it: surrounding blanks dropped and literal
// "\n" sequences (a key pasted into a one-line field) turned into line breaks; also Windows
// line ends made plain.
std::string NormalizeKey(const std::string& key) {
  std::string text = absl::StrReplaceAll(key, {{"\\n", "\n"}, {"\r\n", "\n"}});
  absl::StripAsciiWhitespace(&text);
  text.push_back('\n');
  return text;
}

std::string Errno(int error) { return std::strerror(error); }

absl::Status ConnectError(absl::string_view detail, const std::string& bastion,
                          absl::Duration timeout) {
  if (absl::StrContains(detail, "resolve hostname")) {
    return MakeError(absl::StatusCode::kInvalidArgument, v1::ERROR_REASON_TUNNEL_UNKNOWN_HOST,
                     absl::StrCat("the SSH bastion's host name (tunnel_method.tunnel_host) was "
                                  "not found: ", detail));
  }
  if (absl::StrContains(detail, "Connection refused")) {
    return MakeError(absl::StatusCode::kUnavailable, v1::ERROR_REASON_TUNNEL_CONNECTION_REFUSED,
                     absl::StrCat("nothing accepts SSH connections at ", bastion,
                                  " (are tunnel_method.tunnel_host and tunnel_port right, and "
                                  "is the bastion's sshd running?): ", detail));
  }
  if (absl::StrContains(absl::AsciiStrToLower(detail), "timeout")) {
    return MakeError(absl::StatusCode::kDeadlineExceeded, v1::ERROR_REASON_TUNNEL_CONNECT_TIMEOUT,
                     absl::StrCat("no answer from the SSH bastion at ", bastion, " within ",
                                  absl::FormatDuration(timeout), ": ", detail));
  }
  return MakeError(absl::StatusCode::kUnavailable, v1::ERROR_REASON_TUNNEL_CONNECT_FAILED,
                   absl::StrCat("cannot open an SSH session with the bastion at ", bastion,
                                ": ", detail));
}

// The server's host key as OpenSSH prints it: "SHA256:<base64 without padding>".
absl::StatusOr<std::string> HostKeyFingerprint(ssh_session ssh, const std::string& bastion) {
  ssh_key raw = nullptr;
  if (ssh_get_server_publickey(ssh, &raw) != SSH_OK) {
    return MakeError(absl::StatusCode::kUnavailable, v1::ERROR_REASON_TUNNEL_CONNECT_FAILED,
                     absl::StrCat("the SSH bastion at ", bastion, " sent no host key: ",
                                  ssh_get_error(ssh)));
  }
  UniqueKey key(raw);
  unsigned char* hash = nullptr;
  size_t length = 0;
  if (ssh_get_publickey_hash(key.get(), SSH_PUBLICKEY_HASH_SHA256, &hash, &length) != 0) {
    return absl::InternalError("cannot hash the SSH bastion's host key");
  }
  char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length);
  ssh_clean_pubkey_hash(&hash);
  if (text == nullptr) return absl::InternalError("cannot format the SSH bastion's host key");
  std::string fingerprint(text);
  ssh_string_free_char(text);
  return fingerprint;
}

std::string MethodNames(int methods) {
  std::vector<std::string> names;
  if (methods & SSH_AUTH_METHOD_PUBLICKEY) names.push_back("publickey");
  if (methods & SSH_AUTH_METHOD_PASSWORD) names.push_back("password");
  if (methods & SSH_AUTH_METHOD_INTERACTIVE) names.push_back("keyboard-interactive");
  if (methods & SSH_AUTH_METHOD_HOSTBASED) names.push_back("hostbased");
  if (methods & SSH_AUTH_METHOD_GSSAPI_MIC) names.push_back("gssapi-with-mic");
  return names.empty() ? "none" : absl::StrJoin(names, ", ");
}

// Keyboard-interactive with the password: bastions that check passwords through PAM offer
// only this. The password answers the first hidden prompt; another hidden prompt (a wrong
// password asked again, or a second factor) ends the attempt.
int KeyboardInteractive(ssh_session ssh, const std::string& password) {
  bool answered = false;
  int rc = ssh_userauth_kbdint(ssh, nullptr, nullptr);
  for (int round = 0; rc == SSH_AUTH_INFO && round < 8; ++round) {
    const int prompts = ssh_userauth_kbdint_getnprompts(ssh);
    for (int i = 0; i < prompts; ++i) {
      char echo = 0;
      ssh_userauth_kbdint_getprompt(ssh, i, &echo);
      if (!echo && answered) return SSH_AUTH_DENIED;
      if (ssh_userauth_kbdint_setanswer(ssh, i, echo ? "" : password.c_str()) < 0) {
        return SSH_AUTH_ERROR;
      }
      if (!echo) answered = true;
    }
    rc = ssh_userauth_kbdint(ssh, nullptr, nullptr);
  }
  return rc == SSH_AUTH_INFO ? SSH_AUTH_DENIED : rc;
}

absl::Status Authenticate(ssh_session ssh, const TunnelSpec& spec, ssh_key key,
                          const std::string& bastion) {
  int rc = ssh_userauth_none(ssh, nullptr);
  if (rc == SSH_AUTH_SUCCESS) return absl::OkStatus();
  const int methods = rc == SSH_AUTH_ERROR ? 0 : ssh_userauth_list(ssh, nullptr);
  const std::string credential =
      spec.auth == TunnelSpec::Auth::kKey
          ? "the configured key (tunnel_method.ssh_key)"
          : "the configured password (tunnel_method.tunnel_user_password)";
  if (rc != SSH_AUTH_ERROR) {
    if (spec.auth == TunnelSpec::Auth::kKey) {
      rc = ssh_userauth_publickey(ssh, nullptr, key);
    } else if ((methods & SSH_AUTH_METHOD_PASSWORD) || !(methods & SSH_AUTH_METHOD_INTERACTIVE)) {
      rc = ssh_userauth_password(ssh, nullptr, spec.password.c_str());
    } else {
      rc = KeyboardInteractive(ssh, spec.password);
    }
  }
  switch (rc) {
    case SSH_AUTH_SUCCESS:
      return absl::OkStatus();
    case SSH_AUTH_PARTIAL:
      return MakeError(absl::StatusCode::kUnauthenticated, v1::ERROR_REASON_TUNNEL_AUTH_FAILED,
                       absl::StrCat("the SSH bastion at ", bastion, " accepted ", credential,
                                    " but asks for more (",
                                    MethodNames(ssh_userauth_list(ssh, nullptr)),
                                    "): multi-step logins are not supported"));
    case SSH_AUTH_DENIED:
      return MakeError(absl::StatusCode::kUnauthenticated, v1::ERROR_REASON_TUNNEL_AUTH_FAILED,
                       absl::StrCat("the SSH bastion at ", bastion, " refused ", credential,
                                    " (it accepts: ", MethodNames(methods), ")"));
    default:
      return MakeError(absl::StatusCode::kUnavailable, v1::ERROR_REASON_TUNNEL_CONNECT_FAILED,
                       absl::StrCat("the SSH session with the bastion at ", bastion,
                                    " failed while logging in: ", ssh_get_error(ssh)));
  }
}

// TCP keepalives on the session's socket, as libpq's on its own: a bastion that vanishes
// is noticed within about a minute and a half, and idle NATs keep the session.
void KeepAlive(int fd) {
  int on = 1, idle = 30, interval = 10, count = 3;
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
}

// A listening socket on 127.0.0.1 with a port the system picks; its port in `port`.
absl::StatusOr<int> Listen(int* port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return absl::InternalError(absl::StrCat("socket: ", Errno(errno)));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(fd.get(), 64) != 0 ||
      getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot listen on 127.0.0.1 for the SSH tunnel: ", Errno(errno)));
  }
  *port = ntohs(address.sin_port);
  return fd.release();
}

// One forwarded connection: a socket libpq connected to the listener and its channel.
struct ForwardedConnection {
  int fd = -1;
  int client_port = 0;
  ssh_channel channel = nullptr;
  bool open = false;       // the bastion confirmed the channel
  absl::Time opening_since;
  std::string to_channel;  // read from the socket, not yet written to the channel
  size_t to_channel_done = 0;
  std::string to_socket;  // read from the channel, not yet written to the socket
  size_t to_socket_done = 0;
  bool socket_eof = false;   // libpq closed its side: EOF to the channel once flushed
  bool channel_eof = false;  // the database closed its side: shut the socket's write side
  bool eof_sent = false;
  bool shut_down = false;
  bool done = false;  // to be closed
  short revents = 0;

  bool socket_pending() const { return to_socket_done < to_socket.size(); }
  bool channel_pending() const { return to_channel_done < to_channel.size(); }
};

void CloseForward(ForwardedConnection& f) {
  if (f.channel != nullptr) {
    if (ssh_channel_is_open(f.channel)) ssh_channel_close(f.channel);
    ssh_channel_free(f.channel);
    f.channel = nullptr;
  }
  if (f.fd >= 0) close(f.fd);
  f.fd = -1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SshTunnel>> SshTunnel::Start(const TunnelSpec& spec,
                                                           const std::string& target_host,
                                                           int target_port,
                                                           absl::Duration timeout,
                                                           KnownHostKeys* known) {
  const std::string endpoint = absl::StrCat(spec.host, ":", spec.port);
  const std::string bastion = absl::StrCat(spec.user, "@", endpoint);
  // The key first: a key that cannot be read fails before any connection.
  UniqueKey key;
  if (spec.auth == TunnelSpec::Auth::kKey) {
    std::string text = NormalizeKey(spec.private_key);
    ssh_key raw = nullptr;
    const int rc = ssh_pki_import_privkey_base64(text.c_str(), nullptr, nullptr, nullptr, &raw);
    std::fill(text.begin(), text.end(), '\0');  // no copy of the key left behind
    if (rc != SSH_OK) {
      return MakeError(absl::StatusCode::kInvalidArgument, v1::ERROR_REASON_TUNNEL_KEY_INVALID,
                       "config field 'tunnel_method.ssh_key' is not a private key that can be "
                       "read: it must be an unencrypted OpenSSH or PEM private key (as "
                       "ssh-keygen writes it, lines and all)");
    }
    key.reset(raw);
  }

  auto session = std::make_unique<Session>();
  session->ssh = ssh_new();
  if (session->ssh == nullptr) return absl::ResourceExhaustedError("libssh: no session");
  ssh_session ssh = session->ssh;
  long seconds = std::max<long>(1, static_cast<long>(absl::ToInt64Seconds(timeout)));
  unsigned int port = static_cast<unsigned int>(spec.port);
  int verbosity = SSH_LOG_NOLOG, nodelay = 1;
  bool process_config = false;  // never ~/.ssh/config or /etc/ssh/ssh_config (ProxyCommand...)
  if (ssh_options_set(ssh, SSH_OPTIONS_PROCESS_CONFIG, &process_config) != SSH_OK ||
      ssh_options_set(ssh, SSH_OPTIONS_LOG_VERBOSITY, &verbosity) != SSH_OK ||
      ssh_options_set(ssh, SSH_OPTIONS_HOST, spec.host.c_str()) != SSH_OK ||
      ssh_options_set(ssh, SSH_OPTIONS_USER, spec.user.c_str()) != SSH_OK ||
      ssh_options_set(ssh, SSH_OPTIONS_PORT, &port) != SSH_OK ||
      ssh_options_set(ssh, SSH_OPTIONS_TIMEOUT, &seconds) != SSH_OK ||
      ssh_options_set(ssh, SSH_OPTIONS_NODELAY, &nodelay) != SSH_OK ||
      ssh_options_set(ssh, SSH_OPTIONS_KNOWNHOSTS, "/dev/null") != SSH_OK ||
      ssh_options_set(ssh, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null") != SSH_OK) {
    return MakeError(absl::StatusCode::kInvalidArgument, v1::ERROR_REASON_TUNNEL_CONNECT_FAILED,
                     absl::StrCat("invalid SSH tunnel settings for ", bastion, ": ",
                                  ssh_get_error(ssh)));
  }
  if (ssh_connect(ssh) != SSH_OK) return ConnectError(ssh_get_error(ssh), endpoint, timeout);

  // The host key, before any credential leaves this process.
  auto fingerprint = HostKeyFingerprint(ssh, endpoint);
  if (!fingerprint.ok()) return fingerprint.status();
  absl::Status trusted =
      spec.host_key_fingerprint.empty()
          ? known->Check(endpoint, *fingerprint)
          : CheckPinnedHostKey(endpoint, *fingerprint, spec.host_key_fingerprint);
  if (!trusted.ok()) return trusted;
  if (!spec.host_key_fingerprint.empty()) {
    // A pinned key is also the one this process knows the bastion by.
    known->Check(endpoint, *fingerprint).IgnoreError();
  }
  if (absl::Status auth = Authenticate(ssh, spec, key.get(), bastion); !auth.ok()) return auth;
  key.reset();

  KeepAlive(ssh_get_fd(ssh));
  // From here on one thread drives the session with nonblocking calls.
  ssh_set_blocking(ssh, 0);
  session->event = ssh_event_new();
  if (session->event == nullptr || ssh_event_add_session(session->event, ssh) != SSH_OK) {
    return absl::InternalError("libssh: cannot watch the SSH session");
  }
  int local_port = 0;
  auto listener = Listen(&local_port);
  if (!listener.ok()) return listener.status();
  UniqueFd listening(*listener);
  UniqueFd wake(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (wake.get() < 0) return absl::InternalError(absl::StrCat("eventfd: ", Errno(errno)));

  std::unique_ptr<SshTunnel> tunnel(new SshTunnel(std::move(session), listening.release(),
                                                  wake.release(), target_host, target_port,
                                                  timeout, bastion, *std::move(fingerprint)));
  tunnel->local_port_ = local_port;
  tunnel->thread_ = std::thread([t = tunnel.get()] { t->Forward(); });
  return tunnel;
}

SshTunnel::SshTunnel(std::unique_ptr<Session> session, int listener, int wake,
                     std::string target_host, int target_port, absl::Duration timeout,
                     std::string bastion, std::string fingerprint)
    : session_(std::move(session)),
      listener_(listener),
      wake_(wake),
      target_host_(std::move(target_host)),
      target_port_(target_port),
      timeout_(timeout),
      bastion_(std::move(bastion)),
      fingerprint_(std::move(fingerprint)) {}

SshTunnel::~SshTunnel() {
  const uint64_t one = 1;
  if (write(wake_, &one, sizeof(one)) < 0) {
    // The counter cannot overflow from a single write; nothing else can fail here.
  }
  if (thread_.joinable()) thread_.join();
  if (listener_ >= 0) close(listener_);
  close(wake_);
  session_.reset();  // disconnects
}

uint64_t SshTunnel::failures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failures_;
}

absl::Status SshTunnel::last_failure() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_failure_;
}

void SshTunnel::Fail(absl::Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  ++failures_;
  last_failure_ = std::move(status);
}

void SshTunnel::Forward() {
  ssh_session ssh = session_->ssh;
  std::list<ForwardedConnection> forwards;
  std::vector<pollfd> polls;
  std::vector<char> buffer(kChunk);
  const std::string target = absl::StrCat(target_host_, ":", target_port_);
  absl::Status ended;  // why the session ended, when it did

  while (true) {
    // 1. What to wait for.
    polls.clear();
    polls.push_back({wake_, POLLIN, 0});
    polls.push_back({listener_, POLLIN, 0});
    const int flags = ssh_get_poll_flags(ssh);
    polls.push_back({ssh_get_fd(ssh),
                     static_cast<short>(POLLIN | ((flags & SSH_WRITE_PENDING) ? POLLOUT : 0)), 0});
    absl::Duration wait = absl::Seconds(1);  // a bound for channel opens that hang
    for (ForwardedConnection& f : forwards) {
      short events = 0;
      if (f.open && !f.socket_eof && !f.channel_pending()) events |= POLLIN;
      if (f.socket_pending()) events |= POLLOUT;
      // An fd with nothing to wait for is left out: its hang-up would wake the loop forever.
      polls.push_back({events != 0 ? f.fd : -1, events, 0});
      if (!f.open) wait = std::min(wait, std::max(absl::ZeroDuration(),
                                                  f.opening_since + timeout_ - absl::Now()));
    }
    const int ms = static_cast<int>(absl::ToInt64Milliseconds(wait)) + 1;
    if (poll(polls.data(), polls.size(), ms) < 0 && errno != EINTR) {
      ended = absl::InternalError(absl::StrCat("poll: ", Errno(errno)));
      break;
    }
    if (polls[0].revents != 0) break;  // stopping
    {
      size_t i = 3;
      for (ForwardedConnection& f : forwards) f.revents = polls[i++].revents;
    }

    // 2. The session: incoming packets (data, window adjusts, confirmations) and pending output.
    if (polls[2].revents != 0) ssh_event_dopoll(session_->event, 0);
    if (!ssh_is_connected(ssh) || (ssh_get_status(ssh) & (SSH_CLOSED | SSH_CLOSED_ERROR))) {
      const char* why = ssh_get_error(ssh);
      ended = MakeError(absl::StatusCode::kUnavailable, v1::ERROR_REASON_TUNNEL_LOST,
                        absl::StrCat("the SSH session with the bastion at ", bastion_,
                                     " ended", (why != nullptr && *why) ? ": " : "",
                                     why != nullptr ? why : ""));
      break;
    }

    // 3. New connections from libpq: one channel each.
    if (polls[1].revents & POLLIN) {
      while (true) {
        sockaddr_in peer{};
        socklen_t length = sizeof(peer);
        int fd = accept4(listener_, reinterpret_cast<sockaddr*>(&peer), &length,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;
        int nodelay = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof(nodelay));
        ForwardedConnection f;
        f.fd = fd;
        f.client_port = ntohs(peer.sin_port);
        f.channel = ssh_channel_new(ssh);
        f.opening_since = absl::Now();
        if (f.channel == nullptr) {
          Fail(absl::ResourceExhaustedError("libssh: no channel for a forwarded connection"));
          f.done = true;
        }
        forwards.push_back(std::move(f));
      }
    }

    // 4. Each connection: open its channel, then move bytes both ways without blocking.
    for (ForwardedConnection& f : forwards) {
      if (f.done) continue;
      if (!f.open) {
        const int rc = ssh_channel_open_forward(f.channel, target_host_.c_str(), target_port_,
                                                "127.0.0.1", f.client_port);
        if (rc == SSH_AGAIN) {
          if (absl::Now() - f.opening_since > timeout_) {
            Fail(MakeError(absl::StatusCode::kDeadlineExceeded, v1::ERROR_REASON_TUNNEL_FORWARD_FAILED,
                           absl::StrCat("the SSH bastion at ", bastion_,
                                        " did not connect to the database at ", target,
                                        " within ", absl::FormatDuration(timeout_))));
            f.done = true;
          }
          continue;
        }
        if (rc != SSH_OK) {
          Fail(MakeError(absl::StatusCode::kUnavailable, v1::ERROR_REASON_TUNNEL_FORWARD_FAILED,
                         absl::StrCat("the SSH bastion at ", bastion_,
                                      " could not connect to the database at ", target,
                                      " (host and port as the bastion resolves and reaches "
                                      "them): ", ssh_get_error(ssh))));
          f.done = true;
          continue;
        }
        f.open = true;
      }
      // libpq -> database.
      if (!f.socket_eof && !f.channel_pending()) {
        const ssize_t n = read(f.fd, buffer.data(), buffer.size());
        if (n > 0) {
          f.to_channel.assign(buffer.data(), static_cast<size_t>(n));
          f.to_channel_done = 0;
        } else if (n == 0) {
          f.socket_eof = true;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          f.done = true;
          continue;
        }
      }
      if (f.channel_pending()) {
        const uint32_t window = ssh_channel_window_size(f.channel);
        const size_t n = std::min<size_t>(window, f.to_channel.size() - f.to_channel_done);
        if (n > 0) {
          const int written =
              ssh_channel_write(f.channel, f.to_channel.data() + f.to_channel_done,
                                static_cast<uint32_t>(n));
          if (written < 0) {
            f.done = true;
            continue;
          }
          f.to_channel_done += static_cast<size_t>(written);
        }
      }
      if (f.socket_eof && !f.channel_pending() && !f.eof_sent) {
        ssh_channel_send_eof(f.channel);
        f.eof_sent = true;
      }
      // database -> libpq.
      if (!f.channel_eof && !f.socket_pending()) {
        const int n = ssh_channel_read_nonblocking(f.channel, buffer.data(),
                                                   static_cast<uint32_t>(buffer.size()), 0);
        if (n > 0) {
          f.to_socket.assign(buffer.data(), static_cast<size_t>(n));
          f.to_socket_done = 0;
        } else if (n == SSH_EOF || (n == 0 && ssh_channel_is_eof(f.channel))) {
          f.channel_eof = true;
        } else if (n < 0) {
          f.done = true;
          continue;
        }
      }
      if (f.socket_pending()) {
        const ssize_t n = send(f.fd, f.to_socket.data() + f.to_socket_done,
                               f.to_socket.size() - f.to_socket_done, MSG_NOSIGNAL);
        if (n > 0) {
          f.to_socket_done += static_cast<size_t>(n);
        } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          f.done = true;
          continue;
        }
      }
      if (f.channel_eof && !f.socket_pending() && !f.shut_down) {
        shutdown(f.fd, SHUT_WR);
        f.shut_down = true;
      }
      if ((f.shut_down && f.eof_sent) ||
          (ssh_channel_is_closed(f.channel) && !f.socket_pending())) {
        f.done = true;
      }
    }
    for (auto it = forwards.begin(); it != forwards.end();) {
      if (it->done) {
        CloseForward(*it);
        it = forwards.erase(it);
      } else {
        ++it;
      }
    }
  }

  // Stopping, or the session ended: nothing is forwarded any more (the failure is recorded
  // first, so that whoever sees the tunnel dead finds why).
  if (!ended.ok()) Fail(ended);
  alive_.store(false, std::memory_order_release);
  close(listener_);
  listener_ = -1;
  for (ForwardedConnection& f : forwards) CloseForward(f);
}

}  // namespace tsdb_source::pg

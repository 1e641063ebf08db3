#include "control/client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <thread>
#include <vector>

#include "control/json_in.h"
#include "control/json_out.h"
#include "control/npub_compat.h"
#include "control/sockbind.h"
#include "control/utf8.h"
#include "io/fd.h"

namespace fips {
namespace {

constexpr size_t kMaxResponseBytes = 64u << 20;  // a guard, far above any real response

void set_timeouts(int fd, int timeout_ms) {
  timeval tv{};
  tv.tv_sec = timeout_ms / 1000;
  tv.tv_usec = static_cast<suseconds_t>((timeout_ms % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// Blocking connect, except that a full listen backlog (EAGAIN on a
// non-blocking AF_UNIX connect) is retried until the deadline.
int connect_unix(const std::string& path, int timeout_ms, int& err) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    err = -1;
    return -1;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
      err = errno;
      return -1;
    }
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
      const int flags = ::fcntl(fd.get(), F_GETFL);
      ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
      return fd.release();
    }
    err = errno;
    if (err != EAGAIN || std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool parse_ipv6(std::string_view s, in6_addr& out) {
  if (s.empty() || s.size() >= INET6_ADDRSTRLEN) return false;
  const std::string z(s);
  return ::inet_pton(AF_INET6, z.c_str(), &out) == 1;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool parse_u16(std::string_view s) {
  return all_digits(s) && s.size() <= 5 && std::stoul(std::string(s)) <= 65535;
}

// SocketAddrV6's FromStr: "[v6]:port" or "[v6%scope]:port" (numeric scope).
bool parse_socket_v6(std::string_view s, in6_addr& out) {
  if (s.empty() || s.front() != '[') return false;
  const size_t close = s.find(']');
  if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') return false;
  std::string_view host = s.substr(1, close - 1);
  if (const size_t pct = host.find('%'); pct != std::string_view::npos) {
    if (!all_digits(host.substr(pct + 1))) return false;
    host = host.substr(0, pct);
  }
  return parse_u16(s.substr(close + 2)) && parse_ipv6(host, out);
}

bool valid_hostname(std::string_view h) {
  if (h.empty() || h.size() > 63) return false;
  if (h.size() >= 5) {
    std::string prefix(h.substr(0, 5));
    for (char& c : prefix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (prefix == "npub1") return false;
  }
  if (h.front() == '-' || h.back() == '-') return false;
  for (char c : h)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  return true;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

std::string build_query_request(std::string_view command) {
  return "{\"command\":\"" + std::string(command) + "\"}\n";
}

std::string build_command_request(std::string_view command, const nlohmann::json& params) {
  nlohmann::json req = nlohmann::json::object();
  req["command"] = std::string(command);
  req["params"] = params;
  return json_compact(req) + "\n";
}

Result<nlohmann::json, std::string> send_control_request(const std::string& socket_path,
                                                         std::string_view request, int timeout_ms) {
  int err = 0;
  UniqueFd fd(connect_unix(socket_path, timeout_ms, err));
  if (!fd) {
    const std::string what =
        err == -1 ? std::string("path must be shorter than SUN_LEN") : os_error_string(err);
    if (err == EACCES)
      return Err{"cannot connect to " + socket_path + ": " + what +
                 "\nHint: add your user to the 'fips' group: sudo usermod -aG fips $USER\n"
                 "Then log out and back in for the change to take effect."};
    return Err{"cannot connect to " + socket_path + ": " + what + "\nIs the FIPS daemon running?"};
  }
  set_timeouts(fd.get(), timeout_ms);

  size_t off = 0;
  while (off < request.size()) {
    const ssize_t n = ::send(fd.get(), request.data() + off, request.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Err{"failed to send request: " + os_error_string(n < 0 ? errno : EPIPE)};
    off += static_cast<size_t>(n);
  }
  ::shutdown(fd.get(), SHUT_WR);

  std::string line;
  bool newline = false;
  char buf[4096];
  while (!newline) {
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Err{"failed to read response: " + os_error_string(errno)};
    if (n == 0) break;
    std::string_view chunk(buf, static_cast<size_t>(n));
    if (const size_t nl = chunk.find('\n'); nl != std::string_view::npos) {
      chunk = chunk.substr(0, nl + 1);
      newline = true;
    }
    line.append(chunk);
    if (line.size() > kMaxResponseBytes)
      return Err{std::string("failed to read response: response too large")};
  }
  if (line.empty()) return Err{std::string("no response from daemon")};
  if (!utf8_valid(line))
    return Err{std::string("failed to read response: stream did not contain valid UTF-8")};
  if (!line.empty() && line.back() == '\n') {  // BufRead::lines strips "\n" / "\r\n"
    line.pop_back();
    if (!line.empty() && line.back() == '\r') line.pop_back();
  }
  auto v = parse_json_value(line);
  if (!v) return Err{"invalid response JSON: " + v.error()};
  return std::move(*v);
}

CliOutput render_control_response(const nlohmann::json& response) {
  CliOutput o;
  std::string status = "unknown";
  if (response.is_object()) {
    auto it = response.find("status");
    if (it != response.end() && it->is_string()) status = it->get<std::string>();
  }
  if (status == "error") {
    std::string msg = "unknown error";
    auto it = response.find("message");
    if (it != response.end() && it->is_string()) msg = it->get<std::string>();
    o.exit_code = 1;
    o.err = "error: " + msg + "\n";
    return o;
  }
  if (response.is_object()) {
    auto it = response.find("data");
    if (it != response.end()) {
      o.out = json_pretty(*it) + "\n";
      return o;
    }
  }
  o.out = json_pretty(response) + "\n";
  return o;
}

bool is_fips_mesh_address(std::string_view address) {
  in6_addr a{};
  if (parse_ipv6(address, a) || parse_socket_v6(address, a)) return a.s6_addr[0] == 0xfd;
  if (const size_t colon = address.rfind(':'); colon != std::string_view::npos) {
    const std::string_view port = address.substr(colon + 1);
    std::string_view host = address.substr(0, colon);
    if (all_digits(port)) {
      while (!host.empty() && host.front() == '[') host.remove_prefix(1);
      while (!host.empty() && host.back() == ']') host.remove_suffix(1);
      if (parse_ipv6(host, a)) return a.s6_addr[0] == 0xfd;
    }
  }
  return false;
}

std::optional<std::string> check_connect_address(std::string_view address,
                                                 std::string_view transport) {
  const bool checked = transport == "udp" || transport == "tcp" || transport == "ethernet";
  if (!checked || !is_fips_mesh_address(address)) return std::nullopt;
  std::string msg = "'";
  msg.append(address);
  msg += "' is a FIPS mesh address (fd00::/8), not a reachable ";
  msg.append(transport);
  msg +=
      " endpoint.\nProvide the peer's routable IP/hostname and port (e.g., '192.0.2.1:2121' "
      "or 'peer.example.com:2121').";
  return msg;
}

std::optional<std::string> lookup_hosts_npub(const std::string& hosts_path, std::string_view name) {
  std::ifstream f(hosts_path);
  if (!f) return std::nullopt;
  std::map<std::string, std::string> by_name;
  std::string raw;
  size_t lines = 0;
  while (std::getline(f, raw) && ++lines <= 100000) {
    std::string_view line = rust_trim(raw);
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string_view> fields;
    size_t i = 0;
    while (i < line.size() && fields.size() <= 2) {
      while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
      const size_t start = i;
      while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
      if (i > start) fields.push_back(line.substr(start, i - start));
    }
    if (fields.size() != 2 || !valid_hostname(fields[0])) continue;
    if (!decode_npub_compat(fields[1])) continue;
    by_name[ascii_lower(fields[0])] = std::string(fields[1]);
  }
  auto it = by_name.find(ascii_lower(name));
  if (it == by_name.end()) return std::nullopt;
  return it->second;
}

}  // namespace fips

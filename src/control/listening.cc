#include "control/listening.h"

#include <algorithm>
#include <cstring>
#include <tuple>

#include "control/firewall_state.h"
#include "identity/node_addr.h"

namespace fips::listening {
namespace {

constexpr uint8_t kTcpListen = 0x0A;  // TCP_LISTEN in include/net/tcp_states.h

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Exactly `s.size()` hex digits (at most 16) as a number.
std::optional<uint64_t> parse_hex(std::string_view s) {
  if (s.empty() || s.size() > 16) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    int d = hex_digit(c);
    if (d < 0) return std::nullopt;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  return v;
}

std::optional<uint64_t> parse_dec(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

// "<32 hex>:<4 hex>". The kernel prints the address as four 32-bit words,
// each as the host reads it (%08X of a __be32), so each word's bytes are in
// host order: copying the parsed word's memory gives the network bytes.
bool parse_endpoint(std::string_view s, Ipv6Bytes& addr, uint16_t& port) {
  if (s.size() != 37 || s[32] != ':') return false;
  for (size_t w = 0; w < 4; ++w) {
    auto v = parse_hex(s.substr(w * 8, 8));
    if (!v) return false;
    const auto word = static_cast<uint32_t>(*v);
    std::memcpy(addr.data() + w * 4, &word, 4);
  }
  auto p = parse_hex(s.substr(33, 4));
  if (!p) return false;
  port = static_cast<uint16_t>(*p);
  return true;
}

bool is_zero(const Ipv6Bytes& a) {
  return std::all_of(a.begin(), a.end(), [](uint8_t b) { return b == 0; });
}

// Whitespace-separated fields of one line.
std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> f;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) f.push_back(line.substr(i, j - i));
    i = j;
  }
  return f;
}

}  // namespace

const char* proto_name(Proto p) {
  return p == Proto::kTcp ? "tcp" : "udp";
}

void parse_proc_net(std::string_view text, Proto proto, const Ipv6Bytes& fips0,
                    std::vector<Socket>& out, ParseStats& stats) {
  // Columns: sl local_address rem_address st tx_queue:rx_queue tr:tm->when
  // retrnsmt uid timeout inode ... (net/ipv6/tcp_ipv6.c get_tcp6_sock).
  bool header = true;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (header) {  // the first line names the columns
      header = false;
      continue;
    }
    const auto f = fields(line);
    if (f.empty()) continue;
    ++stats.rows;
    Socket s;
    s.proto = proto;
    Ipv6Bytes remote{};
    uint16_t remote_port = 0;
    std::optional<uint64_t> state, inode;
    if (f.size() >= 10 && f[0].size() >= 2 && f[0].back() == ':' &&
        parse_dec(f[0].substr(0, f[0].size() - 1)) && parse_endpoint(f[1], s.local_addr, s.port) &&
        parse_endpoint(f[2], remote, remote_port) && f[3].size() == 2)
      state = parse_hex(f[3]), inode = parse_dec(f[9]);
    if (!state || !inode) {
      ++stats.skipped;
      continue;
    }
    s.inode = *inode;
    // TCP: LISTEN only. UDP has no listen state; a socket with no remote
    // address has not been connect(2)ed and receives from anyone.
    if (proto == Proto::kTcp ? *state != kTcpListen : !is_zero(remote)) continue;
    s.wildcard_bind = is_zero(s.local_addr);
    if (!s.wildcard_bind && s.local_addr != fips0) continue;
    out.push_back(std::move(s));
  }
}

std::optional<uint64_t> socket_inode(std::string_view t) {
  constexpr std::string_view kPrefix = "socket:[";
  if (t.size() <= kPrefix.size() + 1 || t.substr(0, kPrefix.size()) != kPrefix || t.back() != ']')
    return std::nullopt;
  return parse_dec(t.substr(kPrefix.size(), t.size() - kPrefix.size() - 1));
}

void sort_sockets(std::vector<Socket>& v) {
  std::stable_sort(v.begin(), v.end(), [](const Socket& a, const Socket& b) {
    return std::make_tuple(std::string_view(proto_name(a.proto)), a.port, a.pid) <
           std::make_tuple(std::string_view(proto_name(b.proto)), b.port, b.pid);
  });
}

nlohmann::json show_listening_sockets_data(const Ipv6Bytes& fips0,
                                           const std::vector<Socket>& sockets,
                                           const FilterClassifier& firewall,
                                           uint64_t skipped_lines) {
  auto addr_text = [](const Ipv6Bytes& b) { return FipsAddress{b}.str(); };
  nlohmann::json rows = nlohmann::json::array();
  for (const Socket& s : sockets) {
    nlohmann::json r = {
        {"proto", proto_name(s.proto)},
        {"local_addr", addr_text(s.local_addr)},
        {"port", s.port},
        {"pid", nullptr},
        {"process", nullptr},
        {"filter", filter_state_name(firewall.classify(s.proto, s.port))},
        {"wildcard_bind", s.wildcard_bind},
    };
    if (s.pid) r["pid"] = *s.pid;
    if (s.process) r["process"] = *s.process;
    rows.push_back(std::move(r));
  }
  nlohmann::json d = {{"fips0_addr", addr_text(fips0)},
                      {"firewall_active", firewall.active()},
                      {"sockets", std::move(rows)}};
  if (skipped_lines > 0) d["skipped_lines"] = skipped_lines;
  return d;
}

}  // namespace fips::listening

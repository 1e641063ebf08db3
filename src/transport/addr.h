// Transport endpoint addresses (IPv4/IPv6 socket addresses) and transport ids.
// IPv4-mapped IPv6 addresses are canonicalised to IPv4 so one peer never
// appears under two keys. Not here: sockets (transport/udp, transport/tcp).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace fips {

using TransportId = uint32_t;

class TransportAddr {
 public:
  TransportAddr() = default;
  static TransportAddr from_sockaddr(const sockaddr* sa, socklen_t len);
  // "1.2.3.4:2121", "[2001:db8::1]:2121", "[fe80::1%eth0]:2121". No DNS.
  static std::optional<TransportAddr> parse(std::string_view s);
  // A synthetic address for in-memory transports (simulator, tests).
  static TransportAddr synthetic(uint64_t id);

  [[nodiscard]] bool valid() const { return family_ != 0; }
  [[nodiscard]] bool is_v4() const { return family_ == AF_INET; }
  [[nodiscard]] bool is_v6() const { return family_ == AF_INET6; }
  [[nodiscard]] uint16_t port() const { return port_; }
  [[nodiscard]] const uint8_t* ip() const { return ip_; }
  [[nodiscard]] uint64_t synthetic_id() const;

  // Fills a sockaddr_in / sockaddr_in6 (for an AF_INET6 socket, v4 addresses
  // are written IPv4-mapped when v6_socket is true). Returns the length.
  socklen_t to_sockaddr(sockaddr_storage& ss, bool v6_socket) const;
  // The source a per-source budget is kept for: the IPv4 address, the IPv6
  // /64 (one subscriber's usual allocation), or the synthetic address
  // itself; always with port 0.
  [[nodiscard]] TransportAddr host() const;
  std::string str() const;

  bool operator==(const TransportAddr& o) const {
    return family_ == o.family_ && port_ == o.port_ && scope_ == o.scope_ &&
           std::memcmp(ip_, o.ip_, 16) == 0;
  }
  size_t hash() const;

 private:
  uint16_t family_ = 0;  // AF_INET, AF_INET6, or kSynthetic
  uint16_t port_ = 0;
  uint32_t scope_ = 0;
  uint8_t ip_[16] = {};  // v4 in the first 4 bytes
};

struct TransportAddrHash {
  size_t operator()(const TransportAddr& a) const noexcept { return a.hash(); }
};

}  // namespace fips

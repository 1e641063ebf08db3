#include "transport/addr.h"

#include <arpa/inet.h>
#include <net/if.h>

#include <charconv>

namespace fips {
namespace {
constexpr uint16_t kSynthetic = 0xFFFF;
const uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
}  // namespace

TransportAddr TransportAddr::from_sockaddr(const sockaddr* sa, socklen_t len) {
  TransportAddr a;
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    const auto* s4 = reinterpret_cast<const sockaddr_in*>(sa);
    a.family_ = AF_INET;
    a.port_ = ntohs(s4->sin_port);
    std::memcpy(a.ip_, &s4->sin_addr, 4);
  } else if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    const auto* s6 = reinterpret_cast<const sockaddr_in6*>(sa);
    a.port_ = ntohs(s6->sin6_port);
    if (std::memcmp(&s6->sin6_addr, kV4MappedPrefix, 12) == 0) {
      a.family_ = AF_INET;
      std::memcpy(a.ip_, reinterpret_cast<const uint8_t*>(&s6->sin6_addr) + 12, 4);
    } else {
      a.family_ = AF_INET6;
      std::memcpy(a.ip_, &s6->sin6_addr, 16);
      a.scope_ = s6->sin6_scope_id;
    }
  }
  return a;
}

std::optional<TransportAddr> TransportAddr::parse(std::string_view s) {
  std::string host;
  std::string_view port_s;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':')
      return std::nullopt;
    host = std::string(s.substr(1, close - 1));
    port_s = s.substr(close + 2);
  } else {
    size_t colon = s.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = std::string(s.substr(0, colon));
    if (host.find(':') != std::string::npos) return std::nullopt;  // bare v6 needs brackets
    port_s = s.substr(colon + 1);
  }
  unsigned port = 0;
  auto [p, ec] = std::from_chars(port_s.data(), port_s.data() + port_s.size(), port);
  if (ec != std::errc() || p != port_s.data() + port_s.size() || port > 65535 || port_s.empty())
    return std::nullopt;
  TransportAddr a;
  a.port_ = static_cast<uint16_t>(port);
  uint32_t scope = 0;
  size_t pct = host.find('%');
  if (pct != std::string::npos) {
    std::string ifname = host.substr(pct + 1);
    host.resize(pct);
    scope = if_nametoindex(ifname.c_str());
    if (scope == 0) {
      unsigned v = 0;
      auto [q, e2] = std::from_chars(ifname.data(), ifname.data() + ifname.size(), v);
      if (e2 != std::errc() || q != ifname.data() + ifname.size()) return std::nullopt;
      scope = v;
    }
  }
  in_addr v4{};
  in6_addr v6{};
  if (pct == std::string::npos && inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    a.family_ = AF_INET;
    std::memcpy(a.ip_, &v4, 4);
    return a;
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (std::memcmp(&v6, kV4MappedPrefix, 12) == 0) {
      a.family_ = AF_INET;
      std::memcpy(a.ip_, reinterpret_cast<uint8_t*>(&v6) + 12, 4);
    } else {
      a.family_ = AF_INET6;
      std::memcpy(a.ip_, &v6, 16);
      a.scope_ = scope;
    }
    return a;
  }
  return std::nullopt;
}

TransportAddr TransportAddr::synthetic(uint64_t id) {
  TransportAddr a;
  a.family_ = kSynthetic;
  std::memcpy(a.ip_, &id, sizeof id);
  return a;
}

TransportAddr TransportAddr::host() const {
  TransportAddr h = *this;
  if (family_ == kSynthetic) return h;
  h.port_ = 0;
  if (family_ == AF_INET6) std::memset(h.ip_ + 8, 0, 8);
  return h;
}

uint64_t TransportAddr::synthetic_id() const {
  uint64_t id = 0;
  if (family_ == kSynthetic) std::memcpy(&id, ip_, sizeof id);
  return id;
}

socklen_t TransportAddr::to_sockaddr(sockaddr_storage& ss, bool v6_socket) const {
  std::memset(&ss, 0, sizeof ss);
  if (family_ == AF_INET && !v6_socket) {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port_);
    std::memcpy(&s4->sin_addr, ip_, 4);
    return sizeof(sockaddr_in);
  }
  auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
  s6->sin6_family = AF_INET6;
  s6->sin6_port = htons(port_);
  if (family_ == AF_INET) {
    std::memcpy(&s6->sin6_addr, kV4MappedPrefix, 12);
    std::memcpy(reinterpret_cast<uint8_t*>(&s6->sin6_addr) + 12, ip_, 4);
  } else {
    std::memcpy(&s6->sin6_addr, ip_, 16);
    s6->sin6_scope_id = scope_;
  }
  return sizeof(sockaddr_in6);
}

std::string TransportAddr::str() const {
  char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2] = {};
  if (family_ == AF_INET) {
    inet_ntop(AF_INET, ip_, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(port_);
  }
  if (family_ == AF_INET6) {
    inet_ntop(AF_INET6, ip_, buf, sizeof buf);
    std::string h(buf);
    if (scope_ != 0) {
      char ifn[IF_NAMESIZE] = {};
      h += "%";
      h += if_indextoname(scope_, ifn) ? std::string(ifn) : std::to_string(scope_);
    }
    return "[" + h + "]:" + std::to_string(port_);
  }
  if (family_ == kSynthetic) return "mem:" + std::to_string(synthetic_id());
  return "invalid";
}

size_t TransportAddr::hash() const {
  uint64_t a, b;
  std::memcpy(&a, ip_, 8);
  std::memcpy(&b, ip_ + 8, 8);
  uint64_t h = a * 0x9E3779B97F4A7C15ULL ^ (b + 0x632BE59BD9B4E019ULL + (a << 6) + (a >> 2));
  h ^= (static_cast<uint64_t>(family_) << 48) ^ (static_cast<uint64_t>(port_) << 16) ^ scope_;
  h *= 0xff51afd7ed558ccdULL;
  return static_cast<size_t>(h ^ (h >> 33));
}

}  // namespace fips

// NodeAddr (16-byte routing identifier) and FipsAddress (fd00::/8 IPv6).
// Not here: keys and their encodings (identity/identity.h).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>

namespace fips {

struct NodeAddr {
  std::array<uint8_t, 16> bytes{};

  static NodeAddr from_span(std::span<const uint8_t, 16> s) {
    NodeAddr a;
    std::memcpy(a.bytes.data(), s.data(), 16);
    return a;
  }
  // SHA-256(x-only public key)[0..16].
  static NodeAddr from_xonly(std::span<const uint8_t, 32> xonly);

  std::string hex() const;        // 32 lower-case hex chars
  std::string short_hex() const;  // first 4 bytes + "..."
  bool is_zero() const {
    for (uint8_t b : bytes)
      if (b) return false;
    return true;
  }
  auto operator<=>(const NodeAddr&) const = default;
};

inline constexpr uint8_t kFipsAddressPrefix = 0xfd;

// fd || node_addr[0..15]: the node's address in fd00::/8.
struct FipsAddress {
  std::array<uint8_t, 16> bytes{};

  static FipsAddress from_node_addr(const NodeAddr& a);
  std::string str() const;  // RFC 5952 text form
  auto operator<=>(const FipsAddress&) const = default;
};

struct NodeAddrHash {
  size_t operator()(const NodeAddr& a) const noexcept {
    // node_addr is a SHA-256 prefix: any 8 bytes are uniformly distributed.
    uint64_t v;
    std::memcpy(&v, a.bytes.data(), 8);
    return static_cast<size_t>(v);
  }
};

}  // namespace fips

#include "identity/node_addr.h"

#include <arpa/inet.h>

#include "crypto/sha256.h"
#include "util/hex.h"

namespace fips {

NodeAddr NodeAddr::from_xonly(std::span<const uint8_t, 32> xonly) {
  Digest32 h = sha256(xonly);
  NodeAddr a;
  std::memcpy(a.bytes.data(), h.data(), 16);
  return a;
}

std::string NodeAddr::hex() const { return to_hex(bytes); }

std::string NodeAddr::short_hex() const {
  return to_hex(std::span<const uint8_t>(bytes.data(), 4)) + "...";
}

FipsAddress FipsAddress::from_node_addr(const NodeAddr& a) {
  FipsAddress f;
  f.bytes[0] = kFipsAddressPrefix;
  std::memcpy(f.bytes.data() + 1, a.bytes.data(), 15);
  return f;
}

std::string FipsAddress::str() const {
  char buf[INET6_ADDRSTRLEN];
  if (!inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf)) return {};
  return buf;
}

}  // namespace fips

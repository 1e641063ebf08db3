#include "config/peer_addresses.h"

#include <algorithm>

namespace fips {

std::vector<const PeerAddressConfig*> addresses_by_priority(const PeerConfig& peer) {
  std::vector<const PeerAddressConfig*> out;
  out.reserve(peer.addresses.size());
  for (const PeerAddressConfig& a : peer.addresses) out.push_back(&a);
  std::stable_sort(out.begin(), out.end(), [](const PeerAddressConfig* x, const PeerAddressConfig* y) {
    return x->priority < y->priority;
  });
  return out;
}

}  // namespace fips

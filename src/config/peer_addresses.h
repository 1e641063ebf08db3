// Order of a configured peer's addresses for dialling: by
// peers[].addresses[].priority, lower first, keeping the file's order among
// equal priorities (the reference's PeerConfig::addresses_by_priority, a
// stable sort). The link layer dials the first max_parallel_dials (4, the
// reference's MAX_PARALLEL_PATH_CANDIDATES_PER_PEER) of them at once, so
// priority decides which addresses are tried when there are more.
// Not here: resolving or dialling (daemon/, node/link_layer.h).
#pragma once

#include <vector>

#include "config/config.h"

namespace fips {

std::vector<const PeerAddressConfig*> addresses_by_priority(const PeerConfig& peer);

}  // namespace fips

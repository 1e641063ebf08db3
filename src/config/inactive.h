// Configuration this version accepts but does not act on: the keys an
// operator set to a value that would enable or change something in the
// reference, while this implementation ignores them. The daemon logs one
// warning per key at start-up and show_status lists the keys
// ("inactive_config"), so nobody believes a feature runs when it does not.
// A key left at its default, or explicitly disabled, is not listed.
//
// Driven once, on the validated Config (after the cascade merge), so a key
// enabled in one file and disabled again in a later one is not reported.
// Not here: unknown keys (load.h warnings), the ignored-section warnings the
// parser already gives (they stay; this list is what show_status reports).
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace fips {

struct InactiveKey {
  std::string key;     // "node.rendezvous.nostr.enabled", "transports.tor", "peers[2].via_nostr"
  std::string reason;  // what it would do, e.g. "Nostr peer rendezvous is not implemented"
};

// In a fixed order (node.*, transports.*, peers, gateway); empty for the
// defaults.
std::vector<InactiveKey> inactive_config(const Config& cfg);

// The start-up warning for one key: "<key>: <reason>; this setting has no
// effect in this version".
std::string inactive_warning(const InactiveKey& k);

}  // namespace fips

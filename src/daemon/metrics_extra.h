// The daemon's data-plane counters for show_metrics (OURS: the reference has
// no equivalent families) and the session-layer parts of show_routing /
// show_metrics that the reference does have (error_signals, pending TUN
// gauges, congestion.ce_received).
// Not here: the routing-layer families (control/queries_routing.h).
#pragma once

#include <nlohmann/json.hpp>

#include "control/queries_routing.h"
#include "ipv6/adapter.h"
#include "ipv6/dns.h"
#include "ipv6/tun.h"
#include "node/session_layer.h"

namespace fips {

ErrorSignalCounters error_signal_counters(const fsp::SessionCounters& s);
// {"tun", "ipv6", "dns", "session_layer", "fsp"}; absent parts (no TUN, no
// DNS) are omitted.
nlohmann::json dataplane_metrics_json(const SessionLayer& sl, const ipv6::Ipv6Adapter* adapter,
                                      const ipv6::TunDevice* tun, const dns::DnsServer* dns);

}  // namespace fips

// The `data` objects of show_tree, show_bloom, show_routing, show_cache,
// show_identity_cache and show_metrics (docs/spec/control.md §3.8-§3.14), built from
// the routing cores' snapshot structs plus a small per-query struct of what
// only the node knows (display names, root npub, retry table, counter
// families no core owns yet). Pure functions: same input, same bytes.
// Field names, int-vs-float types, optional-vs-null rules follow the
// reference; keys come out sorted (nlohmann's std::map, like serde_json's
// BTreeMap). Array rows keep the snapshot's order (the cores sort by
// node_addr; the reference's order is HashMap order, i.e. unspecified).
// Not here: collecting the snapshots (node/), JSON text
// (control/json_out.h), show_status/peers/links/connections/transports and
// the forwarding family (control/queries.h).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cache/coord_cache.h"
#include "cache/identity_cache.h"
#include "identity/node_addr.h"
#include "node/link_types.h"
#include "proto/bloom/state.h"
#include "proto/lookup/core.h"
#include "proto/routing/core.h"
#include "proto/stp/tree.h"

namespace fips {

// node_addr -> display name as the node resolves it (docs/spec/control.md §3,
// display_name rules 1-4: hosts file, alias, short npub of a peer or a
// session). An address missing from the map prints as its short hex
// "xxxxxxxx..." (rule 5) -- which is also what the reference shows for us.
using DisplayNames = std::map<NodeAddr, std::string>;
std::string display_name(const DisplayNames& names, const NodeAddr& addr);

// Reference `errors` family (show_routing.error_signals, show_metrics.errors).
// No core owns all of these yet; the node fills them
// (lookup_resp_mtu_below_floor comes from lookup::LookupExtraCounters).
struct ErrorSignalCounters {
  uint64_t coords_required = 0;
  uint64_t path_broken = 0;
  uint64_t mtu_exceeded = 0;
  uint64_t path_mtu_notif_below_floor = 0;
  uint64_t mtu_exceeded_below_floor = 0;
  uint64_t lookup_resp_mtu_below_floor = 0;
  uint64_t unbound_coords = 0;
  uint64_t unbound_broken = 0;
  uint64_t unbound_mtu = 0;
  uint64_t unbound_forged = 0;
};

// Reference `congestion` family (show_routing.congestion, show_metrics.congestion).
struct CongestionCounters {
  uint64_t ce_forwarded = 0;
  uint64_t ce_received = 0;
  uint64_t congestion_detected = 0;
  uint64_t kernel_drop_events = 0;
};

// Reference `native` family (native datagram API). We have no such API: all
// zero, present so show_metrics carries the reference's schema.
struct NativeCounters {
  uint64_t flows_opened = 0;
  uint64_t flows_accepted = 0;
  uint64_t flows_closed = 0;
  uint64_t flows_expired = 0;
  uint64_t sent_datagrams = 0;
  uint64_t sent_bytes = 0;
  uint64_t received_datagrams = 0;
  uint64_t received_bytes = 0;
  uint64_t drop_no_port = 0;
  uint64_t drop_backlog_full = 0;
  uint64_t drop_too_many_flows = 0;
  uint64_t drop_pending_queue_full = 0;
  uint64_t drop_flow_queue_full = 0;
  uint64_t drop_arrival_queue_full = 0;
  uint64_t drop_listener_not_reading = 0;
  uint64_t drop_listener_gone = 0;
  uint64_t drop_oversize = 0;
};

// Counter families as {name: u64} objects, reference names.
nlohmann::json tree_counters_json(const stp::TreeCounters& c);         // 17
nlohmann::json bloom_counters_json(const bloom::BloomCounters& c);     // 11
nlohmann::json lookup_counters_json(const lookup::LookupCounters& c);  // 22
nlohmann::json error_signals_json(const ErrorSignalCounters& c);       // 10
nlohmann::json congestion_json(const CongestionCounters& c);           // 4
nlohmann::json native_json(const NativeCounters& c);                   // 17
// Ours (no reference counterpart): one key per LinkDrop reason
// (link_drop_name) plus frames/bytes in/out, handshakes_completed,
// rekeys_completed, peers_removed_{dead,decrypt}, disconnects_{received,sent}.
nlohmann::json link_counters_json(const LinkCounters& c);

// ---------------------------------------------------------------- show_tree

struct TreeQueryExtras {
  std::optional<std::string> root_npub;  // null when the root's key is unknown
  DisplayNames display_names;            // tree peers and the parent
};
// peers[] rows: {display_name, node_addr} + coords, depth, root,
// distance_to_us when the peer's coordinates are known (non-empty).
nlohmann::json show_tree_data(const stp::TreeSnapshot& t, const TreeQueryExtras& x);

// ---------------------------------------------------------------- show_bloom

// peer_filters[] rows: {display_name, filter_sequence, has_filter, peer} +
// estimated_count (float or null), fill_ratio, set_bits when has_filter.
// uptree_fill_ratio / uptree_estimated_count are null when unset.
nlohmann::json show_bloom_data(const bloom::BloomSnapshot& b, const DisplayNames& names);

// ---------------------------------------------------------------- caches

// entries[]: ipv6_addr derived from node_addr, depth = coords.size() - 1,
// path_mtu only when known.
nlohmann::json show_cache_data(const CoordCacheSnapshot& c, const DisplayNames& names);
// count = the number of rows listed (as the reference).
nlohmann::json show_identity_cache_data(const IdentityCacheSnapshot& c, const DisplayNames& names);

// ---------------------------------------------------------------- show_routing

// One peer-reconnect entry of the node's retry table.
struct RetryRow {
  NodeAddr node_addr{};
  uint32_t retry_count = 0;
  uint64_t retry_after_ms = 0;  // absolute Unix ms of the next attempt
  bool auto_reconnect = true;
};

struct RoutingQueryExtras {
  DisplayNames display_names;         // pending lookup targets and retry peers
  size_t coord_cache_entries = 0;     // CoordCacheSnapshot::count (expired included)
  size_t identity_cache_entries = 0;  // IdentityCache::size()
  uint64_t pending_tun_destinations = 0;
  uint64_t pending_tun_packets = 0;
  std::vector<RetryRow> retries;
  ErrorSignalCounters error_signals;
  CongestionCounters congestion;
};
// `discovery` and `lookup` carry the same 22 counters (the reference keeps
// `discovery` as a deprecated alias).
nlohmann::json show_routing_data(const lookup::LookupSnapshot& l,
                                 const lookup::LookupCounters& lookup_counters,
                                 const routing::ForwardingCounters& forwarding,
                                 const RoutingQueryExtras& x);

// ---------------------------------------------------------------- show_metrics

struct MetricsExtras {
  ErrorSignalCounters errors;
  CongestionCounters congestion;
  NativeCounters native;
};
// The reference's families forwarding, discovery (= lookup), lookup, tree,
// bloom, congestion, errors, native -- plus `link`, which is OURS (FMP
// link-layer drop and traffic counters, link_counters_json).
nlohmann::json show_metrics_data(const routing::ForwardingCounters& forwarding,
                                 const lookup::LookupCounters& lookup,
                                 const stp::TreeCounters& tree, const bloom::BloomCounters& bloom,
                                 const LinkCounters& link, const MetricsExtras& x);

}  // namespace fips

#include "control/queries_routing.h"

#include <array>
#include <string_view>

#include "control/queries.h"

namespace fips {

using nlohmann::json;

namespace {

template <class T>
struct Field {
  std::string_view name;
  uint64_t T::*member;
};

template <class T, size_t N>
json family_json(const T& c, const std::array<Field<T>, N>& fields) {
  // Every u64 of the struct must be listed: a counter added to a core
  // without a name here would otherwise vanish from the output.
  static_assert(sizeof(T) == N * sizeof(uint64_t), "counter struct and field table disagree");
  json j = json::object();
  for (const Field<T>& f : fields) j[std::string(f.name)] = c.*f.member;
  return j;
}

#define FIPS_FIELD(T, name) \
  Field<T> {                \
#name, &T::name         \
  }

using stp::TreeCounters;
constexpr std::array<Field<TreeCounters>, 17> kTreeFields = {
    FIPS_FIELD(TreeCounters, received),
    FIPS_FIELD(TreeCounters, decode_error),
    FIPS_FIELD(TreeCounters, unknown_peer),
    FIPS_FIELD(TreeCounters, addr_mismatch),
    FIPS_FIELD(TreeCounters, sig_failed),
    FIPS_FIELD(TreeCounters, stale),
    FIPS_FIELD(TreeCounters, ancestry_invalid),
    FIPS_FIELD(TreeCounters, accepted),
    FIPS_FIELD(TreeCounters, loop_detected),
    FIPS_FIELD(TreeCounters, ancestry_changed),
    FIPS_FIELD(TreeCounters, sent),
    FIPS_FIELD(TreeCounters, rate_limited),
    FIPS_FIELD(TreeCounters, send_failed),
    FIPS_FIELD(TreeCounters, outbound_sign_failed),
    FIPS_FIELD(TreeCounters, parent_switches),
    FIPS_FIELD(TreeCounters, parent_losses),
    FIPS_FIELD(TreeCounters, flap_dampened),
};

using bloom::BloomCounters;
constexpr std::array<Field<BloomCounters>, 11> kBloomFields = {
    FIPS_FIELD(BloomCounters, received),      FIPS_FIELD(BloomCounters, decode_error),
    FIPS_FIELD(BloomCounters, invalid),       FIPS_FIELD(BloomCounters, non_v1),
    FIPS_FIELD(BloomCounters, unknown_peer),  FIPS_FIELD(BloomCounters, stale),
    FIPS_FIELD(BloomCounters, fill_exceeded), FIPS_FIELD(BloomCounters, accepted),
    FIPS_FIELD(BloomCounters, sent),          FIPS_FIELD(BloomCounters, debounce_suppressed),
    FIPS_FIELD(BloomCounters, send_failed),
};

using lookup::LookupCounters;
constexpr std::array<Field<LookupCounters>, 22> kLookupFields = {
    FIPS_FIELD(LookupCounters, req_received),
    FIPS_FIELD(LookupCounters, req_decode_error),
    FIPS_FIELD(LookupCounters, req_duplicate),
    FIPS_FIELD(LookupCounters, req_dedup_cache_full),
    FIPS_FIELD(LookupCounters, req_target_is_us),
    FIPS_FIELD(LookupCounters, req_forwarded),
    FIPS_FIELD(LookupCounters, req_ttl_exhausted),
    FIPS_FIELD(LookupCounters, req_initiated),
    FIPS_FIELD(LookupCounters, req_deduplicated),
    FIPS_FIELD(LookupCounters, req_backoff_suppressed),
    FIPS_FIELD(LookupCounters, req_forward_rate_limited),
    FIPS_FIELD(LookupCounters, req_bloom_miss),
    FIPS_FIELD(LookupCounters, req_no_tree_peer),
    FIPS_FIELD(LookupCounters, req_fallback_forwarded),
    FIPS_FIELD(LookupCounters, resp_received),
    FIPS_FIELD(LookupCounters, resp_decode_error),
    FIPS_FIELD(LookupCounters, resp_forwarded),
    FIPS_FIELD(LookupCounters, resp_identity_miss),
    FIPS_FIELD(LookupCounters, resp_proof_failed),
    FIPS_FIELD(LookupCounters, resp_no_route),
    FIPS_FIELD(LookupCounters, resp_accepted),
    FIPS_FIELD(LookupCounters, resp_timed_out),
};

constexpr std::array<Field<ErrorSignalCounters>, 10> kErrorFields = {
    FIPS_FIELD(ErrorSignalCounters, coords_required),
    FIPS_FIELD(ErrorSignalCounters, path_broken),
    FIPS_FIELD(ErrorSignalCounters, mtu_exceeded),
    FIPS_FIELD(ErrorSignalCounters, path_mtu_notif_below_floor),
    FIPS_FIELD(ErrorSignalCounters, mtu_exceeded_below_floor),
    FIPS_FIELD(ErrorSignalCounters, lookup_resp_mtu_below_floor),
    FIPS_FIELD(ErrorSignalCounters, unbound_coords),
    FIPS_FIELD(ErrorSignalCounters, unbound_broken),
    FIPS_FIELD(ErrorSignalCounters, unbound_mtu),
    FIPS_FIELD(ErrorSignalCounters, unbound_forged),
};

constexpr std::array<Field<CongestionCounters>, 4> kCongestionFields = {
    FIPS_FIELD(CongestionCounters, ce_forwarded),
    FIPS_FIELD(CongestionCounters, ce_received),
    FIPS_FIELD(CongestionCounters, congestion_detected),
    FIPS_FIELD(CongestionCounters, kernel_drop_events),
};

constexpr std::array<Field<NativeCounters>, 17> kNativeFields = {
    FIPS_FIELD(NativeCounters, flows_opened),
    FIPS_FIELD(NativeCounters, flows_accepted),
    FIPS_FIELD(NativeCounters, flows_closed),
    FIPS_FIELD(NativeCounters, flows_expired),
    FIPS_FIELD(NativeCounters, sent_datagrams),
    FIPS_FIELD(NativeCounters, sent_bytes),
    FIPS_FIELD(NativeCounters, received_datagrams),
    FIPS_FIELD(NativeCounters, received_bytes),
    FIPS_FIELD(NativeCounters, drop_no_port),
    FIPS_FIELD(NativeCounters, drop_backlog_full),
    FIPS_FIELD(NativeCounters, drop_too_many_flows),
    FIPS_FIELD(NativeCounters, drop_pending_queue_full),
    FIPS_FIELD(NativeCounters, drop_flow_queue_full),
    FIPS_FIELD(NativeCounters, drop_arrival_queue_full),
    FIPS_FIELD(NativeCounters, drop_listener_not_reading),
    FIPS_FIELD(NativeCounters, drop_listener_gone),
    FIPS_FIELD(NativeCounters, drop_oversize),
};

// LinkCounters' scalar fields (its drops array is listed by reason).
constexpr std::array<Field<LinkCounters>, 17> kLinkFields = {
    FIPS_FIELD(LinkCounters, frames_in),
    FIPS_FIELD(LinkCounters, frames_out),
    FIPS_FIELD(LinkCounters, bytes_in),
    FIPS_FIELD(LinkCounters, bytes_out),
    FIPS_FIELD(LinkCounters, handshakes_completed),
    FIPS_FIELD(LinkCounters, rekeys_completed),
    FIPS_FIELD(LinkCounters, peers_removed_dead),
    FIPS_FIELD(LinkCounters, peers_removed_decrypt),
    FIPS_FIELD(LinkCounters, disconnects_received),
    FIPS_FIELD(LinkCounters, disconnects_sent),
    FIPS_FIELD(LinkCounters, unproven_handshakes_expired),
    FIPS_FIELD(LinkCounters, strangers_evicted),
    FIPS_FIELD(LinkCounters, unproven_strangers_evicted),
    FIPS_FIELD(LinkCounters, idle_strangers_evicted),
    FIPS_FIELD(LinkCounters, mmp_sender_reports_received),
    FIPS_FIELD(LinkCounters, mmp_receiver_reports_received),
    FIPS_FIELD(LinkCounters, mmp_reports_sent),
};
static_assert(sizeof(LinkCounters) ==
                  (kLinkFields.size() + static_cast<size_t>(LinkDrop::kCount)) * sizeof(uint64_t),
              "LinkCounters gained a field: list it in kLinkFields");

#undef FIPS_FIELD

json addr_list(const Coords& addrs) {
  json arr = json::array();
  for (const NodeAddr& a : addrs) arr.push_back(a.hex());
  return arr;
}

template <class T>
json or_null(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

}  // namespace

std::string display_name(const DisplayNames& names, const NodeAddr& addr) {
  auto it = names.find(addr);
  return it != names.end() ? it->second : addr.short_hex();
}

json tree_counters_json(const stp::TreeCounters& c) {
  return family_json(c, kTreeFields);
}
json bloom_counters_json(const bloom::BloomCounters& c) {
  return family_json(c, kBloomFields);
}
json lookup_counters_json(const lookup::LookupCounters& c) {
  return family_json(c, kLookupFields);
}
json error_signals_json(const ErrorSignalCounters& c) {
  return family_json(c, kErrorFields);
}
json congestion_json(const CongestionCounters& c) {
  return family_json(c, kCongestionFields);
}
json native_json(const NativeCounters& c) {
  return family_json(c, kNativeFields);
}

json link_counters_json(const LinkCounters& c) {
  json j = json::object();
  for (const Field<LinkCounters>& f : kLinkFields) j[std::string(f.name)] = c.*f.member;
  for (size_t i = 0; i < c.drops.size(); ++i)
    j[link_drop_name(static_cast<LinkDrop>(i))] = c.drops[i];
  return j;
}

json show_tree_data(const stp::TreeSnapshot& t, const TreeQueryExtras& x) {
  json peers = json::array();
  for (const stp::TreePeerSnapshot& p : t.peers) {
    json row{{"node_addr", p.node_addr.hex()},
             {"display_name", display_name(x.display_names, p.node_addr)}};
    if (!p.coords.empty()) {
      row["depth"] = p.depth;
      row["root"] = p.root.hex();
      row["coords"] = addr_list(p.coords);
      row["distance_to_us"] = p.distance_to_us;
    }
    peers.push_back(std::move(row));
  }
  return json{
      {"my_node_addr", t.my_node_addr.hex()},
      {"root", t.root.hex()},
      {"root_npub", or_null(x.root_npub)},
      {"is_root", t.is_root},
      {"depth", t.depth},
      {"my_coords", addr_list(t.my_coords)},
      {"parent", t.parent.hex()},
      {"parent_display_name", display_name(x.display_names, t.parent)},
      {"declaration_sequence", t.declaration_sequence},
      {"declaration_signed", t.declaration_signed},
      {"peer_tree_count", t.peer_tree_count},
      {"peers", std::move(peers)},
      {"stats", tree_counters_json(t.stats)},
  };
}

json show_bloom_data(const bloom::BloomSnapshot& b, const DisplayNames& names) {
  json filters = json::array();
  for (const bloom::PeerFilterRow& r : b.peer_filters) {
    json row{{"peer", r.peer.hex()},
             {"display_name", display_name(names, r.peer)},
             {"has_filter", r.has_filter},
             {"filter_sequence", r.filter_sequence}};
    if (r.has_filter) {
      row["estimated_count"] = or_null(r.estimated_count);
      row["set_bits"] = r.set_bits;
      row["fill_ratio"] = r.fill_ratio;
    }
    filters.push_back(std::move(row));
  }
  return json{
      {"own_node_addr", b.own_node_addr.hex()},
      {"is_leaf_only", b.is_leaf_only},
      {"sequence", b.sequence},
      {"leaf_dependent_count", b.leaf_dependents.size()},
      {"leaf_dependents", addr_list(b.leaf_dependents)},
      {"peer_filters", std::move(filters)},
      {"uptree_fill_ratio", or_null(b.uptree_fill_ratio)},
      {"uptree_estimated_count", or_null(b.uptree_estimated_count)},
      {"stats", bloom_counters_json(b.stats)},
  };
}

json show_cache_data(const CoordCacheSnapshot& c, const DisplayNames& names) {
  json entries = json::array();
  for (const CoordCacheSnapshot::Entry& e : c.entries) {
    json row{{"node_addr", e.node_addr.hex()},
             {"display_name", display_name(names, e.node_addr)},
             {"ipv6_addr", FipsAddress::from_node_addr(e.node_addr).str()},
             {"depth", e.coords.empty() ? size_t{0} : e.coords.size() - 1},
             {"coords", addr_list(e.coords)},
             {"age_ms", e.age_ms},
             {"last_used_ms", e.last_used_ms}};
    if (e.path_mtu) row["path_mtu"] = *e.path_mtu;
    entries.push_back(std::move(row));
  }
  return json{
      {"count", c.count},
      {"max_entries", c.max_entries},
      {"fill_ratio", c.fill_ratio},
      {"default_ttl_ms", c.default_ttl_ms},
      {"expired", c.expired},
      {"avg_age_ms", c.avg_age_ms},
      {"entries", std::move(entries)},
  };
}

json show_identity_cache_data(const IdentityCacheSnapshot& c, const DisplayNames& names) {
  json entries = json::array();
  for (const IdentityCacheSnapshot::Entry& e : c.entries)
    entries.push_back(json{{"node_addr", e.node_addr.hex()},
                           {"npub", e.npub},
                           {"display_name", display_name(names, e.node_addr)},
                           {"ipv6_addr", e.ipv6_addr},
                           {"last_seen_ms", e.last_seen_ms},
                           {"age_ms", e.age_ms}});
  const size_t count = entries.size();
  return json{
      {"entries", std::move(entries)},
      {"count", count},
      {"max_entries", c.max_entries},
  };
}

json show_routing_data(const lookup::LookupSnapshot& l,
                       const lookup::LookupCounters& lookup_counters,
                       const routing::ForwardingCounters& forwarding, const RoutingQueryExtras& x) {
  json lookups = json::array();
  for (const lookup::LookupSnapshot::Pending& p : l.pending_lookups)
    lookups.push_back(json{{"target", p.target.hex()},
                           {"display_name", display_name(x.display_names, p.target)},
                           {"initiated_ms", p.initiated_ms},
                           {"last_sent_ms", p.last_sent_ms},
                           {"attempt", p.attempt},
                           {"age_ms", p.age_ms}});
  json retries = json::array();
  for (const RetryRow& r : x.retries)
    retries.push_back(json{{"node_addr", r.node_addr.hex()},
                           {"display_name", display_name(x.display_names, r.node_addr)},
                           {"retry_count", r.retry_count},
                           {"retry_after_ms", r.retry_after_ms},
                           {"auto_reconnect", r.auto_reconnect}});
  json lookup = lookup_counters_json(lookup_counters);
  return json{
      {"coord_cache_entries", x.coord_cache_entries},
      {"identity_cache_entries", x.identity_cache_entries},
      {"pending_lookups", std::move(lookups)},
      {"pending_tun_destinations", x.pending_tun_destinations},
      {"pending_tun_packets", x.pending_tun_packets},
      {"recent_requests", l.recent_requests},
      {"retries", std::move(retries)},
      {"forwarding", forwarding_json(forwarding)},
      {"discovery", lookup},  // deprecated alias of `lookup` in the reference
      {"lookup", std::move(lookup)},
      {"error_signals", error_signals_json(x.error_signals)},
      {"congestion", congestion_json(x.congestion)},
  };
}

json show_metrics_data(const routing::ForwardingCounters& forwarding,
                       const lookup::LookupCounters& lookup, const stp::TreeCounters& tree,
                       const bloom::BloomCounters& bloom, const LinkCounters& link,
                       const MetricsExtras& x) {
  json lookup_json = lookup_counters_json(lookup);
  return json{
      {"forwarding", forwarding_json(forwarding)},
      {"discovery", lookup_json},  // deprecated alias of `lookup` in the reference
      {"lookup", std::move(lookup_json)},
      {"tree", tree_counters_json(tree)},
      {"bloom", bloom_counters_json(bloom)},
      {"congestion", congestion_json(x.congestion)},
      {"errors", error_signals_json(x.errors)},
      {"native", native_json(x.native)},
      {"link", link_counters_json(link)},  // ours: FMP link-layer counters
  };
}

}  // namespace fips

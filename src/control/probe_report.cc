#include "control/probe_report.h"

namespace fips {

using nlohmann::json;

namespace {

template <class T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

// The status fields every stage carries (flattened into the stage object).
json stage(const probe::StageRecord& r) {
  json j = json::object();
  j["verdict"] = probe::verdict_name(r.verdict);
  j["reason"] = r.reason ? json(probe::reason_name(*r.reason)) : json(nullptr);
  j["detail"] = opt(r.detail);
  j["elapsed_ms"] = opt(r.elapsed_ms);
  return j;
}

json path_block(const probe::Snapshot& s, const AddrText& addr, const AddrText& name) {
  json j = stage(s.path);
  const probe::PathFacts* f = s.path_facts ? &*s.path_facts : nullptr;
  j["computed_locally"] = true;
  j["observed"] = false;
  j["coords_known"] = f != nullptr;
  json ours = json::array(), theirs = json::array();
  if (f) {
    for (const NodeAddr& a : f->our_coords) ours.push_back(addr(a));
    for (const NodeAddr& a : f->their_coords) theirs.push_back(addr(a));
  }
  j["our_coords"] = std::move(ours);
  j["their_coords"] = std::move(theirs);
  j["our_depth"] = f ? json(f->our_depth) : json(nullptr);
  j["their_depth"] = f ? json(f->their_depth) : json(nullptr);
  j["same_root"] = f ? json(f->same_root) : json(nullptr);
  j["lca"] = f && f->lca ? json(addr(*f->lca)) : json(nullptr);
  j["lca_depth"] = f ? opt(f->lca_depth) : json(nullptr);
  j["tree_hops_up"] = f ? opt(f->tree_hops_up) : json(nullptr);
  j["tree_hops_down"] = f ? opt(f->tree_hops_down) : json(nullptr);
  j["tree_distance"] = f ? opt(f->tree_distance) : json(nullptr);
  if (s.next_hop) {
    const probe::NextHopFacts& h = *s.next_hop;
    j["next_hop"] = json{{"node_addr", addr(h.node_addr)},
                         {"display_name", name(h.node_addr)},
                         {"class", routing::route_class_name(h.cls)},
                         {"direct_peer", h.direct_peer},
                         {"leaves_tree_walk", h.leaves_tree_walk}};
  } else {
    j["next_hop"] = nullptr;
  }
  j["no_hop_reason"] = s.no_hop_reason ? json(probe::no_hop_reason_name(*s.no_hop_reason)) : json(nullptr);
  return j;
}

}  // namespace

Result<std::string, std::string> parse_probe_start_params(const json* params) {
  if (params == nullptr || params->is_null()) return Err{std::string("missing params for probe_start")};
  if (!params->is_object()) return Err{std::string("missing 'npub' parameter")};
  auto it = params->find("npub");
  if (it == params->end() || !it->is_string()) return Err{std::string("missing 'npub' parameter")};
  return it->get<std::string>();
}

Result<uint64_t, std::string> parse_probe_id_param(const json* params) {
  if (params != nullptr && params->is_object()) {
    auto it = params->find("probe_id");
    if (it != params->end() && it->is_number_unsigned()) return it->get<uint64_t>();
    if (it != params->end() && it->is_number_integer() && it->get<int64_t>() >= 0)
      return static_cast<uint64_t>(it->get<int64_t>());
  }
  return Err{std::string("missing 'probe_id' parameter")};
}

json probe_report_json(const ProbeReportData& d, const ProbeTargetInfo& t, const AddrText& addr,
                       const AddrText& name) {
  const probe::Snapshot& s = d.snap;
  json j = json::object();
  j["probe_id"] = d.probe_id;
  j["target"] = json{{"npub", t.npub},
                     {"node_addr", t.node_addr},
                     {"display_name", t.display_name},
                     {"ipv6_addr", t.ipv6_addr}};
  j["overall"] = probe::overall_name(s.overall);
  j["elapsed_ms"] = d.elapsed_ms;
  j["tick_ms"] = s.tick_ms;

  json bloom = stage(s.bloom);
  bloom["fanout"] = opt(s.lookup_fanout);
  j["bloom"] = std::move(bloom);

  json disc = stage(s.discovery);
  disc["source"] = s.resolve_source ? json(probe::resolve_source_name(*s.resolve_source)) : json(nullptr);
  disc["attempts"] = opt(d.lookup_attempts);
  disc["attempt_timeouts_secs"] = d.attempt_timeouts_secs;
  j["discovery"] = std::move(disc);

  j["path"] = path_block(s, addr, name);

  json sess = stage(s.session);
  sess["preexisting"] = s.session_preexisting;
  sess["established"] = s.session_established;
  if (s.path_mtu) sess["path_mtu"] = *s.path_mtu;
  j["session"] = std::move(sess);

  json rtt = stage(s.rtt);
  if (s.rtt_ms) rtt["rtt_ms"] = *s.rtt_ms;
  if (s.srtt_ms) rtt["srtt_ms"] = *s.srtt_ms;
  rtt["reports_seen"] = s.counters.reports_seen;
  rtt["samples"] = s.counters.samples;
  rtt["zero_samples"] = s.counters.zero;
  rtt["arith_failures"] = s.counters.arith_fail;
  j["rtt"] = std::move(rtt);

  // A teardown refused at the last moment wins over the core's view: the
  // session is still there.
  const bool torn_down = s.torn_down && !d.teardown_refused;
  const std::optional<probe::LeftIntact> left = d.teardown_refused ? d.teardown_refused : s.left_intact;
  j["cleanup"] = json{{"session_created_and_torn_down", torn_down},
                      {"session_left_intact", left.has_value()},
                      {"left_intact_reason", left ? json(probe::left_intact_name(*left)) : json(nullptr)},
                      {"lookup_issued", s.lookup_issued},
                      {"coords_were_cached", s.coords_were_cached},
                      {"identity_was_cached", s.identity_was_cached},
                      {"warmups_sent", s.warmups_sent}};
  return j;
}

}  // namespace fips

// node.*, tun.* and dns.* key tables: names, types and nullability as the
// reference's NodeConfig/TunConfig/DnsConfig declare them.
#include <array>

#include "config/load_sections.h"

namespace fips::config_detail {
namespace {

constexpr std::array<EnumName<MmpMode>, 3> kMmpModes{{
    {"full", MmpMode::kFull},
    {"lightweight", MmpMode::kLightweight},
    {"minimal", MmpMode::kMinimal},
}};

constexpr std::array<EnumName<NostrPolicy>, 3> kNostrPolicies{{
    {"disabled", NostrPolicy::kDisabled},
    {"configured_only", NostrPolicy::kConfiguredOnly},
    {"open", NostrPolicy::kOpen},
}};

constexpr const char* kDiscoveryDeprecated =
    "`node.discovery.*` is deprecated and will be removed: mesh-lookup scalars moved to "
    "`node.lookup.*`, and peer-rendezvous keys moved to `node.rendezvous.nostr.*` / "
    "`node.rendezvous.lan.*`. Please migrate; a legacy `node.discovery` block still applies for "
    "now.";

void parse_identity(Ctx& c, const YAML::Node& n, const std::string& p, NodeConfig& o) {
  Fields f(c, n, p);
  f.opt_str("nsec", o.nsec);
  f.boolean("persistent", o.persistent);
  f.finish();
}

void parse_limits(Ctx& c, const YAML::Node& n, const std::string& p, NodeLimitsConfig& o) {
  Fields f(c, n, p);
  f.uint("max_connections", o.max_connections);
  f.uint("max_peers", o.max_peers);
  f.uint("max_links", o.max_links);
  f.uint("max_pending_inbound", o.max_pending_inbound);
  f.finish();
}

void parse_rate_limit(Ctx& c, const YAML::Node& n, const std::string& p, RateLimitConfig& o) {
  Fields f(c, n, p);
  f.uint("handshake_burst", o.handshake_burst);
  f.f64("handshake_rate", o.handshake_rate);
  f.uint("handshake_timeout_secs", o.handshake_timeout_secs);
  f.uint("handshake_resend_interval_ms", o.handshake_resend_interval_ms);
  f.f64("handshake_resend_backoff", o.handshake_resend_backoff);
  f.uint("handshake_max_resends", o.handshake_max_resends);
  f.opt_uint("established_handshake_burst", o.established_handshake_burst);
  f.opt_f64("established_handshake_rate", o.established_handshake_rate);
  f.uint("session_setup_burst", o.session_setup_burst);
  f.f64("session_setup_rate", o.session_setup_rate);
  f.finish();
}

void parse_retry(Ctx& c, const YAML::Node& n, const std::string& p, RetryConfig& o) {
  Fields f(c, n, p);
  f.uint("max_retries", o.max_retries);
  f.uint("base_interval_secs", o.base_interval_secs);
  f.uint("max_backoff_secs", o.max_backoff_secs);
  f.finish();
}

void parse_rekey(Ctx& c, const YAML::Node& n, const std::string& p, RekeyConfig& o) {
  Fields f(c, n, p);
  f.boolean("enabled", o.enabled);
  f.uint("after_secs", o.after_secs);
  f.uint("after_messages", o.after_messages);
  f.finish();
}

void parse_control(Ctx& c, const YAML::Node& n, const std::string& p, ControlConfig& o) {
  Fields f(c, n, p);
  f.boolean("enabled", o.enabled);
  f.str("socket_path", o.socket_path);
  f.finish();
}

void parse_cache(Ctx& c, const YAML::Node& n, const std::string& p, CacheConfig& o) {
  Fields f(c, n, p);
  f.uint("coord_size", o.coord_size);
  f.uint("coord_ttl_secs", o.coord_ttl_secs);
  f.uint("identity_size", o.identity_size);
  f.finish();
}

void parse_lookup(Ctx& c, const YAML::Node& n, const std::string& p, LookupConfig& o) {
  Fields f(c, n, p);
  f.uint("ttl", o.ttl);
  f.u64_list("attempt_timeouts_secs", o.attempt_timeouts_secs, kMaxShortList);
  f.uint("recent_expiry_secs", o.recent_expiry_secs);
  f.uint("backoff_base_secs", o.backoff_base_secs);
  f.uint("backoff_max_secs", o.backoff_max_secs);
  f.uint("forward_min_interval_secs", o.forward_min_interval_secs);
  f.finish();
}

void parse_nostr(Ctx& c, const YAML::Node& n, const std::string& p, NostrRendezvousConfig& o) {
  Fields f(c, n, p);
  f.boolean("enabled", o.enabled);
  f.boolean("advertise", o.advertise);
  f.str_list("advert_relays", o.advert_relays, kMaxShortList);
  f.str_list("dm_relays", o.dm_relays, kMaxShortList);
  f.str_list("stun_servers", o.stun_servers, kMaxShortList);
  f.boolean("share_local_candidates", o.share_local_candidates);
  f.str("app", o.app);
  f.uint("signal_ttl_secs", o.signal_ttl_secs);
  f.enumeration<NostrPolicy>("policy", o.policy, kNostrPolicies);
  f.uint("open_discovery_max_pending", o.open_discovery_max_pending);
  f.uint("max_concurrent_incoming_offers", o.max_concurrent_incoming_offers);
  f.uint("max_concurrent_offers_per_npub", o.max_concurrent_offers_per_npub);
  f.uint("advert_cache_max_entries", o.advert_cache_max_entries);
  f.uint("seen_sessions_max_entries", o.seen_sessions_max_entries);
  f.uint("attempt_timeout_secs", o.attempt_timeout_secs);
  f.uint("replay_window_secs", o.replay_window_secs);
  f.uint("punch_start_delay_ms", o.punch_start_delay_ms);
  f.uint("punch_interval_ms", o.punch_interval_ms);
  f.uint("punch_duration_ms", o.punch_duration_ms);
  f.uint("advert_ttl_secs", o.advert_ttl_secs);
  f.uint("advert_refresh_secs", o.advert_refresh_secs);
  f.uint("startup_sweep_delay_secs", o.startup_sweep_delay_secs);
  f.uint("startup_sweep_max_age_secs", o.startup_sweep_max_age_secs);
  f.uint("failure_streak_threshold", o.failure_streak_threshold);
  f.uint("extended_cooldown_secs", o.extended_cooldown_secs);
  f.uint("warn_log_interval_secs", o.warn_log_interval_secs);
  f.uint("failure_state_max_entries", o.failure_state_max_entries);
  f.uint("protocol_mismatch_cooldown_secs", o.protocol_mismatch_cooldown_secs);
  f.finish();
}

void parse_lan(Ctx& c, const YAML::Node& n, const std::string& p, LanRendezvousConfig& o) {
  Fields f(c, n, p);
  f.boolean("enabled", o.enabled);
  f.str("service_type", o.service_type);
  f.opt_str("scope", o.scope);
  f.finish();
}

void parse_rendezvous(Ctx& c, const YAML::Node& n, const std::string& p, RendezvousConfig& o) {
  Fields f(c, n, p);
  f.section("nostr",
            [&](const YAML::Node& v, const std::string& q) { parse_nostr(c, v, q, o.nostr); });
  f.section("lan", [&](const YAML::Node& v, const std::string& q) { parse_lan(c, v, q, o.lan); });
  f.finish();
}

// Legacy node.discovery: every field optional; a present one overrides the
// new-table value (nostr/lan blocks replace the whole sub-table).
void parse_discovery(Ctx& c, const YAML::Node& n, const std::string& p, NodeConfig& o) {
  c.warn(kDiscoveryDeprecated);
  Fields f(c, n, p);
  f.uint("ttl", o.lookup.ttl, true);
  f.u64_list("attempt_timeouts_secs", o.lookup.attempt_timeouts_secs, kMaxShortList, true);
  f.uint("recent_expiry_secs", o.lookup.recent_expiry_secs, true);
  f.uint("backoff_base_secs", o.lookup.backoff_base_secs, true);
  f.uint("backoff_max_secs", o.lookup.backoff_max_secs, true);
  f.uint("forward_min_interval_secs", o.lookup.forward_min_interval_secs, true);
  f.section("nostr", [&](const YAML::Node& v, const std::string& q) {
    if (v.IsNull()) return;
    NostrRendezvousConfig fresh;
    parse_nostr(c, v, q, fresh);
    if (!c.failed()) o.rendezvous.nostr = std::move(fresh);
  });
  f.section("lan", [&](const YAML::Node& v, const std::string& q) {
    if (v.IsNull()) return;
    LanRendezvousConfig fresh;
    parse_lan(c, v, q, fresh);
    if (!c.failed()) o.rendezvous.lan = std::move(fresh);
  });
  f.finish();
}

void parse_tree(Ctx& c, const YAML::Node& n, const std::string& p, TreeConfig& o) {
  Fields f(c, n, p);
  f.uint("announce_min_interval_ms", o.announce_min_interval_ms);
  f.f64("parent_hysteresis", o.parent_hysteresis);
  f.uint("hold_down_secs", o.hold_down_secs);
  f.uint("reeval_interval_secs", o.reeval_interval_secs);
  f.uint("flap_threshold", o.flap_threshold);
  f.uint("flap_window_secs", o.flap_window_secs);
  f.uint("flap_dampening_secs", o.flap_dampening_secs);
  f.finish();
}

void parse_bloom(Ctx& c, const YAML::Node& n, const std::string& p, BloomConfig& o) {
  Fields f(c, n, p);
  f.uint("update_debounce_ms", o.update_debounce_ms);
  f.f64("max_inbound_fpr", o.max_inbound_fpr);
  f.finish();
}

void parse_session(Ctx& c, const YAML::Node& n, const std::string& p, SessionConfig& o) {
  Fields f(c, n, p);
  f.uint("default_ttl", o.default_ttl);
  f.uint("pending_packets_per_dest", o.pending_packets_per_dest);
  f.uint("pending_max_destinations", o.pending_max_destinations);
  f.uint("idle_timeout_secs", o.idle_timeout_secs);
  f.uint("coords_warmup_packets", o.coords_warmup_packets);
  f.uint("coords_response_interval_ms", o.coords_response_interval_ms);
  f.finish();
}

void parse_mmp(Ctx& c, const YAML::Node& n, const std::string& p, MmpConfig& o) {
  Fields f(c, n, p);
  f.enumeration<MmpMode>("mode", o.mode, kMmpModes);
  f.uint("log_interval_secs", o.log_interval_secs);
  f.uint("owd_window_size", o.owd_window_size);
  f.finish();
}

void parse_ecn(Ctx& c, const YAML::Node& n, const std::string& p, EcnConfig& o) {
  Fields f(c, n, p);
  f.boolean("enabled", o.enabled);
  f.f64("loss_threshold", o.loss_threshold);
  f.f64("etx_threshold", o.etx_threshold);
  f.finish();
}

void parse_buffers(Ctx& c, const YAML::Node& n, const std::string& p, BuffersConfig& o) {
  Fields f(c, n, p);
  f.uint("packet_channel", o.packet_channel);
  f.uint("tun_channel", o.tun_channel);
  f.uint("dns_channel", o.dns_channel);
  f.finish();
}

void parse_native_api(Ctx& c, const YAML::Node& n, const std::string& p, NativeApiConfig& o) {
  Fields f(c, n, p);
  f.boolean("enabled", o.enabled);
  f.str("socket_path", o.socket_path);
  f.uint("pending_per_flow", o.pending_per_flow);
  f.uint("backlog", o.backlog);
  f.uint("max_flows", o.max_flows);
  f.boolean("debug_commands", o.debug_commands);
  f.finish();
}

// Binds a section parser to its output for Fields::section.
template <class T>
auto into(Ctx& c, T& out, void (*fn)(Ctx&, const YAML::Node&, const std::string&, T&)) {
  return [&c, &out, fn](const YAML::Node& v, const std::string& q) { fn(c, v, q, out); };
}

}  // namespace

void parse_node(Ctx& c, const YAML::Node& n, const std::string& p, NodeConfig& o) {
  Fields f(c, n, p);
  f.section("identity", into(c, o, parse_identity));
  f.boolean("leaf_only", o.leaf_only);
  f.uint("tick_interval_secs", o.tick_interval_secs);
  f.uint("base_rtt_ms", o.base_rtt_ms);
  f.uint("heartbeat_interval_secs", o.heartbeat_interval_secs);
  f.uint("link_dead_timeout_secs", o.link_dead_timeout_secs);
  f.uint("drain_timeout_secs", o.drain_timeout_secs, true);
  f.opt_str("log_level", o.log_level);
  f.section("limits", into(c, o.limits, parse_limits));
  f.section("rate_limit", into(c, o.rate_limit, parse_rate_limit));
  f.section("retry", into(c, o.retry, parse_retry));
  f.section("cache", into(c, o.cache, parse_cache));
  f.section("lookup", into(c, o.lookup, parse_lookup));
  f.section("rendezvous", into(c, o.rendezvous, parse_rendezvous));
  f.section("tree", into(c, o.tree, parse_tree));
  f.section("bloom", into(c, o.bloom, parse_bloom));
  f.section("session", into(c, o.session, parse_session));
  f.section("buffers", into(c, o.buffers, parse_buffers));
  f.section("control", into(c, o.control, parse_control));
  f.section("native_api", into(c, o.native_api, parse_native_api));
  f.section("mmp", into(c, o.mmp, parse_mmp));
  f.section("session_mmp", into(c, o.session_mmp, parse_mmp));
  f.section("ecn", into(c, o.ecn, parse_ecn));
  f.section("rekey", into(c, o.rekey, parse_rekey));
  // Last, so a legacy block overrides the new tables as the reference's
  // normalize_deprecated_keys() does.
  f.section("discovery", [&](const YAML::Node& v, const std::string& q) {
    if (!v.IsNull()) parse_discovery(c, v, q, o);
  });
  f.finish();
}

void parse_tun(Ctx& c, const YAML::Node& n, const std::string& p, TunConfig& o) {
  Fields f(c, n, p);
  f.boolean("enabled", o.enabled);
  f.str("name", o.name, true);
  f.uint("mtu", o.mtu, true);
  f.finish();
}

void parse_dns(Ctx& c, const YAML::Node& n, const std::string& p, DnsConfig& o) {
  Fields f(c, n, p);
  f.boolean("enabled", o.enabled);
  f.str("bind_addr", o.bind_addr, true);
  f.uint("port", o.port, true);
  f.uint("ttl", o.ttl, true);
  f.finish();
}

}  // namespace fips::config_detail

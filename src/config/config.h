// fips.yaml as a typed struct with the reference's defaults and key names.
// Loading/validation lives in config/load.cc; this header is data only.
// Not here: key files (config/keyfile.h), runtime state (node/).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fips {

enum class ConnectPolicy : uint8_t { kAutoConnect, kOnDemand, kManual };
enum class MmpMode : uint8_t { kFull, kLightweight, kMinimal };
enum class NostrPolicy : uint8_t { kDisabled, kConfiguredOnly, kOpen };

struct PeerAddressConfig {
  std::string transport;   // "udp", "tcp", "udp/<instance>", ...
  std::string addr;        // "host:port", "[v6]:port"
  uint8_t priority = 100;  // lower = preferred
};

struct PeerConfig {
  std::string npub;  // required
  std::optional<std::string> alias;
  std::vector<PeerAddressConfig> addresses;
  ConnectPolicy connect_policy = ConnectPolicy::kAutoConnect;
  bool auto_reconnect = true;
  bool via_nostr = false;
};

struct UdpTransportConfig {
  std::optional<std::string> name;  // instance name when configured as a named map
  std::string bind_addr = "0.0.0.0:2121";
  uint16_t mtu = 1280;
  uint64_t recv_buf_size = 2097152;
  uint64_t send_buf_size = 2097152;
  bool advertise_on_nostr = false;
  bool is_public = false;  // key: public
  std::optional<std::string> external_addr;
  bool outbound_only = false;
  bool accept_connections = true;
};

struct TcpTransportConfig {
  std::optional<std::string> name;
  std::optional<std::string> bind_addr;  // absent = outbound only
  uint16_t mtu = 1400;
  uint64_t connect_timeout_ms = 5000;
  bool nodelay = true;
  uint64_t keepalive_secs = 30;  // 0 disables
  uint64_t recv_buf_size = 2097152;
  uint64_t send_buf_size = 2097152;
  std::optional<uint64_t> max_inbound_connections;  // default: node.limits.max_connections
  bool advertise_on_nostr = false;
  std::optional<std::string> external_addr;
};

struct NodeLimitsConfig {
  uint64_t max_connections = 256;  // 0 = unlimited
  uint64_t max_peers = 128;
  uint64_t max_links = 256;
  uint64_t max_pending_inbound = 1000;
};

struct RateLimitConfig {
  uint32_t handshake_burst = 100;
  double handshake_rate = 10.0;
  uint64_t handshake_timeout_secs = 30;
  uint64_t handshake_resend_interval_ms = 1000;
  double handshake_resend_backoff = 2.0;
  uint32_t handshake_max_resends = 5;
  std::optional<uint32_t> established_handshake_burst;  // derived when absent
  std::optional<double> established_handshake_rate;     // derived when absent
  uint32_t session_setup_burst = 64;
  double session_setup_rate = 16.0;
};

struct RetryConfig {
  uint32_t max_retries = 5;
  uint64_t base_interval_secs = 5;
  uint64_t max_backoff_secs = 300;
};

struct RekeyConfig {
  bool enabled = true;
  uint64_t after_secs = 120;
  uint64_t after_messages = 65536;
};

struct ControlConfig {
  bool enabled = true;
  std::string socket_path;  // empty = resolve the default at startup
};

struct CacheConfig {
  uint64_t coord_size = 50000;
  uint64_t coord_ttl_secs = 300;
  uint64_t identity_size = 10000;
};

struct LookupConfig {
  uint8_t ttl = 64;
  std::vector<uint64_t> attempt_timeouts_secs = {1, 2, 4, 8};
  uint64_t recent_expiry_secs = 10;
  uint64_t backoff_base_secs = 0;
  uint64_t backoff_max_secs = 0;
  uint64_t forward_min_interval_secs = 2;
};

struct TreeConfig {
  uint64_t announce_min_interval_ms = 500;
  double parent_hysteresis = 0.2;
  uint64_t hold_down_secs = 30;
  uint64_t reeval_interval_secs = 60;
  uint32_t flap_threshold = 4;
  uint64_t flap_window_secs = 60;
  uint64_t flap_dampening_secs = 120;
};

struct BloomConfig {
  uint64_t update_debounce_ms = 500;
  double max_inbound_fpr = 0.20;
};

struct SessionConfig {
  uint8_t default_ttl = 64;
  uint64_t pending_packets_per_dest = 16;
  uint64_t pending_max_destinations = 256;
  uint64_t idle_timeout_secs = 90;
  uint8_t coords_warmup_packets = 5;
  uint64_t coords_response_interval_ms = 2000;
};

struct MmpConfig {
  MmpMode mode = MmpMode::kFull;
  uint64_t log_interval_secs = 30;
  uint64_t owd_window_size = 32;
};

struct EcnConfig {
  bool enabled = true;
  double loss_threshold = 0.05;
  double etx_threshold = 3.0;
};

struct BuffersConfig {
  uint64_t packet_channel = 1024;
  uint64_t tun_channel = 1024;
  uint64_t dns_channel = 64;
};

struct NativeApiConfig {
  static constexpr uint64_t kMaxPendingPerFlow = 64;
  bool enabled = false;
  std::string socket_path;         // empty = resolve the default (api.sock) at startup
  uint64_t pending_per_flow = 16;  // 1..=64
  uint64_t backlog = 16;           // >= 1
  uint64_t max_flows = 256;
  bool debug_commands = false;
};

// node.rendezvous.nostr.* (parsed and validated; the Nostr rendezvous itself
// is not implemented yet).
struct NostrRendezvousConfig {
  bool enabled = false;
  bool advertise = true;
  std::vector<std::string> advert_relays = {"wss://relay.damus.io", "wss://nos.lol",
                                            "wss://offchain.pub"};
  std::vector<std::string> dm_relays = {"wss://relay.damus.io", "wss://nos.lol",
                                        "wss://offchain.pub"};
  std::vector<std::string> stun_servers = {"stun:stun.l.google.com:19302",
                                           "stun:stun.cloudflare.com:3478",
                                           "stun:global.stun.twilio.com:3478"};
  bool share_local_candidates = false;
  std::string app = "fips-overlay-v1";
  uint64_t signal_ttl_secs = 120;
  NostrPolicy policy = NostrPolicy::kConfiguredOnly;
  uint64_t open_discovery_max_pending = 64;
  uint64_t max_concurrent_incoming_offers = 16;
  uint64_t max_concurrent_offers_per_npub = 4;
  uint64_t advert_cache_max_entries = 2048;
  uint64_t seen_sessions_max_entries = 2048;
  uint64_t attempt_timeout_secs = 10;
  uint64_t replay_window_secs = 300;
  uint64_t punch_start_delay_ms = 2000;
  uint64_t punch_interval_ms = 200;
  uint64_t punch_duration_ms = 10000;
  uint64_t advert_ttl_secs = 3600;
  uint64_t advert_refresh_secs = 1800;
  uint64_t startup_sweep_delay_secs = 5;
  uint64_t startup_sweep_max_age_secs = 3600;
  uint32_t failure_streak_threshold = 5;
  uint64_t extended_cooldown_secs = 1800;
  uint64_t warn_log_interval_secs = 300;
  uint64_t failure_state_max_entries = 4096;
  uint64_t protocol_mismatch_cooldown_secs = 86400;
};

// node.rendezvous.lan.* (mDNS; parsed only).
struct LanRendezvousConfig {
  bool enabled = false;
  std::string service_type = "_fips._udp.local.";
  std::optional<std::string> scope;
};

struct RendezvousConfig {
  NostrRendezvousConfig nostr;
  LanRendezvousConfig lan;
};

struct NodeConfig {
  std::optional<std::string> nsec;  // node.identity.nsec
  bool persistent = false;          // node.identity.persistent
  bool leaf_only = false;
  uint64_t tick_interval_secs = 1;
  uint64_t base_rtt_ms = 100;
  uint64_t heartbeat_interval_secs = 10;
  uint64_t link_dead_timeout_secs = 30;
  uint64_t drain_timeout_secs = 2;
  std::optional<std::string> log_level;  // trace|debug|info|warn|warning|error
  NodeLimitsConfig limits;
  RateLimitConfig rate_limit;
  RetryConfig retry;
  RekeyConfig rekey;
  ControlConfig control;
  CacheConfig cache;
  LookupConfig lookup;
  TreeConfig tree;
  BloomConfig bloom;
  SessionConfig session;
  MmpConfig mmp;
  MmpConfig session_mmp;
  EcnConfig ecn;
  BuffersConfig buffers;
  NativeApiConfig native_api;
  RendezvousConfig rendezvous;
};

struct TunConfig {
  bool enabled = false;
  std::string name = "fips0";
  uint16_t mtu = 1280;
};

struct DnsConfig {
  bool enabled = true;
  std::string bind_addr = "::1";
  uint16_t port = 5354;
  uint32_t ttl = 300;
};

struct Config {
  NodeConfig node;
  TunConfig tun;
  DnsConfig dns;
  std::vector<UdpTransportConfig> udp;  // transports.udp (single or named instances)
  std::vector<TcpTransportConfig> tcp;  // transports.tcp
  std::vector<PeerConfig> peers;
  // Where the config came from (for key-file placement and logs).
  std::vector<std::string> loaded_paths;
  // Unknown keys seen while loading ("node.foo", "transports.udp.bar"), for warnings.
  std::vector<std::string> unknown_keys;
  // Transport sections parsed and then ignored ("transports.tor", ...), and
  // whether gateway.enabled is true: inputs of inactive_config() (inactive.h).
  std::vector<std::string> ignored_transports;
  bool gateway_enabled = false;
  // Operator-facing warnings from loading and validation (unknown keys with
  // file:line, deprecated keys, ignored sections, hostnames in peer
  // addresses). The daemon logs each at WARN; none of them stops start-up.
  std::vector<std::string> warnings;
};

}  // namespace fips

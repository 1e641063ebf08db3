// Plain-data views of node state for the control socket (show_* queries).
// The node fills these; control/ turns them into the reference's JSON.
// Not here: JSON (control/), live state (node/node.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "proto/routing/core.h"
#include "transport/transport.h"

namespace fips {

struct MmpSnapshot {
  std::string mode = "full";  // full | lightweight | minimal
  double delivery_ratio_forward = 1.0;
  double delivery_ratio_reverse = 1.0;
  double etx = 1.0;
  double goodput_bps = 0.0;
  std::optional<double> smoothed_etx;
  std::optional<double> smoothed_loss;
  std::optional<double> srtt_ms;
  // show_mmp only (link layer): spin-bit role, trend labels (absent until
  // the trend has a sample), the peer's last reported CE count.
  std::string spin_bit_role = "responder";  // initiator | responder
  std::optional<std::string> rtt_trend, loss_trend, goodput_trend, jitter_trend;
  std::optional<std::string> etx_trend;  // show_mmp session rows only
  uint32_t ecn_ce_count = 0;
};

// Nostr-assisted NAT traversal state of a peer (defaults when unused).
struct NostrTraversalSnapshot {
  uint32_t consecutive_failures = 0;
  std::optional<uint64_t> cooldown_until_ms;     // null when not cooling down
  std::optional<int64_t> last_observed_skew_ms;  // null when never observed
};

struct PeerSnapshot {
  std::string npub;
  std::string node_addr;  // hex
  std::string ipv6_addr;
  std::string display_name;
  std::string connectivity = "connected";  // connected | stale | reconnecting | disconnected
  uint64_t link_id = 0;
  std::optional<std::string> direction;       // outbound | inbound
  std::optional<std::string> transport_addr;  // "1.2.3.4:2121"
  std::optional<std::string> transport_type;  // "udp" | "tcp"
  TransportId transport_id = 0;               // not rendered: lets the shell name the type
  uint64_t authenticated_at_ms = 0;           // Unix ms
  uint64_t last_seen_ms = 0;                  // Unix ms
  uint32_t consecutive_decrypt_failures = 0;
  uint32_t replay_suppressed = 0;
  NostrTraversalSnapshot nostr_traversal;
  bool current_k_bit = false;
  std::optional<std::string> our_session_index;  // %08x
  bool rekey_in_progress = false;                // emitted only when true
  bool rekey_draining = false;                   // emitted only when true
  struct {
    uint64_t bytes_recv = 0, bytes_sent = 0, packets_recv = 0, packets_sent = 0;
  } stats;
  std::optional<std::pair<uint64_t, uint64_t>> noise;  // highest_recv_counter, send_counter
  std::optional<MmpSnapshot> mmp;
  // Spanning tree / bloom view of the peer (filled once routing exists).
  bool has_tree_position = false;
  std::optional<uint64_t> tree_depth;
  std::optional<double> effective_depth;  // null when unknown
  bool is_parent = false;
  bool is_child = false;
  uint64_t filter_sequence = 0;
  bool has_bloom_filter = false;
};

struct LinkSnapshot {
  uint64_t link_id = 0;
  TransportId transport_id = 0;
  std::string remote_addr;
  std::string direction;  // outbound | inbound
  std::string state;      // connecting | connected | disconnected | failed
  uint64_t created_at_ms = 0;
  uint64_t bytes_recv = 0, bytes_sent = 0, packets_recv = 0, packets_sent = 0;
  uint64_t last_recv_ms = 0;
};

struct ConnectionSnapshot {
  uint64_t link_id = 0;
  std::string direction;        // outbound | inbound
  std::string handshake_state;  // initial | sent_msg1 | received_msg1 | complete | failed
  uint64_t started_at_ms = 0;   // Unix ms
  uint64_t idle_ms = 0;
  uint32_t resend_count = 0;
  std::optional<std::string> expected_peer;  // npub
};

struct TransportSnapshot {
  TransportId transport_id = 0;
  std::string type;  // udp | tcp
  std::optional<std::string> name;
  std::string state = "up";  // configured | starting | up | down | failed
  uint16_t mtu = 0;
  std::optional<std::string> local_addr;
  TransportStats stats;
  uint64_t kernel_drops = 0;                     // udp: SO_RXQ_OVFL drops
  uint64_t pool_inbound = 0, pool_outbound = 0;  // tcp: open connections
  uint64_t connections_established = 0;          // tcp: outbound connects that succeeded
  uint64_t connect_timeouts = 0, connect_refused = 0;  // tcp
};

struct StatusSnapshot {
  std::string version;
  std::string npub;
  std::string node_addr;
  std::string ipv6_addr;
  std::string state = "running";
  bool is_leaf_only = false;
  bool is_root = true;
  std::string root;  // hex node_addr
  bool persistent = false;
  uint64_t peer_count = 0, session_count = 0, link_count = 0, transport_count = 0,
           connection_count = 0;
  std::map<std::string, uint64_t> transport_peer_counts;
  std::string tun_state = "disabled";
  std::string tun_name = "-";
  uint64_t effective_ipv6_mtu = 0;
  std::string control_socket;
  uint64_t pid = 0;
  std::string exe_path;
  uint64_t uptime_secs = 0;
  std::optional<uint64_t> estimated_mesh_size;
  routing::ForwardingCounters forwarding;  // the 26 forwarding counters
  std::map<std::string, std::vector<double>> sparklines;
  // Ours: config keys set but without effect in this version (config/inactive.h);
  // show_status carries "inactive_config" only when this is non-empty.
  std::vector<std::string> inactive_config;
};

}  // namespace fips

// Mesh discovery (LookupRequest 0x30 / LookupResponse 0x31), sans-I/O core:
// origination with the attempt ladder and backoff, transit dedup and
// forwarding, answering as the target, reverse-path response routing and
// acceptance at the originator. Behaviour follows
// docs/spec/lookup-routing.md §2-3 and §9.1; deliberate deviations
// (all invisible on the wire except that we forward more, never less):
//   * Forward rate limit keyed by (target, origin), not target alone: the
//     reference's per-target key makes a transit node drop every other
//     origin's lookup for the same target for 2 s (spec §3.5). A single
//     origin's retries within the interval are still limited, as there.
//   * A response is accepted only for a request_id of one of OUR pending
//     attempts whose target matches (checked before the signature, so junk
//     costs no verify); the reference accepts any verified response, incl.
//     replays. Refusals count LookupExtraCounters::resp_unsolicited.
//   * Our own request coming back (origin == us, or one of our ids) is
//     dropped (req_own_looped) instead of being forwarded like a stranger's,
//     which in the reference later makes the origin forward its own response
//     away (spec §3.5).
//   * Transit forwarding never sends the request back to the peer it came
//     from (that peer already holds the id in its dedup map); the reference
//     does, and so may skip the non-tree fallback when only the sender matched.
//   * Bounded tables: pending lookups (max_pending, kTableFull), backoff
//     entries (kept only when backoff is enabled, i.e. base and max > 0),
//     forward limiter; recent_requests is also purged on tick.
// Time: one non-decreasing millisecond clock for everything (the node passes
// its monotonic now; snapshots convert to Unix ms).
// Not here: the caches (src/cache/), next-hop selection (proto/routing),
// what the node does with a found/failed result (flush queued packets,
// ICMPv6 unreachable, path-MTU table, warmup reset), the wire codec
// (proto/lookup/wire.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "cache/coord_cache.h"
#include "cache/identity_cache.h"
#include "config/config.h"
#include "identity/identity.h"
#include "proto/interval_limiter.h"
#include "proto/lookup/wire.h"
#include "proto/peer_view.h"
#include "util/lru_table.h"
#include "util/rng.h"

namespace fips::lookup {

inline constexpr size_t kRecentRequestsCapacity = 4096;      // reference limits.rs:26
inline constexpr size_t kMaxShareNames = 256;                // ours: peers named in share_refusals
inline constexpr uint64_t kForwardLimiterMaxAgeMs = 60'000;  // reference limits.rs:155
inline constexpr uint16_t kMinActionablePathMtu = 256;       // reference mmp/limits.rs:84

struct LookupParams {
  uint8_t ttl = kDefaultTtl;
  std::vector<uint64_t> attempt_timeouts_ms = {1000, 2000, 4000, 8000};
  uint64_t recent_expiry_ms = 10'000;
  uint64_t backoff_base_ms = 0;
  uint64_t backoff_max_ms = 0;
  uint64_t forward_min_interval_ms = 2'000;
  size_t recent_capacity = kRecentRequestsCapacity;
  size_t max_pending = 1024;          // ours
  // Ours: the floor of a peer's share of the de-duplication table (the
  // table is split among the peers holding entries; see on_request), so one
  // peer's flood of requests cannot fill it for everyone (issue 15, attack
  // 5). The reference has one shared table.
  size_t recent_min_share = 64;
  size_t max_backoff_entries = 4096;  // ours
  size_t max_forward_entries = 4096;  // ours
  static LookupParams from_config(const LookupConfig& c);
};

// The reference's `lookup` counter family (exported as `discovery` and
// `lookup`), alphabetical as in show_routing.
struct LookupCounters {
  uint64_t req_backoff_suppressed = 0;
  uint64_t req_bloom_miss = 0;
  uint64_t req_decode_error = 0;
  uint64_t req_dedup_cache_full = 0;
  uint64_t req_deduplicated = 0;
  uint64_t req_duplicate = 0;
  uint64_t req_fallback_forwarded = 0;
  uint64_t req_forward_rate_limited = 0;
  uint64_t req_forwarded = 0;
  uint64_t req_initiated = 0;
  uint64_t req_no_tree_peer = 0;
  uint64_t req_received = 0;
  uint64_t req_target_is_us = 0;
  uint64_t req_ttl_exhausted = 0;
  uint64_t resp_accepted = 0;
  uint64_t resp_decode_error = 0;
  uint64_t resp_forwarded = 0;
  uint64_t resp_identity_miss = 0;
  uint64_t resp_no_route =
      0;  // never incremented: the target always answers via the came-from peer
  uint64_t resp_proof_failed = 0;
  uint64_t resp_received = 0;
  uint64_t resp_timed_out = 0;
};

struct LookupExtraCounters {
  uint64_t resp_unsolicited = 0;        // ours: not one of our pending attempts
  uint64_t req_own_looped = 0;          // ours: our own request came back
  uint64_t pending_full = 0;            // ours: initiate refused, max_pending reached
  uint64_t resp_already_forwarded = 0;  // ours: the reference drops these silently
  uint64_t sign_failed = 0;             // ours: could not build our own response
  // Reference `error_signals.lookup_resp_mtu_below_floor` (the node exports
  // it in that family): accepted response with path_mtu < 256.
  uint64_t lookup_resp_mtu_below_floor = 0;
  // Ours: a request refused because its sending peer already holds its fair
  // share of the de-duplication table (LookupParams::recent_min_share).
  uint64_t req_peer_share_exceeded = 0;
  // Ours: entries of the largest holder dropped from a full table to admit
  // a request from a peer below its share.
  uint64_t req_share_evictions = 0;
};

// One message to one peer: bytes are arena[offset, offset + len).
struct SendItem {
  NodeAddr peer;
  uint32_t offset = 0;
  uint32_t len = 0;
};

struct LookupEvent {
  enum class Kind : uint8_t { kFound, kFailed };
  Kind kind = Kind::kFailed;
  NodeAddr target;
  Coords coords;                      // kFound: the target's verified coordinates
  uint16_t path_mtu = 0;              // kFound: min link MTU along the response path
  bool path_mtu_below_floor = false;  // kFound: path_mtu < 256 (not stored in the cache)
};

// Filled by every call; the node sends `sends` (in order) as FMP link
// messages, then handles `events`. clear() keeps the buffers' capacity.
struct LookupActions {
  std::vector<uint8_t> arena;
  std::vector<SendItem> sends;
  std::vector<LookupEvent> events;
  void clear() {
    arena.clear();
    sends.clear();
    events.clear();
  }
  [[nodiscard]] ByteSpan bytes(const SendItem& s) const {
    return ByteSpan(arena.data() + s.offset, s.len);
  }
};

enum class InitiateOutcome : uint8_t {
  kSent,          // pending, first attempt sent to `fanout` tree peers
  kZeroFanout,    // bloom pre-check passed but no tree peer matched: failure recorded
  kDeduplicated,  // already pending (req_deduplicated)
  kSuppressed,    // in backoff (req_backoff_suppressed)
  kBloomMiss,     // no peer's filter holds the target (req_bloom_miss)
  kTableFull,     // ours: max_pending reached
  kSelf,          // ours: target is this node
};
const char* initiate_outcome_name(InitiateOutcome o);

struct InitiateResult {
  InitiateOutcome outcome = InitiateOutcome::kBloomMiss;
  size_t fanout = 0;
};

// show_routing: pending_lookups[] and recent_requests.
struct LookupSnapshot {
  struct Pending {
    NodeAddr target;
    uint64_t initiated_ms = 0;  // absolute Unix ms
    uint64_t last_sent_ms = 0;  // absolute Unix ms
    uint8_t attempt = 0;        // 1-based
    uint64_t age_ms = 0;
  };
  std::vector<Pending> pending_lookups;  // target order
  size_t recent_requests = 0;
};

class LookupCore {
 public:
  // `self` signs our responses and `rng` draws request ids; both must outlive
  // the core. seed randomises the internal hash tables.
  LookupCore(const Identity& self, LookupParams params, Rng& rng);

  // Origination (maybe_initiate_lookup): gate, then the first attempt.
  InitiateResult initiate(const NodeAddr& target, const PeerView& view, uint64_t now_ms,
                          LookupActions& out);
  // LookupRequest from peer `from`; msg starts at the 0x30 byte.
  void on_request(const NodeAddr& from, ByteSpan msg, const PeerView& view, uint64_t now_ms,
                  LookupActions& out);
  // LookupResponse from peer `from`; msg starts at the 0x31 byte. Accepted
  // coordinates are written to `coords` and reported as a kFound event.
  void on_response(const NodeAddr& from, ByteSpan msg, const PeerView& view, IdentityCache& ids,
                   CoordCache& coords, uint64_t now_ms, LookupActions& out);
  // Every tick: retries / final timeouts (kFailed events), table purges.
  void tick(const PeerView& view, uint64_t now_ms, LookupActions& out);
  // Peer promotion, own re-parenting or root change: clears the backoff.
  void on_topology_change() { backoff_.clear(); }

  [[nodiscard]] bool is_pending(const NodeAddr& target) const {
    return pending_.count(target) != 0;
  }
  [[nodiscard]] size_t pending_count() const { return pending_.size(); }
  [[nodiscard]] size_t recent_count() const { return recent_.size(); }
  [[nodiscard]] bool is_suppressed(const NodeAddr& target, uint64_t now_ms) const;
  [[nodiscard]] const LookupCounters& counters() const { return c_; }
  [[nodiscard]] const LookupExtraCounters& extra_counters() const { return x_; }
  [[nodiscard]] const LookupParams& params() const { return p_; }
  // Requests refused per peer for exceeding its share (bounded: peers that
  // refused most recently; a flooding peer is counted by name).
  [[nodiscard]] const std::unordered_map<NodeAddr, uint64_t, NodeAddrHash>& share_refusals() const {
    return share_refusals_;
  }
  [[nodiscard]] LookupSnapshot snapshot(uint64_t now_ms, uint64_t unix_now_ms) const;

 private:
  struct Pending {
    uint64_t initiated_ms = 0;
    uint64_t last_sent_ms = 0;
    uint8_t attempt = 1;
    std::vector<uint64_t> request_ids;  // attempts that reached >= 1 peer
  };
  struct Recent {
    NodeAddr from_peer;
    uint64_t timestamp_ms = 0;
    bool response_forwarded = false;
  };
  struct Backoff {
    uint64_t suppress_until_ms = 0;
    uint32_t failures = 0;
  };
  struct IdHash {
    uint64_t operator()(uint64_t v) const noexcept { return v; }
  };
  struct PairKey {
    NodeAddr target;
    NodeAddr origin;
    bool operator==(const PairKey&) const = default;
  };
  struct PairHash {
    uint64_t operator()(const PairKey& k) const noexcept {
      return NodeAddrHash{}(k.target) * 31 + NodeAddrHash{}(k.origin);
    }
  };

  size_t send_attempt(const NodeAddr& target, Pending& pending, const PeerView& view,
                      LookupActions& out);
  void forget_pending(std::map<NodeAddr, Pending>::iterator it);
  void record_failure(const NodeAddr& target, uint64_t now_ms);
  void purge_recent(uint64_t now_ms, size_t max);
  // Full table: drops the oldest entry of the peer (other than `except`)
  // holding the most; false if there is none.
  bool evict_from_largest_holder(const NodeAddr& except);
  void respond_as_target(const LookupRequestView& req, const NodeAddr& from, const PeerView& view,
                         LookupActions& out);
  void forward_request(const LookupRequestView& req, const NodeAddr& from, const PeerView& view,
                       LookupActions& out);

  const Identity* self_;
  LookupParams p_;
  Rng* rng_;
  std::map<NodeAddr, Pending> pending_;
  std::unordered_map<uint64_t, NodeAddr> our_ids_;  // request_id -> target, pending only
  LruTable<uint64_t, Recent, IdHash> recent_;       // insertion (= time) order
  std::unordered_map<NodeAddr, uint32_t, NodeAddrHash> recent_per_peer_;  // entries held
  std::unordered_map<NodeAddr, uint64_t, NodeAddrHash> share_refusals_;   // <= kMaxShareNames
  LruTable<NodeAddr, Backoff, NodeAddrHash> backoff_;
  IntervalLimiter<PairKey, PairHash> forward_limiter_;
  LookupCounters c_;
  LookupExtraCounters x_;
};

}  // namespace fips::lookup

// Diagnostic probe, sans-I/O: the stage machine behind probe_start /
// probe_poll / probe_cancel and `fipsctl probe` (docs/spec/control.md §5,
// reference src/proto/probe/). A probe answers "can I reach this node, and
// how well" in five stages, each with its own verdict:
//   bloom      does any peer's filter claim the target (a LookupRequest goes
//              out), skipped when its coordinates are cached or it is a peer
//   discovery  did a LookupResponse bring its coordinates
//   path       what the coordinates say: LCA, tree hops, the first hop
//              (computed locally, never observed)
//   session    an FSP session, opened by the probe (and torn down after it)
//              unless one exists already
//   rtt        a CoordsWarmup makes the target's session MMP send a
//              ReceiverReport whose timestamp echo gives one RTT sample
// Nothing new goes on the wire: a probe uses lookups, the FSP handshake and
// session MMP, so a node that knows no probes (the TypeScript one, which
// sends no session reports) answers everything but rtt (`no_report`).
//
// Driven once per node tick: the owner (node/probes.h) builds an Observation
// of the node's state, calls step(), and carries out the returned actions
// (start a lookup, open a session, send a warmup, tear the session down,
// finish). Budgets bound every stage and the whole probe; cancel() ends it at
// once. Time is passed in; nothing here reads a clock or allocates per step
// (the action list is a small fixed array).
// Not here: the registry and its limits (node/probes.h), JSON
// (control/probe_report.h), the CLI (apps/fipsctl).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "identity/node_addr.h"
#include "proto/coords.h"
#include "proto/routing/core.h"

namespace fips::probe {

// reference src/proto/probe/limits.rs
inline constexpr uint64_t kSessionFloorMs = 5'000;   // two handshake resends
inline constexpr uint64_t kRttFloorMs = 3'000;       // the remote's 1 s cold start + two ticks
inline constexpr uint64_t kResolveSlackTicks = 2;
inline constexpr uint64_t kBloomMinTicks = 2;
inline constexpr uint64_t kSessionMinTicks = 3;
inline constexpr uint64_t kRttMinTicks = 4;
inline constexpr uint64_t kWarmupRetryMs = 1'000;    // one warmup resend at most
inline constexpr uint64_t kTeardownGraceTicks = 1;   // a report in flight lands first
inline constexpr uint64_t kReapMs = 30'000;          // a finished job waits this long for a poll
inline constexpr size_t kMaxConcurrentProbes = 4;

enum class Stage : uint8_t { kBloom, kDiscovery, kPath, kSession, kRtt, kTerminal };
enum class Verdict : uint8_t { kPending, kRunning, kOk, kSkipped, kFailed };
const char* verdict_name(Verdict v);  // pending | running | ok | skipped | failed

enum class Reason : uint8_t {
  kCached, kDirectPeer, kBloomMiss, kBackoffSuppressed, kAlreadyPending, kNoTreePeers,
  kNoResponse, kBloomUnconfirmed, kDisjointTrees, kNoNextHop, kPreexisting, kSendError,
  kHandshakeTimeout, kNoReport, kNoEcho, kSubMillisecond, kBadTimestampEcho, kNotReached,
};
const char* reason_name(Reason r);  // cached | direct_peer | ... (snake_case)

enum class ResolveSource : uint8_t { kCache, kLookup, kDirectPeer };
const char* resolve_source_name(ResolveSource s);  // cache | lookup | direct_peer

enum class Overall : uint8_t { kRunning, kOk, kPartial, kFailed, kCancelled };
const char* overall_name(Overall o);  // running | ok | partial | failed | cancelled

enum class NoHopReason : uint8_t { kLocal, kNoCoords, kDisjointTrees, kNoCloserPeer, kHopNotSendReady };
const char* no_hop_reason_name(NoHopReason r);

enum class LookupOutcome : uint8_t { kBloomMiss, kSuppressed, kDeduplicated, kZeroFanout, kSent };

enum class LeftIntact : uint8_t { kPreexisting, kAdoptedByTraffic, kReplaced };
const char* left_intact_name(LeftIntact l);  // preexisting | adopted_by_traffic | replaced

struct StageRecord {
  Verdict verdict = Verdict::kPending;
  std::optional<Reason> reason;
  std::optional<std::string> detail;  // only the session-open error text
  std::optional<uint64_t> elapsed_ms;
};

// The tree facts of the path, from both coordinate lists (root last).
struct PathFacts {
  std::vector<NodeAddr> our_coords, their_coords;
  size_t our_depth = 0, their_depth = 0;
  bool same_root = false;
  std::optional<NodeAddr> lca;
  std::optional<size_t> lca_depth, tree_hops_up, tree_hops_down, tree_distance;
};
PathFacts describe_path(CoordsView mine, CoordsView theirs);

struct NextHopFacts {
  NodeAddr node_addr;
  routing::RouteClass cls = routing::RouteClass::kDirectPeer;
  bool direct_peer = false;
  bool leaves_tree_walk = false;  // the first hop leaves the up-then-down walk
};

struct RttCounters {  // the session MMP's report/sample counters
  uint64_t reports_seen = 0, samples = 0, zero = 0, arith_fail = 0;
  [[nodiscard]] RttCounters since(const RttCounters& base) const;
};

struct Budgets {
  uint64_t bloom_ms = 0, discovery_ms = 0, session_ms = 0, rtt_ms = 0, tick_ms = 1'000;
  // Every stage is at least a few ticks; discovery waits for the whole lookup ladder.
  static Budgets derive(uint64_t tick_ms, const std::vector<uint64_t>& attempt_timeouts_secs);
  [[nodiscard]] uint64_t total_ms() const { return bloom_ms + discovery_ms + session_ms + rtt_ms; }
};

// What the node looked like when the probe was admitted.
struct Preflight {
  bool session_present = false;
  bool coords_cached = false;
  bool identity_cached = false;
  bool target_claimed = false;  // another probe of this target is running
};

// The node's state at one step, as the owner saw it.
struct Observation {
  uint64_t now_ms = 0;
  bool coords_cached = false;
  bool lookup_pending = false;
  std::optional<LookupOutcome> lookup_outcome;  // from the InitiateLookup just carried out
  std::optional<size_t> lookup_fanout;
  std::optional<PathFacts> path;
  std::optional<NextHopFacts> next_hop;
  std::optional<NoHopReason> no_hop_reason;
  bool session_present = false;
  bool session_established = false;
  bool session_is_ours = false;  // the entry is still the one the probe opened, untouched by traffic
  std::optional<std::string> session_error;  // from the OpenSession just carried out
  bool target_is_direct_peer = false;
  RttCounters counters;
  std::optional<uint32_t> last_rtt_ms;
  std::optional<double> srtt_ms;
  std::optional<uint32_t> path_mtu;
};

enum class Action : uint8_t { kInitiateLookup, kOpenSession, kSendWarmup, kTeardownSession, kFinish };
struct Actions {
  std::array<Action, 4> items{};
  size_t n = 0;
  void push(Action a) {
    if (n < items.size()) items[n++] = a;
  }
  [[nodiscard]] const Action* begin() const { return items.data(); }
  [[nodiscard]] const Action* end() const { return items.data() + n; }
  [[nodiscard]] bool contains(Action a) const;
};

struct Snapshot {
  Overall overall = Overall::kRunning;
  uint64_t tick_ms = 0;
  StageRecord bloom, discovery, path, session, rtt;
  std::optional<ResolveSource> resolve_source;
  std::optional<size_t> lookup_fanout;
  std::optional<PathFacts> path_facts;
  std::optional<NextHopFacts> next_hop;
  std::optional<NoHopReason> no_hop_reason;
  bool session_preexisting = false, session_established = false;
  std::optional<uint32_t> path_mtu, rtt_ms;
  std::optional<double> srtt_ms;
  RttCounters counters;
  bool torn_down = false;
  std::optional<LeftIntact> left_intact;
  bool lookup_issued = false, coords_were_cached = false, identity_was_cached = false;
  uint8_t warmups_sent = 0;
};

class Probe {
 public:
  Probe(uint64_t now_ms, const Budgets& b, const Preflight& pre);

  Actions step(const Observation& obs);
  Actions cancel(uint64_t now_ms);  // teardown (if ours) and finish, now
  [[nodiscard]] bool finished() const { return finished_; }
  [[nodiscard]] bool owns_session() const { return owns_session_; }
  [[nodiscard]] Snapshot snapshot() const;
  [[nodiscard]] uint64_t elapsed_ms(uint64_t now_ms) const;
  [[nodiscard]] const Budgets& budgets() const { return budgets_; }

 private:
  void absorb(const Observation& o);
  void step_bloom(const Observation& o, Actions& a);
  void step_discovery(const Observation& o);
  void step_path(const Observation& o);
  void step_session(const Observation& o, Actions& a);
  void step_rtt(const Observation& o, Actions& a);
  StageRecord& record(Stage s);
  void finish_stage(StageRecord r, const Observation& o);
  void fail_stage(Reason r, const Observation& o);  // fail, skip the rest, terminal
  void advance(const Observation& o);
  void skip_rest();
  void expire_running_stage();
  Reason discovery_failure() const;
  void enter_terminal(const Observation& o);
  Actions drive_terminal(const Observation& o, Actions a);
  Overall compute_overall() const;

  uint64_t started_ms_;
  std::optional<uint64_t> ended_ms_;
  uint64_t deadline_ms_;
  Budgets budgets_;
  Preflight pre_;
  Stage stage_ = Stage::kBloom;
  uint64_t stage_started_ms_;
  Snapshot s_;  // stage records and latched observations, as reported
  bool owns_session_ = false, open_requested_ = false;
  std::optional<uint64_t> teardown_at_ms_;
  bool lookup_was_pending_ = false;
  std::optional<LookupOutcome> lookup_outcome_;
  RttCounters baseline_;
  std::optional<uint64_t> last_warmup_ms_;
  bool finished_ = false;
};

}  // namespace fips::probe

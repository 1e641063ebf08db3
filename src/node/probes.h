// The probe registry: the jobs behind probe_start / probe_poll / probe_cancel
// (docs/spec/control.md §5, reference src/node/handlers/probe.rs). Each job
// runs the sans-I/O stage machine of proto/probe/probe.h against this node:
// every tick (and once at admission) the registry observes the node (coord
// cache, pending lookups, a non-touching next-hop preview, the target's
// session entry and its session MMP counters) and carries out what the probe
// asks for (start a lookup, open a session, send a CoordsWarmup, tear down
// the session it opened).
// Bounded: at most 4 unfinished jobs (`too many probes in flight`); a
// finished job waits 30 s for the poll that collects it, then goes. A probe
// only ever tears down a session it opened itself and nobody else used
// (same entry, no data since it was established).
// Driven by the daemon: tick() on its 1 s tick after the session layer,
// start/poll/cancel from the control socket. Time is passed in.
// Not here: JSON (control/probe_report.h), the stage rules (proto/probe).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "node/session_layer.h"
#include "proto/probe/probe.h"
#include "util/result.h"

namespace fips {

// One job as the report needs it.
struct ProbeReportData {
  uint64_t probe_id = 0;
  std::string npub;
  NodeAddr target;
  probe::Snapshot snap;
  uint64_t elapsed_ms = 0;
  std::optional<uint8_t> lookup_attempts;
  std::vector<uint64_t> attempt_timeouts_secs;
  // The teardown the probe asked for was refused at the last moment (the
  // entry was no longer its own); overrides the core's cleanup view.
  std::optional<probe::LeftIntact> teardown_refused;
  bool done = false;
};

struct ProbeCounters {
  uint64_t started = 0, refused_busy = 0, finished = 0, cancelled = 0, reaped_unpolled = 0;
};

class ProbeRegistry {
 public:
  ProbeRegistry(Node& node, SessionLayer& sessions, uint64_t tick_ms,
                std::vector<uint64_t> attempt_timeouts_secs);

  struct Started {
    uint64_t probe_id = 0;
    NodeAddr target;
    uint64_t budget_ms = 0;
  };
  // Errors: "invalid peer npub: <e>", "cannot probe this node",
  // "too many probes in flight".
  Result<Started, std::string> start(const std::string& npub, uint64_t now_ms);
  // The report; a finished job is removed by the poll that sees it.
  // Error: "unknown probe id: <n>".
  Result<ProbeReportData, std::string> poll(uint64_t probe_id, uint64_t now_ms);
  Result<void, std::string> cancel(uint64_t probe_id, uint64_t now_ms);
  void tick(uint64_t now_ms);

  [[nodiscard]] size_t size() const { return jobs_.size(); }
  [[nodiscard]] size_t in_flight() const;
  [[nodiscard]] const ProbeCounters& counters() const { return counters_; }

 private:
  struct Job {
    uint64_t id = 0;
    PeerIdentity identity;
    std::string npub;
    probe::Probe probe;
    bool holds_claim = false;
    std::optional<uint64_t> owned_created_ms;  // the entry the probe opened
    std::optional<fsp::SessionManager::Brief> at_establish;  // adoption baseline
    std::optional<probe::LookupOutcome> lookup_outcome;
    std::optional<size_t> lookup_fanout;
    std::optional<uint8_t> lookup_attempts;
    std::optional<std::string> session_error;
    std::optional<probe::LeftIntact> teardown_refused;
    std::optional<uint64_t> reap_at_ms;
  };
  enum class Disowned : uint8_t { kNone, kNeverOwned, kReplaced, kAdopted, kGone };

  void drive(Job& j, uint64_t now);
  probe::Observation observe(Job& j, uint64_t now);
  void act(Job& j, probe::Action a, uint64_t now);
  Disowned disowned(const Job& j) const;
  void release_claim(Job& j);
  ProbeReportData report(const Job& j, uint64_t now) const;

  Node& node_;
  SessionLayer& sessions_;
  uint64_t tick_ms_;
  std::vector<uint64_t> ladder_;
  std::map<uint64_t, Job> jobs_;
  std::unordered_set<NodeAddr, NodeAddrHash> claims_;  // targets a running job owns
  uint64_t next_id_ = 1;
  ProbeCounters counters_;
};

}  // namespace fips

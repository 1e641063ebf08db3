#include "proto/probe/probe.h"

#include <algorithm>
#include <numeric>

namespace fips::probe {

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kPending: return "pending";
    case Verdict::kRunning: return "running";
    case Verdict::kOk: return "ok";
    case Verdict::kSkipped: return "skipped";
    case Verdict::kFailed: return "failed";
  }
  return "pending";
}

const char* reason_name(Reason r) {
  switch (r) {
    case Reason::kCached: return "cached";
    case Reason::kDirectPeer: return "direct_peer";
    case Reason::kBloomMiss: return "bloom_miss";
    case Reason::kBackoffSuppressed: return "backoff_suppressed";
    case Reason::kAlreadyPending: return "already_pending";
    case Reason::kNoTreePeers: return "no_tree_peers";
    case Reason::kNoResponse: return "no_response";
    case Reason::kBloomUnconfirmed: return "bloom_unconfirmed";
    case Reason::kDisjointTrees: return "disjoint_trees";
    case Reason::kNoNextHop: return "no_next_hop";
    case Reason::kPreexisting: return "preexisting";
    case Reason::kSendError: return "send_error";
    case Reason::kHandshakeTimeout: return "handshake_timeout";
    case Reason::kNoReport: return "no_report";
    case Reason::kNoEcho: return "no_echo";
    case Reason::kSubMillisecond: return "sub_millisecond";
    case Reason::kBadTimestampEcho: return "bad_timestamp_echo";
    case Reason::kNotReached: return "not_reached";
  }
  return "not_reached";
}

const char* resolve_source_name(ResolveSource s) {
  switch (s) {
    case ResolveSource::kCache: return "cache";
    case ResolveSource::kLookup: return "lookup";
    case ResolveSource::kDirectPeer: return "direct_peer";
  }
  return "cache";
}

const char* overall_name(Overall o) {
  switch (o) {
    case Overall::kRunning: return "running";
    case Overall::kOk: return "ok";
    case Overall::kPartial: return "partial";
    case Overall::kFailed: return "failed";
    case Overall::kCancelled: return "cancelled";
  }
  return "running";
}

const char* no_hop_reason_name(NoHopReason r) {
  switch (r) {
    case NoHopReason::kLocal: return "local";
    case NoHopReason::kNoCoords: return "no_coords";
    case NoHopReason::kDisjointTrees: return "disjoint_trees";
    case NoHopReason::kNoCloserPeer: return "no_closer_peer";
    case NoHopReason::kHopNotSendReady: return "hop_not_send_ready";
  }
  return "no_coords";
}

const char* left_intact_name(LeftIntact l) {
  switch (l) {
    case LeftIntact::kPreexisting: return "preexisting";
    case LeftIntact::kAdoptedByTraffic: return "adopted_by_traffic";
    case LeftIntact::kReplaced: return "replaced";
  }
  return "preexisting";
}

bool Actions::contains(Action a) const { return std::find(begin(), end(), a) != end(); }

RttCounters RttCounters::since(const RttCounters& b) const {
  auto d = [](uint64_t x, uint64_t y) { return x > y ? x - y : 0; };
  return RttCounters{d(reports_seen, b.reports_seen), d(samples, b.samples), d(zero, b.zero),
                     d(arith_fail, b.arith_fail)};
}

Budgets Budgets::derive(uint64_t tick_ms, const std::vector<uint64_t>& ladder_secs) {
  Budgets b;
  b.tick_ms = tick_ms;
  const uint64_t ladder_ms = std::accumulate(ladder_secs.begin(), ladder_secs.end(), uint64_t{0}) * 1000;
  b.bloom_ms = kBloomMinTicks * tick_ms;
  b.discovery_ms = ladder_ms + kResolveSlackTicks * tick_ms;
  b.session_ms = std::max(kSessionFloorMs, kSessionMinTicks * tick_ms);
  b.rtt_ms = std::max(kRttFloorMs, kRttMinTicks * tick_ms);
  return b;
}

PathFacts describe_path(CoordsView mine, CoordsView theirs) {
  PathFacts f;
  f.our_coords = mine.to_owned();
  f.their_coords = theirs.to_owned();
  f.our_depth = mine.empty() ? 0 : mine.size() - 1;
  f.their_depth = theirs.empty() ? 0 : theirs.size() - 1;
  // Walk both lists from the root down while they agree.
  size_t common = 0;
  while (common < mine.size() && common < theirs.size() &&
         mine.at(mine.size() - 1 - common) == theirs.at(theirs.size() - 1 - common))
    ++common;
  f.same_root = common > 0;
  if (f.same_root) {
    f.lca = mine.at(mine.size() - common);
    f.lca_depth = common - 1;
    f.tree_hops_up = f.our_depth - *f.lca_depth;
    f.tree_hops_down = f.their_depth - *f.lca_depth;
    f.tree_distance = *f.tree_hops_up + *f.tree_hops_down;
  }
  return f;
}

namespace {
StageRecord make(Verdict v, std::optional<Reason> r = std::nullopt) {
  StageRecord s;
  s.verdict = v;
  s.reason = r;
  return s;
}
StageRecord ok() { return make(Verdict::kOk); }
StageRecord skip(Reason r) { return make(Verdict::kSkipped, r); }
StageRecord fail(Reason r) { return make(Verdict::kFailed, r); }

Reason rtt_failure(const RttCounters& d) {
  if (d.arith_fail > 0) return Reason::kBadTimestampEcho;
  if (d.zero > 0) return Reason::kSubMillisecond;
  if (d.reports_seen > 0) return Reason::kNoEcho;
  return Reason::kNoReport;
}
uint64_t since(uint64_t now, uint64_t t) { return now > t ? now - t : 0; }
}  // namespace

Probe::Probe(uint64_t now, const Budgets& b, const Preflight& pre)
    : started_ms_(now), deadline_ms_(now + b.total_ms()), budgets_(b), pre_(pre),
      stage_started_ms_(now) {
  s_.tick_ms = b.tick_ms;
  s_.session_preexisting = pre.session_present;
  s_.coords_were_cached = pre.coords_cached;
  s_.identity_was_cached = pre.identity_cached;
}

Actions Probe::step(const Observation& o) {
  Actions a;
  if (finished_) return a;
  absorb(o);
  // Ownership can be lost (the entry was replaced or adopted by traffic) but
  // never regained.
  if (owns_session_ && !o.session_is_ours) {
    owns_session_ = false;
    s_.left_intact = open_requested_ ? LeftIntact::kReplaced : LeftIntact::kPreexisting;
  }
  if (stage_ == Stage::kTerminal) return drive_terminal(o, a);
  if (o.now_ms >= deadline_ms_) {  // the whole-probe backstop
    expire_running_stage();
    enter_terminal(o);
    return drive_terminal(o, a);
  }
  // Stages that need no I/O hand on within the same step.
  for (;;) {
    const Stage before = stage_;
    switch (stage_) {
      case Stage::kBloom: step_bloom(o, a); break;
      case Stage::kDiscovery: step_discovery(o); break;
      case Stage::kPath: step_path(o); break;
      case Stage::kSession: step_session(o, a); break;
      case Stage::kRtt: step_rtt(o, a); break;
      case Stage::kTerminal: break;
    }
    if (stage_ == before || stage_ == Stage::kTerminal) break;
  }
  if (stage_ == Stage::kTerminal) return drive_terminal(o, a);
  return a;
}

Actions Probe::cancel(uint64_t now) {
  Actions a;
  if (finished_) return a;
  expire_running_stage();
  s_.overall = Overall::kCancelled;
  stage_ = Stage::kTerminal;
  ended_ms_ = now;
  if (owns_session_ && !s_.torn_down) {
    s_.torn_down = true;
    a.push(Action::kTeardownSession);
  }
  finished_ = true;
  a.push(Action::kFinish);
  return a;
}

Snapshot Probe::snapshot() const { return s_; }

uint64_t Probe::elapsed_ms(uint64_t now) const { return since(ended_ms_.value_or(now), started_ms_); }

// ---- stages ----

void Probe::step_bloom(const Observation& o, Actions& a) {
  if (!s_.lookup_issued) {
    if (o.coords_cached) {
      finish_stage(skip(Reason::kCached), o);
      s_.resolve_source = ResolveSource::kCache;
      return advance(o);
    }
    if (o.target_is_direct_peer) {  // routing reaches a peer without coordinates
      finish_stage(skip(Reason::kDirectPeer), o);
      s_.resolve_source = ResolveSource::kDirectPeer;
      return advance(o);
    }
    s_.bloom.verdict = Verdict::kRunning;
    s_.lookup_issued = true;
    a.push(Action::kInitiateLookup);
    return;
  }
  if (!lookup_outcome_) {  // the action never ran: bounded by a short budget
    if (since(o.now_ms, stage_started_ms_) >= budgets_.bloom_ms) fail_stage(Reason::kNoResponse, o);
    return;
  }
  switch (*lookup_outcome_) {
    case LookupOutcome::kBloomMiss: return fail_stage(Reason::kBloomMiss, o);
    case LookupOutcome::kSuppressed: return fail_stage(Reason::kBackoffSuppressed, o);
    case LookupOutcome::kZeroFanout: return fail_stage(Reason::kNoTreePeers, o);
    case LookupOutcome::kSent:
    case LookupOutcome::kDeduplicated:  // a filter claimed it: a request is out
      finish_stage(ok(), o);
      return advance(o);
  }
}

Reason Probe::discovery_failure() const {
  if (lookup_outcome_ == LookupOutcome::kDeduplicated) return Reason::kAlreadyPending;
  if (lookup_outcome_ == LookupOutcome::kSent) return Reason::kBloomUnconfirmed;
  return Reason::kNoResponse;
}

void Probe::step_discovery(const Observation& o) {
  if (!s_.lookup_issued) {  // bloom settled it: the same reason again
    finish_stage(skip(s_.resolve_source == ResolveSource::kDirectPeer ? Reason::kDirectPeer : Reason::kCached), o);
    return advance(o);
  }
  if (o.coords_cached) {
    finish_stage(ok(), o);
    s_.resolve_source = ResolveSource::kLookup;
    return advance(o);
  }
  s_.discovery.verdict = Verdict::kRunning;
  // The ladder gave up (its pending entry went without coordinates), or the budget ran out.
  const bool gave_up = lookup_was_pending_ && !o.lookup_pending;
  if (gave_up || since(o.now_ms, stage_started_ms_) >= budgets_.discovery_ms)
    fail_stage(discovery_failure(), o);
}

void Probe::step_path(const Observation& o) {
  // Pure computation; never halts the probe (the session's own routing may
  // still succeed where this preview did not).
  StageRecord r;
  if (!s_.path_facts) {
    if (!s_.next_hop) s_.no_hop_reason = NoHopReason::kNoCoords;
    r = o.target_is_direct_peer ? skip(Reason::kDirectPeer) : fail(Reason::kNoNextHop);
  } else if (!s_.path_facts->same_root) {
    r = fail(Reason::kDisjointTrees);
  } else if (!s_.next_hop) {
    r = fail(Reason::kNoNextHop);
  } else {
    r = ok();
  }
  finish_stage(std::move(r), o);
  advance(o);
}

void Probe::step_session(const Observation& o, Actions& a) {
  if (o.session_established && owns_session_) {
    s_.session_established = true;
    finish_stage(ok(), o);
    return advance(o);
  }
  if (o.session_error) {  // nothing was created
    owns_session_ = false;
    StageRecord r = fail(Reason::kSendError);
    r.detail = *o.session_error;
    finish_stage(std::move(r), o);
    skip_rest();
    return enter_terminal(o);
  }
  if (o.session_present) {
    if (!open_requested_) s_.session_preexisting = true;
    if (!owns_session_) {
      if (o.session_established) {
        s_.session_established = true;
        finish_stage(skip(Reason::kPreexisting), o);
        if (!s_.left_intact) s_.left_intact = LeftIntact::kPreexisting;
        return advance(o);
      }
      // Someone else's handshake: wait for it, never touch it.
      if (since(o.now_ms, stage_started_ms_) >= budgets_.session_ms) {
        finish_stage(skip(Reason::kPreexisting), o);
        if (!s_.left_intact) s_.left_intact = LeftIntact::kPreexisting;
        skip_rest();
        enter_terminal(o);
      }
      return;
    }
  } else if (!open_requested_ && !pre_.target_claimed) {
    // The one place ownership is taken: no entry at all.
    s_.session.verdict = Verdict::kRunning;
    open_requested_ = owns_session_ = true;
    a.push(Action::kOpenSession);
    return;
  }
  if (since(o.now_ms, stage_started_ms_) >= budgets_.session_ms) {
    finish_stage(owns_session_ ? fail(Reason::kHandshakeTimeout) : skip(Reason::kPreexisting), o);
    skip_rest();
    enter_terminal(o);
  }
}

void Probe::step_rtt(const Observation& o, Actions& a) {
  if (s_.warmups_sent == 0) {
    s_.rtt.verdict = Verdict::kRunning;
    baseline_ = o.counters;
    s_.warmups_sent = 1;
    last_warmup_ms_ = o.now_ms;
    a.push(Action::kSendWarmup);
    return;
  }
  s_.counters = o.counters.since(baseline_);
  // Only a new accepted sample proves this probe's round trip (a session's
  // SRTT may predate it).
  if (s_.counters.samples > 0) {
    s_.rtt_ms = o.last_rtt_ms;
    finish_stage(ok(), o);
    return enter_terminal(o);
  }
  const uint64_t retry_after = std::max(kWarmupRetryMs, budgets_.tick_ms);
  if (s_.warmups_sent == 1 && s_.counters.reports_seen == 0 &&
      since(o.now_ms, last_warmup_ms_.value_or(0)) >= retry_after) {
    s_.warmups_sent = 2;  // one resend: a lost datagram would read as no_report
    last_warmup_ms_ = o.now_ms;
    a.push(Action::kSendWarmup);
  }
  if (since(o.now_ms, stage_started_ms_) >= budgets_.rtt_ms) {
    finish_stage(fail(rtt_failure(s_.counters)), o);
    enter_terminal(o);
  }
}

// ---- helpers ----

void Probe::absorb(const Observation& o) {
  if (o.lookup_outcome) lookup_outcome_ = o.lookup_outcome;
  if (o.lookup_fanout) s_.lookup_fanout = o.lookup_fanout;
  if (o.lookup_pending) lookup_was_pending_ = true;
  if (o.path) s_.path_facts = o.path;
  if (o.next_hop) s_.next_hop = o.next_hop;
  if (o.no_hop_reason) s_.no_hop_reason = o.no_hop_reason;
  if (o.path_mtu) s_.path_mtu = o.path_mtu;
  if (o.srtt_ms) s_.srtt_ms = o.srtt_ms;
  if (o.session_established) s_.session_established = true;
}

StageRecord& Probe::record(Stage s) {
  switch (s) {
    case Stage::kBloom: return s_.bloom;
    case Stage::kDiscovery: return s_.discovery;
    case Stage::kPath: return s_.path;
    case Stage::kSession: return s_.session;
    case Stage::kRtt:
    case Stage::kTerminal: return s_.rtt;
  }
  return s_.rtt;
}

void Probe::finish_stage(StageRecord r, const Observation& o) {
  r.elapsed_ms = since(o.now_ms, stage_started_ms_);
  record(stage_) = std::move(r);
}

void Probe::fail_stage(Reason r, const Observation& o) {
  finish_stage(fail(r), o);
  skip_rest();
  enter_terminal(o);
}

void Probe::advance(const Observation& o) {
  switch (stage_) {
    case Stage::kBloom: stage_ = Stage::kDiscovery; break;
    case Stage::kDiscovery: stage_ = Stage::kPath; break;
    case Stage::kPath: stage_ = Stage::kSession; break;
    case Stage::kSession: stage_ = Stage::kRtt; break;
    case Stage::kRtt:
    case Stage::kTerminal: stage_ = Stage::kTerminal; break;
  }
  stage_started_ms_ = o.now_ms;
}

void Probe::skip_rest() {  // every stage after the current one: not reached
  const Stage order[] = {Stage::kBloom, Stage::kDiscovery, Stage::kPath, Stage::kSession, Stage::kRtt};
  bool after = false;
  for (Stage s : order) {
    if (after) record(s) = skip(Reason::kNotReached);
    if (s == stage_) after = true;
  }
}

void Probe::expire_running_stage() {
  Reason r = Reason::kNotReached;
  switch (stage_) {
    case Stage::kBloom: r = Reason::kNoResponse; break;
    case Stage::kDiscovery: r = discovery_failure(); break;
    case Stage::kPath: r = Reason::kNoNextHop; break;
    case Stage::kSession: r = owns_session_ ? Reason::kHandshakeTimeout : Reason::kPreexisting; break;
    case Stage::kRtt: r = rtt_failure(s_.counters); break;
    case Stage::kTerminal: return;
  }
  StageRecord& cur = record(stage_);
  if (cur.verdict != Verdict::kOk)
    cur = stage_ == Stage::kSession && !owns_session_ ? skip(r) : fail(r);
  skip_rest();
}

void Probe::enter_terminal(const Observation& o) {
  stage_ = Stage::kTerminal;
  teardown_at_ms_ = o.now_ms + kTeardownGraceTicks * std::max<uint64_t>(budgets_.tick_ms, 1);
  s_.overall = compute_overall();
}

Actions Probe::drive_terminal(const Observation& o, Actions a) {
  if (owns_session_ && !s_.torn_down) {
    if (o.now_ms < teardown_at_ms_.value_or(o.now_ms)) return a;  // grace: a report may be in flight
    s_.torn_down = true;
    a.push(Action::kTeardownSession);
  }
  finished_ = true;
  ended_ms_ = o.now_ms;
  s_.overall = compute_overall();
  a.push(Action::kFinish);
  return a;
}

Overall Probe::compute_overall() const {
  if (s_.overall == Overall::kCancelled) return Overall::kCancelled;
  if (s_.bloom.verdict == Verdict::kFailed || s_.discovery.verdict == Verdict::kFailed ||
      s_.session.verdict == Verdict::kFailed)
    return Overall::kFailed;
  if (s_.rtt.verdict == Verdict::kOk) return Overall::kOk;
  return Overall::kPartial;
}

}  // namespace fips::probe

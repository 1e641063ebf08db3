#include "node/probes.h"

#include "util/log.h"

namespace fips {

namespace {

probe::LookupOutcome outcome_of(lookup::InitiateOutcome o) {
  switch (o) {
    case lookup::InitiateOutcome::kSent: return probe::LookupOutcome::kSent;
    case lookup::InitiateOutcome::kZeroFanout: return probe::LookupOutcome::kZeroFanout;
    case lookup::InitiateOutcome::kDeduplicated: return probe::LookupOutcome::kDeduplicated;
    case lookup::InitiateOutcome::kBloomMiss: return probe::LookupOutcome::kBloomMiss;
    case lookup::InitiateOutcome::kSuppressed:
    case lookup::InitiateOutcome::kTableFull:  // ours: nothing was asked
    case lookup::InitiateOutcome::kSelf: return probe::LookupOutcome::kSuppressed;
  }
  return probe::LookupOutcome::kSuppressed;
}

bool same_traffic(const fsp::SessionManager::Brief& a, const fsp::SessionManager::Brief& b) {
  return a.last_activity_ms == b.last_activity_ms && a.packets_sent == b.packets_sent &&
         a.packets_recv == b.packets_recv && a.bytes_sent == b.bytes_sent &&
         a.bytes_recv == b.bytes_recv;
}

}  // namespace

ProbeRegistry::ProbeRegistry(Node& node, SessionLayer& sessions, uint64_t tick_ms,
                             std::vector<uint64_t> ladder)
    : node_(node), sessions_(sessions), tick_ms_(tick_ms), ladder_(std::move(ladder)) {}

size_t ProbeRegistry::in_flight() const {
  size_t n = 0;
  for (const auto& [id, j] : jobs_)
    if (!j.probe.finished()) ++n;
  return n;
}

Result<ProbeRegistry::Started, std::string> ProbeRegistry::start(const std::string& npub, uint64_t now) {
  auto id = PeerIdentity::from_npub(npub);
  if (!id) return Err{"invalid peer npub: " + id.error().message()};
  const NodeAddr target = id->node_addr();
  if (target == node_.identity().node_addr()) return Err{std::string("cannot probe this node")};
  // Only unfinished jobs count: a finished one waiting for its poll must not
  // lock a caller that never polls out of new probes.
  if (in_flight() >= probe::kMaxConcurrentProbes) {
    ++counters_.refused_busy;
    return Err{std::string("too many probes in flight")};
  }
  // The identity must be known to verify the LookupResponse's proof.
  sessions_.register_identity(*id, now);
  const probe::Budgets b = probe::Budgets::derive(tick_ms_, ladder_);
  const bool claimed = !claims_.insert(target).second;
  probe::Preflight pre;
  pre.session_present = sessions_.sessions().state_of(target).has_value();
  pre.coords_cached = node_.coord_cache().get(target, now).has_value();
  pre.identity_cached = node_.identity_cache().peek(target) != nullptr;
  pre.target_claimed = claimed;
  const uint64_t pid = next_id_++;
  Job job{.id = pid, .identity = *id, .npub = npub, .probe = probe::Probe(now, b, pre),
          .holds_claim = !claimed, .owned_created_ms = {}, .at_establish = {},
          .lookup_outcome = {}, .lookup_fanout = {}, .lookup_attempts = {},
          .session_error = {}, .teardown_refused = {}, .reap_at_ms = {}};
  // Step at once: the first stage starts now, not a tick later.
  drive(job, now);
  jobs_.emplace(pid, std::move(job));
  ++counters_.started;
  LOG_INFO("probe %llu started for %s (budget %llu ms)", static_cast<unsigned long long>(pid),
           npub.c_str(), static_cast<unsigned long long>(b.total_ms()));
  return Started{pid, target, b.total_ms()};
}

Result<ProbeReportData, std::string> ProbeRegistry::poll(uint64_t pid, uint64_t now) {
  auto it = jobs_.find(pid);
  if (it == jobs_.end()) return Err{"unknown probe id: " + std::to_string(pid)};
  ProbeReportData r = report(it->second, now);
  if (r.done) {
    release_claim(it->second);
    jobs_.erase(it);  // delivered once
  }
  return r;
}

Result<void, std::string> ProbeRegistry::cancel(uint64_t pid, uint64_t now) {
  auto it = jobs_.find(pid);
  if (it == jobs_.end()) return Err{"unknown probe id: " + std::to_string(pid)};
  if (!it->second.probe.finished()) ++counters_.cancelled;
  for (probe::Action a : it->second.probe.cancel(now)) act(it->second, a, now);
  return {};
}

void ProbeRegistry::tick(uint64_t now) {
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    Job& j = it->second;
    if (j.probe.finished()) {
      if (j.reap_at_ms && now >= *j.reap_at_ms) {
        release_claim(j);
        ++counters_.reaped_unpolled;
        it = jobs_.erase(it);
        continue;
      }
    } else {
      drive(j, now);
    }
    ++it;
  }
}

void ProbeRegistry::drive(Job& j, uint64_t now) {
  const probe::Observation o = observe(j, now);
  for (probe::Action a : j.probe.step(o)) act(j, a, now);
}

ProbeRegistry::Disowned ProbeRegistry::disowned(const Job& j) const {
  if (!j.owned_created_ms) return Disowned::kNeverOwned;
  auto b = sessions_.sessions().brief(j.identity.node_addr());
  if (!b) return Disowned::kGone;
  if (b->created_ms != *j.owned_created_ms || !b->is_initiator) return Disowned::kReplaced;
  if (j.at_establish && !same_traffic(*b, *j.at_establish)) return Disowned::kAdopted;
  return Disowned::kNone;
}

probe::Observation ProbeRegistry::observe(Job& j, uint64_t now) {
  const NodeAddr& target = j.identity.node_addr();
  probe::Observation o;
  o.now_ms = now;
  const auto brief = sessions_.sessions().brief(target);
  o.session_present = brief.has_value();
  o.session_established = brief && brief->state == fsp::SessionState::kEstablished;
  o.session_is_ours = disowned(j) == Disowned::kNone;
  // Traffic after this point means someone else uses the session.
  if (o.session_is_ours && o.session_established && !j.at_establish) j.at_establish = brief;
  if (const mmp::SessionMmp* m = sessions_.sessions().mmp_of(target)) {
    o.counters = probe::RttCounters{m->metrics.reports_seen, m->metrics.rtt_samples,
                                    m->metrics.rtt_zero, m->metrics.rtt_arith_fail};
    o.last_rtt_ms = m->metrics.last_rtt_ms;
    o.srtt_ms = m->metrics.srtt_ms();
    if (brief->last_observed_mtu != 0xFFFF) o.path_mtu = brief->last_observed_mtu;
  }
  o.lookup_pending = node_.lookups().is_pending(target);
  if (o.lookup_pending)
    for (const auto& p : node_.lookups().snapshot(now, 0).pending_lookups)
      if (p.target == target) j.lookup_attempts = p.attempt;
  o.lookup_outcome = j.lookup_outcome;
  o.lookup_fanout = j.lookup_fanout;
  j.lookup_outcome.reset();
  j.lookup_fanout.reset();
  o.session_error = std::move(j.session_error);
  j.session_error.reset();
  const Peer* peer = node_.link().find_peer(target);
  o.target_is_direct_peer = peer && peer->current != nullptr;

  // The path preview: coordinates, then the first hop routing would take,
  // without touching the cache (reference probe.rs preview_next_hop).
  const auto coords = node_.coord_cache().get(target, now);
  o.coords_cached = coords.has_value();
  const CoordsView mine = node_.self_coords();
  if (coords) o.path = probe::describe_path(mine, *coords);
  if (o.target_is_direct_peer) {
    o.next_hop = probe::NextHopFacts{target, routing::RouteClass::kDirectPeer, true, false};
  } else if (!coords) {
    o.no_hop_reason = probe::NoHopReason::kNoCoords;
  } else {
    const routing::NextHop h = routing::find_next_hop(node_, RouteDest::of(target), &*coords);
    if (h.kind == routing::NextHop::Kind::kLocal) {
      o.no_hop_reason = probe::NoHopReason::kLocal;
    } else if (!h.is_peer()) {
      o.no_hop_reason = probe::NoHopReason::kNoCloserPeer;
    } else {
      const Coords* hc = node_.tree().peer_coords(h.peer);
      const routing::RouteClass cls = routing::classify_forward(
          target, h.peer, node_.identity().node_addr(), mine, &*coords,
          hc ? coords_view_of(*hc) : CoordsView());
      const bool leaves = cls == routing::RouteClass::kTreeDownCross ||
                          cls == routing::RouteClass::kCrosslinkDescend ||
                          cls == routing::RouteClass::kCrosslinkAscend;
      o.next_hop = probe::NextHopFacts{h.peer, cls, h.peer == target, leaves};
    }
    if (o.path && !o.path->same_root) o.no_hop_reason = probe::NoHopReason::kDisjointTrees;
  }
  return o;
}

void ProbeRegistry::act(Job& j, probe::Action a, uint64_t now) {
  const NodeAddr& target = j.identity.node_addr();
  switch (a) {
    case probe::Action::kInitiateLookup: {
      const lookup::InitiateResult r = node_.start_lookup(j.identity, now);
      j.lookup_outcome = outcome_of(r.outcome);
      j.lookup_fanout = r.fanout;
      // A lookup answered within a tick never shows as pending: count attempt 1 here.
      if (r.fanout > 0) j.lookup_attempts = 1;
      return;
    }
    case probe::Action::kOpenSession: {
      if (sessions_.sessions().state_of(target)) return;  // one appeared meanwhile: not ours
      if (auto err = sessions_.open_session(j.identity, now)) {
        j.session_error = std::move(err);
        return;
      }
      if (auto b = sessions_.sessions().brief(target)) j.owned_created_ms = b->created_ms;
      return;
    }
    case probe::Action::kSendWarmup:
      if (!sessions_.send_warmup(target, now))
        LOG_DEBUG("probe %llu: warmup not sent (no route)", static_cast<unsigned long long>(j.id));
      return;
    case probe::Action::kTeardownSession:
      switch (disowned(j)) {
        case Disowned::kNone: (void)sessions_.tear_down(target, now); return;
        case Disowned::kNeverOwned: j.teardown_refused = probe::LeftIntact::kPreexisting; return;
        case Disowned::kReplaced: j.teardown_refused = probe::LeftIntact::kReplaced; return;
        case Disowned::kAdopted: j.teardown_refused = probe::LeftIntact::kAdoptedByTraffic; return;
        case Disowned::kGone: return;  // nothing left in place
      }
      return;
    case probe::Action::kFinish:
      j.reap_at_ms = now + probe::kReapMs;
      release_claim(j);
      ++counters_.finished;
      return;
  }
}

void ProbeRegistry::release_claim(Job& j) {
  if (!j.holds_claim) return;
  claims_.erase(j.identity.node_addr());
  j.holds_claim = false;
}

ProbeReportData ProbeRegistry::report(const Job& j, uint64_t now) const {
  ProbeReportData r;
  r.probe_id = j.id;
  r.npub = j.npub;
  r.target = j.identity.node_addr();
  r.snap = j.probe.snapshot();
  r.elapsed_ms = j.probe.elapsed_ms(now);
  r.lookup_attempts = j.lookup_attempts;
  r.attempt_timeouts_secs = ladder_;
  r.teardown_refused = j.teardown_refused;
  r.done = j.probe.finished();
  return r;
}

}  // namespace fips

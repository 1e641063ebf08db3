// Discovery core implementation (see core.h; spec section numbers refer to
// docs/spec/lookup-routing.md).
#include "proto/lookup/core.h"

#include <algorithm>
#include <cstring>

namespace fips::lookup {

namespace {

uint64_t elapsed(uint64_t since, uint64_t now) {
  return now > since ? now - since : 0;
}

uint64_t sat_mul_pow2(uint64_t base, uint32_t exp) {
  if (base == 0) return 0;
  if (exp >= 64) return UINT64_MAX;
  const uint64_t mult = uint64_t{1} << exp;
  return base > UINT64_MAX / mult ? UINT64_MAX : base * mult;
}

// Encodes via f(Writer&) into the arena; nullopt (arena unchanged) on error.
template <class F>
std::optional<SendItem> append(LookupActions& out, size_t max_size, F&& f) {
  const size_t off = out.arena.size();
  out.arena.resize(off + max_size);
  Writer w(MutByteSpan(out.arena.data() + off, max_size));
  if (!f(w).ok()) {
    out.arena.resize(off);
    return std::nullopt;
  }
  out.arena.resize(off + w.pos());
  return SendItem{NodeAddr{}, static_cast<uint32_t>(off), static_cast<uint32_t>(w.pos())};
}

void send_to(LookupActions& out, SendItem item, const NodeAddr& peer) {
  item.peer = peer;
  out.sends.push_back(item);
}

uint16_t link_mtu_to(const PeerView& view, const NodeAddr& peer) {
  const size_t i = view.find_peer(peer);
  return i == PeerView::kNoPeer ? PeerView::kUnknownMtu : view.link_mtu(i);
}

}  // namespace

const char* initiate_outcome_name(InitiateOutcome o) {
  switch (o) {
    case InitiateOutcome::kSent:
      return "sent";
    case InitiateOutcome::kZeroFanout:
      return "zero_fanout";
    case InitiateOutcome::kDeduplicated:
      return "deduplicated";
    case InitiateOutcome::kSuppressed:
      return "suppressed";
    case InitiateOutcome::kBloomMiss:
      return "bloom_miss";
    case InitiateOutcome::kTableFull:
      return "table_full";
    case InitiateOutcome::kSelf:
      return "self";
  }
  return "unknown";
}

LookupParams LookupParams::from_config(const LookupConfig& c) {
  auto ms = [](uint64_t s) { return s > UINT64_MAX / 1000 ? UINT64_MAX : s * 1000; };
  LookupParams p;
  p.ttl = c.ttl;
  p.attempt_timeouts_ms.clear();
  for (uint64_t s : c.attempt_timeouts_secs) p.attempt_timeouts_ms.push_back(ms(s));
  p.recent_expiry_ms = ms(c.recent_expiry_secs);
  p.backoff_base_ms = ms(c.backoff_base_secs);
  p.backoff_max_ms = ms(c.backoff_max_secs);
  p.forward_min_interval_ms = ms(c.forward_min_interval_secs);
  return p;
}

LookupCore::LookupCore(const Identity& self, LookupParams params, Rng& rng)
    : self_(&self),
      p_(std::move(params)),
      rng_(&rng),
      recent_(rng.next()),
      backoff_(rng.next()),
      forward_limiter_(p_.forward_min_interval_ms, kForwardLimiterMaxAgeMs, p_.max_forward_entries,
                       rng.next()) {}

// ---------------------------------------------------------------- origination

bool LookupCore::is_suppressed(const NodeAddr& target, uint64_t now_ms) const {
  const uint32_t s = backoff_.find(target);
  return s != decltype(backoff_)::kNil && now_ms < backoff_.value(s).suppress_until_ms;
}

void LookupCore::record_failure(const NodeAddr& target, uint64_t now_ms) {
  // min(base * 2^(failures-1), max): with base or max 0 nothing is ever
  // suppressed, so (unlike the reference) no entry is kept at all.
  if (p_.backoff_base_ms == 0 || p_.backoff_max_ms == 0) return;
  uint32_t s = backoff_.find(target);
  if (s == decltype(backoff_)::kNil) {
    while (backoff_.size() >= std::max<size_t>(p_.max_backoff_entries, 1))
      backoff_.erase(backoff_.oldest());
    s = backoff_.insert(target, Backoff{});
  } else {
    backoff_.touch(s);
  }
  Backoff& b = backoff_.value(s);
  if (b.failures < UINT32_MAX) ++b.failures;
  const uint64_t wait =
      std::min(sat_mul_pow2(p_.backoff_base_ms, b.failures - 1), p_.backoff_max_ms);
  b.suppress_until_ms = now_ms > UINT64_MAX - wait ? UINT64_MAX : now_ms + wait;
}

size_t LookupCore::send_attempt(const NodeAddr& target, Pending& pending, const PeerView& view,
                                LookupActions& out) {
  ++c_.req_initiated;
  uint64_t id = rng_->next();
  while (our_ids_.count(id) || recent_.find(id) != decltype(recent_)::kNil) id = rng_->next();

  const RouteDest dest = RouteDest::of(target);
  size_t first_send = out.sends.size();
  std::optional<SendItem> item;
  for (size_t i = 0; i < view.peer_count(); ++i) {
    const PeerInfo info = view.peer(i);
    // Origin: tree peers whose filter holds the target; no non-tree fallback
    // (the reference's "known origination gap", spec §2.3).
    if (!info.is_tree_peer || !view.peer_may_reach(i, dest)) continue;
    if (!item) {
      const Coords self_only{view.self_addr()};
      CoordsView origin_coords = view.self_coords();
      if (origin_coords.empty()) origin_coords = coords_view_of(self_only);
      LookupRequestView req;
      req.request_id = id;
      req.target = target;
      req.origin = view.self_addr();
      req.ttl = p_.ttl;
      req.min_mtu = 0;
      req.origin_coords = origin_coords;
      item = append(out, lookup_request_wire_size(origin_coords.size()),
                    [&](Writer& w) { return encode_lookup_request(w, req); });
      if (!item) return 0;
    }
    send_to(out, *item, info.addr);
  }
  const size_t fanout = out.sends.size() - first_send;
  if (fanout) {
    pending.request_ids.push_back(id);
    our_ids_.emplace(id, target);
  }
  return fanout;
}

void LookupCore::forget_pending(std::map<NodeAddr, Pending>::iterator it) {
  for (uint64_t id : it->second.request_ids) our_ids_.erase(id);
  pending_.erase(it);
}

InitiateResult LookupCore::initiate(const NodeAddr& target, const PeerView& view, uint64_t now_ms,
                                    LookupActions& out) {
  if (target == view.self_addr()) return {InitiateOutcome::kSelf, 0};
  // Spec §2.2: reachable = any active peer (tree or not) whose filter holds it.
  const RouteDest dest = RouteDest::of(target);
  bool reachable = false;
  for (size_t i = 0; i < view.peer_count() && !reachable; ++i)
    reachable = view.peer_may_reach(i, dest);
  if (pending_.count(target)) {
    ++c_.req_deduplicated;
    return {InitiateOutcome::kDeduplicated, 0};
  }
  if (is_suppressed(target, now_ms)) {
    ++c_.req_backoff_suppressed;
    return {InitiateOutcome::kSuppressed, 0};
  }
  if (!reachable) {
    record_failure(target, now_ms);
    ++c_.req_bloom_miss;
    return {InitiateOutcome::kBloomMiss, 0};
  }
  if (pending_.size() >= p_.max_pending) {
    ++x_.pending_full;
    return {InitiateOutcome::kTableFull, 0};
  }
  auto it = pending_.emplace(target, Pending{now_ms, now_ms, 1, {}}).first;
  const size_t fanout = send_attempt(target, it->second, view, out);
  if (fanout == 0) {
    forget_pending(it);
    record_failure(target, now_ms);
    return {InitiateOutcome::kZeroFanout, 0};
  }
  return {InitiateOutcome::kSent, fanout};
}

// ---------------------------------------------------------------- transit

void LookupCore::purge_recent(uint64_t now_ms, size_t max) {
  // Strictly older than the expiry (reference state.rs:42-44); insertion
  // order is time order, so the expired entries are a prefix.
  size_t n = 0;
  while (n < max && !recent_.empty() &&
         elapsed(recent_.value(recent_.oldest()).timestamp_ms, now_ms) > p_.recent_expiry_ms) {
    auto it = recent_per_peer_.find(recent_.value(recent_.oldest()).from_peer);
    if (it != recent_per_peer_.end() && --it->second == 0) recent_per_peer_.erase(it);
    recent_.erase(recent_.oldest());
    ++n;
  }
}

bool LookupCore::evict_from_largest_holder(const NodeAddr& except) {
  const NodeAddr* largest = nullptr;
  uint32_t most = 0;
  for (const auto& [peer, n] : recent_per_peer_)
    if (!(peer == except) && n > most) {
      most = n;
      largest = &peer;
    }
  if (!largest) return false;
  const NodeAddr victim = *largest;
  for (uint32_t s = recent_.oldest(); s != decltype(recent_)::kNil; s = recent_.newer(s)) {
    if (!(recent_.value(s).from_peer == victim)) continue;
    recent_.erase(s);
    auto it = recent_per_peer_.find(victim);
    if (--it->second == 0) recent_per_peer_.erase(it);
    ++x_.req_share_evictions;
    return true;
  }
  return false;
}

void LookupCore::on_request(const NodeAddr& from, ByteSpan msg, const PeerView& view,
                            uint64_t now_ms, LookupActions& out) {
  ++c_.req_received;
  auto dec = decode_lookup_request(msg);
  if (!dec.ok()) {
    ++c_.req_decode_error;
    return;
  }
  const LookupRequestView& req = dec.value();
  if (req.origin == view.self_addr() || our_ids_.count(req.request_id)) {
    ++x_.req_own_looped;
    return;
  }
  purge_recent(now_ms, SIZE_MAX);
  if (recent_.find(req.request_id) != decltype(recent_)::kNil) {
    ++c_.req_duplicate;
    return;
  }
  // Fair shares (ours): the table is split among the peers that hold
  // entries (the sender included). While it is less than 3/4 full anyone may
  // add (a parent legitimately carries most transit lookups). Past that, a
  // peer at its share is refused; a peer below its share still gets in, and
  // when the table is full the oldest entry of the largest holder makes room
  // for it. One peer's flood therefore costs the others nothing.
  uint32_t& held = recent_per_peer_[from];
  const size_t share = std::max(p_.recent_min_share,
                                p_.recent_capacity / std::max<size_t>(1, recent_per_peer_.size()));
  if (held >= share && recent_.size() >= p_.recent_capacity / 4 * 3) {
    ++x_.req_peer_share_exceeded;
    if (share_refusals_.size() < kMaxShareNames || share_refusals_.count(from))
      ++share_refusals_[from];
    if (held == 0) recent_per_peer_.erase(from);
    return;
  }
  if (recent_.size() >= p_.recent_capacity && !evict_from_largest_holder(from)) {
    ++c_.req_dedup_cache_full;
    if (held == 0) recent_per_peer_.erase(from);
    return;
  }
  ++recent_per_peer_[from];
  recent_.insert(req.request_id, Recent{from, now_ms, false});

  if (req.target == view.self_addr()) {  // before the TTL test: ttl 0 is answered
    ++c_.req_target_is_us;
    respond_as_target(req, from, view, out);
    return;
  }
  if (req.ttl == 0) {
    ++c_.req_ttl_exhausted;
    return;
  }
  if (!forward_limiter_.check_and_record(PairKey{req.target, req.origin}, now_ms)) {
    ++c_.req_forward_rate_limited;
    return;
  }
  ++c_.req_forwarded;
  forward_request(req, from, view, out);
}

void LookupCore::forward_request(const LookupRequestView& req, const NodeAddr& from,
                                 const PeerView& view, LookupActions& out) {
  LookupRequestView fwd = req;
  fwd.ttl = static_cast<uint8_t>(req.ttl - 1);
  const RouteDest dest = RouteDest::of(req.target);
  std::optional<SendItem> item;
  auto encode_once = [&]() {
    if (!item)
      item = append(out, lookup_request_wire_size(fwd.origin_coords.size()),
                    [&](Writer& w) { return encode_lookup_request(w, fwd); });
    return item.has_value();
  };
  // Primary: tree peers whose filter holds the target; else the non-tree
  // ones (spec §3.1). The sender is excluded (see core.h).
  for (int pass = 0; pass < 2; ++pass) {
    const bool want_tree = pass == 0;
    size_t sent = 0;
    for (size_t i = 0; i < view.peer_count(); ++i) {
      const PeerInfo info = view.peer(i);
      if (info.is_tree_peer != want_tree || info.addr == from) continue;
      if (!view.peer_may_reach(i, dest)) continue;
      if (!encode_once()) return;
      send_to(out, *item, info.addr);
      ++sent;
    }
    if (sent) {
      if (!want_tree) ++c_.req_fallback_forwarded;
      return;
    }
  }
  ++c_.req_no_tree_peer;
}

void LookupCore::respond_as_target(const LookupRequestView& req, const NodeAddr& from,
                                   const PeerView& view, LookupActions& out) {
  LookupResponse resp;
  resp.request_id = req.request_id;
  resp.target = view.self_addr();
  resp.target_coords = view.self_coords().to_owned();
  if (resp.target_coords.empty()) resp.target_coords.push_back(view.self_addr());
  // First hop = the came-from peer (always recorded just before).
  resp.path_mtu = std::min<uint16_t>(kInitialPathMtu, link_mtu_to(view, from));
  if (!sign_lookup_response(*self_, resp)) {
    ++x_.sign_failed;
    return;
  }
  auto item = append(out, lookup_response_wire_size(resp),
                     [&](Writer& w) { return encode_lookup_response(w, resp); });
  if (!item) {
    ++x_.sign_failed;
    return;
  }
  send_to(out, *item, from);
}

// ---------------------------------------------------------------- responses

void LookupCore::on_response(const NodeAddr& from, ByteSpan msg, const PeerView& view,
                             IdentityCache& ids, CoordCache& coords, uint64_t now_ms,
                             LookupActions& out) {
  (void)from;
  ++c_.resp_received;
  auto dec = decode_lookup_response(msg);
  if (!dec.ok()) {
    ++c_.resp_decode_error;
    return;
  }
  const LookupResponseView& resp = dec.value();

  // Transit: matched by request_id only (no expiry check, spec §3.3).
  const uint32_t rs = recent_.find(resp.request_id);
  if (rs != decltype(recent_)::kNil) {
    Recent& r = recent_.value(rs);
    if (r.response_forwarded) {
      ++x_.resp_already_forwarded;
      return;
    }
    r.response_forwarded = true;
    ++c_.resp_forwarded;
    const uint16_t mtu = std::min(resp.path_mtu, link_mtu_to(view, r.from_peer));
    // Only the decoded bytes travel on: trailing bytes are stripped, as the
    // reference's re-encode does (docs/interop.md).
    const ByteSpan body = msg.first(lookup_response_wire_size(resp.target_coords.size()));
    auto item = append(out, body.size(), [&](Writer& w) {
      w.bytes(body);
      return w.status();
    });
    if (!item) return;
    store_u16le(out.arena.data() + item->offset + kResponseOffPathMtu, mtu);
    send_to(out, *item, r.from_peer);
    return;
  }

  // Originator: only our own pending attempts (deviation, see core.h).
  const auto idit = our_ids_.find(resp.request_id);
  if (idit == our_ids_.end() || !(idit->second == resp.target)) {
    ++x_.resp_unsolicited;
    return;
  }
  const PeerIdentity* key = ids.lookup(resp.target, now_ms);
  if (!key) {
    ++c_.resp_identity_miss;
    return;
  }
  if (!verify_lookup_response(*key, resp)) {
    ++c_.resp_proof_failed;
    return;
  }
  ++c_.resp_accepted;
  backoff_.erase_key(resp.target);
  if (auto it = pending_.find(resp.target); it != pending_.end()) forget_pending(it);

  LookupEvent ev;
  ev.kind = LookupEvent::Kind::kFound;
  ev.target = resp.target;
  ev.coords = resp.target_coords.to_owned();
  ev.path_mtu = resp.path_mtu;
  if (resp.path_mtu < kMinActionablePathMtu) {
    ++x_.lookup_resp_mtu_below_floor;
    ev.path_mtu_below_floor = true;
    coords.insert(resp.target, resp.target_coords, now_ms);  // keeps an earlier path_mtu
  } else {
    coords.insert_with_path_mtu(resp.target, resp.target_coords, now_ms, resp.path_mtu);
  }
  out.events.push_back(std::move(ev));
}

// ---------------------------------------------------------------- tick

void LookupCore::tick(const PeerView& view, uint64_t now_ms, LookupActions& out) {
  const auto& ladder = p_.attempt_timeouts_ms;
  const uint8_t max_attempts = static_cast<uint8_t>(std::min<size_t>(ladder.size(), 255));
  // Retries are sent in target order, then final timeouts (spec §2.4). A
  // retry skips the gate and may reach zero peers: it stays pending.
  std::vector<NodeAddr> timed_out;
  for (auto& [target, pl] : pending_) {
    const size_t idx = size_t{pl.attempt} - 1;
    const uint64_t to_ms = idx < ladder.size() ? ladder[idx] : 0;
    if (elapsed(pl.last_sent_ms, now_ms) < to_ms) continue;
    if (pl.attempt >= max_attempts) {
      timed_out.push_back(target);
      continue;
    }
    ++pl.attempt;
    pl.last_sent_ms = now_ms;
    send_attempt(target, pl, view, out);
  }
  for (const NodeAddr& target : timed_out) {
    forget_pending(pending_.find(target));
    record_failure(target, now_ms);
    ++c_.resp_timed_out;
    LookupEvent ev;
    ev.kind = LookupEvent::Kind::kFailed;
    ev.target = target;
    out.events.push_back(std::move(ev));
  }
  purge_recent(now_ms, 1024);
  forward_limiter_.purge(now_ms, 1024);
}

LookupSnapshot LookupCore::snapshot(uint64_t now_ms, uint64_t unix_now_ms) const {
  auto to_unix = [&](uint64_t t) {
    const uint64_t ago = elapsed(t, now_ms);
    return unix_now_ms > ago ? unix_now_ms - ago : 0;
  };
  LookupSnapshot s;
  s.recent_requests = recent_.size();
  for (const auto& [target, pl] : pending_)
    s.pending_lookups.push_back({target, to_unix(pl.initiated_ms), to_unix(pl.last_sent_ms),
                                 pl.attempt, elapsed(pl.initiated_ms, now_ms)});
  return s;
}

}  // namespace fips::lookup

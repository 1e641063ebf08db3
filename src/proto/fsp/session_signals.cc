// FSP session layer: plaintext routing error signals addressed to us
// (docs/spec/fsp-ipv6.md §6.4, §9.3): CoordsRequired and PathBroken re-warm the session (rate
// limited standalone CoordsWarmup, lookup, warmup counter reset; PathBroken
// also invalidates the coordinates and the learned path MTU), MtuExceeded
// lowers the session's path MTU. All three pass the admission gate first:
// the signal must name a destination we hold a session toward.
#include "proto/fsp/session.h"
#include "proto/fsp/session_entry.h"
#include "proto/fsp/signals.h"

namespace fips::fsp {

namespace {

SessionEvent event(SessionEvent::Kind k, const NodeAddr& a, uint16_t mtu = 0) {
  SessionEvent ev;
  ev.kind = k;
  ev.peer = a;
  ev.mtu = mtu;
  return ev;
}

}  // namespace

// signal_verdict (S:1687-1700): a signal about ourselves or from the
// destination itself is forged; otherwise it is admitted only for a
// destination whose entry is Established or one we are initiating.
bool SessionManager::admit_signal(const NodeAddr& src, const NodeAddr& dest, uint64_t& unbound) {
  if (dest == local_.node_addr() || src == dest) {
    ++unbound;
    ++counters_.unbound_forged;
    ++counters_.unknown_session;
    return false;
  }
  const SessionEntry* e = find(dest);
  if (e && (e->established() || e->is_initiator)) return true;
  ++unbound;
  ++counters_.unknown_session;
  return false;
}

void SessionManager::on_signal(const NodeAddr& src, ByteSpan msg, uint64_t now, SessionActions& out) {
  auto type = peek_signal_type(msg);
  if (!type) {
    ++counters_.malformed;
    return;
  }
  switch (static_cast<SignalType>(*type)) {
    case SignalType::kCoordsRequired:
    case SignalType::kPathBroken: {
      const bool broken = *type == static_cast<uint8_t>(SignalType::kPathBroken);
      ++(broken ? counters_.path_broken : counters_.coords_required);  // before decode
      NodeAddr dest;
      if (broken) {
        auto m = decode_path_broken(msg);
        if (!m) {
          ++counters_.malformed;
          return;
        }
        dest = m->dest_addr;
      } else {
        auto m = decode_coords_required(msg);
        if (!m) {
          ++counters_.malformed;
          return;
        }
        dest = m->dest_addr;
      }
      if (!admit_signal(src, dest, broken ? counters_.unbound_broken : counters_.unbound_coords))
        return;
      SessionEntry* e = find(dest);
      // The limiter records an allowed call even when nothing is sent.
      if (coords_response_.check_and_record(dest, now) && e->established() &&
          send_control(*e, static_cast<uint8_t>(SessionMsgType::kCoordsWarmup), {}, true, now, out))
        ++counters_.coords_warmups_sent;
      if (broken) out.events.push_back(event(SessionEvent::Kind::kInvalidateCoords, dest));
      out.events.push_back(event(SessionEvent::Kind::kStartLookup, dest));
      if (broken) {
        if (e->established()) e->mtu.reset_source();
        out.events.push_back(event(SessionEvent::Kind::kPathMtuReleased, dest));
      }
      e->warmup_remaining = params_.coords_warmup_packets;
      return;
    }
    case SignalType::kMtuExceeded: {
      ++counters_.mtu_exceeded;
      auto m = decode_mtu_exceeded(msg);
      if (!m) {
        ++counters_.malformed;
        return;
      }
      if (!admit_signal(src, m->dest_addr, counters_.unbound_mtu)) return;
      SessionEntry* e = find(m->dest_addr);
      if (e->established()) (void)e->mtu.apply_notification(m->mtu, now);  // ignores < 256
      if (m->mtu < kMinActionablePathMtu) {
        ++counters_.mtu_exceeded_below_floor;
        return;
      }
      out.events.push_back(event(SessionEvent::Kind::kPathMtuChanged, m->dest_addr, m->mtu));
      return;
    }
  }
  ++counters_.unknown_signal;
}

}  // namespace fips::fsp

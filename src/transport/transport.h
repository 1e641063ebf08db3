// The one small interface every medium implements (UDP, TCP, later Ethernet,
// in-memory links in tests and the simulator): queue packets to an address,
// flush, report MTU; received packets go to a TransportSink.
// Not here: FMP semantics (proto/fmp, node/), socket details (transport/udp, tcp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dataplane/buffer_pool.h"
#include "transport/addr.h"

namespace fips {

struct TransportStats {
  uint64_t packets_sent = 0;
  uint64_t bytes_sent = 0;
  uint64_t packets_recv = 0;
  uint64_t bytes_recv = 0;
  uint64_t send_errors = 0;     // kernel refused a send
  uint64_t recv_errors = 0;     // receive error / TCP framing error / EOF
  uint64_t mtu_exceeded = 0;    // send refused: packet larger than the MTU
  uint64_t queue_full = 0;      // send refused: bounded send queue full
  uint64_t pool_exhausted = 0;  // receive dropped: no free buffer
  uint64_t truncated = 0;       // datagram larger than the receive buffer
  uint64_t kernel_drops = 0;    // UDP: the socket's receive-queue overflow count (SO_RXQ_OVFL)
  uint64_t connections_accepted = 0;  // TCP
  uint64_t connections_rejected = 0;  // TCP: inbound cap
  uint64_t connect_failures = 0;      // TCP: dial failed or timed out
  uint64_t connections_closed = 0;    // TCP
  uint64_t unauthenticated_evicted = 0;  // TCP (ours): inbound without a link, closed for room
};

enum class TransportState : uint8_t { kStarting, kUp, kFailed, kStopped };

// Receives everything a transport reads. Called on the owner thread.
class TransportSink {
 public:
  virtual ~TransportSink() = default;
  // One received packet (a whole FMP packet: a datagram, or a deframed TCP packet).
  virtual void on_packet(TransportId tid, const TransportAddr& from, PacketBuf&& pkt) = 0;
  // End of a receive burst: a good moment to flush queued sends.
  virtual void on_burst_end() = 0;
  // Connection-oriented transports: a dial to `to` failed or an established
  // connection closed. Datagram transports never call these.
  virtual void on_connect_failed(TransportId, const TransportAddr&) {}
  virtual void on_connection_closed(TransportId, const TransportAddr&) {}
};

class Transport {
 public:
  virtual ~Transport() = default;

  [[nodiscard]] TransportId id() const { return id_; }
  [[nodiscard]] virtual std::string_view type() const = 0;  // "udp", "tcp", "mem"
  // Instance name when configured as a named instance.
  [[nodiscard]] virtual std::optional<std::string> name() const { return std::nullopt; }
  [[nodiscard]] virtual TransportState state() const = 0;
  // Largest FMP packet this transport carries to `to` (whole frame).
  [[nodiscard]] virtual uint16_t mtu() const = 0;
  [[nodiscard]] virtual uint16_t mtu_to(const TransportAddr&) const { return mtu(); }
  // Bound local address ("0.0.0.0:2121"), empty when there is none.
  [[nodiscard]] virtual std::string local_addr() const = 0;
  // Whether fresh inbound handshakes are accepted (false: outbound-only).
  [[nodiscard]] virtual bool accepts_inbound() const { return true; }

  // Queues pkt for `to`; takes ownership. False (and counted) when refused:
  // larger than the MTU, send queue full, or no route. Connection-oriented
  // transports connect on demand and hold a bounded queue meanwhile.
  virtual bool send(const TransportAddr& to, PacketBuf&& pkt) = 0;
  // Pushes queued packets to the kernel (sendmmsg / writev).
  virtual void flush() = 0;
  // Closes a connection to `to` (TCP); no-op for datagram transports.
  virtual void close_connection(const TransportAddr&) {}
  // The link layer authenticated a peer at this address (connection-oriented
  // transports stop treating the connection as a stranger's).
  virtual void mark_authenticated(const TransportAddr&) {}

  [[nodiscard]] const TransportStats& stats() const { return stats_; }

 protected:
  explicit Transport(TransportId id) : id_(id) {}
  TransportId id_;
  TransportStats stats_;
};

}  // namespace fips

// TCP transport: an optional listener plus a table of connections keyed by
// remote address (outbound: the dialled address, inbound: the peer's
// ip:port), FMP packets delimited by StreamDeframer, non-blocking connect on
// send, bounded per-connection output, all driven by the EventLoop and a
// once-a-second tick() for deadlines. Sink callbacks on_connect_failed and
// on_connection_closed are queued and delivered at the end of the
// transport's own event handlers or in tick(), never from inside send(),
// flush() or close_connection(), so callers may use the transport freely.
// Not here: framing rules (transport/framing), FMP/peer logic, DNS.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "dataplane/buffer_pool.h"
#include "io/event_loop.h"
#include "io/fd.h"
#include "transport/transport.h"
#include "util/result.h"

namespace fips {

// Bounds and deadlines of the TCP transport that are not config keys
// (reference values); tests shrink them.
struct TcpLimits {
  // Inbound: an authenticated link (LinkIo::link_authenticated) by then,
  // whatever the connection sends (ours; the reference only wants a first
  // whole packet within 30 s, and one packet disarms it for good).
  uint64_t first_frame_timeout_ms = 10000;
  // Inbound connections from one IP address without a link yet (ours); at
  // this or at the inbound cap, the oldest such connection gives way.
  size_t max_unauthenticated_per_ip = 128;
  size_t out_buf_bytes = 256 * 1024;        // per-connection unsent bytes
  size_t connect_queue_packets = 64;        // queued while connecting
  size_t batch_packets = 64;                // packets per writev (<= 1024)
  size_t max_outbound = 1024;               // connecting + connected dials
  size_t max_reads_per_event = 16;          // then yield to other fds
  size_t max_notices = 4096;                // pending sink callbacks
};

class TcpTransport : public Transport {
 public:
  using Limits = TcpLimits;
  enum class ConnState : uint8_t { kNone, kConnecting, kConnected };

  // node_max_connections: node.limits.max_connections, the inbound cap when
  // max_inbound_connections is unset (reference precedence; 0 rejects all).
  TcpTransport(TransportId id, const TcpTransportConfig& cfg, EventLoop& loop, BufferPool& pool,
               TransportSink& sink, uint64_t node_max_connections = 256,
               TcpLimits limits = TcpLimits{});
  ~TcpTransport() override;
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  // Binds and listens when bind_addr is set; outbound-only otherwise. The
  // error names the step and errno text; the transport is then kFailed.
  [[nodiscard]] Result<void, std::string> start();
  // Closes the listener and every connection (no sink callbacks).
  void stop();
  // Deadlines (connect timeout, inbound first-frame), deferred connect-failure
  // and close callbacks, listener resume after EMFILE. Call about once a
  // second with the monotonic clock; deadlines are quantised to the tick.
  void tick(uint64_t now_ms);

  [[nodiscard]] std::string_view type() const override { return "tcp"; }
  [[nodiscard]] std::optional<std::string> name() const override { return cfg_.name; }
  [[nodiscard]] TransportState state() const override { return state_; }
  [[nodiscard]] uint16_t mtu() const override { return cfg_.mtu; }
  // min(config mtu, TCP_MAXSEG) of an established connection, else the config mtu.
  [[nodiscard]] uint16_t mtu_to(const TransportAddr& to) const override;
  [[nodiscard]] std::string local_addr() const override;
  [[nodiscard]] bool accepts_inbound() const override { return listener_.valid(); }

  // Connected: batched for flush(). No connection: starts a dial and queues
  // (bounded). Refused (false, counted): over mtu_to(), queue or output
  // buffer full, no usable address, dial failed at once, not started.
  bool send(const TransportAddr& to, PacketBuf&& pkt) override;
  void flush() override;
  // Closes the connection to `to` (no on_connection_closed for this one).
  void close_connection(const TransportAddr& to) override;
  void mark_authenticated(const TransportAddr& to) override;

  [[nodiscard]] size_t pool_inbound() const { return inbound_; }
  [[nodiscard]] size_t pool_outbound() const { return outbound_; }  // established dials
  [[nodiscard]] size_t connecting() const { return connecting_; }
  [[nodiscard]] uint64_t effective_max_inbound() const;
  [[nodiscard]] ConnState connection_state(const TransportAddr& to) const;
  [[nodiscard]] const TransportAddr& bound() const { return bound_; }

 private:
  struct Conn;
  struct Notice {
    bool connect_failed;  // else connection_closed
    TransportAddr addr;
  };

  void on_listener_event(uint32_t events);
  void on_conn_event(Conn* c, uint32_t events);
  void on_connected(Conn* c);
  void on_readable(Conn* c);
  void flush_conn(Conn* c);
  void set_write_interest(Conn* c, bool want);
  Conn* find(const TransportAddr& a) const;
  Conn* start_dial(const TransportAddr& to);
  bool configure(int fd);
  // Removes c from the table and closes its socket; the object is parked
  // until a safe point. notify queues on_connection_closed.
  void close_conn(Conn* c, bool notify);
  void fail_dial(Conn* c);
  void notice(bool connect_failed, const TransportAddr& a);
  void deliver_notices();
  void reap();
  // Room for one more inbound connection like `like`: closes the oldest
  // unauthenticated inbound one (from that IP when `same_ip`). False if none.
  bool evict_unauthenticated(const TransportAddr& like, bool same_ip);

  TcpTransportConfig cfg_;
  EventLoop& loop_;
  BufferPool& pool_;
  TransportSink& sink_;
  uint64_t node_max_connections_;
  Limits lim_;
  TransportState state_ = TransportState::kStarting;
  UniqueFd listener_;
  TransportAddr bound_;
  bool listener_paused_ = false;

  std::unordered_map<TransportAddr, std::unique_ptr<Conn>, TransportAddrHash> conns_;
  std::vector<std::unique_ptr<Conn>> graveyard_;
  std::vector<Conn*> dirty_, dirty_scratch_, victims_;
  std::vector<Notice> notices_, notices_scratch_;
  size_t inbound_ = 0, outbound_ = 0, connecting_ = 0;
  uint64_t accept_seq_ = 0;
  int depth_ = 0;  // > 0 while one of our handlers is on the stack
};

}  // namespace fips

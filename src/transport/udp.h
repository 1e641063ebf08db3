// UDP transport: one non-blocking socket (IPv4, or dual-stack IPv6), batched
// receive (recvmmsg into pool buffers) and batched send (sendmmsg from a
// bounded ring), driven by the EventLoop. The MTU is the whole FMP frame.
// Not here: FMP parsing (the sink gets raw datagrams), DNS, NAT traversal.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "config/config.h"
#include "dataplane/buffer_pool.h"
#include "io/event_loop.h"
#include "io/fd.h"
#include "transport/sockopt.h"
#include "transport/transport.h"
#include "util/result.h"

namespace fips {

// True for the NAT punch probe/ack datagrams (first 4 bytes big-endian
// 0x4E505443 "NPTC" / 0x4E505441 "NPTA"); those never reach FMP.
[[nodiscard]] bool is_punch_packet(const uint8_t* data, size_t len);

class UdpTransport : public Transport {
 public:
  static constexpr size_t kRecvBatch = 32;         // datagrams per recvmmsg
  static constexpr size_t kMaxRecvPerEvent = 256;  // then yield to other fds
  static constexpr size_t kSendBatch = 64;         // datagrams per sendmmsg
  static constexpr size_t kSendQueue = 1024;       // ring: batch + EAGAIN backlog
  static constexpr size_t kRecvSlack = 100;        // receive size = mtu + slack
  static constexpr size_t kGsoMaxSegments = 64;    // UDP_MAX_SEGMENTS of older kernels
  static constexpr size_t kGsoMaxBytes = 65000;    // payload bytes per GSO message
  static constexpr size_t kGroBatch = 8;           // messages per recvmmsg with UDP_GRO
  static constexpr size_t kGroSpill = 65536;       // per message, beyond the pool buffer

  UdpTransport(TransportId id, const UdpTransportConfig& cfg, EventLoop& loop, BufferPool& pool,
               TransportSink& sink);
  ~UdpTransport() override;
  UdpTransport(const UdpTransport&) = delete;
  UdpTransport& operator=(const UdpTransport&) = delete;

  // Opens, configures and binds the socket and registers it with the loop.
  // The error names the step and the errno text ("bind 0.0.0.0:2121: Address
  // already in use"); the transport is then kFailed.
  [[nodiscard]] Result<void, std::string> start();
  // Closes the socket, dropping anything queued; state becomes kStopped.
  void stop();

  [[nodiscard]] std::string_view type() const override { return "udp"; }
  [[nodiscard]] std::optional<std::string> name() const override { return cfg_.name; }
  [[nodiscard]] TransportState state() const override { return state_; }
  [[nodiscard]] uint16_t mtu() const override { return cfg_.mtu; }
  [[nodiscard]] std::string local_addr() const override;
  [[nodiscard]] bool accepts_inbound() const override {
    return !cfg_.outbound_only && cfg_.accept_connections;
  }

  bool send(const TransportAddr& to, PacketBuf&& pkt) override;
  void flush() override;

  // Bound address (valid after start()); port() gives the ephemeral port.
  [[nodiscard]] const TransportAddr& bound() const { return bound_; }
  [[nodiscard]] bool is_v6_socket() const { return v6_socket_; }
  [[nodiscard]] size_t queued() const { return q_len_; }
  [[nodiscard]] bool write_blocked() const { return blocked_; }
  [[nodiscard]] uint64_t punch_dropped() const { return punch_dropped_; }
  [[nodiscard]] int fd() const { return fd_.get(); }
  // Socket buffer sizes the kernel granted at start() (getsockopt: twice the
  // usable size on Linux), for the daemon's clamp warning.
  [[nodiscard]] const sock::BufferSizes& granted_buffers() const { return granted_buffers_; }
  [[nodiscard]] const UdpTransportConfig& config() const { return cfg_; }
  // UDP GSO: messages sent with UDP_SEGMENT and the datagrams they carried;
  // gso() turns false for good when the socket or device refuses it.
  [[nodiscard]] bool gso() const { return gso_; }
  [[nodiscard]] uint64_t gso_messages() const { return gso_messages_; }
  [[nodiscard]] uint64_t gso_datagrams() const { return gso_datagrams_; }
  void set_gso(bool on) { gso_ = on; }
  // UDP GRO (enabled at start() together with GSO): the kernel hands over
  // runs of datagrams as one message, split here into pool buffers.
  [[nodiscard]] bool gro() const { return gro_; }
  [[nodiscard]] uint64_t gro_messages() const { return gro_messages_; }
  [[nodiscard]] uint64_t gro_datagrams() const { return gro_datagrams_; }

 protected:
  // The sendmmsg call; a test seam (a subclass can simulate EAGAIN).
  virtual int sys_sendmmsg(int fd, mmsghdr* msgs, unsigned n);

 private:
  struct Slot {
    PacketBuf pkt;
    TransportAddr to;
  };
  struct SendState;  // ring + sendmmsg arrays, allocated once in start()

  void on_event(uint32_t events);
  void on_readable();
  void on_readable_gro();
  // One received datagram (a segment of a GRO message) to the sink; taken
  // by value so a buffer the sink does not keep goes back to the pool.
  void deliver(const TransportAddr& src, PacketBuf buf);
  void on_writable();
  // A received message's control data: SO_RXQ_OVFL (the socket's cumulative
  // receive-queue drops, u32) into stats_.kernel_drops.
  void note_rxq_ovfl(const msghdr& mh);
  void set_blocked(bool blocked);
  void drop_head();
  // Fills msgs/iov for the first n queued slots; returns the message count.
  size_t build_batch(size_t n);

  UdpTransportConfig cfg_;
  EventLoop& loop_;
  BufferPool& pool_;
  TransportSink& sink_;
  UniqueFd fd_;
  TransportState state_ = TransportState::kStarting;
  TransportAddr bound_;
  bool v6_socket_ = false;
  bool registered_ = false;
  bool blocked_ = false;  // EAGAIN seen; waiting for EPOLLOUT
  size_t recv_size_ = 0;
  sock::BufferSizes granted_buffers_;
  uint64_t punch_dropped_ = 0;
  uint32_t last_rxq_ovfl_ = 0;
  bool gso_ = true;
  bool gro_ = false;
  uint64_t gro_messages_ = 0;
  uint64_t gro_datagrams_ = 0;
  struct GroState;  // recvmmsg arrays and spill space, allocated in start()
  std::unique_ptr<GroState> gro_state_;
  uint64_t gso_messages_ = 0;
  uint64_t gso_datagrams_ = 0;

  // Send ring: slots [q_head_, q_head_ + q_len_) modulo kSendQueue.
  std::unique_ptr<SendState> send_;
  size_t q_head_ = 0, q_len_ = 0;
  // Scratch used to drain datagrams when the pool is empty.
  std::unique_ptr<uint8_t[]> scratch_;
};

}  // namespace fips

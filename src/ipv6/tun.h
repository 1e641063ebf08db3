// Linux TUN device for the IPv6 adapter (docs/spec/fsp-ipv6.md §13; reference
// src/upper/tun.rs): creates the L3 TUN (IFF_TUN | IFF_NO_PI) named tun.name,
// configures it over rtnetlink (MTU, our fd00::/8 address as /128, link up,
// route fd00::/8 dev <tun>, ip -6 rule to fd00::/8 lookup main priority 5265)
// and moves packets between its non-blocking fd and the EventLoop:
//   read:  on EPOLLIN up to read_batch packets per event, each into a pool
//          PacketBuf at `headroom` bytes from the buffer start (so the adapter
//          can compress / build ICMPv6 replies in place), handed to the sink;
//   write: write() tries the fd at once; on EAGAIN packets wait in a bounded
//          ring (EPOLLOUT armed), a full ring drops and counts.
// Offloads (TunOptions::offload, on by default; ours, the reference has none):
// the TUN is opened with IFF_VNET_HDR and TUN_F_CSUM | TUN_F_TSO6, so the
// kernel hands over TCP super-packets of up to 64 KiB (one read instead of
// ~50) and packets whose checksum is left to us; reads split them into
// MSS-sized segments with full checksums (offload.h) before the sink sees
// them. Writes of TCP data segments are held until flush() (the end of the
// daemon's burst) and consecutive segments of one flow go to the kernel as
// one GSO super-packet by writev (GRO); everything else is written at once,
// after the held segments, so order is kept.
// stop() (and the destructor) deletes the interface.
// Not here: what the packets mean (adapter.h), who owns the node's state.
//
// start() fails with a message naming the step. Without root/CAP_NET_ADMIN the
// message says so; the daemon then continues without a TUN (reference:
// "Failed to initialize TUN, continuing without it", node Degraded).
// Deviations from the reference: an interface of the same name is deleted
// first (as the reference), but our own interface is later deleted by its
// ifindex, never by name, so a stopped device cannot delete a newer one that
// reused the name; tun.mtu < 1280 is refused up front (the kernel disables
// IPv6 on such a link and the reference fails later with a netlink error).
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "dataplane/buffer_pool.h"
#include "identity/node_addr.h"
#include "io/event_loop.h"
#include "io/fd.h"
#include "util/result.h"

namespace fips::ipv6 {

// control show_status tun_state
enum class TunState : uint8_t { kDisabled, kConfigured, kActive, kFailed };
std::string_view tun_state_name(TunState s);

class TunSink {
 public:
  virtual ~TunSink() = default;
  // One IPv6 (or whatever the kernel wrote) packet read from the TUN.
  virtual void on_tun_packet(PacketBuf&& pkt) = 0;
  // After a readiness event's batch (a good point to flush sends).
  virtual void on_tun_burst_end() {}
};

struct TunCounters {
  uint64_t rx_packets = 0;
  uint64_t rx_bytes = 0;
  uint64_t rx_errors = 0;          // read() failures other than EAGAIN/EINTR
  uint64_t rx_pool_exhausted = 0;  // packet read into scratch and dropped
  uint64_t tx_packets = 0;
  uint64_t tx_bytes = 0;
  uint64_t tx_errors = 0;      // write() refused the packet (dropped)
  uint64_t tx_queue_full = 0;  // ring full (dropped)
  uint64_t tx_not_active = 0;  // write() while not active (dropped)
  uint64_t tx_blocked = 0;     // times the fd said EAGAIN
  // Offloads.
  uint64_t rx_gso_packets = 0;    // TSO super-packets read
  uint64_t rx_gso_segments = 0;   // segments made from them
  uint64_t rx_gso_dropped = 0;    // super-packets or segments dropped (bad header, no buffer)
  uint64_t rx_csum_completed = 0; // partial checksums completed
  uint64_t tx_gro_writes = 0;     // coalesced super-packets written
  uint64_t tx_gro_segments = 0;   // segments they carried
};

struct TunOptions {
  size_t headroom = 128;   // where reads place the packet (>= kMinHeadroom)
  size_t read_batch = 64;  // packets per readiness event, then yield
  size_t write_queue = 1024;
  bool offload = true;  // IFF_VNET_HDR with TSO on reads and GRO on writes
  bool add_rule = true;  // ip -6 rule to fd00::/8 lookup main prio 5265
};

class TunDevice {
 public:
  static constexpr size_t kMinHeadroom = 128;
  static constexpr uint32_t kTxQueueLen = 2000;  // kernel -> daemon queue (see tun.cc)
  static constexpr uint32_t kRulePriority = 5265;
  static constexpr uint32_t kMainTable = 254;

  TunDevice(EventLoop& loop, BufferPool& pool, TunSink& sink, TunOptions opts = {});
  virtual ~TunDevice();
  TunDevice(const TunDevice&) = delete;
  TunDevice& operator=(const TunDevice&) = delete;

  // Creates and configures the interface and registers the fd with the loop.
  // On failure everything created is removed again and state() is kFailed.
  [[nodiscard]] Result<void, std::string> start(const TunConfig& cfg, const FipsAddress& addr);
  // Unregisters, drops queued writes, deletes the interface, closes the fd.
  void stop();

  // Queues one IPv6 packet for the kernel. false (packet dropped, counted)
  // when not active, the kernel refused it, or the ring is full.
  bool write(PacketBuf&& pkt);
  // Writes the TCP segments write() held back for coalescing. Call at the
  // end of every burst that may have written.
  void flush();

  [[nodiscard]] TunState state() const { return state_; }
  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] uint32_t ifindex() const { return ifindex_; }
  [[nodiscard]] uint16_t mtu() const { return mtu_; }
  [[nodiscard]] int fd() const { return fd_.get(); }
  [[nodiscard]] size_t queued() const { return q_len_; }
  [[nodiscard]] const TunCounters& counters() const { return counters_; }
  [[nodiscard]] bool offloading() const { return vnet_; }

 protected:
  // The writev(2) call; a test seam (a subclass can simulate EAGAIN).
  virtual ssize_t sys_writev(int fd, const struct iovec* iov, int n);

 private:
  void on_event(uint32_t events);
  void on_readable();
  void on_readable_vnet();
  // A read failed with err: true = retry now (EINTR), false = end the burst
  // (EAGAIN, or an error, counted; a vanished interface stops polling).
  bool read_failed(int err);
  // One packet read with its vnet header at buf.data() (n bytes in total,
  // of which the first room are in buf and the rest at super_ + room).
  // Returns the packets handed to the sink.
  size_t deliver_vnet(PacketBuf& buf, size_t n, size_t room);
  size_t segment_super(size_t n);
  void flush_queue();
  void flush_batch();
  void enqueue(PacketBuf&& pkt);
  // 0 = written or dropped for good; EAGAIN = try again later.
  int write_now(PacketBuf& pkt);
  int write_iov(const struct iovec* iov, int n, size_t bytes);
  void set_blocked(bool blocked);
  Result<void, std::string> configure(const FipsAddress& addr);
  void delete_interface();

  EventLoop& loop_;
  BufferPool& pool_;
  TunSink& sink_;
  TunOptions opts_;
  TunState state_ = TunState::kConfigured;
  UniqueFd fd_;
  std::string name_;
  uint32_t ifindex_ = 0;
  uint16_t mtu_ = 0;
  bool registered_ = false;
  bool blocked_ = false;
  std::vector<PacketBuf> ring_;
  size_t q_head_ = 0, q_len_ = 0;
  std::unique_ptr<uint8_t[]> scratch_;
  size_t scratch_size_ = 0;
  bool vnet_ = false;
  std::unique_ptr<uint8_t[]> super_;  // kMaxGsoPacket: a TSO read
  std::vector<PacketBuf> batch_;      // TCP segments held for coalescing
  std::vector<uint8_t> batch_th_;     // their TCP header lengths / 4
  TunCounters counters_;
};

// True when /proc/sys/net/ipv6/conf/all/disable_ipv6 reads 1.
[[nodiscard]] bool ipv6_disabled();

}  // namespace fips::ipv6

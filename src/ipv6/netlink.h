// Minimal synchronous rtnetlink client (libmnl) for configuring the TUN
// interface: link delete / MTU / up, IPv6 address, IPv6 route and IPv6 policy
// rule. Each call sends one request with NLM_F_ACK and waits for the answer.
// The socket lives in the network namespace of the thread that opened it.
// Not here: creating the TUN itself (tun.h), reading routes back.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "util/result.h"

struct mnl_socket;
struct nlmsghdr;

namespace fips::ipv6 {

// errno of a failed request (0 never appears in an error).
struct NetlinkError {
  int err = 0;
  std::string what;  // "RTM_NEWADDR: File exists"
};
template <class T>
using NlResult = Result<T, NetlinkError>;

class Rtnl {
 public:
  Rtnl() = default;
  ~Rtnl();
  Rtnl(Rtnl&& o) noexcept;
  Rtnl& operator=(Rtnl&& o) noexcept;
  Rtnl(const Rtnl&) = delete;
  Rtnl& operator=(const Rtnl&) = delete;

  // Opens and binds a NETLINK_ROUTE socket.
  [[nodiscard]] static NlResult<Rtnl> open();
  [[nodiscard]] bool valid() const { return sock_ != nullptr; }

  [[nodiscard]] NlResult<void> delete_link(uint32_t ifindex);
  // Sets the MTU and, if up, IFF_UP (RTM_NEWLINK on an existing link).
  [[nodiscard]] NlResult<void> set_link_mtu(uint32_t ifindex, uint32_t mtu);
  [[nodiscard]] NlResult<void> set_link_txqlen(uint32_t ifindex, uint32_t txqlen);
  [[nodiscard]] NlResult<void> set_link_up(uint32_t ifindex);
  // ip -6 addr add addr/prefix_len dev ifindex (NLM_F_CREATE|NLM_F_EXCL).
  [[nodiscard]] NlResult<void> add_address6(uint32_t ifindex, std::span<const uint8_t, 16> addr,
                                            uint8_t prefix_len);
  // ip -6 route add dst/dst_len dev ifindex (main table, NLM_F_EXCL).
  [[nodiscard]] NlResult<void> add_route6(uint32_t ifindex, std::span<const uint8_t, 16> dst,
                                          uint8_t dst_len);
  // ip -6 route get addr: the route type (RTN_LOCAL, RTN_UNICAST, ...).
  [[nodiscard]] NlResult<uint8_t> route6_type(std::span<const uint8_t, 16> addr);
  // ip -6 rule add to dst/dst_len lookup table priority prio.
  [[nodiscard]] NlResult<void> add_rule6(std::span<const uint8_t, 16> dst, uint8_t dst_len,
                                         uint32_t table, uint32_t priority);

 private:
  // Sends nlh and waits for the ACK; other replies go to cb(nlh, data).
  NlResult<void> transact(void* nlh, const char* what,
                          int (*cb)(const ::nlmsghdr*, void*) = nullptr, void* data = nullptr);
  mnl_socket* sock_ = nullptr;
  uint32_t portid_ = 0;
  uint32_t seq_ = 0;
};

}  // namespace fips::ipv6

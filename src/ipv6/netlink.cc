#include "ipv6/netlink.h"

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <utility>

namespace fips::ipv6 {

namespace {
// Requests here are small; answers are an ACK or an error echoing the request.
constexpr size_t kBufSize = 8192;

NetlinkError nl_err(int err, const char* what) {
  return NetlinkError{err, std::string(what) + ": " + std::strerror(err)};
}

nlmsghdr* put_header(uint8_t* buf, uint16_t type, uint16_t flags) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
  return nlh;
}
}  // namespace

Rtnl::~Rtnl() {
  if (sock_) mnl_socket_close(sock_);
}
Rtnl::Rtnl(Rtnl&& o) noexcept
    : sock_(std::exchange(o.sock_, nullptr)), portid_(o.portid_), seq_(o.seq_) {}
Rtnl& Rtnl::operator=(Rtnl&& o) noexcept {
  if (this != &o) {
    if (sock_) mnl_socket_close(sock_);
    sock_ = std::exchange(o.sock_, nullptr);
    portid_ = o.portid_;
    seq_ = o.seq_;
  }
  return *this;
}

NlResult<Rtnl> Rtnl::open() {
  Rtnl r;
  r.sock_ = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (!r.sock_) return Err{nl_err(errno, "netlink socket")};
  if (mnl_socket_bind(r.sock_, 0, MNL_SOCKET_AUTOPID) < 0)
    return Err{nl_err(errno, "netlink bind")};
  r.portid_ = mnl_socket_get_portid(r.sock_);
  r.seq_ = static_cast<uint32_t>(time(nullptr));
  return r;
}

NlResult<void> Rtnl::transact(void* msg, const char* what, int (*cb)(const nlmsghdr*, void*),
                              void* data) {
  auto* nlh = static_cast<nlmsghdr*>(msg);
  nlh->nlmsg_seq = ++seq_;
  if (mnl_socket_sendto(sock_, nlh, nlh->nlmsg_len) < 0) return Err{nl_err(errno, what)};
  alignas(nlmsghdr) uint8_t buf[kBufSize];
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(sock_, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Err{nl_err(errno, what)};
    }
    const int r = mnl_cb_run(buf, static_cast<size_t>(n), seq_, portid_, cb, data);
    if (r == MNL_CB_ERROR) return Err{nl_err(errno, what)};
    if (r == MNL_CB_STOP) return {};
    // MNL_CB_OK: the ACK has not arrived yet (nothing else is expected).
  }
}

NlResult<void> Rtnl::delete_link(uint32_t ifindex) {
  alignas(nlmsghdr) uint8_t buf[kBufSize];
  nlmsghdr* nlh = put_header(buf, RTM_DELLINK, 0);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = static_cast<int>(ifindex);
  return transact(nlh, "RTM_DELLINK");
}

NlResult<void> Rtnl::set_link_mtu(uint32_t ifindex, uint32_t mtu) {
  alignas(nlmsghdr) uint8_t buf[kBufSize];
  nlmsghdr* nlh = put_header(buf, RTM_NEWLINK, 0);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = static_cast<int>(ifindex);
  mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
  return transact(nlh, "RTM_NEWLINK mtu");
}

NlResult<void> Rtnl::set_link_txqlen(uint32_t ifindex, uint32_t txqlen) {
  alignas(nlmsghdr) uint8_t buf[kBufSize];
  nlmsghdr* nlh = put_header(buf, RTM_NEWLINK, 0);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = static_cast<int>(ifindex);
  mnl_attr_put_u32(nlh, IFLA_TXQLEN, txqlen);
  return transact(nlh, "RTM_NEWLINK txqlen");
}

NlResult<void> Rtnl::set_link_up(uint32_t ifindex) {
  alignas(nlmsghdr) uint8_t buf[kBufSize];
  nlmsghdr* nlh = put_header(buf, RTM_NEWLINK, 0);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = static_cast<int>(ifindex);
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  return transact(nlh, "RTM_NEWLINK up");
}

NlResult<void> Rtnl::add_address6(uint32_t ifindex, std::span<const uint8_t, 16> addr,
                                  uint8_t prefix_len) {
  alignas(nlmsghdr) uint8_t buf[kBufSize];
  nlmsghdr* nlh = put_header(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_INET6;
  ifa->ifa_prefixlen = prefix_len;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = ifindex;
  mnl_attr_put(nlh, IFA_ADDRESS, 16, addr.data());
  return transact(nlh, "RTM_NEWADDR");
}

NlResult<void> Rtnl::add_route6(uint32_t ifindex, std::span<const uint8_t, 16> dst,
                                uint8_t dst_len) {
  alignas(nlmsghdr) uint8_t buf[kBufSize];
  nlmsghdr* nlh = put_header(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = AF_INET6;
  rtm->rtm_dst_len = dst_len;
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_BOOT;
  rtm->rtm_scope = RT_SCOPE_UNIVERSE;
  rtm->rtm_type = RTN_UNICAST;
  mnl_attr_put(nlh, RTA_DST, 16, dst.data());
  mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
  return transact(nlh, "RTM_NEWROUTE");
}

NlResult<uint8_t> Rtnl::route6_type(std::span<const uint8_t, 16> addr) {
  alignas(nlmsghdr) uint8_t buf[kBufSize];
  nlmsghdr* nlh = put_header(buf, RTM_GETROUTE, 0);
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = AF_INET6;
  rtm->rtm_dst_len = 128;
  mnl_attr_put(nlh, RTA_DST, 16, addr.data());
  int type = -1;
  auto on_route = [](const nlmsghdr* m, void* out) -> int {
    if (m->nlmsg_type == RTM_NEWROUTE && m->nlmsg_len >= NLMSG_LENGTH(sizeof(rtmsg)))
      *static_cast<int*>(out) = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(m))->rtm_type;
    return MNL_CB_OK;
  };
  FIPS_TRY(transact(nlh, "RTM_GETROUTE", on_route, &type));
  if (type < 0) return Err{NetlinkError{ENOENT, "RTM_GETROUTE: no route in the answer"}};
  return static_cast<uint8_t>(type);
}

NlResult<void> Rtnl::add_rule6(std::span<const uint8_t, 16> dst, uint8_t dst_len, uint32_t table,
                               uint32_t priority) {
  alignas(nlmsghdr) uint8_t buf[kBufSize];
  nlmsghdr* nlh = put_header(buf, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL);
  auto* frh = static_cast<fib_rule_hdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(fib_rule_hdr)));
  frh->family = AF_INET6;
  frh->dst_len = dst_len;
  frh->table = table < 256 ? static_cast<uint8_t>(table) : uint8_t{RT_TABLE_UNSPEC};
  frh->action = FR_ACT_TO_TBL;
  mnl_attr_put(nlh, FRA_DST, 16, dst.data());
  mnl_attr_put_u32(nlh, FRA_TABLE, table);
  mnl_attr_put_u32(nlh, FRA_PRIORITY, priority);
  return transact(nlh, "RTM_NEWRULE");
}

}  // namespace fips::ipv6

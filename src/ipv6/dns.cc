#include "ipv6/dns.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "transport/sockopt.h"

namespace fips::dns {
namespace {

constexpr std::string_view kSuffix = ".fips";
constexpr size_t kNpubTextLen = 63;  // "npub1" + 52 data chars + 6 checksum chars

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

}  // namespace

std::optional<std::string_view> fips_label(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.size() <= kSuffix.size()) return std::nullopt;  // "fips", ".fips", ""
  if (!iequals(name.substr(name.size() - kSuffix.size()), kSuffix)) return std::nullopt;
  return name.substr(0, name.size() - kSuffix.size());
}

// ---- Responder -------------------------------------------------------------

Responder::Responder(ResponderOptions opts, ResolvedFn on_resolved)
    : opts_(opts), on_resolved_(std::move(on_resolved)) {}

std::optional<PeerIdentity> Responder::resolve(std::string_view qname) const {
  const auto label = fips_label(qname);
  if (!label) return std::nullopt;
  if (hosts_ != nullptr) {
    if (const PeerIdentity* id = hosts_->lookup(*label)) return *id;
  }
  // Cheap filter before the (allocating) bech32 decoder: an npub of a
  // 32-byte key is always 63 characters starting "npub1" in either case.
  if (label->size() != kNpubTextLen || !iequals(label->substr(0, 5), "npub1")) return std::nullopt;
  std::array<char, kNpubTextLen> lowered{};
  std::string_view npub = *label;
  if (opts_.mixed_case_npub) {
    for (size_t i = 0; i < kNpubTextLen; ++i) lowered[i] = ascii_lower((*label)[i]);
    npub = std::string_view(lowered.data(), lowered.size());
  }
  auto id = PeerIdentity::from_npub(npub);
  if (!id) return std::nullopt;
  return *id;
}

void Responder::count_malformed(DnsErr e) {
  ++counters_.malformed;
  const auto k = static_cast<size_t>(e);
  if (k < counters_.malformed_by_kind.size()) ++counters_.malformed_by_kind[k];
}

std::optional<Reply> Responder::answer(std::span<const uint8_t> query, uint64_t now_ms) {
  ++counters_.queries;
  auto q = parse_query(query);
  if (!q) {
    count_malformed(q.error());
    return std::nullopt;
  }
  std::array<char, kMaxNameText> text{};
  const size_t n = q->question.qname.text(text);
  const std::optional<PeerIdentity> id = resolve(std::string_view(text.data(), n));

  const bool aaaa = id.has_value() && q->question.qtype == kTypeAAAA;
  AaaaAnswer a;
  if (aaaa) {
    a.addr = id->address().bytes;
    a.ttl = opts_.ttl;
  }
  std::optional<Reply> reply(std::in_place);
  auto len = encode_reply(*q, id ? kRcodeNoError : kRcodeNxDomain, aaaa ? &a : nullptr,
                          reply->buf);
  if (!len) {  // unreachable: a reply is at most 299 bytes
    count_malformed(len.error());
    return std::nullopt;
  }
  reply->size = *len;
  ++counters_.answered;
  if (aaaa) {
    ++counters_.aaaa_answers;
    if (on_resolved_) on_resolved_(*id, now_ms);
  } else if (id) {
    ++counters_.nodata;
  } else {
    ++counters_.nxdomain;
  }
  return reply;
}

// ---- DnsServer -------------------------------------------------------------

DnsServerOptions DnsServerOptions::from_config(const Config& cfg) {
  DnsServerOptions o;
  o.bind_addr = cfg.dns.bind_addr;
  o.port = cfg.dns.port;
  o.responder.ttl = cfg.dns.ttl;
  o.mesh_interface = cfg.tun.name;
  return o;
}

DnsServer::DnsServer(EventLoop& loop, DnsServerOptions opts, HostMap base,
                     Responder::ResolvedFn on_resolved)
    : loop_(loop),
      opts_(std::move(opts)),
      reloader_(std::move(base), opts_.hosts_path),
      responder_(opts_.responder, std::move(on_resolved)) {
  responder_.set_hosts(&reloader_.hosts());
}

DnsServer::~DnsServer() { stop(); }

void DnsServer::reload_hosts() {
  std::vector<std::string> warnings;
  if (!reloader_.check_reload(warnings)) return;
  ++counters_.hosts_reloads;
  for (const auto& w : warnings) LOG_WARN("dns hosts: %s", w.c_str());
  LOG_INFO("dns: host map loaded from %s: %zu entries", reloader_.path().c_str(),
           reloader_.hosts().size());
}

Result<void, std::string> DnsServer::start() {
  if (fd_.valid()) return Err{std::string("dns responder already started")};
  sockaddr_storage ss{};
  socklen_t sslen = 0;
  in6_addr a6{};
  in_addr a4{};
  if (::inet_pton(AF_INET6, opts_.bind_addr.c_str(), &a6) == 1) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(opts_.port);
    s6->sin6_addr = a6;
    sslen = sizeof(sockaddr_in6);
    v6_ = true;
  } else if (::inet_pton(AF_INET, opts_.bind_addr.c_str(), &a4) == 1) {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(opts_.port);
    s4->sin_addr = a4;
    sslen = sizeof(sockaddr_in);
    v6_ = false;
  } else {
    return Err{"dns.bind_addr '" + opts_.bind_addr +
               "' is not an IP address (e.g. \"::1\", \"127.0.0.1\" or \"::\")"};
  }
  const std::string where = "dns " + opts_.bind_addr + " port " + std::to_string(opts_.port);

  UniqueFd fd = sock::open(v6_ ? AF_INET6 : AF_INET, SOCK_DGRAM);
  if (!fd) return Err{sock::errno_msg((where + ": socket").c_str(), errno)};
  const int zero = 0, one = 1;
  if (v6_) {
    if (::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) != 0)
      return Err{sock::errno_msg((where + ": IPV6_V6ONLY=0").c_str(), errno)};
    if (::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one) != 0)
      return Err{sock::errno_msg((where + ": IPV6_RECVPKTINFO").c_str(), errno)};
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), sslen) != 0)
    return Err{sock::errno_msg((where + ": bind").c_str(), errno)};

  mesh_ifindex_.reset();
  if (!opts_.mesh_interface.empty()) {
    const unsigned idx = ::if_nametoindex(opts_.mesh_interface.c_str());
    if (idx != 0) mesh_ifindex_ = idx;
  }
  reload_hosts();
  const int raw = fd.get();
  if (!loop_.add(raw, EPOLLIN, [this](uint32_t) { on_readable(); }))
    return Err{sock::errno_msg((where + ": epoll add").c_str(), errno)};
  fd_ = std::move(fd);
  registered_ = true;
  bound_ = sock::local_of(fd_.get());
  LOG_INFO("dns: responder for .fips on %s (%zu host names, mesh filter %s)",
           bound_.str().c_str(), reloader_.hosts().size(),
           mesh_ifindex_ ? opts_.mesh_interface.c_str() : "off");
  return {};
}

void DnsServer::stop() {
  if (registered_) loop_.remove(fd_.get());
  registered_ = false;
  fd_.reset();
}

void DnsServer::on_readable() {
  if (!fd_.valid()) return;
  const uint64_t now = monotonic_ms();
  for (size_t i = 0; i < kMaxQueriesPerEvent; ++i) {
    std::array<uint8_t, kMaxQuerySize> buf;
    sockaddr_storage src{};
    alignas(cmsghdr) std::array<uint8_t, CMSG_SPACE(sizeof(in6_pktinfo)) + 64> cbuf;
    iovec iov{buf.data(), buf.size()};
    msghdr msg{};
    msg.msg_name = &src;
    msg.msg_namelen = sizeof src;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.data();
    msg.msg_controllen = cbuf.size();
    const ssize_t n = ::recvmsg(fd_.get(), &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      ++counters_.recv_errors;
      if (io_log_.should_log(now)) LOG_WARN("dns: recvmsg: %s", std::strerror(errno));
      return;
    }
    ++counters_.datagrams;
    if ((msg.msg_flags & MSG_TRUNC) != 0) {
      ++counters_.oversize;
      continue;
    }
    std::optional<uint32_t> arrival;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
          c->cmsg_len >= CMSG_LEN(sizeof(in6_pktinfo))) {
        in6_pktinfo pi{};
        std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
        arrival = pi.ipi6_ifindex;
        break;
      }
    }
    if (mesh_ifindex_ && arrival && *arrival == *mesh_ifindex_) {
      ++counters_.mesh_dropped;
      continue;
    }
    reload_hosts();
    const auto reply = responder_.answer(std::span<const uint8_t>(buf.data(), static_cast<size_t>(n)), now);
    if (!reply) continue;
    if (::sendto(fd_.get(), reply->buf.data(), reply->size, MSG_DONTWAIT | MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&src), msg.msg_namelen) < 0) {
      ++counters_.send_errors;
      if (io_log_.should_log(now)) LOG_DEBUG("dns: sendto: %s", std::strerror(errno));
    }
  }
  ++counters_.event_cap_hits;
}

}  // namespace fips::dns

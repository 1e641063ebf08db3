// show_listening_sockets' parsers (control/listening.h,
// control/firewall_state.h). The first byte picks what the rest is:
//   even: /proc/net/tcp6 or udp6 text (bit 1 picks the protocol);
//   odd:  `nft -j list table inet fips` output.
// No crash; every socket kept is a TCP LISTEN / unconnected UDP socket bound
// to :: or to the fips0 address; skipped lines never exceed the lines seen;
// an unloaded table classifies every port as no_firewall, a loaded one never
// does; the reply JSON always serializes. Any violation aborts.
#include <cstdlib>
#include <string_view>
#include <vector>

#include "control/firewall_state.h"
#include "control/listening.h"

using namespace fips;
using listening::Proto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const listening::Ipv6Bytes fips0 = {0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde,
                                      0xf0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde};
  std::vector<listening::Socket> socks;
  FilterClassifier fw = FilterClassifier::no_firewall();
  if (data[0] % 2 == 0) {
    const Proto p = data[0] & 2 ? Proto::kUdp : Proto::kTcp;
    listening::ParseStats st;
    listening::parse_proc_net(text, p, fips0, socks, st);
    if (st.skipped > st.rows || socks.size() > st.rows - st.skipped) std::abort();
    for (const auto& s : socks) {
      const bool wild = s.local_addr == listening::Ipv6Bytes{};
      if (s.proto != p || s.wildcard_bind != wild || (!wild && s.local_addr != fips0)) std::abort();
    }
    listening::sort_sockets(socks);
    for (size_t i = 0; i < socks.size(); ++i)
      if (listening::socket_inode("socket:[" + std::to_string(socks[i].inode) + "]") != socks[i].inode)
        std::abort();
    for (int port : {0, 22, 8080, 65535})
      if (fw.classify(p, static_cast<uint16_t>(port)) != FilterState::kNoFirewall) std::abort();
  } else {
    fw = FilterClassifier::from_nft_json(text);
    for (Proto p : {Proto::kTcp, Proto::kUdp})
      for (int port : {0, 1, 22, 80, 443, 5000, 8000, 65535})
        if ((fw.classify(p, static_cast<uint16_t>(port)) == FilterState::kNoFirewall) == fw.active())
          std::abort();
    (void)listening::socket_inode(text);
  }
  const std::string out =
      listening::show_listening_sockets_data(fips0, socks, fw, socks.size()).dump();
  if (out.empty() || out.front() != '{') std::abort();
  return 0;
}

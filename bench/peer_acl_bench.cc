// Peer ACL costs (node/peer_acl.h): parsing a deny list of N npubs (what a
// reload does to the event loop once per edit), the decision asked at each
// new handshake, and the npub decode that dominates the parse.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "node/peer_acl.h"

using namespace fips;

namespace {

std::string npub_list(int64_t n) {
  std::string text;
  for (int64_t i = 0; i < n; ++i) text += Identity::generate().npub() + "\n";
  return text;
}

void BM_PeerAclParse(benchmark::State& st) {
  const std::string text = npub_list(st.range(0));
  const HostMap aliases;
  std::vector<std::string> warnings;
  for (auto _ : st) {
    PeerAcl acl;
    acl.add_list(text, false, aliases, "peers.deny", warnings);
    benchmark::DoNotOptimize(acl.deny_count());
  }
  st.SetItemsProcessed(st.iterations() * st.range(0));
}
BENCHMARK(BM_PeerAclParse)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_PeerAclCheck(benchmark::State& st) {
  PeerAcl acl;
  std::vector<std::string> warnings;
  acl.add_list(npub_list(10000), false, HostMap{}, "peers.deny", warnings);
  const NodeAddr stranger = Identity::generate().as_peer().node_addr();
  for (auto _ : st) benchmark::DoNotOptimize(acl.check(stranger));
}
BENCHMARK(BM_PeerAclCheck);

void BM_PeerIdentityFromNpub(benchmark::State& st) {
  const std::string npub = Identity::generate().npub();
  for (auto _ : st) benchmark::DoNotOptimize(PeerIdentity::from_npub(npub));
}
BENCHMARK(BM_PeerIdentityFromNpub);

}  // namespace

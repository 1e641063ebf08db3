// Peer ACL file text (node/peer_acl.h; docs/spec/peer-acl.md §2-§3). The
// input is split at its first NUL byte into a peers.allow and a peers.deny
// text and parsed with one alias ("gateway"). Never crashes, and the result
// is consistent: every resolved npub checks as its list says (allow first),
// the entry lists are sorted and unique, there are never more distinct keys
// than tokens, the mode and default decision agree with the wildcards, and
// a key in neither list gets the default. Any violation aborts.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "node/peer_acl.h"

using namespace fips;

namespace {

constexpr const char* kNpub = "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg";
// A key no input can name: its npub has no alias, and it is not kNpub.
constexpr const char* kStranger = "npub1rwzv24nmzfjypx2a8m264ws9vht3uxp5vpypnluuzl67n4waq78suk0wul";

void check(bool ok) {
  if (!ok) std::abort();
}

bool sorted_unique(const std::vector<std::string>& v) {
  return std::adjacent_find(v.begin(), v.end(), [](auto& a, auto& b) { return !(a < b); }) == v.end();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const HostMap aliases = [] {
    HostMap h;
    check(h.insert("gateway", kNpub).ok());
    return h;
  }();
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t nul = in.find('\0');
  const std::string_view allow = in.substr(0, nul);
  const std::string_view deny = nul == std::string_view::npos ? std::string_view{} : in.substr(nul + 1);

  PeerAcl acl;
  std::vector<std::string> warnings;
  acl.add_list(allow, true, aliases, "peers.allow", warnings);
  acl.add_list(deny, false, aliases, "peers.deny", warnings);
  const PeerAclStatus s = acl.status();

  for (const auto* v : {&s.allow_file_entries, &s.deny_file_entries, &s.allow_entries, &s.deny_entries})
    check(sorted_unique(*v));
  check(s.allow_entries.size() <= s.allow_file_entries.size());
  check(s.deny_entries.size() <= s.deny_file_entries.size());
  check(acl.allow_count() == s.allow_entries.size() && acl.deny_count() == s.deny_entries.size());
  check(s.allow_file_entries.size() <= kMaxAclEntries && s.deny_file_entries.size() <= kMaxAclEntries);
  for (const std::string& n : s.allow_entries)
    check(acl.check(PeerIdentity::from_npub(n)->node_addr()) == AclDecision::kAllowList);
  for (const std::string& n : s.deny_entries) {
    const AclDecision d = acl.check(PeerIdentity::from_npub(n)->node_addr());
    const bool also_allowed =
        s.allow_all || std::find(s.allow_entries.begin(), s.allow_entries.end(), n) != s.allow_entries.end();
    check(d == (also_allowed ? AclDecision::kAllowList : AclDecision::kDenyList));
  }
  const AclDecision stranger = acl.check(PeerIdentity::from_npub(kStranger)->node_addr());
  if (std::find(s.allow_entries.begin(), s.allow_entries.end(), kStranger) == s.allow_entries.end() &&
      std::find(s.deny_entries.begin(), s.deny_entries.end(), kStranger) == s.deny_entries.end())
    check(acl_allowed(stranger) == (std::strcmp(acl.default_decision(), "allow") == 0));
  check(s.enforcement_active == !acl.empty());
  check(std::strcmp(acl.default_decision(), "deny") == 0 ? (s.deny_all && !s.allow_all) : true);
  if (s.allow_all) check(std::strcmp(acl.effective_mode(), "allow_all") == 0);
  return 0;
}

// Peer ACL (docs/spec/peer-acl.md): the file format, the TCP-wrappers
// precedence over every allow/deny combination, effective_mode and
// default_decision, aliases, the reloader, and show_acl against the
// reference's snapshot. Cases mirror the reference's src/node/acl.rs tests.
#include "node/peer_acl.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "control/json_out.h"
#include "control/queries_acl.h"
#include "control_test_util.h"
#include "temp_dir.h"

namespace fips {
namespace {

using test::TempDir;

std::string new_npub() { return Identity::generate().npub(); }
NodeAddr addr_of(const std::string& npub) { return PeerIdentity::from_npub(npub)->node_addr(); }

// The ACL of two texts (either may be absent), aliases from `hosts`.
PeerAcl acl_of(const std::string& allow, const std::string& deny, const HostMap& hosts = {},
               std::vector<std::string>* warnings = nullptr) {
  std::vector<std::string> w;
  PeerAcl acl;
  acl.add_list(allow, true, hosts, "peers.allow", w);
  acl.add_list(deny, false, hosts, "peers.deny", w);
  if (warnings) *warnings = w;
  return acl;
}

HostMap one_alias(const std::string& name, const std::string& npub) {
  HostMap m;
  EXPECT_TRUE(m.insert(name, npub).ok());
  return m;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(PeerAcl, DecisionAndContextNames) {
  EXPECT_TRUE(acl_allowed(AclDecision::kAllowList));
  EXPECT_FALSE(acl_allowed(AclDecision::kDenyList));
  EXPECT_TRUE(acl_allowed(AclDecision::kDefaultAllow));
  EXPECT_STREQ(acl_decision_name(AclDecision::kAllowList), "allowlist match");
  EXPECT_STREQ(acl_decision_name(AclDecision::kDenyList), "denylist match");
  EXPECT_STREQ(acl_decision_name(AclDecision::kDefaultAllow), "default allow");
  EXPECT_STREQ(acl_context_name(AclContext::kOutboundConnect), "outbound_connect");
  EXPECT_STREQ(acl_context_name(AclContext::kInboundHandshake), "inbound_handshake");
  EXPECT_STREQ(acl_context_name(AclContext::kOutboundHandshake), "outbound_handshake");
  EXPECT_STREQ(kDefaultPeersAllowPath, "/etc/fips/peers.allow");
  EXPECT_STREQ(kDefaultPeersDenyPath, "/etc/fips/peers.deny");
}

TEST(PeerAcl, MissingFilesAreDefaultOpen) {
  PeerAcl acl;
  std::vector<std::string> w;
  load_acl_file(acl, "/nonexistent/fips-acl/allow", true, {}, w);
  load_acl_file(acl, "/nonexistent/fips-acl/deny", false, {}, w);
  EXPECT_TRUE(w.empty());
  EXPECT_TRUE(acl.empty());
  EXPECT_EQ(acl.check(addr_of(new_npub())), AclDecision::kDefaultAllow);
}

// Every combination of {nothing, the peer, another peer, ALL} in each file,
// for the peer: allow wins, then deny, then default allow (§3).
TEST(PeerAcl, PrecedenceMatrix) {
  const std::string peer = new_npub(), other = new_npub();
  enum Entry { kNone, kPeer, kOther, kAll };
  auto text = [&](Entry e) -> std::string {
    switch (e) {
      case kNone: return "";
      case kPeer: return peer + "\n";
      case kOther: return other + "\n";
      case kAll: return "ALL\n";
    }
    return "";
  };
  int cases = 0;
  for (Entry a : {kNone, kPeer, kOther, kAll}) {
    for (Entry d : {kNone, kPeer, kOther, kAll}) {
      const PeerAcl acl = acl_of(text(a), text(d));
      AclDecision want = AclDecision::kDefaultAllow;
      if (a == kPeer || a == kAll) want = AclDecision::kAllowList;
      else if (d == kPeer || d == kAll) want = AclDecision::kDenyList;
      EXPECT_EQ(acl.check(addr_of(peer)), want) << "allow=" << a << " deny=" << d;
      ++cases;
    }
  }
  EXPECT_EQ(cases, 16);
}

TEST(PeerAcl, AllowMatchWinsOverDenyAllAndTheSameEntry) {
  const std::string npub = new_npub();
  const PeerAcl acl = acl_of(npub + "\n", "ALL\n" + npub + "\n");
  EXPECT_EQ(acl.check(addr_of(npub)), AclDecision::kAllowList);
  EXPECT_EQ(acl.check(addr_of(new_npub())), AclDecision::kDenyList);
}

TEST(PeerAcl, AllowAllOverridesDenyAllAndSpecificEntries) {
  const std::string npub = new_npub();
  const PeerAcl acl = acl_of("aLl # wildcard\n", "ALL\n" + npub + "\n");
  EXPECT_EQ(acl.check(addr_of(npub)), AclDecision::kAllowList);
  EXPECT_STREQ(acl.effective_mode(), "allow_all");
  EXPECT_STREQ(acl.default_decision(), "allow");
  const PeerAclStatus s = acl.status();
  EXPECT_TRUE(s.allow_file_entries.empty());
  EXPECT_EQ(s.deny_file_entries, std::vector<std::string>{npub});
  EXPECT_TRUE(s.allow_entries.empty());
  EXPECT_EQ(s.deny_entries, std::vector<std::string>{npub});
}

TEST(PeerAcl, AllowlistAloneRestrictsNothing) {
  const std::string allowed = new_npub(), stranger = new_npub();
  const PeerAcl acl = acl_of(allowed + "\n", "");
  EXPECT_EQ(acl.check(addr_of(allowed)), AclDecision::kAllowList);
  EXPECT_EQ(acl.check(addr_of(stranger)), AclDecision::kDefaultAllow);
}

TEST(PeerAcl, DenyOnlyAndDenyAll) {
  const std::string denied = new_npub(), other = new_npub();
  const PeerAcl deny_one = acl_of("", denied + "\n");
  EXPECT_EQ(deny_one.check(addr_of(denied)), AclDecision::kDenyList);
  EXPECT_EQ(deny_one.check(addr_of(other)), AclDecision::kDefaultAllow);
  const PeerAcl deny_all = acl_of("", "ALL\n");
  EXPECT_EQ(deny_all.check(addr_of(other)), AclDecision::kDenyList);
  // Strict allowlist: the allowed peer in, everyone else out.
  const PeerAcl strict = acl_of(other + "\n", "ALL\n");
  EXPECT_EQ(strict.check(addr_of(other)), AclDecision::kAllowList);
  EXPECT_EQ(strict.check(addr_of(denied)), AclDecision::kDenyList);
}

TEST(PeerAcl, EffectiveModeAndDefaultDecisionMatrix) {
  const std::string a = new_npub(), d = new_npub();
  struct Case {
    std::string allow, deny;
    const char* mode;
    const char* decision;
  } cases[] = {
      {"", "", "default_open", "allow"},
      {a, "", "allowlist", "allow"},
      {"", d, "denylist", "allow"},
      {a, d, "allow_then_deny", "allow"},
      {"", "ALL", "deny_all", "deny"},
      {a, "ALL", "allow_then_deny_all", "deny"},
      {"ALL", "", "allow_all", "allow"},
      {"ALL", "ALL", "allow_all", "allow"},
  };
  for (const Case& c : cases) {
    const PeerAcl acl = acl_of(c.allow, c.deny);
    EXPECT_STREQ(acl.effective_mode(), c.mode) << c.allow << " / " << c.deny;
    EXPECT_STREQ(acl.default_decision(), c.decision) << c.allow << " / " << c.deny;
    EXPECT_EQ(acl.empty(), c.allow.empty() && c.deny.empty());
  }
}

TEST(PeerAcl, CommentsBlankLinesAndBadLinesAreSkippedWithWarnings) {
  const std::string npub = new_npub();
  std::vector<std::string> w;
  const PeerAcl acl = acl_of("# comment\n\n   \n\t" + npub + " # inline comment\r\ninvalid entry here\n",
                             "", {}, &w);
  EXPECT_EQ(acl.check(addr_of(npub)), AclDecision::kAllowList);
  EXPECT_EQ(acl.status().allow_file_entries, std::vector<std::string>{npub});
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0], "peers.allow:5: expected one ACL entry per line, skipping: invalid entry here");
}

TEST(PeerAcl, UnknownAliasesAndInvalidEntriesDoNotActivateEnforcement) {
  std::vector<std::string> w;
  const PeerAcl acl = acl_of(
      "# comment only\nunknown-alias\nnot-a-valid-npub\ninvalid entry here\n"
      "npub1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq\n",
      "", {}, &w);
  EXPECT_TRUE(acl.empty());
  EXPECT_STREQ(acl.effective_mode(), "default_open");
  EXPECT_TRUE(acl.status().allow_file_entries.empty());
  EXPECT_TRUE(acl.status().allow_entries.empty());
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[0],
            "peers.allow:2: skipping invalid ACL entry 'unknown-alias': unknown alias or invalid npub");
  EXPECT_NE(w[2].find("peers.allow:4: expected one ACL entry"), std::string::npos);
  EXPECT_NE(w[3].find("peers.allow:5: skipping invalid ACL entry"), std::string::npos);
}

TEST(PeerAcl, UnreadableFilesAreIgnoredWithAWarning) {
  TempDir d;
  std::filesystem::create_directory(d.path("peers.allow"));
  PeerAcl acl;
  std::vector<std::string> w;
  load_acl_file(acl, d.path("peers.allow"), true, {}, w);
  load_acl_file(acl, d.write("peers.deny", std::string("caf\xe9\n")), false, {}, w);
  load_acl_file(acl, d.write("big", std::string(kMaxAclFileBytes + 1, '#')), false, {}, w);
  EXPECT_TRUE(acl.empty());
  EXPECT_EQ(acl.check(addr_of(new_npub())), AclDecision::kDefaultAllow);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_NE(w[0].find("not a regular file"), std::string::npos) << w[0];
  EXPECT_NE(w[1].find("not valid UTF-8"), std::string::npos) << w[1];
  EXPECT_NE(w[2].find("larger than"), std::string::npos) << w[2];
}

TEST(PeerAcl, AliasesResolveCaseInsensitivelyAndDeduplicateWithTheirNpub) {
  const std::string npub = new_npub();
  const HostMap hosts = one_alias("node-a", npub);
  const PeerAcl upper = acl_of("NODE-A\n", "", hosts);
  EXPECT_EQ(upper.status().allow_file_entries, std::vector<std::string>{"NODE-A"});
  EXPECT_EQ(upper.status().allow_entries, std::vector<std::string>{npub});
  EXPECT_EQ(upper.check(addr_of(npub)), AclDecision::kAllowList);

  const PeerAcl both = acl_of("node-a\n" + npub + "\nnode-a\n", "", hosts);
  EXPECT_EQ(both.status().allow_file_entries, sorted({"node-a", npub}));
  EXPECT_EQ(both.status().allow_entries, std::vector<std::string>{npub});
  EXPECT_EQ(both.allow_count(), 1u);
}

TEST(PeerAcl, EntriesAreSortedAndEntryCountIsBounded) {
  std::vector<std::string> npubs;
  std::string text;
  for (int i = 0; i < 5; ++i) {
    npubs.push_back(new_npub());
    text += npubs.back() + "\n";
  }
  const PeerAcl acl = acl_of("", text);
  EXPECT_EQ(acl.status().deny_entries, sorted(npubs));
  EXPECT_EQ(acl.status().deny_file_entries, sorted(npubs));

  // Past kMaxAclEntries distinct tokens the rest are skipped, with one warning.
  HostMap hosts;
  std::string many;
  const std::string target = new_npub();
  for (size_t i = 0; i <= kMaxAclEntries + 1; ++i) {
    const std::string name = "h" + std::to_string(i);
    ASSERT_TRUE(hosts.insert(name, target).ok());
    many += name + "\n";
  }
  std::vector<std::string> w;
  const PeerAcl capped = acl_of(many, "", hosts, &w);
  EXPECT_EQ(capped.status().allow_file_entries.size(), kMaxAclEntries);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("more than 10000 entries"), std::string::npos);
}

// ---- reloader (§5) ----

struct ReloaderFiles {
  TempDir d;
  std::string allow = d.path("peers.allow"), deny = d.path("peers.deny"), hosts = d.path("hosts");
  PeerAclReloader make(HostMap base = {}) const { return PeerAclReloader(std::move(base), allow, deny, hosts); }
};

bool reload(PeerAclReloader& r) {
  std::vector<std::string> w;
  return r.check_reload(w);
}

TEST(PeerAclReloader, LoadsFirstThenOnlyOnChange) {
  ReloaderFiles f;
  PeerAclReloader r = f.make();
  EXPECT_TRUE(reload(r));   // the first check always loads
  EXPECT_FALSE(reload(r));  // nothing changed
  const std::string denied = new_npub();
  f.d.write("peers.deny", denied + "\n");
  EXPECT_TRUE(reload(r));
  EXPECT_EQ(r.acl().check(addr_of(denied)), AclDecision::kDenyList);
  EXPECT_FALSE(reload(r));
  std::filesystem::remove(f.deny);
  EXPECT_TRUE(reload(r));
  EXPECT_TRUE(r.acl().empty());
  EXPECT_EQ(r.acl().check(addr_of(denied)), AclDecision::kDefaultAllow);
}

TEST(PeerAclReloader, SeesAnEditThatKeepsTheMtime) {
  ReloaderFiles f;
  const std::string a = new_npub(), b = new_npub();
  f.d.write("peers.deny", a + "\n");
  PeerAclReloader r = f.make();
  ASSERT_TRUE(reload(r));
  // Same size and mtime, new inode (an atomic replace by an editor).
  struct stat st {};
  ASSERT_EQ(::stat(f.deny.c_str(), &st), 0);
  f.d.write("peers.deny.tmp", b + "\n");
  const timespec times[2] = {st.st_atim, st.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, f.d.path("peers.deny.tmp").c_str(), times, 0), 0);
  std::filesystem::rename(f.d.path("peers.deny.tmp"), f.deny);
  EXPECT_TRUE(reload(r));
  EXPECT_EQ(r.acl().check(addr_of(b)), AclDecision::kDenyList);
  EXPECT_EQ(r.acl().check(addr_of(a)), AclDecision::kDefaultAllow);
}

TEST(PeerAclReloader, FollowsTheHostsFileBehindAliases) {
  ReloaderFiles f;
  const std::string npub = new_npub();
  f.d.write("peers.allow", "node-a\n");
  PeerAclReloader r = f.make();
  ASSERT_TRUE(reload(r));
  EXPECT_TRUE(r.acl().empty());  // the alias is unknown yet
  f.d.write("hosts", "node-a " + npub + "\n");
  EXPECT_TRUE(reload(r));
  EXPECT_EQ(r.acl().check(addr_of(npub)), AclDecision::kAllowList);
  EXPECT_EQ(r.status().allow_entries, std::vector<std::string>{npub});
  std::filesystem::remove(f.hosts);
  EXPECT_TRUE(reload(r));
  EXPECT_TRUE(r.acl().empty());
}

TEST(PeerAclReloader, PeerAliasesFromTheConfigResolveAndTheHostsFileWins) {
  ReloaderFiles f;
  const std::string from_config = new_npub(), from_file = new_npub();
  const HostMap base = one_alias("gateway", from_config);
  f.d.write("peers.deny", "gateway\n");
  PeerAclReloader r = f.make(base);
  ASSERT_TRUE(reload(r));
  EXPECT_EQ(r.acl().check(addr_of(from_config)), AclDecision::kDenyList);
  f.d.write("hosts", "gateway " + from_file + "\n");
  ASSERT_TRUE(reload(r));
  EXPECT_EQ(r.acl().check(addr_of(from_file)), AclDecision::kDenyList);
  EXPECT_EQ(r.acl().check(addr_of(from_config)), AclDecision::kDefaultAllow);
}

TEST(PeerAclReloader, TheAclAddressStaysValidAcrossReloads) {
  ReloaderFiles f;
  PeerAclReloader r = f.make();
  ASSERT_TRUE(reload(r));
  const PeerAcl* seen = &r.acl();
  const std::string denied = new_npub();
  f.d.write("peers.deny", denied + "\n");
  ASSERT_TRUE(reload(r));
  EXPECT_EQ(seen, &r.acl());
  EXPECT_EQ(seen->check(addr_of(denied)), AclDecision::kDenyList);
}

// ---- show_acl (§6) ----

TEST(PeerAclShow, DefaultOpenMatchesTheReferenceSnapshot) {
  ReloaderFiles f;
  PeerAclReloader r = f.make();
  ASSERT_TRUE(reload(r));
  nlohmann::json got = show_acl_data(r.status());
  EXPECT_EQ(got["allow_file"], f.allow);
  EXPECT_EQ(got["deny_file"], f.deny);
  got["allow_file"] = got["deny_file"] = "<redacted>";
  auto ref = nlohmann::json::parse(test::control_fixture("reference-snapshots/show_acl.json"));
  EXPECT_EQ(json_pretty(got), json_pretty(ref["data"]));
}

TEST(PeerAclShow, PopulatedStatusHasTheReferenceFieldsAndValues) {
  ReloaderFiles f;
  const std::string allowed = new_npub(), denied = new_npub();
  const HostMap base = one_alias("laptop", allowed);
  f.d.write("peers.allow", "laptop\n");
  f.d.write("peers.deny", denied + "\nALL\n");
  PeerAclReloader r = f.make(base);
  ASSERT_TRUE(reload(r));
  const nlohmann::json want{
      {"allow_all", false},
      {"allow_entries", nlohmann::json::array({allowed})},
      {"allow_file", f.allow},
      {"allow_file_entries", nlohmann::json::array({"laptop"})},
      {"default_decision", "deny"},
      {"deny_all", true},
      {"deny_entries", nlohmann::json::array({denied})},
      {"deny_file", f.deny},
      {"deny_file_entries", nlohmann::json::array({denied})},
      {"effective_mode", "allow_then_deny_all"},
      {"enforcement_active", true},
  };
  EXPECT_EQ(json_compact(show_acl_data(r.status())), json_compact(want));
}

}  // namespace
}  // namespace fips

// Peer access control: the operator's /etc/fips/peers.allow and
// /etc/fips/peers.deny (reference src/node/acl.rs; docs/spec/peer-acl.md),
// the decision for one peer key, the show_acl status, and the reloader that
// re-reads the files when they change.
//
// Driven as follows: the daemon owns a PeerAclReloader, calls check_reload()
// on its 1 s tick (three stat(2) calls: allow, deny, hosts) and before
// answering show_acl, and hands the link layer a pointer to acl(), which
// stays valid for the reloader's life (a reload replaces its contents). The
// link layer asks check() once a handshake reveals the peer's static key
// (node/link_handshake.cc), and before it dials. PeerAcl itself is pure
// data: tests build one from text with add_list().
//
// File format (both files): one entry per line; everything from the first
// '#' is a comment; blank lines are skipped; an entry is an npub, an alias
// (peers[].alias from the config, merged under /etc/fips/hosts, the file
// winning, looked up case-insensitively), or ALL (any case). A line with
// more than one field, an unknown alias or an invalid npub is skipped with a
// warning. Evaluation is TCP-wrappers order: allow match -> allowed; else
// deny match -> denied; else allowed. So peers.allow alone restricts
// nothing; a strict allowlist needs ALL in peers.deny.
//
// Differences from the reference: whitespace is ASCII only (as our hosts
// file); files over kMaxAclFileBytes are ignored with a warning and entries
// past kMaxAclEntries per file are skipped (the reference has no bounds);
// the change stamp is (exists, mtime, size, inode), not the mtime alone.
// FIPS_PEERS_ALLOW / FIPS_PEERS_DENY in the daemon's environment move the
// two files (ours; tests run several daemons on one host). The reference's
// paths are fixed.
//
// Not here: enforcement (node/link_handshake.cc, link_timers.cc), logging
// (every problem is returned as a warning string), the JSON
// (control/queries.h show_acl_data).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "identity/identity.h"
#include "ipv6/hosts.h"

namespace fips {

inline constexpr const char* kDefaultPeersAllowPath = "/etc/fips/peers.allow";
inline constexpr const char* kDefaultPeersDenyPath = "/etc/fips/peers.deny";
inline constexpr size_t kMaxAclFileBytes = size_t{1} << 20;
inline constexpr size_t kMaxAclEntries = 10000;

enum class AclDecision : uint8_t {
  kAllowList,    // matched peers.allow (or ALL there)
  kDenyList,     // matched peers.deny (or ALL there), not peers.allow
  kDefaultAllow  // matched neither
};
[[nodiscard]] constexpr bool acl_allowed(AclDecision d) { return d != AclDecision::kDenyList; }
// "allowlist match" / "denylist match" / "default allow" (the reference's words).
const char* acl_decision_name(AclDecision d);

// Where the decision was taken (the reference's PeerAclContext).
enum class AclContext : uint8_t {
  kOutboundConnect,    // before we dial
  kInboundHandshake,   // a msg1 revealed the dialler's key
  kOutboundHandshake,  // the msg2 answering our dial
};
// "outbound_connect" / "inbound_handshake" / "outbound_handshake".
const char* acl_context_name(AclContext c);

// show_acl's fields (reference PeerAclStatus).
struct PeerAclStatus {
  std::string allow_file, deny_file;
  bool enforcement_active = false;
  std::string effective_mode, default_decision;
  bool allow_all = false, deny_all = false;
  // Tokens as written in the files (sorted, unique) and the npubs they
  // resolve to (sorted, unique).
  std::vector<std::string> allow_file_entries, deny_file_entries, allow_entries, deny_entries;
};

class PeerAcl {
 public:
  // Adds one file's text as the allow (allow = true) or deny list. Aliases
  // resolve through `aliases`. Warnings are "<origin>:<line>: ...".
  void add_list(std::string_view text, bool allow, const HostMap& aliases, std::string_view origin,
                std::vector<std::string>& warnings);

  [[nodiscard]] AclDecision check(const NodeAddr& a) const;
  // No entries and no ALL: nothing is enforced.
  [[nodiscard]] bool empty() const;
  // default_open, allowlist, denylist, allow_then_deny, deny_all,
  // allow_then_deny_all, allow_all (reference effective_mode).
  [[nodiscard]] const char* effective_mode() const;
  // What a peer named in neither file gets: "allow" or "deny".
  [[nodiscard]] const char* default_decision() const;
  [[nodiscard]] size_t allow_count() const { return allow_.addrs.size(); }
  [[nodiscard]] size_t deny_count() const { return deny_.addrs.size(); }
  [[nodiscard]] bool allow_all() const { return allow_.all; }
  [[nodiscard]] bool deny_all() const { return deny_.all; }
  // The status without the file paths.
  [[nodiscard]] PeerAclStatus status() const;

 private:
  struct List {
    std::unordered_set<NodeAddr, NodeAddrHash> addrs;
    std::set<std::string> file_entries;  // as written
    std::set<std::string> npubs;         // resolved
    bool all = false;
  };
  List allow_, deny_;
};

// Reads `path` as one list into acl. Missing file: nothing, no warning.
// Unreadable, oversized or non-UTF-8: nothing and a warning.
void load_acl_file(PeerAcl& acl, const std::string& path, bool allow, const HostMap& aliases,
                   std::vector<std::string>& warnings);

// Keeps the ACL of two files, with aliases from base (peers[].alias) merged
// under the hosts file, re-read whenever one of the three files' stamps
// changes. The first check_reload() always loads.
class PeerAclReloader {
 public:
  PeerAclReloader(HostMap base_aliases, std::string allow_path, std::string deny_path,
                  std::string hosts_path);

  // Three stat(2) calls; reloads if any stamp changed. True when it reloaded.
  bool check_reload(std::vector<std::string>& warnings);
  // Stable address for the reloader's life.
  [[nodiscard]] const PeerAcl& acl() const { return acl_; }
  [[nodiscard]] PeerAclStatus status() const;
  [[nodiscard]] const std::string& allow_path() const { return allow_path_; }
  [[nodiscard]] const std::string& deny_path() const { return deny_path_; }
  [[nodiscard]] size_t alias_count() const { return hosts_.hosts().size(); }
  [[nodiscard]] uint64_t reloads() const { return reloads_; }

 private:
  HostsReloader hosts_;
  std::string allow_path_, deny_path_;
  std::optional<FileStamp> allow_stamp_, deny_stamp_;  // nullopt: never loaded
  PeerAcl acl_;
  uint64_t reloads_ = 0;
};

}  // namespace fips

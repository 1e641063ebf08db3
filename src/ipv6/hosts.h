// The DNS host map: hostname -> peer identity, from configured peer aliases
// and the operator's hosts file (docs/spec/fsp-ipv6.md §17.3;
// reference src/upper/hosts.rs), plus the mtime-driven reloader.
// Not here: DNS wire handling (ipv6/dns_message.h), the responder
// (ipv6/dns.h), logging: every problem is returned as a warning string and
// the caller logs it.
//
// Hosts file format: UTF-8 text, one entry per line. Each line is trimmed;
// empty lines and lines starting with '#' are skipped; every other line
// must be exactly two whitespace-separated fields "hostname npub" (so a
// trailing "# comment" makes a line invalid). Invalid lines are skipped
// with a warning "<path>:<line>: ...". Later lines override earlier ones.
// Hostnames: 1..63 chars of [A-Za-z0-9-], not starting or ending with '-',
// not starting with "npub1" (any case); stored and looked up lower-cased.
//
// Differences from the reference:
//   * Whitespace is ASCII only (space, \t, \r, \v, \f); the reference's
//     Unicode trim/split also treats e.g. U+00A0 as a separator. A line
//     using one is skipped with a warning here.
//   * Bounds (the reference has none): files over kMaxHostsFileBytes are
//     not read (warning, empty map), and entries past kMaxHostEntries are
//     skipped (one warning).
//   * A file that is not valid UTF-8 gives a warning and an empty map, as
//     in the reference (read_to_string fails there).
//   * The reloader's change stamp is (exists, mtime ns, size, inode), a
//     superset of the reference's mtime, so an atomic replace within one
//     mtime tick is still seen.
//   * Reverse lookup (hostname_of) returns the name most recently set for
//     the address in the effective map; the reference can keep a stale
//     name after an override.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "identity/identity.h"
#include "util/result.h"

namespace fips {

inline constexpr const char* kDefaultHostsPath = "/etc/fips/hosts";
inline constexpr size_t kMaxHostsFileBytes = size_t{1} << 20;
inline constexpr size_t kMaxHostEntries = 10000;
inline constexpr size_t kMaxHostnameLen = 63;

// Text helpers for operator-edited files (this hosts file, the peer ACL
// files): whitespace is ASCII only, and a token quoted in a warning is cut
// to 80 bytes on a UTF-8 boundary with control bytes shown as '?'.
bool is_ascii_space(char c);
std::string_view trim_ascii_space(std::string_view s);
std::string printable_excerpt(std::string_view s);

// nullopt when valid, else the reason ("exceeds 63 characters", ...).
std::optional<std::string> hostname_problem(std::string_view hostname);

class HostMap {
 public:
  // Validates hostname and npub; on failure returns the reason
  // ("invalid hostname 'x': ..." / "invalid npub 'y': ...") and changes nothing.
  [[nodiscard]] Result<void, std::string> insert(std::string_view hostname, std::string_view npub);
  // Case-insensitive; nullptr when absent. Valid until the next mutation.
  [[nodiscard]] const PeerIdentity* lookup(std::string_view hostname) const;
  // The (lower-cased) name most recently set for this node, or nullptr.
  [[nodiscard]] const std::string* hostname_of(const NodeAddr& addr) const;
  [[nodiscard]] size_t size() const { return by_name_.size(); }
  [[nodiscard]] bool empty() const { return by_name_.empty(); }
  // Every entry of other, in the order it was set there; other wins.
  void merge(const HostMap& other);

 private:
  struct Entry {
    PeerIdentity id;
    uint64_t seq;  // when last set, for reverse lookup and merge order
  };
  void set(std::string name_lower, const PeerIdentity& id);

  std::unordered_map<std::string, Entry> by_name_;
  std::unordered_map<NodeAddr, std::string, NodeAddrHash> by_addr_;
  uint64_t next_seq_ = 0;
};

struct HostsParse {
  HostMap map;
  std::vector<std::string> warnings;
};

// Parses hosts-file text; origin prefixes warnings ("<origin>:<line>: ...").
HostsParse parse_hosts(std::string_view text, std::string_view origin);
// The map from peers[].alias (entries without an alias are ignored; invalid
// ones are skipped with a warning).
HostsParse host_map_from_peers(const std::vector<PeerConfig>& peers);

// A small operator-edited text file, read for a reloader (the hosts file
// here; peers.allow / peers.deny in node/peer_acl.h). Missing (ENOENT,
// ENOTDIR): no text, no warning. Unreadable, not a regular file, larger than
// max_bytes or not valid UTF-8: no text and one warning "<what> <path> ...".
struct TextFile {
  std::optional<std::string> text;
  bool present = false;  // the file existed
};
TextFile read_text_file(const std::string& path, std::string_view what, size_t max_bytes,
                        std::vector<std::string>& warnings);

// What a reloader compares to see a file change: (exists, mtime ns, size,
// inode), a superset of the reference's mtime, so an atomic replace within
// one mtime tick is still seen. One stat(2).
struct FileStamp {
  bool exists = false;
  int64_t mtime_ns = 0;
  int64_t size = 0;
  uint64_t ino = 0;
  bool operator==(const FileStamp&) const = default;
};
FileStamp file_stamp(const std::string& path);

struct HostsLoad {
  HostsParse parsed;
  bool present = false;  // the file existed
};
// Reads and parses path. Missing file: empty map, no warning. Unreadable,
// oversized or non-UTF-8 file: empty map and a warning.
HostsLoad load_hosts_file(const std::string& path);

// Keeps the effective map = base (peer aliases) merged with the hosts file
// (file wins), rebuilt whenever the file's stamp changes (appears,
// disappears, is modified). The first check_reload() always loads.
class HostsReloader {
 public:
  HostsReloader(HostMap base, std::string path);

  // Stats the file (one syscall) and reloads if the stamp changed; returns
  // true when it reloaded. Warnings of that load are appended to warnings.
  bool check_reload(std::vector<std::string>& warnings);
  [[nodiscard]] const HostMap& hosts() const { return effective_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] uint64_t reloads() const { return reloads_; }

 private:
  HostMap base_;
  HostMap effective_;
  std::string path_;
  std::optional<FileStamp> last_;  // nullopt: never loaded
  uint64_t reloads_ = 0;
};

}  // namespace fips

// Peer ACL files: parsing, evaluation, status and reloading
// (docs/spec/peer-acl.md).
#include "node/peer_acl.h"

namespace fips {
namespace {

bool is_all(std::string_view s) {
  if (s.size() != 3) return false;
  for (size_t i = 0; i < 3; ++i)
    if ((s[i] & ~0x20) != "ALL"[i]) return false;
  return true;
}

std::vector<std::string> sorted(const std::set<std::string>& s) { return {s.begin(), s.end()}; }

}  // namespace

const char* acl_decision_name(AclDecision d) {
  switch (d) {
    case AclDecision::kAllowList: return "allowlist match";
    case AclDecision::kDenyList: return "denylist match";
    case AclDecision::kDefaultAllow: return "default allow";
  }
  return "unknown";
}

const char* acl_context_name(AclContext c) {
  switch (c) {
    case AclContext::kOutboundConnect: return "outbound_connect";
    case AclContext::kInboundHandshake: return "inbound_handshake";
    case AclContext::kOutboundHandshake: return "outbound_handshake";
  }
  return "unknown";
}

// §2: one token per line, '#' starts a comment anywhere on the line.
void PeerAcl::add_list(std::string_view text, bool allow, const HostMap& aliases,
                       std::string_view origin, std::vector<std::string>& warnings) {
  List& list = allow ? allow_ : deny_;
  size_t line_no = 0;
  bool capped = false;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    line = trim_ascii_space(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    const std::string where = std::string(origin) + ":" + std::to_string(line_no) + ": ";
    size_t end = 0;
    while (end < line.size() && !is_ascii_space(line[end])) ++end;
    if (end != line.size()) {
      warnings.push_back(where + "expected one ACL entry per line, skipping: " + printable_excerpt(line));
      continue;
    }
    if (is_all(line)) {
      list.all = true;
      continue;
    }
    std::optional<PeerIdentity> id;
    if (auto r = PeerIdentity::from_npub(line)) id = *r;
    else if (const PeerIdentity* h = aliases.lookup(line)) id = *h;
    if (!id) {
      warnings.push_back(where + "skipping invalid ACL entry '" + printable_excerpt(line) +
                         "': unknown alias or invalid npub");
      continue;
    }
    if (list.file_entries.size() >= kMaxAclEntries && !list.file_entries.count(std::string(line))) {
      if (!capped)
        warnings.push_back(where + "more than " + std::to_string(kMaxAclEntries) +
                           " entries, skipping the rest");
      capped = true;
      continue;
    }
    list.addrs.insert(id->node_addr());
    list.file_entries.emplace(line);
    list.npubs.insert(id->npub());
  }
}

// §3: TCP-wrappers order.
AclDecision PeerAcl::check(const NodeAddr& a) const {
  if (allow_.all || allow_.addrs.count(a)) return AclDecision::kAllowList;
  if (deny_.all || deny_.addrs.count(a)) return AclDecision::kDenyList;
  return AclDecision::kDefaultAllow;
}

bool PeerAcl::empty() const {
  return allow_.addrs.empty() && deny_.addrs.empty() && !allow_.all && !deny_.all;
}

const char* PeerAcl::effective_mode() const {
  const bool allow = !allow_.addrs.empty(), deny = !deny_.addrs.empty();
  if (allow_.all) return "allow_all";
  if (allow && deny_.all) return "allow_then_deny_all";
  if (allow && deny) return "allow_then_deny";
  if (allow) return "allowlist";
  if (deny_.all) return "deny_all";
  if (deny) return "denylist";
  return "default_open";
}

const char* PeerAcl::default_decision() const {
  return !allow_.all && deny_.all ? "deny" : "allow";
}

PeerAclStatus PeerAcl::status() const {
  PeerAclStatus s;
  s.enforcement_active = !empty();
  s.effective_mode = effective_mode();
  s.default_decision = default_decision();
  s.allow_all = allow_.all;
  s.deny_all = deny_.all;
  s.allow_file_entries = sorted(allow_.file_entries);
  s.deny_file_entries = sorted(deny_.file_entries);
  s.allow_entries = sorted(allow_.npubs);
  s.deny_entries = sorted(deny_.npubs);
  return s;
}

void load_acl_file(PeerAcl& acl, const std::string& path, bool allow, const HostMap& aliases,
                   std::vector<std::string>& warnings) {
  TextFile f = read_text_file(path, "ACL file", kMaxAclFileBytes, warnings);
  if (f.text) acl.add_list(*f.text, allow, aliases, path, warnings);
}

// ---- PeerAclReloader (§5) ----

PeerAclReloader::PeerAclReloader(HostMap base_aliases, std::string allow_path,
                                 std::string deny_path, std::string hosts_path)
    : hosts_(std::move(base_aliases), std::move(hosts_path)),
      allow_path_(std::move(allow_path)),
      deny_path_(std::move(deny_path)) {}

bool PeerAclReloader::check_reload(std::vector<std::string>& warnings) {
  const FileStamp allow = file_stamp(allow_path_), deny = file_stamp(deny_path_);
  // Hosts-file problems are the DNS responder's and display names' to report.
  std::vector<std::string> hosts_warnings;
  const bool hosts_changed = hosts_.check_reload(hosts_warnings);
  if (allow_stamp_ && *allow_stamp_ == allow && deny_stamp_ && *deny_stamp_ == deny &&
      !hosts_changed)
    return false;
  allow_stamp_ = allow;
  deny_stamp_ = deny;
  PeerAcl next;
  load_acl_file(next, allow_path_, true, hosts_.hosts(), warnings);
  load_acl_file(next, deny_path_, false, hosts_.hosts(), warnings);
  acl_ = std::move(next);
  ++reloads_;
  return true;
}

PeerAclStatus PeerAclReloader::status() const {
  PeerAclStatus s = acl_.status();
  s.allow_file = allow_path_;
  s.deny_file = deny_path_;
  return s;
}

}  // namespace fips

#include "ipv6/hosts.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "control/utf8.h"

namespace fips {
namespace {

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

}  // namespace

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

std::string_view trim_ascii_space(std::string_view s) {
  while (!s.empty() && is_ascii_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ascii_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string printable_excerpt(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size() && out.size() < 80) {
    const size_t n = utf8_sequence_len(s.substr(i));
    if (n == 0) {
      out.push_back('?');
      ++i;
      continue;
    }
    if (n == 1) {
      const auto c = static_cast<unsigned char>(s[i]);
      out.push_back(c < 0x20 || c == 0x7F ? '?' : s[i]);
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  if (i < s.size()) out += "...";
  return out;
}

std::optional<std::string> hostname_problem(std::string_view h) {
  if (h.empty()) return "empty hostname";
  if (h.size() > kMaxHostnameLen) return "exceeds 63 characters";
  if (h.size() >= 5 && lower(h.substr(0, 5)) == "npub1")
    return "must not start with 'npub1' (ambiguous with npub resolution)";
  if (h.front() == '-') return "must not start with a hyphen";
  if (h.back() == '-') return "must not end with a hyphen";
  for (char c : h) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-';
    if (!ok) return "invalid character '" + printable_excerpt(std::string_view(&c, 1)) + "'";
  }
  return std::nullopt;
}

// ---- HostMap -------------------------------------------------------------

Result<void, std::string> HostMap::insert(std::string_view hostname, std::string_view npub) {
  if (auto why = hostname_problem(hostname))
    return Err{"invalid hostname '" + printable_excerpt(hostname) + "': " + *why};
  auto id = PeerIdentity::from_npub(npub);
  if (!id) return Err{"invalid npub '" + printable_excerpt(npub) + "': " + id.error().message()};
  set(lower(hostname), *id);
  return {};
}

void HostMap::set(std::string name, const PeerIdentity& id) {
  const uint64_t seq = next_seq_++;
  auto it = by_name_.find(name);
  if (it != by_name_.end()) {
    const NodeAddr old = it->second.id.node_addr();
    it->second = Entry{id, seq};
    if (!(old == id.node_addr())) {
      // Point the old address at its next most recent name, if any.
      auto rev = by_addr_.find(old);
      if (rev != by_addr_.end() && rev->second == name) {
        const std::string* best = nullptr;
        uint64_t best_seq = 0;
        for (const auto& [n, e] : by_name_) {
          if (e.id.node_addr() == old && (best == nullptr || e.seq > best_seq)) {
            best = &n;
            best_seq = e.seq;
          }
        }
        if (best != nullptr) rev->second = *best;
        else by_addr_.erase(rev);
      }
    }
  } else {
    it = by_name_.emplace(name, Entry{id, seq}).first;
  }
  by_addr_[id.node_addr()] = it->first;
}

const PeerIdentity* HostMap::lookup(std::string_view hostname) const {
  if (hostname.empty() || hostname.size() > kMaxHostnameLen) return nullptr;
  char buf[kMaxHostnameLen];
  for (size_t i = 0; i < hostname.size(); ++i) buf[i] = ascii_lower(hostname[i]);
  // C++20 unordered_map has no heterogeneous find without a transparent hash.
  auto it = by_name_.find(std::string(buf, hostname.size()));
  return it == by_name_.end() ? nullptr : &it->second.id;
}

const std::string* HostMap::hostname_of(const NodeAddr& addr) const {
  auto it = by_addr_.find(addr);
  return it == by_addr_.end() ? nullptr : &it->second;
}

void HostMap::merge(const HostMap& other) {
  std::vector<std::pair<uint64_t, const std::string*>> order;
  order.reserve(other.by_name_.size());
  for (const auto& [name, e] : other.by_name_) order.emplace_back(e.seq, &name);
  std::sort(order.begin(), order.end());
  for (const auto& [seq, name] : order) set(*name, other.by_name_.at(*name).id);
}

// ---- parsing and loading -------------------------------------------------

HostsParse parse_hosts(std::string_view text, std::string_view origin) {
  HostsParse out;
  size_t line_no = 0;
  bool capped = false;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    const std::string_view line = trim_ascii_space(raw);
    if (line.empty() || line.front() == '#') continue;

    std::string_view fields[2];
    size_t count = 0;
    std::string_view rest = line;
    while (!rest.empty()) {
      size_t n = 0;
      while (n < rest.size() && !is_ascii_space(rest[n])) ++n;
      if (count < 2) fields[count] = rest.substr(0, n);
      ++count;
      rest = trim_ascii_space(rest.substr(n));
    }
    const std::string where = std::string(origin) + ":" + std::to_string(line_no) + ": ";
    if (count != 2) {
      out.warnings.push_back(where + "expected 'hostname npub', skipping: " + printable_excerpt(line));
      continue;
    }
    if (out.map.size() >= kMaxHostEntries && out.map.lookup(fields[0]) == nullptr) {
      if (!capped)
        out.warnings.push_back(where + "more than " + std::to_string(kMaxHostEntries) +
                               " entries, skipping the rest of the new names");
      capped = true;
      continue;
    }
    if (auto r = out.map.insert(fields[0], fields[1]); !r)
      out.warnings.push_back(where + "skipping invalid entry: " + r.error());
  }
  return out;
}

HostsParse host_map_from_peers(const std::vector<PeerConfig>& peers) {
  HostsParse out;
  for (const auto& p : peers) {
    if (!p.alias) continue;
    if (auto r = out.map.insert(*p.alias, p.npub); !r)
      out.warnings.push_back("skipping invalid peer alias for the DNS host map: " + r.error());
  }
  return out;
}

TextFile read_text_file(const std::string& path, std::string_view what, size_t max_bytes,
                        std::vector<std::string>& warnings) {
  TextFile out;
  const std::string name = std::string(what) + " " + path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT && errno != ENOTDIR) warnings.push_back(name + ": " + std::strerror(errno));
    return out;
  }
  out.present = true;
  if (!S_ISREG(st.st_mode)) {
    warnings.push_back(name + " is not a regular file, ignoring it");
    return out;
  }
  const std::string too_big =
      name + " is larger than " + std::to_string(max_bytes) + " bytes, ignoring it";
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    warnings.push_back(too_big);
    return out;
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    warnings.push_back(name + ": cannot open: " + std::strerror(errno));
    return out;
  }
  // Read at most one byte past the cap in case the file grew since stat().
  std::string text(max_bytes + 1, '\0');
  f.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(f.gcount()));
  if (f.bad()) {
    warnings.push_back(name + ": read error");
    return out;
  }
  if (text.size() > max_bytes) {
    warnings.push_back(too_big);
    return out;
  }
  if (!utf8_valid(text)) {
    warnings.push_back(name + " is not valid UTF-8, ignoring it");
    return out;
  }
  out.text = std::move(text);
  return out;
}

FileStamp file_stamp(const std::string& path) {
  FileStamp s;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return s;
  s.exists = true;
  s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  s.size = static_cast<int64_t>(st.st_size);
  s.ino = static_cast<uint64_t>(st.st_ino);
  return s;
}

HostsLoad load_hosts_file(const std::string& path) {
  HostsLoad out;
  TextFile f = read_text_file(path, "hosts file", kMaxHostsFileBytes, out.parsed.warnings);
  out.present = f.present;
  if (f.text) out.parsed = parse_hosts(*f.text, path);
  return out;
}

// ---- HostsReloader -------------------------------------------------------

HostsReloader::HostsReloader(HostMap base, std::string path)
    : base_(std::move(base)), effective_(base_), path_(std::move(path)) {}

bool HostsReloader::check_reload(std::vector<std::string>& warnings) {
  const FileStamp now = file_stamp(path_);
  if (last_ && *last_ == now) return false;
  last_ = now;
  HostsLoad file = load_hosts_file(path_);
  for (auto& w : file.parsed.warnings) warnings.push_back(std::move(w));
  HostMap next = base_;
  next.merge(file.parsed.map);
  effective_ = std::move(next);
  ++reloads_;
  return true;
}

}  // namespace fips

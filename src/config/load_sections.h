// Internal to config/: the per-section parsers that fill Config from a YAML
// tree. Each assigns only the keys present, so parsing several documents into
// one Config in priority order is the cascade merge. Errors and warnings go
// to the Ctx. Not here: scalar rules (yaml_read.h), cross-field checks
// (validate.cc), files and the search path (load.cc).
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "config/yaml_read.h"

namespace fips::config_detail {

// Upper bounds on list sizes in one document (the reference has none; these
// keep a hostile or aliased document from growing without limit).
inline constexpr size_t kMaxConfigPeers = 10000;
inline constexpr size_t kMaxPeerAddresses = 64;
inline constexpr size_t kMaxTransportInstances = 64;
inline constexpr size_t kMaxShortList = 64;  // relays, STUN servers, lookup timeouts

// node.* (with the legacy node.discovery block folded in, as the reference does).
void parse_node(Ctx& c, const YAML::Node& n, const std::string& path, NodeConfig& out);
// tun.*, dns.*
void parse_tun(Ctx& c, const YAML::Node& n, const std::string& path, TunConfig& out);
void parse_dns(Ctx& c, const YAML::Node& n, const std::string& path, DnsConfig& out);
// transports.*: udp/tcp into cfg.udp/cfg.tcp (a present section replaces the
// list); ethernet/tor/nym/ble are checked and then ignored (recorded in
// cfg.ignored_transports; see inactive.h).
void parse_transports(Ctx& c, const YAML::Node& n, const std::string& path, Config& cfg);
// peers: a present list replaces the previous one.
void parse_peers(Ctx& c, const YAML::Node& n, const std::string& path,
                 std::vector<PeerConfig>& out);
// gateway: checked only (the daemon does not use it, as in the reference).
void parse_gateway(Ctx& c, const YAML::Node& n, const std::string& path);

}  // namespace fips::config_detail

// The probe commands' params (probe_start {npub}, probe_poll / probe_cancel
// {probe_id}, with the reference's error texts) and the `report` object of
// probe_poll (docs/spec/control.md §5, reference src/control/probe.rs and
// commands.rs): one block per stage with its verdict, reason,
// detail and elapsed time, plus target, cleanup and the overall verdict.
// Every key is always present (null when unknown) except rtt.rtt_ms,
// rtt.srtt_ms and session.path_mtu, which appear only when measured; the
// path block says it was computed locally and not observed.
// Not here: running probes (node/probes.h), fipsctl's rendering.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "node/probes.h"

namespace fips {

struct ProbeTargetInfo {
  std::string npub, node_addr, display_name, ipv6_addr;
};
using AddrText = std::function<std::string(const NodeAddr&)>;

// addr: how a node address is written in the path block (full hex);
// name: a peer's display name (the next hop).
// "missing params for probe_start" / "missing 'npub' parameter"
Result<std::string, std::string> parse_probe_start_params(const nlohmann::json* params);
// "missing 'probe_id' parameter" (absent, or not an unsigned integer)
Result<uint64_t, std::string> parse_probe_id_param(const nlohmann::json* params);

nlohmann::json probe_report_json(const ProbeReportData& d, const ProbeTargetInfo& target,
                                 const AddrText& addr, const AddrText& name);

}  // namespace fips

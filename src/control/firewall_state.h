// What the mesh firewall baseline (packaging/fips.nft, table `inet fips`)
// does to a local listener: given the JSON of `nft -j list table inet fips`,
// classify a (proto, port) against the rules of the `inbound` chain, as the
// reference's src/control/firewall_state.rs does:
//   no_firewall  the table is not loaded (or nft is missing, or not
//                permitted, or printed something unreadable)
//   accept       a rule whose only matches are `tcp|udp dport N | {set} | A-B`
//                (and optionally `meta l4proto`) accepts the port
//   drop         no rule references the port (the chain ends in
//                `counter drop`), or an unconditional-shape rule drops it
//   unknown      a rule references the port but with matchers we do not
//                decompose (saddr/daddr filters, named sets) or a verdict
//                we do not follow (jump, goto, return, reject, ...)
// The first accept/drop-shaped rule for the port decides, as nft evaluates.
// Driven by: control/listening.h (the reply), daemon/listening_probe.h
// (which runs nft). Pure: parses text it is given; never throws.
// Not here: running nft, the ruleset itself (packaging/fips.nft).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "control/listening.h"

namespace fips {

enum class FilterState : uint8_t { kNoFirewall, kAccept, kDrop, kUnknown };
const char* filter_state_name(FilterState s);  // "no_firewall", "accept", "drop", "unknown"

class FilterClassifier {
 public:
  // The table is not loaded: every port classifies as no_firewall.
  static FilterClassifier no_firewall() { return FilterClassifier(); }
  // From nft's JSON output. Text that is not JSON gives no_firewall (as the
  // reference); JSON without rules for inet fips/inbound gives an active
  // classifier with an empty chain (everything drop).
  static FilterClassifier from_nft_json(std::string_view text);

  [[nodiscard]] bool active() const { return active_; }
  [[nodiscard]] FilterState classify(listening::Proto proto, uint16_t port) const;

 private:
  enum class Verdict : uint8_t { kAccept, kDrop, kOther };
  struct PortMatch {
    listening::Proto proto;
    std::vector<std::pair<uint16_t, uint16_t>> ranges;  // inclusive; a single port is [p, p]
  };
  struct Rule {
    std::optional<listening::Proto> l4proto;  // `meta l4proto tcp|udp`
    std::vector<PortMatch> dports;
    bool other_matches = false;  // saddr, daddr, anything not decomposed
    Verdict verdict = Verdict::kOther;
  };
  bool active_ = false;
  std::vector<Rule> rules_;
};

}  // namespace fips

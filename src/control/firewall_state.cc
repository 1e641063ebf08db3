#include "control/firewall_state.h"

#include <nlohmann/json.hpp>

namespace fips {
namespace {

using nlohmann::json;
using listening::Proto;

const json* member(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

bool string_is(const json* j, std::string_view s) {
  return j && j->is_string() && j->get_ref<const std::string&>() == s;
}

std::optional<Proto> proto_of(const json* j) {
  if (string_is(j, "tcp")) return Proto::kTcp;
  if (string_is(j, "udp")) return Proto::kUdp;
  return std::nullopt;
}

std::optional<uint16_t> port_of(const json& j) {
  if (!j.is_number_unsigned()) return std::nullopt;
  const auto v = j.get<uint64_t>();
  if (v > 0xFFFF) return std::nullopt;
  return static_cast<uint16_t>(v);
}

// The right-hand side of a dport match: N, {"set": [N, ...]} (plain numbers
// only) or {"range": [A, B]}. Anything else (named sets, ranges inside sets)
// is not decomposed, as the reference.
std::optional<std::vector<std::pair<uint16_t, uint16_t>>> port_ranges(const json& right) {
  std::vector<std::pair<uint16_t, uint16_t>> out;
  if (auto p = port_of(right)) {
    out.emplace_back(*p, *p);
    return out;
  }
  if (const json* set = member(right, "set"); set && set->is_array()) {
    for (const json& e : *set) {
      auto p = port_of(e);
      if (!p) return std::nullopt;
      out.emplace_back(*p, *p);
    }
    return out;
  }
  if (const json* r = member(right, "range"); r && r->is_array() && r->size() == 2) {
    auto lo = port_of((*r)[0]), hi = port_of((*r)[1]);
    if (!lo || !hi) return std::nullopt;
    out.emplace_back(*lo, *hi);
    return out;
  }
  return std::nullopt;
}

bool covers(const std::vector<std::pair<uint16_t, uint16_t>>& ranges, uint16_t port) {
  for (const auto& [lo, hi] : ranges)
    if (lo <= port && port <= hi) return true;
  return false;
}

}  // namespace

const char* filter_state_name(FilterState s) {
  switch (s) {
    case FilterState::kNoFirewall:
      return "no_firewall";
    case FilterState::kAccept:
      return "accept";
    case FilterState::kDrop:
      return "drop";
    case FilterState::kUnknown:
      break;
  }
  return "unknown";
}

FilterClassifier FilterClassifier::from_nft_json(std::string_view text) {
  FilterClassifier c;
  const json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return c;
  c.active_ = true;
  const json* list = member(doc, "nftables");
  if (!list || !list->is_array()) return c;
  for (const json& entry : *list) {
    const json* rule = member(entry, "rule");
    if (!rule || !string_is(member(*rule, "table"), "fips") ||
        !string_is(member(*rule, "chain"), "inbound"))
      continue;
    Rule r;
    const json* exprs = member(*rule, "expr");
    if (exprs && exprs->is_array()) {
      for (const json& e : *exprs) {
        if (const json* m = member(e, "match")) {
          const json* opj = member(*m, "op");
          const bool eq = !opj || string_is(opj, "==");  // the reference defaults a missing op to ==
          const json* left = member(*m, "left");
          const json* right = member(*m, "right");
          const json* meta = left ? member(*left, "meta") : nullptr;
          const json* payload = left ? member(*left, "payload") : nullptr;
          if (meta && string_is(member(*meta, "key"), "iifname") && right && right->is_string())
            continue;  // the table's own fips0 scoping: neutral
          if (meta && string_is(member(*meta, "key"), "l4proto") && eq) {
            if (auto p = proto_of(right)) {
              r.l4proto = p;
              continue;
            }
          }
          if (payload && string_is(member(*payload, "field"), "dport") && eq && right) {
            auto p = proto_of(member(*payload, "protocol"));
            auto ranges = port_ranges(*right);
            if (p && ranges) {
              r.dports.push_back({*p, std::move(*ranges)});
              continue;
            }
          }
          r.other_matches = true;
        } else if (member(e, "accept")) {
          r.verdict = Verdict::kAccept;
        } else if (member(e, "drop")) {
          r.verdict = Verdict::kDrop;
        } else if (member(e, "return") || member(e, "jump") || member(e, "goto") ||
                   member(e, "continue") || member(e, "reject") || member(e, "queue")) {
          r.verdict = Verdict::kOther;
        }
        // counter, log, limit, ...: observational, as the reference.
      }
    }
    c.rules_.push_back(std::move(r));
  }
  return c;
}

FilterState FilterClassifier::classify(Proto proto, uint16_t port) const {
  if (!active_) return FilterState::kNoFirewall;
  bool unknown = false;
  for (const Rule& r : rules_) {
    bool references = false, canonical = !r.other_matches && (!r.l4proto || *r.l4proto == proto);
    for (const PortMatch& d : r.dports) {
      const bool hit = covers(d.ranges, port);
      if (hit && d.proto == proto) references = true;
      if (!hit) canonical = false;  // a further dport test this port fails
    }
    if (!references) continue;
    if (!canonical || r.verdict == Verdict::kOther) {
      unknown = true;
      continue;
    }
    return r.verdict == Verdict::kAccept ? FilterState::kAccept : FilterState::kDrop;
  }
  return unknown ? FilterState::kUnknown : FilterState::kDrop;
}

}  // namespace fips

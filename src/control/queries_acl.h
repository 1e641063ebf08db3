// The `data` object of show_acl (reference control/queries.rs show_acl;
// docs/spec/peer-acl.md §6): the loaded peer ACL's files, mode, default
// decision, wildcards and entries, keys sorted as serde_json prints them.
// Not here: loading the files or deciding (node/peer_acl.h).
#pragma once

#include <nlohmann/json.hpp>

namespace fips {

struct PeerAclStatus;

nlohmann::json show_acl_data(const PeerAclStatus& s);

}  // namespace fips

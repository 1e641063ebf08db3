#include "control/queries_acl.h"

#include "node/peer_acl.h"

namespace fips {

nlohmann::json show_acl_data(const PeerAclStatus& s) {
  return nlohmann::json{
      {"allow_file", s.allow_file},
      {"deny_file", s.deny_file},
      {"enforcement_active", s.enforcement_active},
      {"effective_mode", s.effective_mode},
      {"default_decision", s.default_decision},
      {"allow_all", s.allow_all},
      {"deny_all", s.deny_all},
      {"allow_file_entries", s.allow_file_entries},
      {"deny_file_entries", s.deny_file_entries},
      {"allow_entries", s.allow_entries},
      {"deny_entries", s.deny_entries},
  };
}

}  // namespace fips

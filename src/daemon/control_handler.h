// The daemon's answers to control-socket requests: show_* from live node
// state, connect/disconnect as actions. Runs on the loop thread, so every
// reply is immediate (the node is never touched from another thread).
// Not here: the socket protocol (control/server.h), JSON shapes (control/queries.h).
#pragma once

#include "control/server.h"

namespace fips {

class Daemon;

class DaemonControl : public ControlHandler {
 public:
  explicit DaemonControl(Daemon& d) : d_(d) {}
  std::optional<ControlReply> handle(const ControlRequest& req, uint64_t ticket) override;

 private:
  ControlReply connect(const nlohmann::json* params);
  ControlReply disconnect(const nlohmann::json* params);
  Daemon& d_;
};

}  // namespace fips

// The daemon's answers to control-socket requests: show_* from live node
// state, connect/disconnect as actions. Runs on the loop thread (the node is
// never touched from another thread); lookup and ping reply when the mesh
// answers, show_listening_sockets when its worker thread has read the host.
// Not here: the socket protocol (control/server.h), JSON shapes (control/queries.h).
#pragma once

#include <memory>
#include <vector>

#include "control/server.h"
#include "proto/lookup/core.h"

namespace fips {

class Daemon;
class ListeningProbe;

class DaemonControl : public ControlHandler {
 public:
  explicit DaemonControl(Daemon& d);
  ~DaemonControl() override;
  std::optional<ControlReply> handle(const ControlRequest& req, uint64_t ticket) override;

  // A lookup finished (found or failed): answer the clients waiting on it.
  void on_lookup_done(const lookup::LookupEvent& e);
  // Answer waiting lookups whose time is up (called on the daemon's tick).
  void expire(uint64_t now_ms);

 private:
  struct PendingLookup {
    uint64_t ticket;
    PeerIdentity target;
    uint64_t started_ms;
    uint64_t deadline_ms;
  };
  struct PendingPing {
    uint64_t ticket;
    uint64_t token;
    std::string npub;
    uint64_t started_us;
    uint64_t deadline_ms;
    size_t bytes;
  };
  std::optional<ControlReply> lookup(const nlohmann::json* params, uint64_t ticket);
  std::optional<ControlReply> ping(const nlohmann::json* params, uint64_t ticket);
  void on_echo_reply(const NodeAddr& src, ByteSpan payload);
  ControlReply show_sessions(uint64_t now_ms);
  ControlReply show_mmp(uint64_t now_ms);
  ControlReply probe(const std::string& command, const nlohmann::json* params, uint64_t now_ms);
  ControlReply stats_query(const std::string& command, const nlohmann::json* params, uint64_t now_ms);
  std::vector<PendingPing> pings_;
  uint64_t next_token_ = 1;
  ControlReply routing_query(const std::string& command, uint64_t now_ms);
  std::vector<PendingLookup> lookups_;
  ControlReply connect(const nlohmann::json* params);
  ControlReply disconnect(const nlohmann::json* params);
  // show_listening_sockets: /proc and nft are read off the loop thread.
  std::unique_ptr<ListeningProbe> listening_;
  Daemon& d_;
};

}  // namespace fips

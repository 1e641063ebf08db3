// MmpSnapshot (node/snapshot.h) from MMP metrics: the one conversion used by
// show_peers / show_mmp link rows (node/link_snapshots.cc) and show_sessions /
// show_mmp session rows (control/queries_sessions.cc).
// Not here: JSON (control/), the metrics themselves (proto/mmp/link_mmp.h).
#pragma once

#include "node/snapshot.h"
#include "proto/mmp/link_mmp.h"

namespace fips {

MmpSnapshot mmp_snapshot_of(const mmp::Metrics& m, mmp::Mode mode, bool spin_initiator);

}  // namespace fips

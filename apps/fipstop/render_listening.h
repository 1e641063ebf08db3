// fipstop's "Listening on fips0" panel (Node tab), from the daemon's
// show_listening_sockets reply: one row per local listener reachable over
// fips0 (Proto, Port, Process as comm(pid) with " *" for a wildcard bind,
// State OPEN / filt / filt?), the title turned into the alert
// "fips-firewall.service inactive - all listeners exposed" when the
// `inet fips` table is not loaded, as the reference's
// src/bin/fipstop/ui/listening.rs. Like the reference it sits right of the
// Traffic block; on a screen too narrow for both it goes below it.
// Driven by render() in render.cc, which hands it the lines drawn so far.
// Not here: the query (queries_for in render.cc), the terminal (main.cc).
#pragma once

#include <vector>

#include "render.h"

namespace fipstop {

// Rows shown before "+N more"; the rest: fipsctl show listening-sockets.
inline constexpr int kListeningRows = 8;

// The panel's lines for a column `width` wide: r null = not fetched yet
// ("loading..."), a refusal = "not available from this daemon: <error>".
std::vector<ScreenLine> listening_panel(const Reply* r, int width);

// Puts the panel right of the last "-- Traffic --" section of `lines`
// (which must be the last section) when `width` leaves the panel at least
// 36 columns, else appends it below.
void place_listening_panel(std::vector<ScreenLine>& lines, const Reply* r, int width);

}  // namespace fipstop

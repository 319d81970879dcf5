// A position under the average-cost method, and the one rule that applies a fill to it. The store's
// positions table, the risk engine's state (live and in backtests) all move by apply_fill, so a
// position rebuilt from the same fills is the same to the paisa wherever it is rebuilt.
#pragma once

#include "core/messages.h"
#include "core/money.h"

namespace sm {

// qty is signed (positive long, negative short). cost is the signed cost of the open quantity at
// average price (negative for a short), kept exactly so that a round trip's realised P&L is exact:
// average price = cost / qty. realised_pnl is cumulative and gross of charges.
struct Position {
  Quantity qty = 0;
  Paise cost = 0;
  Paise realised_pnl = 0;
};

struct FillEffect {
  Position position;   // after the fill
  Paise realised = 0;  // the P&L this fill realised (0 when it only added to the position)
  // The fill opened a position from flat or reversed one through zero: a new position starts.
  bool opened = false;
  // Some figure left the int64 range; position and realised then hold it saturated.
  bool overflow = false;
};

// Applies one fill of qty shares at price to position. A fill on the side of the position (or on a
// flat one) adds qty and qty * price to it. A fill against it closes min(qty, |position.qty|)
// shares: their share of the cost, cost * closed / |qty| rounded half away from zero, leaves the
// position (so a full close removes all of it), and the difference to closed * price is realised.
// What is left of the fill after a close through zero opens the other side at the fill price.
// REQUIRES: qty > 0.
FillEffect apply_fill(const Position& position, Side side, Quantity qty, Paise price);

}  // namespace sm

#include "core/position.h"

#include <cassert>

namespace sm {

FillEffect apply_fill(const Position& position, Side side, Quantity qty, Paise price) {
  assert(qty > 0);
  const Int128 signed_qty = side == Side::kBuy ? Int128{qty} : -Int128{qty};
  Int128 held_qty = position.qty;
  Int128 cost = position.cost;
  Int128 realised = 0;
  if (held_qty == 0 || (held_qty > 0) == (signed_qty > 0)) {
    held_qty += signed_qty;
    cost += signed_qty * price;
  } else {
    const Int128 held = held_qty > 0 ? held_qty : -held_qty;
    const Int128 closing = qty < held ? Int128{qty} : held;
    // The remainder of the cost stays with the shares still held, so a full close removes all of
    // it and a round trip's realised P&L is exact. A full close takes all of it without the
    // division (cost * held / held is cost; the 128-bit division was a library call).
    const Int128 removed =
        closing == held ? cost : divide_half_away_from_zero(cost * closing, held);
    const Int128 direction = held_qty > 0 ? 1 : -1;
    realised = direction * closing * price - removed;
    cost -= removed;
    held_qty -= direction * closing;
    const Int128 rest = Int128{qty} - closing;
    if (rest > 0) {
      held_qty = signed_qty > 0 ? rest : -rest;
      cost = held_qty * price;
    }
  }
  const Int128 realised_pnl = Int128{position.realised_pnl} + realised;
  FillEffect effect;
  effect.position.qty = saturate(held_qty);
  effect.position.cost = saturate(cost);
  effect.position.realised_pnl = saturate(realised_pnl);
  effect.realised = saturate(realised);
  effect.opened = position.qty == 0 ||
                  (effect.position.qty != 0 && (position.qty > 0) != (effect.position.qty > 0));
  effect.overflow = effect.position.qty != held_qty || effect.position.cost != cost ||
                    effect.position.realised_pnl != realised_pnl || effect.realised != realised;
  return effect;
}

}  // namespace sm

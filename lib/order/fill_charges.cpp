#include "order/fill_charges.h"

#include "core/timestamp.h"
#include "store/trading_records.h"

namespace sm::order {

Result<costs::Charges> fill_charges(store::Database& db, const costs::CostModel& model,
                                    const Fill& fill, Product product) {
  costs::TradeLeg leg;
  leg.trade_date = ist_date(fill.ts);
  leg.product = product;
  leg.side = fill.side;
  leg.price = fill.price;
  leg.qty = fill.qty;
  if (product == Product::kDelivery && fill.side == Side::kSell) {
    Result<bool> sold =
        store::delivery_sell_stored(db, fill.symbol, from_ist(leg.trade_date, 0, 0),
                                    from_ist(add_days(leg.trade_date, 1), 0, 0), fill.trade_id);
    if (!sold.ok()) return sold.status();
    leg.first_sell_of_day = !*sold;
  }
  return model.charges_for(leg);
}

}  // namespace sm::order

#include "feed/instruments_refresh.h"

#include "store/ops_records.h"

namespace sm::feed {

Result<std::optional<std::int64_t>> stored_instruments_age(store::Database& db, TimestampMs now) {
  Result<store::Statement> stmt = db.prepare("SELECT max(updated_ms) FROM instruments");
  if (!stmt.ok()) return stmt.status();
  Result<bool> row = stmt->step();
  if (!row.ok()) return row.status();
  if (!*row || stmt->column_is_null(0)) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(now - stmt->column_int64(0));
}

Result<bool> instruments_refresh_due(store::Database& db, const InstrumentsRefreshOptions& options,
                                     const time::Clock& clock) {
  Result<std::optional<std::int64_t>> age = stored_instruments_age(db, clock.now_ms());
  if (!age.ok()) return age.status();
  return !age->has_value() || options.max_age_ms <= 0 || **age >= options.max_age_ms;
}

Result<InstrumentsRefreshCounts> store_instruments(store::Database& db,
                                                   const std::vector<broker::Instrument>& dump,
                                                   const InstrumentsRefreshOptions& options) {
  InstrumentsRefreshCounts counts;
  Result<store::Transaction> tx = db.begin();
  if (!tx.ok()) return tx.status();
  for (const broker::Instrument& row : dump) {
    if (!options.exchange.empty() && row.exchange != options.exchange) {
      ++counts.other_exchange;
      continue;
    }
    store::Instrument instrument;
    instrument.symbol = row.tradingsymbol;
    instrument.exchange = row.exchange;
    instrument.name = row.name;
    instrument.instrument_token = row.instrument_token;
    instrument.tick_size = row.tick_size > 0 ? row.tick_size : 1;
    instrument.lot_size = row.lot_size > 0 ? row.lot_size : 1;
    if (Status s = store::upsert_instrument(db, instrument); !s.ok()) return s;
    ++counts.stored;
  }
  if (Status s = tx->commit(); !s.ok()) return s;
  return counts;
}

}  // namespace sm::feed

#include "store/schema.h"

#include <array>

namespace sm::store {

namespace {

// Version 1: the whole foundation schema. docs/SCHEMA.md explains every table. Conventions:
// money is INTEGER paise (*_paise), time is INTEGER UTC milliseconds (*_ms), quantities are whole
// shares; *_ist columns are VIRTUAL generated text for people using the sqlite3 shell (they cost
// no storage). Tables are STRICT so a wrong type is an error, not a silent conversion.
constexpr std::string_view kVersion1 = R"sql(
CREATE TABLE instruments (
  symbol TEXT PRIMARY KEY,
  exchange TEXT NOT NULL DEFAULT 'NSE',
  name TEXT NOT NULL DEFAULT '',
  isin TEXT NOT NULL DEFAULT '',
  instrument_token INTEGER,
  tick_size_paise INTEGER NOT NULL DEFAULT 5 CHECK (tick_size_paise > 0),
  lot_size INTEGER NOT NULL DEFAULT 1 CHECK (lot_size > 0),
  updated_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE ticks (
  id INTEGER PRIMARY KEY,
  symbol TEXT NOT NULL,
  ts_ms INTEGER NOT NULL,
  price_paise INTEGER NOT NULL CHECK (price_paise > 0),
  qty INTEGER NOT NULL CHECK (qty >= 0),
  volume INTEGER NOT NULL CHECK (volume >= 0),
  seq INTEGER NOT NULL DEFAULT 0 CHECK (seq >= 0)
) STRICT;
CREATE UNIQUE INDEX ticks_natural_key ON ticks (symbol, ts_ms, price_paise, qty, volume, seq);

CREATE TABLE bars (
  symbol TEXT NOT NULL,
  timeframe_minutes INTEGER NOT NULL CHECK (timeframe_minutes > 0),
  ts_ms INTEGER NOT NULL,
  open_paise INTEGER NOT NULL CHECK (open_paise > 0),
  high_paise INTEGER NOT NULL,
  low_paise INTEGER NOT NULL CHECK (low_paise > 0 AND low_paise <= high_paise),
  close_paise INTEGER NOT NULL CHECK (close_paise > 0),
  volume INTEGER NOT NULL CHECK (volume >= 0),
  partial INTEGER NOT NULL DEFAULT 0 CHECK (partial IN (0, 1)),
  PRIMARY KEY (symbol, timeframe_minutes, ts_ms)
) STRICT, WITHOUT ROWID;

CREATE TABLE market_series (
  symbol TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('tick', 'bar')),
  timeframe_minutes INTEGER NOT NULL,
  first_ts_ms INTEGER NOT NULL,
  last_ts_ms INTEGER NOT NULL,
  row_count INTEGER NOT NULL,
  PRIMARY KEY (symbol, kind, timeframe_minutes)
) STRICT, WITHOUT ROWID;

CREATE TABLE signals (
  id INTEGER PRIMARY KEY,
  ts_ms INTEGER NOT NULL,
  strategy TEXT NOT NULL,
  symbol TEXT NOT NULL,
  action TEXT NOT NULL,
  qty INTEGER NOT NULL CHECK (qty >= 0),
  price_paise INTEGER NOT NULL,
  stop_paise INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT '',
  recorded_ms INTEGER NOT NULL,
  ts_ist TEXT GENERATED ALWAYS AS
    (strftime('%Y-%m-%d %H:%M:%S', ts_ms / 1000, 'unixepoch', '+330 minutes')) VIRTUAL,
  UNIQUE (strategy, symbol, action, ts_ms)
) STRICT;

CREATE TABLE strategy_state (
  strategy TEXT PRIMARY KEY,
  state_json TEXT NOT NULL CHECK (json_valid(state_json)),
  event_ts_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE risk_decisions (
  id INTEGER PRIMARY KEY,
  ts_ms INTEGER NOT NULL,
  strategy TEXT NOT NULL,
  symbol TEXT NOT NULL,
  action TEXT NOT NULL,
  signal_ts_ms INTEGER NOT NULL,
  approved INTEGER NOT NULL CHECK (approved IN (0, 1)),
  code TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '',
  client_order_id TEXT,
  recorded_ms INTEGER NOT NULL,
  ts_ist TEXT GENERATED ALWAYS AS
    (strftime('%Y-%m-%d %H:%M:%S', ts_ms / 1000, 'unixepoch', '+330 minutes')) VIRTUAL,
  UNIQUE (strategy, symbol, action, signal_ts_ms)
) STRICT;

CREATE TABLE orders (
  client_order_id TEXT PRIMARY KEY,
  broker_order_id TEXT UNIQUE,
  strategy TEXT NOT NULL,
  symbol TEXT NOT NULL,
  exchange TEXT NOT NULL DEFAULT 'NSE',
  side TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
  qty INTEGER NOT NULL CHECK (qty > 0),
  order_type TEXT NOT NULL,
  product TEXT NOT NULL,
  price_paise INTEGER NOT NULL DEFAULT 0,
  trigger_price_paise INTEGER NOT NULL DEFAULT 0,
  signal_ts_ms INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'PENDING',
  filled_qty INTEGER NOT NULL DEFAULT 0 CHECK (filled_qty >= 0),
  average_price_paise INTEGER NOT NULL DEFAULT 0,
  status_message TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  created_ist TEXT GENERATED ALWAYS AS
    (strftime('%Y-%m-%d %H:%M:%S', created_ms / 1000, 'unixepoch', '+330 minutes')) VIRTUAL,
  updated_ist TEXT GENERATED ALWAYS AS
    (strftime('%Y-%m-%d %H:%M:%S', updated_ms / 1000, 'unixepoch', '+330 minutes')) VIRTUAL
) STRICT;
CREATE INDEX orders_open ON orders (created_ms)
  WHERE status NOT IN ('COMPLETE', 'CANCELLED', 'REJECTED');

CREATE TABLE order_events (
  id INTEGER PRIMARY KEY,
  client_order_id TEXT NOT NULL REFERENCES orders (client_order_id),
  ts_ms INTEGER NOT NULL,
  event TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail)),
  recorded_ms INTEGER NOT NULL,
  ts_ist TEXT GENERATED ALWAYS AS
    (strftime('%Y-%m-%d %H:%M:%S', ts_ms / 1000, 'unixepoch', '+330 minutes')) VIRTUAL
) STRICT;
CREATE INDEX order_events_by_order ON order_events (client_order_id, id);
CREATE TRIGGER order_events_no_update BEFORE UPDATE ON order_events
BEGIN SELECT RAISE(ABORT, 'order_events is append-only'); END;
CREATE TRIGGER order_events_no_delete BEFORE DELETE ON order_events
BEGIN SELECT RAISE(ABORT, 'order_events is append-only'); END;

CREATE TABLE fills (
  id INTEGER PRIMARY KEY,
  trade_id TEXT NOT NULL UNIQUE,
  client_order_id TEXT NOT NULL DEFAULT '',
  broker_order_id TEXT NOT NULL DEFAULT '',
  strategy TEXT NOT NULL DEFAULT '',
  symbol TEXT NOT NULL,
  side TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
  qty INTEGER NOT NULL CHECK (qty > 0),
  price_paise INTEGER NOT NULL CHECK (price_paise > 0),
  charges_paise INTEGER NOT NULL DEFAULT 0 CHECK (charges_paise >= 0),
  realised_pnl_paise INTEGER NOT NULL DEFAULT 0,
  ts_ms INTEGER NOT NULL,
  recorded_ms INTEGER NOT NULL,
  ts_ist TEXT GENERATED ALWAYS AS
    (strftime('%Y-%m-%d %H:%M:%S', ts_ms / 1000, 'unixepoch', '+330 minutes')) VIRTUAL
) STRICT;
CREATE INDEX fills_by_time ON fills (ts_ms);
CREATE INDEX fills_by_order ON fills (client_order_id);
CREATE TRIGGER fills_no_update BEFORE UPDATE ON fills
BEGIN SELECT RAISE(ABORT, 'fills is append-only'); END;
CREATE TRIGGER fills_no_delete BEFORE DELETE ON fills
BEGIN SELECT RAISE(ABORT, 'fills is append-only'); END;

CREATE TABLE positions (
  strategy TEXT NOT NULL,
  symbol TEXT NOT NULL,
  qty INTEGER NOT NULL,
  cost_paise INTEGER NOT NULL,
  realised_pnl_paise INTEGER NOT NULL DEFAULT 0,
  charges_paise INTEGER NOT NULL DEFAULT 0,
  opened_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  updated_ist TEXT GENERATED ALWAYS AS
    (strftime('%Y-%m-%d %H:%M:%S', updated_ms / 1000, 'unixepoch', '+330 minutes')) VIRTUAL,
  PRIMARY KEY (strategy, symbol)
) STRICT;

CREATE TABLE heartbeats (
  component TEXT PRIMARY KEY,
  ts_ms INTEGER NOT NULL,
  status TEXT NOT NULL,
  pid INTEGER NOT NULL DEFAULT 0,
  detail TEXT NOT NULL DEFAULT '',
  recorded_ms INTEGER NOT NULL,
  ts_ist TEXT GENERATED ALWAYS AS
    (strftime('%Y-%m-%d %H:%M:%S', ts_ms / 1000, 'unixepoch', '+330 minutes')) VIRTUAL
) STRICT;

CREATE TABLE heartbeat_history (
  id INTEGER PRIMARY KEY,
  component TEXT NOT NULL,
  ts_ms INTEGER NOT NULL,
  status TEXT NOT NULL,
  pid INTEGER NOT NULL DEFAULT 0,
  detail TEXT NOT NULL DEFAULT '',
  ts_ist TEXT GENERATED ALWAYS AS
    (strftime('%Y-%m-%d %H:%M:%S', ts_ms / 1000, 'unixepoch', '+330 minutes')) VIRTUAL
) STRICT;
CREATE INDEX heartbeat_history_by_component ON heartbeat_history (component, ts_ms);

CREATE TABLE alerts (
  id INTEGER PRIMARY KEY,
  ts_ms INTEGER NOT NULL,
  severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  component TEXT NOT NULL,
  event TEXT NOT NULL,
  text TEXT NOT NULL,
  dedup_key TEXT NOT NULL DEFAULT '',
  recorded_ms INTEGER NOT NULL,
  ts_ist TEXT GENERATED ALWAYS AS
    (strftime('%Y-%m-%d %H:%M:%S', ts_ms / 1000, 'unixepoch', '+330 minutes')) VIRTUAL,
  UNIQUE (component, event, dedup_key, ts_ms)
) STRICT;
CREATE INDEX alerts_by_time ON alerts (ts_ms);

CREATE TABLE halts (
  id INTEGER PRIMARY KEY,
  level TEXT NOT NULL CHECK (level IN ('block_entries', 'halt', 'pause')),
  trigger_name TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  set_by TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  until_ms INTEGER,
  cleared_ms INTEGER,
  cleared_by TEXT,
  clear_reason TEXT,
  created_ist TEXT GENERATED ALWAYS AS
    (strftime('%Y-%m-%d %H:%M:%S', created_ms / 1000, 'unixepoch', '+330 minutes')) VIRTUAL,
  until_ist TEXT GENERATED ALWAYS AS
    (strftime('%Y-%m-%d %H:%M:%S', until_ms / 1000, 'unixepoch', '+330 minutes')) VIRTUAL,
  cleared_ist TEXT GENERATED ALWAYS AS
    (strftime('%Y-%m-%d %H:%M:%S', cleared_ms / 1000, 'unixepoch', '+330 minutes')) VIRTUAL
) STRICT;
CREATE INDEX halts_uncleared ON halts (created_ms) WHERE cleared_ms IS NULL;

CREATE TABLE config_changes (
  id INTEGER PRIMARY KEY,
  program TEXT NOT NULL,
  hash TEXT NOT NULL,
  content TEXT NOT NULL,
  ts_ms INTEGER NOT NULL,
  changed_by TEXT NOT NULL DEFAULT '',
  ts_ist TEXT GENERATED ALWAYS AS
    (strftime('%Y-%m-%d %H:%M:%S', ts_ms / 1000, 'unixepoch', '+330 minutes')) VIRTUAL
) STRICT;
CREATE INDEX config_changes_by_program ON config_changes (program, id);

-- The latest known price per symbol: the later of its last tick and its last bar's close (a bar
-- is known at its end, ts + timeframe). Each lookup is one primary-key probe per series.
CREATE VIEW last_prices AS
WITH candidates AS (
  SELECT s.symbol AS symbol, s.last_ts_ms AS ts_ms,
         (SELECT t.price_paise FROM ticks t
           WHERE t.symbol = s.symbol AND t.ts_ms = s.last_ts_ms
           ORDER BY t.id DESC LIMIT 1) AS price_paise
    FROM market_series s WHERE s.kind = 'tick'
  UNION ALL
  SELECT s.symbol, s.last_ts_ms + s.timeframe_minutes * 60000,
         (SELECT b.close_paise FROM bars b
           WHERE b.symbol = s.symbol AND b.timeframe_minutes = s.timeframe_minutes
             AND b.ts_ms = s.last_ts_ms)
    FROM market_series s WHERE s.kind = 'bar'
)
SELECT symbol, price_paise, MAX(ts_ms) AS ts_ms,
       strftime('%Y-%m-%d %H:%M:%S', MAX(ts_ms) / 1000, 'unixepoch', '+330 minutes') AS ts_ist
  FROM candidates GROUP BY symbol;

CREATE VIEW open_positions AS
SELECT p.strategy, p.symbol, p.qty,
       printf('%.2f', p.cost_paise / 100.0 / p.qty) AS average_price,
       CASE WHEN lp.price_paise IS NOT NULL THEN
         printf('%d.%02d', lp.price_paise / 100, lp.price_paise % 100) END AS last_price,
       lp.ts_ist AS last_price_ist,
       CASE WHEN lp.price_paise IS NOT NULL THEN
         printf('%s%d.%02d', CASE WHEN p.qty * lp.price_paise - p.cost_paise < 0 THEN '-' ELSE '' END,
                abs(p.qty * lp.price_paise - p.cost_paise) / 100,
                abs(p.qty * lp.price_paise - p.cost_paise) % 100) END AS unrealised,
       printf('%s%d.%02d', CASE WHEN p.realised_pnl_paise < 0 THEN '-' ELSE '' END,
              abs(p.realised_pnl_paise) / 100, abs(p.realised_pnl_paise) % 100) AS realised,
       p.updated_ist
  FROM positions p LEFT JOIN last_prices lp ON lp.symbol = p.symbol
 WHERE p.qty <> 0;

CREATE VIEW open_orders AS
SELECT client_order_id, broker_order_id, strategy, symbol, side, qty, filled_qty, order_type,
       printf('%d.%02d', price_paise / 100, price_paise % 100) AS price,
       status, status_message, created_ist, updated_ist
  FROM orders
 WHERE status NOT IN ('COMPLETE', 'CANCELLED', 'REJECTED');

-- Today is the IST calendar day. Realised is from today's fills (gross, charges apart); unrealised
-- is open quantity at the last price against its average cost (0 when the symbol has no price).
CREATE VIEW todays_pnl AS
WITH day AS (SELECT date('now', '+330 minutes') AS ist_date),
today AS (
  SELECT strategy, symbol, SUM(realised_pnl_paise) AS realised_paise,
         SUM(charges_paise) AS charges_paise, COUNT(*) AS fills
    FROM fills
   WHERE date(ts_ms / 1000, 'unixepoch', '+330 minutes') = (SELECT ist_date FROM day)
   GROUP BY strategy, symbol),
open AS (
  SELECT p.strategy, p.symbol, p.qty * lp.price_paise - p.cost_paise AS unrealised_paise
    FROM positions p LEFT JOIN last_prices lp ON lp.symbol = p.symbol
   WHERE p.qty <> 0),
keys AS (SELECT strategy, symbol FROM today UNION SELECT strategy, symbol FROM open),
pnl AS (
  SELECT k.strategy, k.symbol, COALESCE(t.fills, 0) AS fills,
         COALESCE(t.realised_paise, 0) AS realised_paise,
         COALESCE(t.charges_paise, 0) AS charges_paise,
         COALESCE(o.unrealised_paise, 0) AS unrealised_paise
    FROM keys k
    LEFT JOIN today t ON t.strategy = k.strategy AND t.symbol = k.symbol
    LEFT JOIN open o ON o.strategy = k.strategy AND o.symbol = k.symbol)
SELECT (SELECT ist_date FROM day) AS ist_date, strategy, symbol, fills,
       printf('%s%d.%02d', CASE WHEN realised_paise < 0 THEN '-' ELSE '' END,
              abs(realised_paise) / 100, abs(realised_paise) % 100) AS realised,
       printf('%d.%02d', charges_paise / 100, charges_paise % 100) AS charges,
       printf('%s%d.%02d', CASE WHEN unrealised_paise < 0 THEN '-' ELSE '' END,
              abs(unrealised_paise) / 100, abs(unrealised_paise) % 100) AS unrealised,
       printf('%s%d.%02d',
              CASE WHEN realised_paise - charges_paise + unrealised_paise < 0 THEN '-' ELSE '' END,
              abs(realised_paise - charges_paise + unrealised_paise) / 100,
              abs(realised_paise - charges_paise + unrealised_paise) % 100) AS net,
       realised_paise - charges_paise + unrealised_paise AS net_paise
  FROM pnl;
)sql";

// Version 2: a daily bar's close is known at 15:30 IST of its day (docs/PROTOCOL.md), not at
// ts + 1440 minutes (09:15 IST the next day), which let an older daily close hide a newer tick;
// and last_prices shows the price in rupees beside the paise. open_positions and todays_pnl read
// last_prices by name, so they pick up the fix without being recreated. 19800000 ms is IST's
// offset (05:30) and 36000000 ms is 10:00 UTC, i.e. 15:30 IST.
constexpr std::string_view kVersion2 = R"sql(
DROP VIEW last_prices;
CREATE VIEW last_prices AS
WITH candidates AS (
  SELECT s.symbol AS symbol, s.last_ts_ms AS ts_ms,
         (SELECT t.price_paise FROM ticks t
           WHERE t.symbol = s.symbol AND t.ts_ms = s.last_ts_ms
           ORDER BY t.id DESC LIMIT 1) AS price_paise
    FROM market_series s WHERE s.kind = 'tick'
  UNION ALL
  SELECT s.symbol,
         CASE WHEN s.timeframe_minutes = 1440
              THEN (s.last_ts_ms + 19800000) / 86400000 * 86400000 + 36000000
              ELSE s.last_ts_ms + s.timeframe_minutes * 60000 END,
         (SELECT b.close_paise FROM bars b
           WHERE b.symbol = s.symbol AND b.timeframe_minutes = s.timeframe_minutes
             AND b.ts_ms = s.last_ts_ms)
    FROM market_series s WHERE s.kind = 'bar'
)
SELECT symbol, price_paise, printf('%d.%02d', price_paise / 100, price_paise % 100) AS price,
       MAX(ts_ms) AS ts_ms,
       strftime('%Y-%m-%d %H:%M:%S', MAX(ts_ms) / 1000, 'unixepoch', '+330 minutes') AS ts_ist
  FROM candidates GROUP BY symbol;
)sql";

// Version 3: the todays_pnl view is dropped. It counted the whole unrealised P&L of open positions
// as today's, while the risk gateway counted only its change since the previous close; today's P&L
// now has one definition, store::todays_pnl (C++: it needs the price before the day's start and the
// position with today's fills undone), which sm-status --json shows (docs/SCHEMA.md).
constexpr std::string_view kVersion3 = R"sql(
DROP VIEW todays_pnl;
)sql";

// Version 4: the risk gateway stores each approved decision's order intent (the NDJSON line it
// writes to sm-order) with the decision, so a restarted sm-order catches up the intents it never
// received from the store (issue 11: stored before written). NULL for denials and older rows.
constexpr std::string_view kVersion4 = R"sql(
ALTER TABLE risk_decisions ADD COLUMN order_json TEXT CHECK (order_json IS NULL OR json_valid(order_json));
CREATE INDEX risk_decisions_with_order ON risk_decisions (id) WHERE order_json IS NOT NULL;
)sql";

// Divergence from the backtest (issue 13, lib/divergence): per IST trading day, how the live day
// differed from the same strategies replayed on the same stored bars. One row a day; computing
// the day again replaces it. detail_json holds the lists (signals missed and extra, each order's
// fills, slippage and delay) that the summary columns count.
constexpr std::string_view kVersionDivergence = R"sql(
CREATE TABLE divergence_reports (
  date TEXT PRIMARY KEY,
  computed_ms INTEGER NOT NULL,
  signals_live INTEGER NOT NULL,
  signals_expected INTEGER NOT NULL,
  signals_missed INTEGER NOT NULL,
  signals_extra INTEGER NOT NULL,
  orders_checked INTEGER NOT NULL,
  fills_missed INTEGER NOT NULL,
  fills_late INTEGER NOT NULL,
  slippage_bps_mean REAL NOT NULL,
  slippage_bps_worst REAL NOT NULL,
  pnl_difference_paise INTEGER NOT NULL,
  breaches TEXT NOT NULL DEFAULT '',
  detail_json TEXT NOT NULL CHECK (json_valid(detail_json))
) STRICT;
)sql";

// Historical download spans (issue 12): sm-ingest historical records each downloaded request
// span once it is complete, so an interrupted download resumes where it stopped and a repeated
// one asks the broker for nothing.
constexpr std::string_view kVersionHistoricalChunks = R"sql(
CREATE TABLE historical_chunks (
  symbol TEXT NOT NULL,
  timeframe_minutes INTEGER NOT NULL CHECK (timeframe_minutes > 0),
  from_ms INTEGER NOT NULL,
  to_ms INTEGER NOT NULL CHECK (to_ms >= from_ms),
  candles INTEGER NOT NULL CHECK (candles >= 0),
  completed_ms INTEGER NOT NULL,
  PRIMARY KEY (symbol, timeframe_minutes, from_ms, to_ms)
) STRICT, WITHOUT ROWID;
)sql";

// sm-alert's outbox (docs/ALERTS.md). One row per incident, action and channel: what
// to send, how often it was tried, when to try next, when it was delivered and the last error, so
// a restart or a channel outage loses nothing and the UNIQUE key keeps an incident from being sent
// twice. A row folded into a digest or a flood summary names that message in combined_into.
// alert_cursors hold how far sm-alert has followed the alerts and halts tables.
constexpr std::string_view kVersionAlertOutbox = R"sql(
CREATE TABLE alert_outbox (
  id INTEGER PRIMARY KEY,
  channel TEXT NOT NULL,
  incident_key TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('trigger', 'resolve')),
  mode TEXT NOT NULL CHECK (mode IN ('now', 'digest', 'combined')),
  alert_id INTEGER REFERENCES alerts (id),
  severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  event TEXT NOT NULL,
  text TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_try_ms INTEGER NOT NULL,
  delivered_ms INTEGER,
  combined_into INTEGER REFERENCES alert_outbox (id),
  last_error TEXT NOT NULL DEFAULT '',
  created_ist TEXT GENERATED ALWAYS AS
    (strftime('%Y-%m-%d %H:%M:%S', created_ms / 1000, 'unixepoch', '+330 minutes')) VIRTUAL,
  delivered_ist TEXT GENERATED ALWAYS AS
    (strftime('%Y-%m-%d %H:%M:%S', delivered_ms / 1000, 'unixepoch', '+330 minutes')) VIRTUAL,
  UNIQUE (channel, incident_key, action)
) STRICT;
CREATE INDEX alert_outbox_pending ON alert_outbox (channel, next_try_ms)
  WHERE delivered_ms IS NULL AND combined_into IS NULL;
CREATE TABLE alert_cursors (
  name TEXT PRIMARY KEY,
  last_id INTEGER NOT NULL
) STRICT;
)sql";

// Every program's errors as data (issue 11, "Errors as data"). Each error a program logs is also
// stored here with its component, event and reason, so sm-risk's error-rate kill switch counts
// errors of programs whose output it never reads (sm-order writes to a log file under systemd).
// Idempotent on the whole record: an error both stored by its program and passed on as an `error`
// line is one row.
constexpr std::string_view kVersionErrors = R"sql(
CREATE TABLE errors (
  id INTEGER PRIMARY KEY,
  ts_ms INTEGER NOT NULL,
  component TEXT NOT NULL,
  event TEXT NOT NULL,
  code TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  input TEXT NOT NULL DEFAULT '',
  line INTEGER NOT NULL DEFAULT 0,
  recorded_ms INTEGER NOT NULL,
  ts_ist TEXT GENERATED ALWAYS AS
    (strftime('%Y-%m-%d %H:%M:%S', ts_ms / 1000, 'unixepoch', '+330 minutes')) VIRTUAL,
  UNIQUE (component, event, ts_ms, code, reason, input, line)
) STRICT;
CREATE INDEX errors_by_time ON errors (ts_ms);
)sql";

// Issue 11, corporate actions: one row per position a bonus or split adjusted on its
// ex-date: the audit of the change to positions.qty and the guard that applies it once (UNIQUE on
// strategy, symbol, ex-date) however many programs and restarts look. Append-only.
constexpr std::string_view kVersionCorporateActions = R"sql(
CREATE TABLE corporate_action_adjustments (
  id INTEGER PRIMARY KEY,
  strategy TEXT NOT NULL,
  symbol TEXT NOT NULL,
  ex_date TEXT NOT NULL CHECK (date(ex_date) IS ex_date),
  kind TEXT NOT NULL CHECK (kind IN ('bonus', 'split')),
  ratio TEXT NOT NULL,
  price_numerator INTEGER NOT NULL CHECK (price_numerator > 0),
  price_denominator INTEGER NOT NULL CHECK (price_denominator > 0),
  qty_before INTEGER NOT NULL,
  qty_after INTEGER NOT NULL,
  cost_paise INTEGER NOT NULL,
  fraction_numerator INTEGER NOT NULL DEFAULT 0,
  recorded_ms INTEGER NOT NULL,
  recorded_by TEXT NOT NULL DEFAULT '',
  recorded_ist TEXT GENERATED ALWAYS AS
    (strftime('%Y-%m-%d %H:%M:%S', recorded_ms / 1000, 'unixepoch', '+330 minutes')) VIRTUAL,
  UNIQUE (strategy, symbol, ex_date)
) STRICT;
CREATE TRIGGER corporate_action_adjustments_no_update BEFORE UPDATE ON corporate_action_adjustments
BEGIN SELECT RAISE(ABORT, 'corporate_action_adjustments is append-only'); END;
CREATE TRIGGER corporate_action_adjustments_no_delete BEFORE DELETE ON corporate_action_adjustments
BEGIN SELECT RAISE(ABORT, 'corporate_action_adjustments is append-only'); END;
)sql";

// Issue 14, ticks into SQLite faster: the ticks table becomes WITHOUT ROWID keyed on its natural
// key, so each tick is one B-tree insert instead of two (the rowid table and the unique index).
// The rowid gave the read order among ticks of one symbol and ts_ms (arrival); that order is now
// the arrival column, numbered by insert_ticks from the one-row counter tick_arrivals (an old
// tick keeps its rowid as its arrival, so the order of stored ticks is unchanged). The views that
// read ticks are dropped and made again: RENAME checks every view of the schema, and
// open_positions reads last_prices, which reads ticks.
constexpr std::string_view kVersionTicksWithoutRowid = R"sql(
DROP VIEW open_positions;
DROP VIEW last_prices;
ALTER TABLE ticks RENAME TO ticks_by_rowid;
CREATE TABLE ticks (
  symbol TEXT NOT NULL,
  ts_ms INTEGER NOT NULL,
  price_paise INTEGER NOT NULL CHECK (price_paise > 0),
  qty INTEGER NOT NULL CHECK (qty >= 0),
  volume INTEGER NOT NULL CHECK (volume >= 0),
  seq INTEGER NOT NULL DEFAULT 0 CHECK (seq >= 0),
  arrival INTEGER NOT NULL,
  PRIMARY KEY (symbol, ts_ms, price_paise, qty, volume, seq)
) STRICT, WITHOUT ROWID;
INSERT INTO ticks (symbol, ts_ms, price_paise, qty, volume, seq, arrival)
  SELECT symbol, ts_ms, price_paise, qty, volume, seq, id FROM ticks_by_rowid
   ORDER BY symbol, ts_ms, price_paise, qty, volume, seq;
DROP TABLE ticks_by_rowid;
CREATE TABLE tick_arrivals (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  next_arrival INTEGER NOT NULL
) STRICT;
INSERT INTO tick_arrivals (id, next_arrival) SELECT 1, coalesce(max(arrival), 0) + 1 FROM ticks;

CREATE VIEW last_prices AS
WITH candidates AS (
  SELECT s.symbol AS symbol, s.last_ts_ms AS ts_ms,
         (SELECT t.price_paise FROM ticks t
           WHERE t.symbol = s.symbol AND t.ts_ms = s.last_ts_ms
           ORDER BY t.arrival DESC LIMIT 1) AS price_paise
    FROM market_series s WHERE s.kind = 'tick'
  UNION ALL
  SELECT s.symbol,
         CASE WHEN s.timeframe_minutes = 1440
              THEN (s.last_ts_ms + 19800000) / 86400000 * 86400000 + 36000000
              ELSE s.last_ts_ms + s.timeframe_minutes * 60000 END,
         (SELECT b.close_paise FROM bars b
           WHERE b.symbol = s.symbol AND b.timeframe_minutes = s.timeframe_minutes
             AND b.ts_ms = s.last_ts_ms)
    FROM market_series s WHERE s.kind = 'bar'
)
SELECT symbol, price_paise, printf('%d.%02d', price_paise / 100, price_paise % 100) AS price,
       MAX(ts_ms) AS ts_ms,
       strftime('%Y-%m-%d %H:%M:%S', MAX(ts_ms) / 1000, 'unixepoch', '+330 minutes') AS ts_ist
  FROM candidates GROUP BY symbol;

CREATE VIEW open_positions AS
SELECT p.strategy, p.symbol, p.qty,
       printf('%.2f', p.cost_paise / 100.0 / p.qty) AS average_price,
       CASE WHEN lp.price_paise IS NOT NULL THEN
         printf('%d.%02d', lp.price_paise / 100, lp.price_paise % 100) END AS last_price,
       lp.ts_ist AS last_price_ist,
       CASE WHEN lp.price_paise IS NOT NULL THEN
         printf('%s%d.%02d', CASE WHEN p.qty * lp.price_paise - p.cost_paise < 0 THEN '-' ELSE '' END,
                abs(p.qty * lp.price_paise - p.cost_paise) / 100,
                abs(p.qty * lp.price_paise - p.cost_paise) % 100) END AS unrealised,
       printf('%s%d.%02d', CASE WHEN p.realised_pnl_paise < 0 THEN '-' ELSE '' END,
              abs(p.realised_pnl_paise) / 100, abs(p.realised_pnl_paise) % 100) AS realised,
       p.updated_ist
  FROM positions p LEFT JOIN last_prices lp ON lp.symbol = p.symbol
 WHERE p.qty <> 0;
)sql";

// Issue 14, ticks into SQLite faster (part 4): the ticks' key starts with an integer symbol id
// instead of the symbol text. Every key compare of an insert then starts with an integer, and the
// rows are shorter (bench/README.md "Issue 14, part 4"). The rows move to tick_rows, the symbols
// to tick_symbols, and `ticks` becomes a view with the columns the table had, so queries on ticks
// (the views below, sm-db, people with the sqlite3 shell) read the same; INSTEAD OF triggers keep
// a plain-SQL insert or delete on ticks working. No FOREIGN KEY on symbol_id: with foreign keys
// on it would add a lookup per tick, and only insert_ticks and the trigger write tick_rows, both
// through tick_symbols. The views that read ticks are dropped and made again (RENAME and DROP
// check every view of the schema).
constexpr std::string_view kVersionTickSymbolIds = R"sql(
DROP VIEW open_positions;
DROP VIEW last_prices;
CREATE TABLE tick_symbols (
  id INTEGER PRIMARY KEY,
  symbol TEXT NOT NULL UNIQUE
) STRICT;
INSERT INTO tick_symbols (symbol) SELECT DISTINCT symbol FROM ticks ORDER BY symbol;
CREATE TABLE tick_rows (
  symbol_id INTEGER NOT NULL,
  ts_ms INTEGER NOT NULL,
  price_paise INTEGER NOT NULL CHECK (price_paise > 0),
  qty INTEGER NOT NULL CHECK (qty >= 0),
  volume INTEGER NOT NULL CHECK (volume >= 0),
  seq INTEGER NOT NULL DEFAULT 0 CHECK (seq >= 0),
  arrival INTEGER NOT NULL,
  PRIMARY KEY (symbol_id, ts_ms, price_paise, qty, volume, seq)
) STRICT, WITHOUT ROWID;
INSERT INTO tick_rows (symbol_id, ts_ms, price_paise, qty, volume, seq, arrival)
  SELECT s.id, t.ts_ms, t.price_paise, t.qty, t.volume, t.seq, t.arrival
    FROM ticks t JOIN tick_symbols s ON s.symbol = t.symbol
   ORDER BY s.id, t.ts_ms, t.price_paise, t.qty, t.volume, t.seq;
DROP TABLE ticks;

CREATE VIEW ticks AS
SELECT s.symbol AS symbol, t.ts_ms AS ts_ms, t.price_paise AS price_paise, t.qty AS qty,
       t.volume AS volume, t.seq AS seq, t.arrival AS arrival
  FROM tick_rows t JOIN tick_symbols s ON s.id = t.symbol_id;

-- A tick inserted with SQL: its symbol gets an id when it has none, and its arrival (when not
-- given) comes from the counter insert_ticks uses.
CREATE TRIGGER ticks_insert INSTEAD OF INSERT ON ticks
BEGIN
  INSERT INTO tick_symbols (symbol) SELECT NEW.symbol
   WHERE NOT EXISTS (SELECT 1 FROM tick_symbols WHERE symbol = NEW.symbol);
  INSERT INTO tick_rows (symbol_id, ts_ms, price_paise, qty, volume, seq, arrival)
  VALUES ((SELECT id FROM tick_symbols WHERE symbol = NEW.symbol), NEW.ts_ms, NEW.price_paise,
          NEW.qty, NEW.volume, coalesce(NEW.seq, 0),
          coalesce(NEW.arrival, (SELECT next_arrival FROM tick_arrivals WHERE id = 1)));
  UPDATE tick_arrivals SET next_arrival = max(next_arrival, NEW.arrival + 1)
   WHERE id = 1 AND NEW.arrival IS NOT NULL;
  UPDATE tick_arrivals SET next_arrival = next_arrival + 1 WHERE id = 1 AND NEW.arrival IS NULL;
END;
CREATE TRIGGER ticks_delete INSTEAD OF DELETE ON ticks
BEGIN
  DELETE FROM tick_rows
   WHERE symbol_id = (SELECT id FROM tick_symbols WHERE symbol = OLD.symbol)
     AND ts_ms = OLD.ts_ms AND price_paise = OLD.price_paise AND qty = OLD.qty
     AND volume = OLD.volume AND seq = OLD.seq;
END;

CREATE VIEW last_prices AS
WITH candidates AS (
  SELECT s.symbol AS symbol, s.last_ts_ms AS ts_ms,
         (SELECT t.price_paise FROM ticks t
           WHERE t.symbol = s.symbol AND t.ts_ms = s.last_ts_ms
           ORDER BY t.arrival DESC LIMIT 1) AS price_paise
    FROM market_series s WHERE s.kind = 'tick'
  UNION ALL
  SELECT s.symbol,
         CASE WHEN s.timeframe_minutes = 1440
              THEN (s.last_ts_ms + 19800000) / 86400000 * 86400000 + 36000000
              ELSE s.last_ts_ms + s.timeframe_minutes * 60000 END,
         (SELECT b.close_paise FROM bars b
           WHERE b.symbol = s.symbol AND b.timeframe_minutes = s.timeframe_minutes
             AND b.ts_ms = s.last_ts_ms)
    FROM market_series s WHERE s.kind = 'bar'
)
SELECT symbol, price_paise, printf('%d.%02d', price_paise / 100, price_paise % 100) AS price,
       MAX(ts_ms) AS ts_ms,
       strftime('%Y-%m-%d %H:%M:%S', MAX(ts_ms) / 1000, 'unixepoch', '+330 minutes') AS ts_ist
  FROM candidates GROUP BY symbol;

CREATE VIEW open_positions AS
SELECT p.strategy, p.symbol, p.qty,
       printf('%.2f', p.cost_paise / 100.0 / p.qty) AS average_price,
       CASE WHEN lp.price_paise IS NOT NULL THEN
         printf('%d.%02d', lp.price_paise / 100, lp.price_paise % 100) END AS last_price,
       lp.ts_ist AS last_price_ist,
       CASE WHEN lp.price_paise IS NOT NULL THEN
         printf('%s%d.%02d', CASE WHEN p.qty * lp.price_paise - p.cost_paise < 0 THEN '-' ELSE '' END,
                abs(p.qty * lp.price_paise - p.cost_paise) / 100,
                abs(p.qty * lp.price_paise - p.cost_paise) % 100) END AS unrealised,
       printf('%s%d.%02d', CASE WHEN p.realised_pnl_paise < 0 THEN '-' ELSE '' END,
              abs(p.realised_pnl_paise) / 100, abs(p.realised_pnl_paise) % 100) AS realised,
       p.updated_ist
  FROM positions p LEFT JOIN last_prices lp ON lp.symbol = p.symbol
 WHERE p.qty <> 0;
)sql";

constexpr std::array kMigrations = {
    Migration{"foundation schema", kVersion1},
    Migration{"daily bars known at 15:30 IST; last_prices in rupees", kVersion2},
    Migration{"todays_pnl view dropped: today's P&L is store::todays_pnl", kVersion3},
    Migration{"approved decisions keep their order intent for sm-order's catch-up", kVersion4},
    Migration{"divergence_reports: a live day against the same strategies replayed",
              kVersionDivergence},
    Migration{"historical download spans, for resuming", kVersionHistoricalChunks},
    Migration{"sm-alert's outbox: per alert and channel attempts, next try and delivery",
              kVersionAlertOutbox},
    Migration{"errors: every program's errors as data for the error-rate kill switch",
              kVersionErrors},
    Migration{"corporate-action adjustments of positions, applied once", kVersionCorporateActions},
    Migration{"ticks WITHOUT ROWID on the natural key; arrival order in its own column",
              kVersionTicksWithoutRowid},
    Migration{"ticks keyed on an integer symbol id (tick_rows, tick_symbols); ticks a view",
              kVersionTickSymbolIds},
};

}  // namespace

std::span<const Migration> schema_migrations() { return kMigrations; }

}  // namespace sm::store

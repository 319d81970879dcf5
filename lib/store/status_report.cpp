#include "store/status_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <system_error>

#include "core/json_writer.h"
#include "store/database.h"
#include "time/bar_time.h"

namespace sm::store {

namespace {

Paise average_price(const Position& p) {
  return p.qty == 0 ? 0 : static_cast<Paise>(divide_half_away_from_zero(p.cost, p.qty));
}

std::string series_name(const SeriesInfo& info) {
  return info.is_tick ? std::string("tick") : format_timeframe(info.timeframe);
}

// When a series' newest value became known: a tick at its ts, a bar at its end (15:30 IST of its
// day for a daily bar, docs/PROTOCOL.md), a bar still forming no later than now.
TimestampMs known_at(const SeriesInfo& series, TimestampMs last_ts, bool partial, TimestampMs now) {
  if (series.is_tick) return last_ts;
  return time::bar_known_at(last_ts, series.timeframe, partial, now);
}

Status load_series(Database& db, StatusReport& report) {
  Result<std::vector<SeriesInfo>> series = list_series(db);
  if (!series.ok()) return series.status();
  for (SeriesInfo& info : *series) {
    SeriesStatus status;
    if (info.is_tick) {
      Result<std::optional<Tick>> tick = last_tick(db, info.symbol);
      if (!tick.ok()) return tick.status();
      if (!tick->has_value()) continue;
      status.last_ts = (*tick)->ts;
      status.last_price = (*tick)->price;
    } else {
      Result<std::optional<Bar>> bar = last_bar(db, info.symbol, info.timeframe);
      if (!bar.ok()) return bar.status();
      if (!bar->has_value()) continue;
      status.last_ts = (*bar)->ts;
      status.last_price = (*bar)->close;
      status.partial = (*bar)->partial;
    }
    status.known_ts = known_at(info, status.last_ts, status.partial, report.now);
    status.series = std::move(info);
    report.series.push_back(std::move(status));
  }
  return Status();
}

Status load_positions(Database& db, StatusReport& report) {
  // The latest known price per symbol, from whichever of its series is newest.
  std::map<std::string, const SeriesStatus*> latest;
  for (const SeriesStatus& s : report.series) {
    const SeriesStatus*& best = latest[s.series.symbol];
    if (best == nullptr || s.known_ts > best->known_ts) best = &s;
  }
  Result<std::vector<Position>> positions = list_positions(db, true);
  if (!positions.ok()) return positions.status();
  for (Position& position : *positions) {
    PositionStatus status;
    auto it = latest.find(position.symbol);
    if (it != latest.end()) {
      status.last_price = it->second->last_price;
      status.last_price_ts = it->second->known_ts;
      status.unrealised = position.qty * it->second->last_price - position.cost;
    }
    status.position = std::move(position);
    report.positions.push_back(std::move(status));
  }
  return Status();
}

Status load_pnl(Database& db, StatusReport& report) {
  Result<TodaysPnl> pnl = todays_pnl(db, report.now);
  if (!pnl.ok()) return pnl.status();
  report.pnl = std::move(*pnl);
  Result<Statement> to_date = db.prepare(
      "SELECT coalesce(sum(realised_pnl_paise), 0), coalesce(sum(charges_paise), 0) FROM "
      "positions");
  if (!to_date.ok()) return to_date.status();
  Result<bool> row = to_date->step();
  if (!row.ok()) return row.status();
  report.pnl_to_date.realised = to_date->column_int64(0);
  report.pnl_to_date.charges = to_date->column_int64(1);
  return Status();
}

int halt_rank(std::string_view level) {
  return level == "pause" ? 3 : level == "halt" ? 2 : level == "block_entries" ? 1 : 0;
}

Status load_instruments(Database& db, StatusReport& report) {
  Result<Statement> stats = db.prepare("SELECT count(*), max(updated_ms) FROM instruments");
  if (!stats.ok()) return stats.status();
  Result<bool> row = stats->step();
  if (!row.ok()) return row.status();
  report.instruments = stats->column_int64(0);
  if (report.instruments > 0) report.instruments_updated_ms = stats->column_int64(1);
  return Status();
}

Status load_risk(Database& db, StatusReport& report) {
  RiskSummary& risk = report.risk;
  std::vector<const HaltRecord*> halts;
  for (const HaltRecord& h : report.halts) halts.push_back(&h);
  std::stable_sort(halts.begin(), halts.end(), [](const HaltRecord* a, const HaltRecord* b) {
    return halt_rank(a->level) > halt_rank(b->level);
  });
  if (!halts.empty()) {
    const int worst = halt_rank(halts.front()->level);
    risk.state = worst == 3 ? "paused" : worst == 2 ? "halted" : "entries_blocked";
  }
  for (const HaltRecord* h : halts) {
    risk.reasons.push_back(fmt::format("{} ({}) by {}: {}", h->level, h->trigger,
                                       h->set_by.empty() ? "?" : h->set_by, h->reason));
  }
  const TimestampMs day_start = from_ist(report.pnl.ist_date, 0, 0);
  const TimestampMs day_end = from_ist(add_days(report.pnl.ist_date, 1), 0, 0);
  Result<Statement> counts = db.prepare(
      "SELECT approved, count(*) FROM risk_decisions WHERE ts_ms >= ?1 AND ts_ms < ?2 "
      "GROUP BY approved");
  if (!counts.ok()) return counts.status();
  counts->bind_all(day_start, day_end);
  while (true) {
    Result<bool> row = counts->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    (counts->column_int64(0) != 0 ? risk.approved_today : risk.denied_today) =
        counts->column_int64(1);
  }
  Result<Statement> last = db.prepare(
      "SELECT ts_ms, strategy, symbol, action, signal_ts_ms, code, detail FROM risk_decisions "
      "WHERE approved = 0 AND ts_ms >= ?1 AND ts_ms < ?2 ORDER BY ts_ms DESC, id DESC LIMIT 1");
  if (!last.ok()) return last.status();
  last->bind_all(day_start, day_end);
  Result<bool> row = last->step();
  if (!row.ok()) return row.status();
  if (*row) {
    RiskDecision d;
    d.ts = last->column_int64(0);
    d.strategy = last->column_text(1);
    d.symbol = last->column_text(2);
    Result<SignalAction> action = parse_signal_action(last->column_text_view(3));
    if (action.ok()) d.action = *action;
    d.signal_ts = last->column_int64(4);
    d.code = last->column_text(5);
    d.detail = last->column_text(6);
    risk.last_denial = std::move(d);
  }
  return Status();
}

}  // namespace

Result<StatusReport> build_status_report(const std::string& database_path, TimestampMs now_ms) {
  StatusReport report;
  report.now = now_ms;
  report.database_path = database_path;
  report.known_schema_version = latest_schema_version();
  report.pnl.ist_date = ist_date(now_ms);
  Result<Database> opened = Database::open_readonly(database_path);
  if (!opened.ok()) return opened.status();
  Database& db = *opened;
  Result<int> version = db.schema_version();
  if (!version.ok()) return version.status();
  report.schema_version = *version;
  if (!report.has_data()) return report;
  // One read transaction, so every section describes the same moment even while writers commit.
  SM_RETURN_IF_ERROR(db.execute("BEGIN"));
  Status loaded = load_series(db, report);
  if (loaded.ok()) loaded = load_positions(db, report);
  if (loaded.ok()) {
    Result<std::vector<OrderRecord>> orders = list_open_orders(db);
    if (orders.ok()) {
      report.open_orders = std::move(*orders);
    } else {
      loaded = orders.status();
    }
  }
  if (loaded.ok()) loaded = load_pnl(db, report);
  if (loaded.ok()) {
    Result<std::vector<HaltRecord>> halts = active_halts(db, now_ms);
    if (halts.ok()) {
      report.halts = std::move(*halts);
    } else {
      loaded = halts.status();
    }
  }
  if (loaded.ok()) loaded = load_risk(db, report);
  if (loaded.ok()) loaded = load_instruments(db, report);
  if (loaded.ok()) {
    Result<std::optional<DivergenceRecord>> divergence = latest_divergence(db);
    if (divergence.ok()) {
      report.divergence = std::move(*divergence);
    } else {
      loaded = divergence.status();
    }
  }
  if (loaded.ok()) {
    Result<std::vector<Heartbeat>> beats = last_heartbeats(db);
    if (beats.ok()) {
      report.heartbeats = std::move(*beats);
    } else {
      loaded = beats.status();
    }
  }
  (void)db.execute("COMMIT");
  if (!loaded.ok()) return loaded.with_context(database_path);
  return report;
}

namespace {

std::string format_age(TimestampMs age_ms) {
  if (age_ms < 0) return "future";
  const std::int64_t seconds = age_ms / kMsPerSecond;
  if (seconds < 60) return fmt::format("{}s", seconds);
  const std::int64_t minutes = seconds / 60;
  if (minutes < 60) return fmt::format("{}m {:02}s", minutes, seconds % 60);
  const std::int64_t hours = minutes / 60;
  if (hours < 24) return fmt::format("{}h {:02}m", hours, minutes % 60);
  return fmt::format("{}d {:02}h", hours / 24, hours % 24);
}

std::string ist(TimestampMs ts) { return format_ist(ts, false); }

class Table {
 public:
  // A header starting with '>' is right-aligned (the '>' is not printed).
  explicit Table(std::vector<std::string> headers) {
    for (std::string& header : headers) {
      const bool right = !header.empty() && header.front() == '>';
      if (right) header.erase(0, 1);
      right_.push_back(right);
      widths_.push_back(header.size());
    }
    rows_.push_back(std::move(headers));
  }
  void add(std::vector<std::string> cells) {
    cells.resize(widths_.size());
    for (size_t i = 0; i < cells.size(); ++i) widths_[i] = std::max(widths_[i], cells[i].size());
    rows_.push_back(std::move(cells));
  }
  void render(std::string& out) const {
    for (const std::vector<std::string>& row : rows_) {
      std::string line = "  ";
      for (size_t i = 0; i < row.size(); ++i) {
        if (i > 0) line += "  ";
        const size_t pad = widths_[i] - row[i].size();
        if (right_[i]) line.append(pad, ' ');
        line += row[i];
        if (!right_[i]) line.append(pad, ' ');
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line;
      out += '\n';
    }
  }

 private:
  std::vector<std::vector<std::string>> rows_;
  std::vector<size_t> widths_;
  std::vector<bool> right_;
};

std::string optional_rupees(const std::optional<Paise>& value) {
  return value ? format_rupees_grouped(*value) : std::string("-");
}

}  // namespace

namespace {

void append_market_data(const StatusReport& r, std::string& out) {
  out += "\nMarket data\n";
  if (r.series.empty()) {
    out += "  no data\n";
  } else {
    Table table({"SYMBOL", "SERIES", "LAST (IST)", ">PRICE", ">ROWS", ">AGE"});
    for (const SeriesStatus& s : r.series) {
      table.add({s.series.symbol, series_name(s.series) + (s.partial ? " (partial)" : ""),
                 ist(s.known_ts), format_rupees_grouped(s.last_price),
                 std::to_string(s.series.rows), format_age(r.now - s.known_ts)});
    }
    table.render(out);
  }
}

void append_positions(const StatusReport& r, std::string& out) {
  out += "\nPositions\n";
  if (r.positions.empty()) {
    out += "  none\n";
  } else {
    Table table({"STRATEGY", "SYMBOL", ">QTY", ">AVG PRICE", ">LAST PRICE", ">UNREALISED",
                 ">REALISED", "SINCE (IST)"});
    for (const PositionStatus& p : r.positions) {
      table.add({p.position.strategy.empty() ? "(none)" : p.position.strategy, p.position.symbol,
                 std::to_string(p.position.qty), format_rupees_grouped(average_price(p.position)),
                 optional_rupees(p.last_price), optional_rupees(p.unrealised),
                 format_rupees_grouped(p.position.realised_pnl), ist(p.position.opened_ms)});
    }
    table.render(out);
  }
}

void append_open_orders(const StatusReport& r, std::string& out) {
  out += "\nOpen orders\n";
  if (r.open_orders.empty()) {
    out += "  none\n";
  } else {
    Table table({"CLIENT ORDER ID", "BROKER ORDER ID", "STRATEGY", "SYMBOL", "SIDE", ">QTY",
                 ">FILLED", "TYPE", ">PRICE", "STATUS", "CREATED (IST)", ">AGE"});
    for (const OrderRecord& o : r.open_orders) {
      table.add({o.intent.client_order_id, o.broker_order_id.empty() ? "-" : o.broker_order_id,
                 o.intent.strategy, o.intent.symbol, std::string(side_name(o.intent.side)),
                 std::to_string(o.intent.qty), std::to_string(o.filled_qty),
                 std::string(order_type_name(o.intent.order_type)),
                 o.intent.price == 0 ? "-" : format_rupees_grouped(o.intent.price), o.status,
                 ist(o.created_ms), format_age(r.now - o.created_ms)});
    }
    table.render(out);
  }
}

void append_pnl(const StatusReport& r, std::string& out) {
  out += fmt::format("\nToday's P&L ({} IST)\n", format_date(r.pnl.ist_date));
  if (r.pnl.rows.empty()) {
    out += "  no fills today and no open positions\n";
  } else {
    // The unrealised column is its change since the previous close, so the row adds up to net.
    Table table(
        {"STRATEGY", "SYMBOL", ">FILLS", ">REALISED", ">CHARGES", ">UNREALISED CHANGE", ">NET"});
    for (const TodaysPnlRow& row : r.pnl.rows) {
      table.add({row.strategy.empty() ? "(none)" : row.strategy, row.symbol,
                 std::to_string(row.fills), format_rupees_grouped(row.realised),
                 format_rupees_grouped(row.charges), format_rupees_grouped(row.unrealised_change()),
                 format_rupees_grouped(row.net())});
    }
    table.add({"total", "", "", format_rupees_grouped(r.pnl.realised),
               format_rupees_grouped(r.pnl.charges), format_rupees_grouped(r.pnl.unrealised_change),
               format_rupees_grouped(r.pnl.net)});
    table.render(out);
    if (r.pnl.unpriced_positions > 0) {
      out += fmt::format("  ({} open position(s) have no market price; counted as 0 unrealised)\n",
                         r.pnl.unpriced_positions);
    }
  }
  out += fmt::format(
      "\nP&L to date (every position, open and closed)\n  realised {}, charges {}, realised net "
      "of charges {}\n",
      format_rupees_grouped(r.pnl_to_date.realised), format_rupees_grouped(r.pnl_to_date.charges),
      format_rupees_grouped(r.pnl_to_date.realised - r.pnl_to_date.charges));
}

void append_halts(const StatusReport& r, std::string& out) {
  out += "\nHalts\n";
  if (r.halts.empty()) {
    out += "  none active\n";
  } else {
    Table table({"LEVEL", "TRIGGER", "SINCE (IST)", "UNTIL (IST)", "BY", "REASON"});
    for (const HaltRecord& h : r.halts) {
      table.add({h.level, h.trigger, ist(h.created_ms),
                 h.until_ms ? ist(*h.until_ms) : std::string("cleared by a person"), h.set_by,
                 h.reason});
    }
    table.render(out);
  }
}

void append_risk(const StatusReport& r, std::string& out) {
  out += "\nRisk gateway\n";
  out += fmt::format("  state: {}\n", r.risk.state);
  for (const std::string& reason : r.risk.reasons) out += fmt::format("  why: {}\n", reason);
  out += fmt::format("  decisions today: {} approved, {} denied\n", r.risk.approved_today,
                     r.risk.denied_today);
  if (r.risk.last_denial) {
    const RiskDecision& d = *r.risk.last_denial;
    out += fmt::format("  last denial: {} {} {} {}: {}\n", ist(d.ts), d.strategy, d.symbol, d.code,
                       d.detail);
  }
}

void append_heartbeats(const StatusReport& r, std::string& out) {
  out += "\nHeartbeats\n";
  if (r.heartbeats.empty()) {
    out += "  none\n";
  } else {
    Table table({"COMPONENT", "STATUS", "LAST (IST)", ">AGE", ">PID", "DETAIL"});
    for (const Heartbeat& hb : r.heartbeats) {
      table.add({hb.component, hb.status, ist(hb.ts), format_age(r.now - hb.ts),
                 std::to_string(hb.pid), hb.detail});
    }
    table.render(out);
  }
}

void append_divergence(const StatusReport& r, std::string& out) {
  out += "\nDivergence from the backtest\n";
  if (!r.divergence) {
    out += "  none computed (sm-backtest divergence)\n";
    return;
  }
  const DivergenceRecord& d = *r.divergence;
  Table table({"DAY", ">MISSED", ">EXTRA", ">ORDERS", ">NOT FILLED", ">LATE", ">SLIPPAGE BPS",
               ">WORST BPS", ">P&L DIFF", "BEYOND LIMITS"});
  table.add({d.date, std::to_string(d.signals_missed), std::to_string(d.signals_extra),
             std::to_string(d.orders_checked), std::to_string(d.fills_missed),
             std::to_string(d.fills_late), fmt::format("{:.1f}", d.slippage_bps_mean),
             fmt::format("{:.1f}", d.slippage_bps_worst), format_rupees_grouped(d.pnl_difference),
             d.breaches.empty() ? std::string("none") : d.breaches});
  table.render(out);
}

void append_dependencies(const StatusReport& r, std::string& out) {
  out += "\nDated dependencies\n";
  if (r.dependencies.empty()) {
    out += "  none checked\n";
    return;
  }
  Table table({"DEPENDENCY", "STATE", "VALID UNTIL (IST)", ">LEFT", "AS OF (IST)", "DETAIL"});
  for (const DatedDependency& d : r.dependencies) {
    table.add({d.name, d.state, d.valid_until ? ist(*d.valid_until) : std::string("-"),
               d.valid_until ? (*d.valid_until > r.now ? format_age(*d.valid_until - r.now)
                                                       : std::string("0"))
                             : std::string("-"),
               d.as_of ? ist(*d.as_of) : std::string("-"), d.detail});
  }
  table.render(out);
}

std::string format_database_text(const StatusReport& r) {
  std::string out;
  out += fmt::format("StalkMarket status at {}\n", format_ist(r.now));
  if (r.schema_version < 1) {
    out += fmt::format("Database: {} (new or empty: no StalkMarket schema yet)\n\nNo data.\n",
                       r.database_path);
    return out;
  }
  out += fmt::format("Database: {} (schema version {}", r.database_path, r.schema_version);
  if (r.schema_version > r.known_schema_version) {
    out += fmt::format(", newer than this program's {}", r.known_schema_version);
  }
  out += ")\n";
  append_market_data(r, out);
  append_positions(r, out);
  append_open_orders(r, out);
  append_pnl(r, out);
  append_halts(r, out);
  append_risk(r, out);
  append_heartbeats(r, out);
  append_divergence(r, out);
  return out;
}

}  // namespace

std::string format_status_text(const StatusReport& r) {
  std::string out = format_database_text(r);
  append_dependencies(r, out);
  return out;
}

namespace {

template <typename T, typename Write>
std::string json_array(const std::vector<T>& items, Write write) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    JsonObjectWriter object(out);
    write(object, items[i]);
    object.finish();
  }
  out += ']';
  return out;
}

void optional_rupees(JsonObjectWriter& w, std::string_view key, const std::optional<Paise>& v) {
  if (v) {
    w.rupees(key, *v);
  } else {
    w.raw(key, "null");
  }
}

void optional_timestamp(JsonObjectWriter& w, std::string_view key,
                        const std::optional<TimestampMs>& v) {
  if (v) {
    w.timestamp(key, *v);
  } else {
    w.raw(key, "null");
  }
}

}  // namespace

namespace {

std::string database_json(const StatusReport& r) {
  std::string database;
  JsonObjectWriter db(database);
  db.string("path", r.database_path)
      .integer("schema_version", r.schema_version)
      .integer("known_schema_version", r.known_schema_version)
      .boolean("has_data", r.has_data());
  db.finish();

  return database;
}

std::string market_data_json(const StatusReport& r) {
  return json_array(r.series, [&](JsonObjectWriter& w, const SeriesStatus& s) {
    w.string("symbol", s.series.symbol)
        .string("series", series_name(s.series))
        .timestamp("first_ts", s.series.first_ts)
        .timestamp("last_ts", s.last_ts)
        .timestamp("known_ts", s.known_ts)
        .rupees("last_price", s.last_price)
        .boolean("partial", s.partial)
        .integer("rows", s.series.rows)
        .integer("age_ms", r.now - s.known_ts);
  });
}

std::string positions_json(const StatusReport& r) {
  return json_array(r.positions, [&](JsonObjectWriter& w, const PositionStatus& p) {
    w.string("strategy", p.position.strategy)
        .string("symbol", p.position.symbol)
        .integer("qty", p.position.qty)
        .rupees("average_price", average_price(p.position))
        .rupees("cost", p.position.cost);
    optional_rupees(w, "last_price", p.last_price);
    optional_timestamp(w, "last_price_ts", p.last_price_ts);
    optional_rupees(w, "unrealised", p.unrealised);
    w.rupees("realised", p.position.realised_pnl)
        .rupees("charges", p.position.charges)
        .timestamp("opened_ts", p.position.opened_ms)
        .timestamp("updated_ts", p.position.updated_ms);
  });
}

std::string open_orders_json(const StatusReport& r) {
  return json_array(r.open_orders, [&](JsonObjectWriter& w, const OrderRecord& o) {
    w.string("client_order_id", o.intent.client_order_id)
        .string("broker_order_id", o.broker_order_id)
        .string("strategy", o.intent.strategy)
        .string("symbol", o.intent.symbol)
        .string("side", side_name(o.intent.side))
        .integer("qty", o.intent.qty)
        .integer("filled_qty", o.filled_qty)
        .string("order_type", order_type_name(o.intent.order_type))
        .string("product", product_name(o.intent.product))
        .rupees("price", o.intent.price)
        .rupees("trigger_price", o.intent.trigger_price)
        .string("status", o.status)
        .string("status_message", o.status_message)
        .timestamp("created_ts", o.created_ms)
        .timestamp("updated_ts", o.updated_ms)
        .integer("age_ms", r.now - o.created_ms);
  });
}

std::string pnl_json(const StatusReport& r) {
  const std::string pnl_rows =
      json_array(r.pnl.rows, [&](JsonObjectWriter& w, const TodaysPnlRow& row) {
        w.string("strategy", row.strategy)
            .string("symbol", row.symbol)
            .integer("fills", row.fills)
            .rupees("realised", row.realised)
            .rupees("charges", row.charges)
            .integer("start_qty", row.start_qty);
        optional_rupees(w, "previous_close", row.start_price);
        w.rupees("unrealised_at_previous_close", row.start_unrealised).integer("qty", row.qty);
        optional_rupees(w, "last_price", row.price);
        w.rupees("unrealised", row.unrealised)
            .rupees("unrealised_change", row.unrealised_change())
            .rupees("net", row.net());
      });
  std::string pnl;
  JsonObjectWriter p(pnl);
  p.string("ist_date", format_date(r.pnl.ist_date))
      .rupees("realised", r.pnl.realised)
      .rupees("charges", r.pnl.charges)
      .rupees("unrealised_at_previous_close", r.pnl.start_unrealised)
      .rupees("unrealised", r.pnl.unrealised)
      .rupees("unrealised_change", r.pnl.unrealised_change)
      .rupees("net", r.pnl.net)
      .rupees("realised_to_date", r.pnl_to_date.realised)
      .rupees("charges_to_date", r.pnl_to_date.charges)
      .integer("unpriced_positions", r.pnl.unpriced_positions)
      .raw("rows", pnl_rows);
  p.finish();
  return pnl;
}

std::string halts_json(const StatusReport& r) {
  return json_array(r.halts, [&](JsonObjectWriter& w, const HaltRecord& h) {
    w.integer("id", h.id)
        .string("level", h.level)
        .string("trigger", h.trigger)
        .string("reason", h.reason)
        .string("set_by", h.set_by)
        .timestamp("created_ts", h.created_ms);
    optional_timestamp(w, "until_ts", h.until_ms);
  });
}

std::string heartbeats_json(const StatusReport& r) {
  return json_array(r.heartbeats, [&](JsonObjectWriter& w, const Heartbeat& hb) {
    w.string("component", hb.component)
        .string("status", hb.status)
        .timestamp("ts", hb.ts)
        .integer("age_ms", r.now - hb.ts)
        .integer("pid", hb.pid)
        .string("detail", hb.detail);
  });
}

std::string divergence_json(const StatusReport& r) {
  if (!r.divergence) return "null";
  const DivergenceRecord& d = *r.divergence;
  std::string out;
  JsonObjectWriter w(out);
  w.string("date", d.date)
      .timestamp("computed_ts", d.computed_ms)
      .boolean("diverged", !d.breaches.empty())
      .integer("signals_live", d.signals_live)
      .integer("signals_expected", d.signals_expected)
      .integer("signals_missed", d.signals_missed)
      .integer("signals_extra", d.signals_extra)
      .integer("orders_checked", d.orders_checked)
      .integer("fills_missed", d.fills_missed)
      .integer("fills_late", d.fills_late)
      .number("slippage_bps_mean", d.slippage_bps_mean)
      .number("slippage_bps_worst", d.slippage_bps_worst)
      .rupees("pnl_difference", d.pnl_difference)
      .string("breaches", d.breaches)
      .raw("detail", d.detail_json.empty() ? std::string("{}") : d.detail_json);
  w.finish();
  return out;
}

std::string dependencies_json(const StatusReport& r) {
  return json_array(r.dependencies, [&](JsonObjectWriter& w, const DatedDependency& d) {
    w.string("name", d.name).string("state", d.state);
    optional_timestamp(w, "valid_until", d.valid_until);
    if (d.valid_until) {
      w.integer("valid_for_ms", std::max<TimestampMs>(0, *d.valid_until - r.now));
    } else {
      w.raw("valid_for_ms", "null");
    }
    optional_timestamp(w, "as_of", d.as_of);
    w.boolean("counts_for_expiry", d.counts_for_expiry)
        .string("source", d.source)
        .string("detail", d.detail);
  });
}

std::string risk_json(const StatusReport& r) {
  std::string reasons = "[";
  for (size_t i = 0; i < r.risk.reasons.size(); ++i) {
    if (i > 0) reasons += ',';
    append_json_string(reasons, r.risk.reasons[i]);
  }
  reasons += ']';
  std::string last_denial = "null";
  if (r.risk.last_denial) {
    const RiskDecision& d = *r.risk.last_denial;
    last_denial.clear();
    JsonObjectWriter w(last_denial);
    w.timestamp("ts", d.ts)
        .string("strategy", d.strategy)
        .string("symbol", d.symbol)
        .string("action", signal_action_name(d.action))
        .timestamp("signal_ts", d.signal_ts)
        .string("code", d.code)
        .string("detail", d.detail);
    w.finish();
  }
  std::string risk;
  JsonObjectWriter rw(risk);
  rw.string("state", r.risk.state)
      .raw("reasons", reasons)
      .integer("approved_today", r.risk.approved_today)
      .integer("denied_today", r.risk.denied_today)
      .raw("last_denial", last_denial);
  rw.finish();

  return risk;
}

}  // namespace

std::string format_status_json(const StatusReport& r) {
  std::string out;
  JsonObjectWriter w(out);
  w.timestamp("ts", r.now)
      .raw("database", database_json(r))
      .raw("market_data", market_data_json(r))
      .raw("positions", positions_json(r))
      .raw("open_orders", open_orders_json(r))
      .raw("pnl", pnl_json(r))
      .raw("halts", halts_json(r))
      .raw("risk", risk_json(r))
      .raw("heartbeats", heartbeats_json(r))
      .raw("dependencies", dependencies_json(r))
      .raw("divergence", divergence_json(r));
  w.finish();
  return out;
}

}  // namespace sm::store

#include "records/ledger.h"

#include <fmt/format.h>

#include <map>
#include <set>
#include <utility>

#include "core/json_writer.h"
#include "core/money.h"

namespace sm::records {

namespace {

constexpr std::string_view kExternalStrategy = "external";  // order/reconcile.h
constexpr std::string_view kReversalPrefix = "reversal:";
constexpr std::string_view kAdjustPrefix = "adjust:";

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// "2024-09-02 10:15:00" split at the space.
std::pair<std::string, std::string> ist_date_and_time(TimestampMs ts) {
  const std::string text = format_ist(ts, false);
  const std::size_t space = text.find(' ');
  return {text.substr(0, space), text.substr(space + 1)};
}

void append_charges_csv(std::string& out, const costs::Charges& c) {
  out += fmt::format("{},{},{},{},{},{},{},{}", format_rupees(c.brokerage), format_rupees(c.stt),
                     format_rupees(c.exchange), format_rupees(c.sebi), format_rupees(c.stamp),
                     format_rupees(c.gst), format_rupees(c.dp), format_rupees(c.total()));
}

void write_charges_json(JsonObjectWriter& w, const costs::Charges& c) {
  w.rupees("brokerage", c.brokerage)
      .rupees("stt", c.stt)
      .rupees("exchange_charge", c.exchange)
      .rupees("sebi_fee", c.sebi)
      .rupees("stamp_duty", c.stamp)
      .rupees("gst", c.gst)
      .rupees("dp_charge", c.dp)
      .rupees("total_charges", c.total());
}

costs::Charges& operator+=(costs::Charges& a, const costs::Charges& b) {
  a.brokerage += b.brokerage;
  a.stt += b.stt;
  a.exchange += b.exchange;
  a.sebi += b.sebi;
  a.stamp += b.stamp;
  a.gst += b.gst;
  a.dp += b.dp;
  return a;
}

// Buys pay (negative), sells receive: value net of the fill's charges.
Paise net_amount(const LedgerFill& f) {
  const Paise value = f.fill.price * f.fill.qty;
  return f.fill.side == Side::kBuy ? -value - f.charges.total() : value - f.charges.total();
}

}  // namespace

std::string_view origin_name(FillOrigin origin) {
  switch (origin) {
    case FillOrigin::kOurs:
      return "ours";
    case FillOrigin::kExternal:
      return "external";
    case FillOrigin::kReversal:
      return "reversal";
    case FillOrigin::kAdjustment:
      return "adjustment";
  }
  return "ours";
}

FillOrigin origin_of(const Fill& fill) {
  if (starts_with(fill.trade_id, kReversalPrefix)) return FillOrigin::kReversal;
  if (starts_with(fill.trade_id, kAdjustPrefix)) return FillOrigin::kAdjustment;
  if (fill.strategy == kExternalStrategy) return FillOrigin::kExternal;
  return FillOrigin::kOurs;
}

Result<std::vector<LedgerFill>> read_fills(store::Database& db, TimestampMs from, TimestampMs to) {
  Result<store::Statement> stmt = db.prepare(
      "SELECT f.ts_ms, f.client_order_id, f.broker_order_id, f.trade_id, f.strategy, f.symbol, "
      "f.side, f.qty, f.price_paise, f.charges_paise, o.product, "
      "COALESCE(o.exchange, i.exchange, 'NSE'), COALESCE(i.isin, ''), "
      "EXISTS (SELECT 1 FROM fills r WHERE r.trade_id = 'reversal:' || f.trade_id) "
      "FROM fills f LEFT JOIN orders o ON o.client_order_id = f.client_order_id "
      "AND f.client_order_id != '' LEFT JOIN instruments i ON i.symbol = f.symbol "
      "WHERE f.ts_ms >= ?1 AND f.ts_ms < ?2 ORDER BY f.ts_ms, f.id");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, from).bind(2, to);
  std::vector<LedgerFill> out;
  while (true) {
    Result<bool> row = stmt->step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    LedgerFill f;
    f.fill.ts = stmt->column_int64(0);
    f.fill.client_order_id = stmt->column_text(1);
    f.fill.broker_order_id = stmt->column_text(2);
    f.fill.trade_id = stmt->column_text(3);
    f.fill.strategy = stmt->column_text(4);
    f.fill.symbol = stmt->column_text(5);
    if (Result<Side> side = parse_side(stmt->column_text_view(6)); side.ok()) f.fill.side = *side;
    f.fill.qty = stmt->column_int64(7);
    f.fill.price = stmt->column_int64(8);
    f.fill.charges = stmt->column_int64(9);
    if (!stmt->column_is_null(10)) {
      if (Result<Product> product = parse_product(stmt->column_text_view(10)); product.ok()) {
        f.product = *product;
        f.product_known = true;
      }
    }
    f.exchange = stmt->column_text(11);
    f.isin = stmt->column_text(12);
    f.reversed = stmt->column_int64(13) != 0;
    f.origin = origin_of(f.fill);
    out.push_back(std::move(f));
  }
}

Status itemise_charges(std::vector<LedgerFill>& fills, const costs::CostModel& model) {
  std::set<std::pair<std::string, Date>> dp_levied;  // (symbol, IST day)
  for (LedgerFill& f : fills) {
    f.charges = costs::Charges{};
    if (f.origin == FillOrigin::kReversal || f.origin == FillOrigin::kAdjustment) continue;
    const Date day = ist_date(f.fill.ts);
    bool first_sell = false;
    if (f.counts() && f.fill.side == Side::kSell && f.product == Product::kDelivery) {
      first_sell = dp_levied.insert({f.fill.symbol, day}).second;
    }
    Result<costs::Charges> charges =
        model.charges_for({day, f.product, f.fill.side, f.fill.price, f.fill.qty, first_sell});
    if (!charges.ok()) {
      return error(charges.status().code(),
                   fmt::format("fill {}: {}", f.fill.trade_id, charges.status().message()));
    }
    f.charges = *charges;
  }
  return Status();
}

std::vector<DayTotals> day_totals(const std::vector<LedgerFill>& fills) {
  std::map<Date, DayTotals> days;
  for (const LedgerFill& f : fills) {
    if (!f.counts()) continue;
    const Date day = ist_date(f.fill.ts);
    DayTotals& t = days[day];
    t.day = day;
    ++t.fills;
    (f.fill.side == Side::kBuy ? t.bought : t.sold) += f.fill.price * f.fill.qty;
    t.charges += f.charges;
  }
  std::vector<DayTotals> out;
  for (auto& [day, totals] : days) out.push_back(totals);
  return out;
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string fill_flags(const LedgerFill& f) {
  std::vector<std::string_view> flags;
  if (f.origin != FillOrigin::kOurs) flags.push_back(origin_name(f.origin));
  if (f.reversed) flags.push_back("reversed");
  if (!f.product_known) flags.push_back("product_assumed");
  if (f.stored_charges_differ()) flags.push_back("stored_charges_differ");
  return fmt::format("{}", fmt::join(flags, ";"));
}

std::string format_ledger_csv(const std::vector<LedgerFill>& fills) {
  std::string out =
      "date_ist,time_ist,exchange,symbol,isin,trade_id,broker_order_id,strategy,product,side,"
      "quantity,price,value,brokerage,stt,exchange_charge,sebi_fee,stamp_duty,gst,dp_charge,"
      "total_charges,net_amount,stored_charges,flags\n";
  for (const LedgerFill& f : fills) {
    const auto [date, time] = ist_date_and_time(f.fill.ts);
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},", date, time, csv_field(f.exchange),
                       csv_field(f.fill.symbol), csv_field(f.isin), csv_field(f.fill.trade_id),
                       csv_field(f.fill.broker_order_id), csv_field(f.fill.strategy),
                       product_name(f.product), side_name(f.fill.side), f.fill.qty,
                       format_rupees(f.fill.price), format_rupees(f.fill.price * f.fill.qty));
    append_charges_csv(out, f.charges);
    out += fmt::format(",{},{},{}\n", format_rupees(net_amount(f)), format_rupees(f.fill.charges),
                       fill_flags(f));
  }
  return out;
}

std::string format_day_totals_csv(const std::vector<DayTotals>& days) {
  std::string out =
      "date_ist,fills,bought,sold,brokerage,stt,exchange_charge,sebi_fee,stamp_duty,gst,"
      "dp_charge,total_charges,net_amount\n";
  for (const DayTotals& d : days) {
    out += fmt::format("{},{},{},{},", format_date(d.day), d.fills, format_rupees(d.bought),
                       format_rupees(d.sold));
    append_charges_csv(out, d.charges);
    out += fmt::format(",{}\n", format_rupees(d.net()));
  }
  return out;
}

std::string format_ledger_ndjson(const std::vector<LedgerFill>& fills,
                                 const std::vector<DayTotals>& days) {
  std::string out;
  for (const LedgerFill& f : fills) {
    const auto [date, time] = ist_date_and_time(f.fill.ts);
    JsonObjectWriter w(out);
    w.string("record", "fill")
        .timestamp("ts", f.fill.ts)
        .string("date_ist", date)
        .string("time_ist", time)
        .string("exchange", f.exchange)
        .string("symbol", f.fill.symbol)
        .string("isin", f.isin)
        .string("trade_id", f.fill.trade_id)
        .string("broker_order_id", f.fill.broker_order_id)
        .string("strategy", f.fill.strategy)
        .string("product", product_name(f.product))
        .string("side", side_name(f.fill.side))
        .integer("quantity", f.fill.qty)
        .rupees("price", f.fill.price)
        .rupees("value", f.fill.price * f.fill.qty);
    write_charges_json(w, f.charges);
    w.rupees("net_amount", net_amount(f))
        .rupees("stored_charges", f.fill.charges)
        .string("origin", origin_name(f.origin))
        .boolean("reversed", f.reversed)
        .boolean("product_known", f.product_known)
        .boolean("stored_charges_differ", f.stored_charges_differ());
    w.finish();
    out += '\n';
  }
  for (const DayTotals& d : days) {
    JsonObjectWriter w(out);
    w.string("record", "day_total")
        .string("date_ist", format_date(d.day))
        .integer("fills", d.fills)
        .rupees("bought", d.bought)
        .rupees("sold", d.sold);
    write_charges_json(w, d.charges);
    w.rupees("net_amount", d.net());
    w.finish();
    out += '\n';
  }
  return out;
}

}  // namespace sm::records

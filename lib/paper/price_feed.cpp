#include "paper/price_feed.h"

#include <fmt/format.h>

#include "broker/kite_json.h"
#include "core/ndjson.h"
#include "core/shutdown.h"

namespace sm::paper {
namespace {

Result<Paise> money_field(const nlohmann::json& j, const char* key, bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required)
      return error(ErrorCode::kParseError, fmt::format("paper_quote: field '{}' missing", key));
    return Paise{0};
  }
  if (it->is_number_integer()) return it->get<std::int64_t>() * kPaisePerRupee;
  if (it->is_string()) {
    Result<Paise> p = parse_rupees(it->get_ref<const std::string&>());
    if (p.ok()) return p;
    return p.status().with_context(fmt::format("paper_quote: field '{}'", key));
  }
  return error(ErrorCode::kParseError,
               fmt::format("paper_quote: field '{}' is not a rupee amount", key));
}

}  // namespace

Result<bool> PriceFeed::apply_line(std::string_view line) {
  if (line.find_first_not_of(" \t\r\n") == std::string_view::npos) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  Result<Message> message = decoder_.decode(line);
  if (!message.ok()) return message.status();
  if (const Tick* tick = std::get_if<Tick>(&*message)) {
    prices_.apply_tick("NSE", *tick);
    SM_RETURN_IF_ERROR(engine_.on_price("NSE", tick->symbol));
    return true;
  }
  if (const Bar* bar = std::get_if<Bar>(&*message)) {
    prices_.apply_bar("NSE", *bar);
    SM_RETURN_IF_ERROR(engine_.on_price("NSE", bar->symbol));
    return true;
  }
  const UnknownMessage* unknown = std::get_if<UnknownMessage>(&*message);
  if (unknown == nullptr || unknown->type != "paper_quote") return false;

  // Our own line type: read it with exact numbers.
  Result<nlohmann::json> j = broker::parse_json_exact(line);
  if (!j.ok()) return j.status();
  auto text = [&](const char* key) -> std::string {
    auto it = j->find(key);
    return it != j->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const std::string symbol = text("symbol");
  if (symbol.empty()) return error(ErrorCode::kParseError, "paper_quote: field 'symbol' missing");
  std::string exchange = text("exchange");
  if (exchange.empty()) exchange = "NSE";
  TimestampMs ts = clock_.now_ms();
  if (const std::string ts_text = text("ts"); !ts_text.empty()) {
    Result<TimestampMs> parsed = parse_timestamp(ts_text);
    if (!parsed.ok()) return parsed.status().with_context("paper_quote: field 'ts'");
    ts = *parsed;
  }
  Result<Paise> last = money_field(*j, "last_price", true);
  if (!last.ok()) return last.status();
  if (*last <= 0)
    return error(ErrorCode::kParseError, "paper_quote: field 'last_price' must be positive");
  Result<Paise> close = money_field(*j, "close", false);
  Result<Paise> lower = money_field(*j, "lower_circuit_limit", false);
  Result<Paise> upper = money_field(*j, "upper_circuit_limit", false);
  for (const Result<Paise>* r : {&close, &lower, &upper}) {
    if (!r->ok()) return r->status();
  }
  prices_.set_quote(exchange, symbol, ts, *last, *close, *lower, *upper);
  SM_RETURN_IF_ERROR(engine_.on_price(exchange, symbol));
  return true;
}

Result<std::int64_t> PriceFeed::run(int fd, std::string input_name, const Logger& log) {
  LineReader reader(fd);
  std::int64_t applied = 0;
  std::string_view line;
  while (!stop_requested()) {
    const LineReader::Outcome outcome = reader.next(line);
    if (outcome == LineReader::Outcome::kEnd) break;
    if (outcome == LineReader::Outcome::kError) {
      if (stop_requested()) break;
      return error(ErrorCode::kIoError, fmt::format("{}: {}", input_name, reader.error_text()));
    }
    if (outcome == LineReader::Outcome::kTooLong) {
      log.warn(
          "bad_price_line",
          {{"input", input_name}, {"line", reader.line_number()}, {"reason", "line too long"}});
      continue;
    }
    Result<bool> result = apply_line(line);
    if (!result.ok()) {
      if (result.status().code() == ErrorCode::kDatabaseError) return result.status();
      log.warn("bad_price_line", {{"input", input_name},
                                  {"line", reader.line_number()},
                                  {"reason", result.status().message()}});
      continue;
    }
    applied += *result ? 1 : 0;
  }
  return applied;
}

}  // namespace sm::paper

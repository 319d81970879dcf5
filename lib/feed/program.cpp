#include "feed/program.h"

#include <fmt/format.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <thread>

#include "broker/instruments.h"
#include "core/exit_codes.h"
#include "core/ndjson.h"
#include "core/read_file.h"
#include "core/shutdown.h"
#include "feed/historical.h"
#include "feed/instruments_refresh.h"
#include "feed/quote_poller.h"
#include "ingest/ingest.h"
#include "ingest/live_feed.h"
#include "service/notifier.h"
#include "store/database.h"
#include "store/ops_records.h"
#include "time/calendar.h"
#include "time/scaled_clock.h"

namespace sm::feed {
namespace {

int usage(const Logger& log, const Status& status) { return report_usage_error(log, status); }

// The broker with the access token: the token file, else SM_KITE_ACCESS_TOKEN. No token is
// kExitAuth: these commands cannot log in (that is `sm-order login`).
struct Connected {
  std::unique_ptr<broker::BrokerConnection> connection;
  int exit_code = kExitOk;
};
Connected connect(const broker::BrokerFlags& flags, const Config& config, const Logger& log) {
  Result<broker::BrokerSettings> settings = broker::load_broker_settings(config, flags);
  if (!settings.ok()) return {nullptr, report_failure(log, "broker_settings", settings.status())};
  Result<std::optional<broker::AccessToken>> token = broker::initial_token(*settings);
  if (!token.ok()) return {nullptr, report_failure(log, "token_file_error", token.status())};
  if (!token->has_value()) {
    log.error("no_access_token",
              {{"token_file", settings->token_file},
               {"message", "no access token: run `sm-order login` (or set SM_KITE_ACCESS_TOKEN)"}});
    return {nullptr, kExitAuth};
  }
  settings->kite.access_token = (*token)->access_token;
  settings->kite.token_issued_at = (*token)->issued_at;
  return {broker::connect_broker(*settings, &log), kExitOk};
}

std::string with_exchange(const std::string& symbol) {
  return symbol.find(':') == std::string::npos ? "NSE:" + symbol : symbol;
}

Result<store::Database> open_database(const std::string& path) {
  return store::Database::open(path);
}

// A broker failure: an expired token is kExitAuth (the unit must not spin), others kExitFailure.
int broker_failure(const Logger& log, std::string_view event, const Status& status) {
  return report_failure(log, event, status,
                        status.code() == ErrorCode::kAuthError ? kExitAuth : kExitFailure);
}

void sleep_ms(std::int64_t ms) {
  // Short slices so SIGTERM is noticed promptly.
  while (ms > 0 && !stop_requested()) {
    const std::int64_t slice = std::min<std::int64_t>(ms, 100);
    std::this_thread::sleep_for(std::chrono::milliseconds(slice));
    ms -= slice;
  }
}

Result<std::int64_t> config_seconds(const Config& config, const char* key, std::int64_t fallback) {
  Result<std::int64_t> value = config.get_int(key, fallback);
  if (!value.ok()) return value.status();
  if (*value <= 0) return error(ErrorCode::kConfigError, fmt::format("{} must be positive", key));
  return *value;
}

}  // namespace

namespace {

// The flags and configuration of a poll, checked. kInvalidArgument for a bad flag value,
// kConfigError for a bad configuration value.
struct PollPlan {
  PollOptions options;
  ingest::LiveFeedOptions feed;
};
Result<PollPlan> plan_poll(const PollArgs& args, const Config& config) {
  PollPlan plan;
  std::vector<std::string> symbols = args.symbols;
  if (symbols.empty()) {
    // The strategies' watch-list, so the unit needs no list of its own.
    Result<std::vector<std::string>> configured = config.get_string_list("signal.symbols", {});
    if (!configured.ok()) return configured.status();
    symbols = *configured;
  }
  if (symbols.empty()) {
    return error(ErrorCode::kInvalidArgument, "name at least one --symbol (or set signal.symbols)");
  }
  for (const std::string& s : symbols) plan.options.instruments.push_back(with_exchange(s));
  if (args.mode != "quote" && args.mode != "ltp") {
    return error(ErrorCode::kInvalidArgument, "--mode is quote or ltp");
  }
  plan.options.mode = args.mode == "quote" ? PollMode::kQuote : PollMode::kLtp;
  if (!(args.interval_s > 0) || !(args.clock_speed > 0)) {
    return error(ErrorCode::kInvalidArgument, "--interval and --clock-speed must be > 0");
  }
  plan.options.interval_ms = static_cast<std::int64_t>(std::llround(args.interval_s * 1000));
  plan.feed.source = "poll";
  for (const std::string& text : args.bars) {
    Result<Timeframe> t = parse_timeframe(text);
    if (!t.ok()) return error(ErrorCode::kInvalidArgument, "--bars: " + t.status().message());
    plan.feed.timeframes.push_back(*t);
  }
  Result<std::int64_t> stale = config_seconds(config, "feed.stale_after_s", 120);
  if (!stale.ok()) return stale.status();
  plan.feed.stale_after_ms = (args.stale_after_s > 0 ? args.stale_after_s : *stale) * 1000;
  return plan;
}

// Whether the exchange is in any session (pre-open to the end of the closing session) at ts. A
// day the calendar cannot answer for counts as open: polling then is harmless, missing data not.
bool market_open(const time::Calendar& calendar, TimestampMs ts) {
  Result<time::Session> session = calendar.session_at(ts);
  return !session.ok() || *session != time::Session::kClosed;
}

// Polls every interval and keeps the feed's bars and heartbeat going until SIGTERM, --rounds, an
// expired token (kExitAuth) or a store failure. While the market is closed (NSE calendar) it
// idles: no request, heartbeats go on. Returns the exit code; rounds counts the intervals, idle
// ones included, and idle_rounds the idle ones. Every pass pings the systemd watchdog, and no
// wait outlasts a quarter of its interval, so a hung request or store write stops the pings.
int poll_loop(QuotePoller& poller, ingest::LiveFeed& feed, const time::Calendar& calendar,
              const time::Clock& clock, const PollArgs& args, const Logger& log,
              service::Notifier& notifier, std::int64_t& rounds, std::int64_t& idle_rounds) {
  TimestampMs next_poll = clock.now_ms();
  while (!stop_requested()) {
    notifier.alive();
    if (clock.now_ms() >= next_poll) {
      next_poll = std::max(next_poll + poller.options().interval_ms, clock.now_ms());
      ++rounds;
      if (!market_open(calendar, clock.now_ms())) {
        ++idle_rounds;
      } else if (Result<PollRound> round = poller.poll_once();
                 !round.ok() && round.status().code() == ErrorCode::kAuthError) {
        return broker_failure(log, "token_expired", round.status());
      } else if (!round.ok()) {
        // Network trouble or a rate limit: the feed shows disconnected; try again next round.
        log.warn("poll_failed", {{"code", std::string(error_code_name(round.status().code()))},
                                 {"message", round.status().message()}});
      }
    }
    if (Status s = feed.poll(); !s.ok()) return report_failure(log, "store_failed", s);
    if (feed.heartbeat_due()) {
      if (Status s = feed.beat(); !s.ok()) log.warn("heartbeat_failed", {{"message", s.message()}});
    }
    if (args.rounds > 0 && rounds >= args.rounds) break;
    const std::int64_t wait = std::clamp<std::int64_t>(next_poll - clock.now_ms(), 0, 250);
    std::int64_t wait_ms = static_cast<std::int64_t>(static_cast<double>(wait) / args.clock_speed);
    if (notifier.watchdog_ms() > 0) wait_ms = std::min(wait_ms, notifier.watchdog_ms() / 4);
    sleep_ms(wait_ms + 1);
  }
  return kExitOk;
}

}  // namespace

int run_poll(const PollArgs& args, const Config& config, const Logger& log) {
  Result<PollPlan> plan = plan_poll(args, config);
  if (!plan.ok()) {
    return plan.status().code() == ErrorCode::kInvalidArgument
               ? usage(log, plan.status())
               : report_failure(log, "config_error", plan.status());
  }
  const time::SystemClock wall;
  std::optional<time::ScaledClock> scaled;
  if (!args.clock_start.empty()) {
    Result<TimestampMs> start = parse_timestamp(args.clock_start, kIstOffsetMinutes);
    if (!start.ok()) return usage(log, start.status().with_context("--clock-start"));
    scaled.emplace(wall, *start, args.clock_speed);
  }
  const time::Clock& clock = scaled ? static_cast<const time::Clock&>(*scaled) : wall;

  Connected broker = connect(args.broker, config, log);
  if (!broker.connection) return broker.exit_code;
  const broker::RateLimits& limits = broker.connection->kite->options().rate_limits;
  if (Status s = check_poll_rate(plan->options, limits); !s.ok()) return usage(log, s);
  Result<time::Calendar> calendar = time::Calendar::load_default();
  if (!calendar.ok()) return report_failure(log, "calendar_error", calendar.status());
  Result<store::Database> db = open_database(args.db_path);
  if (!db.ok()) return report_failure(log, "database_open_failed", db.status());

  NdjsonWriter writer(stdout);
  ingest::LiveFeed feed(&*db, args.emit ? &writer : nullptr, clock, *calendar, plan->feed,
                        [&log](const Status& s) {
                          log.warn("feed_warning", {{"message", s.message()}});
                        });
  QuotePoller poller(*broker.connection->kite, feed, clock, plan->options);
  log.info("poll_started", {{"instruments", plan->options.instruments.size()},
                            {"mode", args.mode},
                            {"interval_ms", plan->options.interval_ms},
                            {"requests_per_round", requests_per_round(plan->options)}});
  std::int64_t rounds = 0;
  std::int64_t idle_rounds = 0;
  service::Notifier notifier;
  notifier.ready();
  int exit_code =
      poll_loop(poller, feed, *calendar, clock, args, log, notifier, rounds, idle_rounds);
  notifier.stopping();
  Status finished = feed.finish();
  if (!finished.ok() && exit_code == kExitOk) {
    exit_code = report_failure(log, "store_failed", finished);
  }
  if (Status s = feed.beat(true); !s.ok()) log.warn("heartbeat_failed", {{"message", s.message()}});
  writer.flush();
  const ingest::LiveFeedCounts& c = feed.counts();
  log.info("poll_summary", {{"rounds", rounds},
                            {"idle_rounds", idle_rounds},
                            {"ticks", c.ticks},
                            {"ticks_outside_session", c.ticks_outside_session},
                            {"bars", c.bars}});
  return exit_code;
}

int run_historical(const HistoricalArgs& args, const Config& config, const Logger& log,
                   const SymbolProgress& progress) {
  Result<HistoricalInterval> interval = parse_historical_interval(args.interval);
  if (!interval.ok()) return usage(log, interval.status());
  Result<Date> first = parse_date(args.from);
  if (!first.ok()) return usage(log, first.status().with_context("--from"));
  Result<Date> last = parse_date(args.to);
  if (!last.ok()) return usage(log, last.status().with_context("--to"));
  if (days_from_civil(*last) < days_from_civil(*first)) {
    return usage(log, error(ErrorCode::kInvalidArgument, "--to is before --from"));
  }
  if (args.symbols.empty()) {
    return usage(log, error(ErrorCode::kInvalidArgument, "name at least one --symbol"));
  }
  Result<store::Database> db = open_database(args.db_path);
  if (!db.ok()) return report_failure(log, "database_open_failed", db.status());
  // Tokens come from the instruments table: refuse before any request when one is missing.
  std::vector<HistoricalRequest> requests;
  for (const std::string& symbol : args.symbols) {
    Result<std::optional<store::Instrument>> found = store::find_instrument(*db, symbol);
    if (!found.ok()) return report_failure(log, "database_error", found.status());
    if (!found->has_value() || !(*found)->instrument_token) {
      log.error("unknown_instrument",
                {{"symbol", symbol},
                 {"message", "no instrument token stored: run `sm-ingest instruments` first"}});
      return kExitDataError;
    }
    requests.push_back({symbol, *(*found)->instrument_token, *interval, *first, *last});
  }
  Connected broker = connect(args.broker, config, log);
  if (!broker.connection) return broker.exit_code;
  broker::KiteBroker& kite = *broker.connection->kite;
  FetchCandles fetch = [&kite](std::int64_t token, std::string_view name, TimestampMs from,
                               TimestampMs to) { return kite.historical(token, name, from, to); };
  const time::SystemClock clock;
  for (const HistoricalRequest& request : requests) {
    ProgressFunction on_span = [&](std::size_t done, std::size_t total) {
      if (progress) progress(request.symbol, done, total);
    };
    Result<HistoricalCounts> counts =
        download_historical(*db, request, fetch, clock, on_span, [] { return stop_requested(); });
    if (!counts.ok()) return broker_failure(log, "historical_failed", counts.status());
    log.info("historical_summary", {{"symbol", request.symbol},
                                    {"interval", request.interval.kite_name},
                                    {"requests", counts->requests},
                                    {"spans_skipped", counts->spans_skipped},
                                    {"candles", counts->candles},
                                    {"inserted", counts->inserted},
                                    {"duplicates", counts->duplicates},
                                    {"replaced", counts->replaced},
                                    {"bad_candles", counts->bad_candles}});
    if (stop_requested()) break;
  }
  return kExitOk;
}

int run_instruments(const InstrumentsArgs& args, const Config& config, const Logger& log) {
  InstrumentsRefreshOptions options;
  options.exchange = args.exchange;
  options.max_age_ms = static_cast<std::int64_t>(args.max_age_hours * kMsPerHour);
  Result<store::Database> db = open_database(args.db_path);
  if (!db.ok()) return report_failure(log, "database_open_failed", db.status());
  const time::SystemClock clock;
  Result<bool> due = instruments_refresh_due(*db, options, clock);
  if (!due.ok()) return report_failure(log, "database_error", due.status());
  if (!*due) {
    Result<std::optional<std::int64_t>> age = stored_instruments_age(*db, clock.now_ms());
    log.info("instruments_fresh", {{"age_s", age.ok() && age->has_value() ? **age / 1000 : 0}});
    return kExitOk;
  }
  std::vector<broker::Instrument> dump;
  if (!args.file.empty()) {
    Result<std::string> text = read_file(args.file);
    if (!text.ok())
      return report_failure(log, "instruments_unreadable", text.status(), kExitDataError);
    Result<std::vector<broker::Instrument>> parsed = broker::parse_instruments_csv(*text);
    if (!parsed.ok())
      return report_failure(log, "instruments_malformed", parsed.status(), kExitDataError);
    dump = std::move(parsed.value());
  } else {
    Connected broker = connect(args.broker, config, log);
    if (!broker.connection) return broker.exit_code;
    broker::BrokerResult<std::vector<broker::Instrument>> fetched =
        broker.connection->kite->instruments(args.exchange);
    if (!fetched.ok()) return broker_failure(log, "instruments_failed", fetched.error().status());
    dump = std::move(fetched.value());
  }
  Result<InstrumentsRefreshCounts> counts = store_instruments(*db, dump, options);
  if (!counts.ok()) return report_failure(log, "store_failed", counts.status());
  log.info("instruments_stored", {{"stored", counts->stored},
                                  {"other_exchange", counts->other_exchange},
                                  {"exchange", args.exchange}});
  return kExitOk;
}

}  // namespace sm::feed

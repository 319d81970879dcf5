#include "ingest/ticker_command.h"

#include <fmt/format.h>

#include "broker/curl_http_client.h"
#include "broker/settings.h"
#include "core/config.h"
#include "core/exit_codes.h"
#include "core/ndjson.h"
#include "core/shutdown.h"
#include "ingest/fields.h"
#include "ingest/replay.h"
#include "ingest/ticker_source.h"
#include "service/notifier.h"
#include "store/ops_records.h"
#include "time/calendar.h"

namespace sm::ingest {
namespace {

Result<TickerSourceOptions> source_options(const TickerArgs& args,
                                           const std::vector<std::string>& symbols) {
  TickerSourceOptions options;
  Result<broker::TickerMode> mode = broker::parse_ticker_mode(args.mode);
  if (!mode.ok()) return Status(ErrorCode::kInvalidArgument, mode.status().message());
  options.session.mode = *mode;
  options.session.url = args.url;
  if (Result<broker::TickerEndpoint> url = broker::parse_ticker_url(args.url); !url.ok()) {
    return url.status();
  }
  if (symbols.empty()) {
    return Status(ErrorCode::kInvalidArgument,
                  "name at least one --symbol (or set signal.symbols)");
  }
  if (symbols.size() > broker::kTickerMaxTokensPerConnection) {
    return Status(ErrorCode::kInvalidArgument,
                  fmt::format("{} symbols; one ticker connection takes at most {}", symbols.size(),
                              broker::kTickerMaxTokensPerConnection));
  }
  if (args.data_timeout_ms < 100 || args.initial_backoff_ms < 1 ||
      args.max_backoff_ms < args.initial_backoff_ms) {
    return Status(ErrorCode::kInvalidArgument,
                  "--data-timeout-ms must be at least 100 and --max-backoff-ms at least "
                  "--initial-backoff-ms (at least 1)");
  }
  options.session.data_timeout_ms = args.data_timeout_ms;
  options.initial_backoff_ms = args.initial_backoff_ms;
  options.max_backoff_ms = args.max_backoff_ms;
  options.seed = args.seed;
  if (!args.order_postback_url.empty()) {
    const std::string problem = broker::broker_url_problem(args.order_postback_url);
    if (!problem.empty()) {
      return Status(ErrorCode::kInvalidArgument, "--order-postback-url: " + problem);
    }
  }
  return options;
}

// Maps each symbol to its instrument token through the instruments table.
Status map_symbols(store::Database& db, const std::vector<std::string>& texts,
                   TickerSourceOptions& options) {
  for (const std::string& text : texts) {
    Result<std::string> symbol = normalize_symbol(text);
    if (!symbol.ok()) return Status(ErrorCode::kInvalidArgument, symbol.status().message());
    Result<std::optional<store::Instrument>> found = store::find_instrument(db, *symbol);
    if (!found.ok()) return found.status();
    if (!found->has_value() || !(*found)->instrument_token) {
      return Status(ErrorCode::kNotFound,
                    fmt::format("no instrument token for {} in the database; load the "
                                "instruments dump first",
                                *symbol));
    }
    const auto token = static_cast<std::uint32_t>(*(*found)->instrument_token);
    options.symbols[token] = *symbol;
    options.session.tokens.push_back(token);
  }
  return Status();
}

Status load_credentials(const Config& config, TickerSourceOptions& options) {
  Result<broker::BrokerSettings> settings = broker::load_broker_settings(config, {});
  if (!settings.ok()) return settings.status();
  Result<std::optional<broker::AccessToken>> token = broker::initial_token(*settings);
  if (!token.ok()) return token.status();
  if (!token->has_value()) {
    return Status(ErrorCode::kAuthError,
                  "no access token: log in (sm-order login) or set SM_KITE_ACCESS_TOKEN");
  }
  options.session.api_key = settings->kite.api_key;
  options.session.access_token = (*token)->access_token;
  return Status();
}

}  // namespace

int run_ticker(const TickerArgs& args, const Logger& log, const time::Clock& clock) {
  Result<Config> config = load_config(args.config_path, log);
  if (!config.ok()) return report_failure(log, "config_error", config.status(), kExitConfigError);
  std::vector<std::string> symbols = args.symbols;
  if (symbols.empty()) {
    // The strategies' watch-list, as sm-ingest poll: the service unit needs no list of its own.
    Result<std::vector<std::string>> configured = config->get_string_list("signal.symbols", {});
    if (!configured.ok()) {
      return report_failure(log, "config_error", configured.status(), kExitConfigError);
    }
    symbols = *configured;
  }
  Result<TickerSourceOptions> options = source_options(args, symbols);
  if (!options.ok()) return report_usage_error(log, options.status());
  LiveFeedOptions feed_options;
  feed_options.source = "websocket";
  for (const std::string& text : args.bars) {
    Result<Timeframe> timeframe = parse_timeframe(text);
    if (!timeframe.ok()) return report_usage_error(log, timeframe.status());
    feed_options.timeframes.push_back(*timeframe);
  }
  if (Status status = load_credentials(*config, *options); !status.ok()) {
    // No api key or an unsafe secrets file: 4; no access token: 7, as sm-ingest poll.
    return report_failure(
        log, status.code() == ErrorCode::kAuthError ? "no_access_token" : "config_error", status,
        exit_code_for(status) == kExitAuth ? kExitAuth : kExitConfigError);
  }
  Result<store::Database> db = store::Database::open(args.db_path);
  if (!db.ok()) return report_failure(log, "database_open_failed", db.status());
  if (Status mapped = map_symbols(*db, symbols, *options); !mapped.ok()) {
    return report_failure(
        log, "ticker_symbols", mapped,
        mapped.code() == ErrorCode::kNotFound ? kExitDataError : exit_code_for(mapped));
  }
  Result<time::Calendar> calendar = time::Calendar::load_default();
  if (!calendar.ok())
    return report_failure(log, "calendar_error", calendar.status(), kExitConfigError);

  NdjsonWriter writer(stdout);
  LiveFeed feed(&*db, args.emit ? &writer : nullptr, clock, *calendar, feed_options,
                [&log](const Status& status) {
                  log.warn("ingest_warning", {{"code", error_code_name(status.code())},
                                              {"message", status.message()}});
                });
  broker::CurlHttpClient http;
  if (!args.order_postback_url.empty()) {
    // sm-order checks the body's checksum with the api secret, as for a postback from Kite.
    options->on_order = [&http, &args, &log](const std::string& order_json) {
      broker::HttpRequest request;
      request.method = broker::HttpMethod::kPost;
      request.url = args.order_postback_url;
      request.set_json(order_json);
      request.timeout_ms = 2'000;
      broker::HttpOutcome outcome = http.send(request);
      if (!outcome.ok() || outcome.response().status / 100 != 2) {
        log.warn("order_postback_failed",
                 {{"url", args.order_postback_url},
                  {"http_status", outcome.ok() ? outcome.response().status : 0}});
      }
    };
  }
  // READY once the database, the symbols and the calendar are in hand; the watchdog is pinged from
  // the source's loop, so a hung event loop or a stuck store write gets the unit restarted.
  service::Notifier notifier;
  options->alive = [&notifier] { notifier.alive(); };
  notifier.ready();
  TickerSourceCounts counts;
  const Status ended = run_ticker_source(
      *options, feed, clock, log, [] { return stop_requested(); }, sleep_interruptibly, counts);
  notifier.stopping();
  const Status finished = feed.finish();
  if (Status s = feed.beat(true); !s.ok()) log.warn("heartbeat_failed", {{"message", s.message()}});
  log.info("ticker_summary", {{"connections", counts.connections},
                              {"frames", counts.frames},
                              {"packets", counts.packets},
                              {"depth_packets", counts.depth_packets},
                              {"heartbeats", counts.heartbeats},
                              {"malformed_frames", counts.malformed},
                              {"order_updates", counts.order_updates},
                              {"ticks", feed.counts().ticks},
                              {"bars", feed.counts().bars}});
  if (!ended.ok()) {
    return report_failure(
        log, ended.code() == ErrorCode::kAuthError ? "ticker_token_refused" : "ticker_failed",
        ended);
  }
  if (!finished.ok()) return report_failure(log, "database_error", finished);
  return kExitOk;
}

}  // namespace sm::ingest

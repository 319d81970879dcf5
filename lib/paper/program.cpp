#include "paper/program.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>

#include "broker/instruments.h"
#include "broker/kite_json.h"
#include "broker/url_policy.h"
#include "core/config.h"
#include "core/exit_codes.h"
#include "core/json_writer.h"
#include "core/read_file.h"
#include "core/secrets.h"
#include "core/shutdown.h"
#include "costs/cost_model.h"
#include "paper/paper_engine.h"
#include "paper/paper_server.h"
#include "paper/postback_sender.h"
#include "paper/ticker_server.h"
#include "time/calendar.h"

namespace sm::paper {
namespace {

// An optional secret: absent is fine (the feature is off), anything else wrong is an error.
Result<std::string> optional_secret(std::string_view name, const std::string& file) {
  Result<std::string> value = read_secret(name, file);
  if (value.ok()) return value;
  if (value.status().code() == ErrorCode::kAuthError) return std::string();  // not configured
  return value.status();
}

// Each step below returns kExitOk, or the exit code to stop with after logging why; they run in
// the order the checks have always been made, so a run with several bad flags reports the same one.

// The port to listen on: --port, else the port of the --config file's paper.listen.
int read_listen_port(const PaperArgs& args, const Logger& log, int& port) {
  Result<Config> config = load_config(args.config_path, log);
  if (!config.ok()) return report_failure(log, "config_error", config.status(), kExitConfigError);
  port = args.port;
  if (port >= 0) return kExitOk;
  Result<std::string> listen = config->get_string("paper.listen", "127.0.0.1:0");
  Result<int> from_config = listen.ok() ? parse_listen_port(*listen) : listen.status();
  if (!from_config.ok()) {
    return report_failure(log, "config_error", from_config.status(), kExitConfigError);
  }
  port = *from_config;
  return kExitOk;
}

struct Credentials {
  std::string secret;  // "" = no login and no postbacks
  std::string token;   // "" = only tokens issued by a login
};

int read_credentials(const PaperArgs& args, const Logger& log, Credentials& out) {
  if (args.api_key.empty()) {
    log.error("config_error", {{"message", "no api key: pass --api-key or set SM_PAPER_API_KEY"}});
    return kExitConfigError;
  }
  Result<std::string> secret = optional_secret("SM_PAPER_API_SECRET", args.secrets_file);
  Result<std::string> token = optional_secret("SM_PAPER_ACCESS_TOKEN", args.secrets_file);
  for (const Result<std::string>* r : {&secret, &token}) {
    if (!r->ok()) {
      log.error_status("config_error", r->status());
      return kExitConfigError;
    }
  }
  if (!args.postback_url.empty()) {
    if (Status safe = broker::check_secret_safe_url(args.postback_url, "--postback-url");
        !safe.ok()) {
      log.error("usage_error", {{"message", safe.message()}});
      return kExitUsage;
    }
  }
  if (!args.postback_url.empty() && secret->empty()) {
    log.error("config_error", {{"message",
                                "--postback-url needs SM_PAPER_API_SECRET: postbacks are signed "
                                "with it"}});
    return kExitConfigError;
  }
  if (secret->empty() && token->empty()) {
    log.warn("no_credentials",
             {{"message",
               "neither SM_PAPER_API_SECRET (login) nor SM_PAPER_ACCESS_TOKEN is set: "
               "no client can authenticate"}});
  }
  out.secret = std::move(secret.value());
  out.token = std::move(token.value());
  return kExitOk;
}

// The flags that are plain values: amounts, modes and fault rules.
struct Settings {
  Paise cash = 0;
  Paise volume_cap_bps = 0;
  std::vector<FaultRule> faults;
  std::vector<nlohmann::json> ticker_faults;
  int mis_square_off_minute = -1;  // minutes after 00:00 IST; -1 = off
};

// --mis-square-off: HH:MM (IST) as minutes after midnight, -1 for off; nullopt when malformed.
std::optional<int> parse_square_off(const PaperArgs& args) {
  const std::string& text = args.mis_square_off;
  if (text == "off" || (text.empty() && args.market_hours != "nse")) return -1;
  if (text.empty()) return 15 * 60 + 20;  // Zerodha's intraday square-off for equity
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (char digit : {text[0], text[1], text[3], text[4]}) {
    if (digit < '0' || digit > '9') return std::nullopt;
  }
  const int hour = (text[0] - '0') * 10 + (text[1] - '0');
  const int minute = (text[3] - '0') * 10 + (text[4] - '0');
  if (hour > 23 || minute > 59) return std::nullopt;
  return hour * 60 + minute;
}

int parse_settings(const PaperArgs& args, const Logger& log, Settings& out) {
  Result<Paise> cash = parse_rupees(args.cash);
  if (!cash.ok() || *cash < 0) {
    log.error("usage_error", {{"message", "--cash must be a non-negative rupee amount"}});
    return kExitUsage;
  }
  out.cash = *cash;
  // A percent with at most two decimals is a whole number of basis points, as rupees are of paise.
  Result<Paise> volume_cap_bps = args.volume_cap.empty() ? Paise{0} : parse_rupees(args.volume_cap);
  if (!volume_cap_bps.ok() || *volume_cap_bps < 0 || *volume_cap_bps > 10000 ||
      (!args.volume_cap.empty() && *volume_cap_bps == 0)) {
    log.error(
        "usage_error",
        {{"message", "--volume-cap must be a percent above 0 and at most 100 (two decimals)"}});
    return kExitUsage;
  }
  out.volume_cap_bps = *volume_cap_bps;
  if (args.clock != "wall" && args.clock != "market") {
    log.error("usage_error", {{"message", "--clock must be wall or market"}});
    return kExitUsage;
  }
  if (args.market_hours != "nse" && args.market_hours != "always") {
    log.error("usage_error", {{"message", "--market-hours must be nse or always"}});
    return kExitUsage;
  }
  std::optional<int> square_off = parse_square_off(args);
  if (!square_off) {
    log.error("usage_error", {{"message", "--mis-square-off must be HH:MM (IST) or off"}});
    return kExitUsage;
  }
  out.mis_square_off_minute = *square_off;
  for (const std::string& text : args.faults) {
    Result<FaultRule> rule = error(ErrorCode::kInvalidArgument, "not JSON");
    try {
      rule = parse_fault_rule(nlohmann::json::parse(text));
    } catch (const nlohmann::json::exception& e) {
      rule = error(ErrorCode::kInvalidArgument, e.what());
    }
    if (!rule.ok()) {
      log.error("usage_error", {{"message", "--fault: " + rule.status().message()}});
      return kExitUsage;
    }
    out.faults.push_back(*rule);
  }
  for (const std::string& text : args.ticker_faults) {
    const nlohmann::json fault = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    TickerFaults check;
    if (Status valid = check.apply(fault); !valid.ok()) {
      log.error("usage_error", {{"message", "--ticker-fault: " + valid.message()}});
      return kExitUsage;
    }
    out.ticker_faults.push_back(fault);
  }
  if (args.ticker_port > 65535 || args.ticker_port < -1 || args.ticker_interval_ms < 1) {
    log.error("usage_error",
              {{"message", "--ticker-port must be 0-65535 and --ticker-interval-ms at least 1"}});
    return kExitUsage;
  }
  return kExitOk;
}

// What the flags name and the engine needs loaded: cost model, calendar, instruments, price file.
struct Resources {
  std::unique_ptr<costs::CostModel> cost_model;
  std::optional<time::Calendar> calendar;  // absent with --market-hours always
  std::vector<broker::Instrument> instruments;
  std::vector<CorporateAction> corporate_actions;  // the bundled file's (docs/CORPORATE_ACTIONS.md)
  int prices_fd = -1;                              // -1 = no --prices
};

// The --instruments file; every error names the path once (read_file's already does).
Result<std::vector<broker::Instrument>> load_instruments(const std::string& path) {
  Result<std::string> text = read_file(path);
  if (!text.ok()) return text.status();
  Result<std::vector<broker::Instrument>> parsed = broker::parse_instruments_csv(*text);
  if (!parsed.ok()) return parsed.status().with_context(path);
  return parsed;
}

int load_resources(const PaperArgs& args, const Logger& log, Resources& out) {
  Result<std::unique_ptr<costs::CostModel>> cost_model = costs::make_cost_model(args.costs);
  if (!cost_model.ok()) {
    log.error_status("config_error", cost_model.status().with_context("--costs"));
    return kExitConfigError;
  }
  out.cost_model = std::move(cost_model.value());
  Result<DefaultActions> actions = load_default_corporate_actions();
  if (!actions.ok()) {
    log.error_status("config_error", actions.status().with_context("corporate actions"));
    return kExitConfigError;
  }
  if (!actions->missing.empty()) {
    log.warn("corporate_actions_missing",
             {{"message", actions->missing},
              {"effect", "holdings are not adjusted on bonus or split ex-dates"}});
  }
  out.corporate_actions = std::move(actions->actions);
  if (args.market_hours == "nse") {
    Result<time::Calendar> loaded = time::Calendar::load_default();
    if (!loaded.ok()) {
      log.error_status("config_error", loaded.status().with_context(
                                           "calendar (use --market-hours always to skip)"));
      return kExitConfigError;
    }
    out.calendar = std::move(loaded.value());
  }
  if (!args.instruments.empty()) {
    Result<std::vector<broker::Instrument>> parsed = load_instruments(args.instruments);
    if (!parsed.ok()) {
      log.error_status("config_error", parsed.status());
      return kExitConfigError;
    }
    out.instruments = std::move(parsed.value());
  }
  if (!args.prices.empty()) {
    out.prices_fd =
        args.prices == "-" ? STDIN_FILENO : ::open(args.prices.c_str(), O_RDONLY | O_CLOEXEC);
    if (out.prices_fd < 0) {
      log.error("input_error", {{"input", args.prices}, {"message", "cannot open the price file"}});
      return kExitDataError;
    }
  }
  return kExitOk;
}

EngineOptions engine_options(const PaperArgs& args, const Settings& settings,
                             const Resources& resources) {
  EngineOptions options;
  options.corporate_actions = resources.corporate_actions;
  options.initial_cash = settings.cash;
  options.mis_margin_bps = args.mis_margin_pct * 100;
  options.price_band_bps = args.price_band_pct * 100;
  options.rms_rejections_as_orders = args.rms_rejects_as_orders;
  options.volume_cap_bps = settings.volume_cap_bps;
  options.mis_square_off_minute = settings.mis_square_off_minute;
  return options;
}

ServerOptions server_options(const PaperArgs& args, int port, const Credentials& credentials) {
  ServerOptions options;
  options.port = port;
  options.api_key = args.api_key;
  options.api_secret = credentials.secret;
  options.access_token = credentials.token;
  options.enforce_rate_limits = !args.no_rate_limits;
  options.seed = args.seed;
  return options;
}

// Server threads must not take SIGTERM/SIGINT: blocked while they start, the signals reach this
// thread, whose blocking read of --prices they interrupt.
Result<int> start_without_stop_signals(PaperServer& server) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  Result<int> port = server.start();
  pthread_sigmask(SIG_UNBLOCK, &stop_signals, nullptr);
  return port;
}

// The one stdout line: where clients connect.
void announce(const PaperArgs& args, int port, int ticker_port, TimestampMs now) {
  std::string line;
  JsonObjectWriter writer(line);
  writer.string("type", "paper_listening")
      .timestamp("ts", now)
      .string("host", "127.0.0.1")
      .integer("port", port)
      .string("url", "http://127.0.0.1:" + std::to_string(port))
      .string("state", args.state_path);
  if (ticker_port > 0) {
    writer.integer("ticker_port", ticker_port)
        .string("ticker_url", "ws://127.0.0.1:" + std::to_string(ticker_port) + "/");
  }
  writer.finish();
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

// The MIS auto square-off between price updates (on_price does it on each): a server on the wall
// clock reaches 15:20 whether or not prices arrive. A failure is logged and tried again.
void square_off_if_due(PaperEngine& engine, const Logger& log) {
  Result<std::int64_t> placed = engine.square_off_mis();
  if (!placed.ok()) {
    log.error_status("square_off_failed", placed.status());
  } else if (*placed > 0) {
    log.info("mis_square_off", {{"orders", *placed}});
  }
}

// Feeds --prices (when given), then serves until asked to stop; the exit code.
int feed_and_serve(PaperServer& server, PaperEngine& engine, const PaperArgs& args, int prices_fd,
                   const Logger& log) {
  int status = kExitOk;
  if (prices_fd >= 0) {
    Result<std::int64_t> fed =
        server.feed().run(prices_fd, args.prices == "-" ? "stdin" : args.prices, log);
    if (prices_fd != STDIN_FILENO) ::close(prices_fd);
    if (!fed.ok()) {
      log.error_status("price_feed_error", fed.status());
      status = fed.status().code() == ErrorCode::kIoError ? kExitDataError : kExitFailure;
    } else {
      log.info("price_feed_done", {{"prices", *fed}});
    }
  }
  while (status == kExitOk && !stop_requested()) {
    square_off_if_due(engine, log);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return status;
}

// Everything the flags and files name, read and checked before anything is opened.
struct Inputs {
  int listen_port = 0;
  Credentials credentials;
  Settings settings;
  Resources resources;
};

int read_inputs(const PaperArgs& args, const Logger& log, Inputs& out) {
  if (int code = read_listen_port(args, log, out.listen_port); code != kExitOk) return code;
  if (int code = read_credentials(args, log, out.credentials); code != kExitOk) return code;
  if (int code = parse_settings(args, log, out.settings); code != kExitOk) return code;
  return load_resources(args, log, out.resources);
}

// Opens the state file (creating its directory) and gives the engine its instruments and, with
// --market-hours nse, the session rule. REQUIRES: clock, prices and resources outlive the engine.
Result<std::unique_ptr<PaperEngine>> open_engine(const PaperArgs& args,
                                                 const EngineOptions& options,
                                                 const time::Clock& clock,
                                                 const InMemoryPriceSource& prices,
                                                 Resources& resources) {
  const std::filesystem::path state_dir = std::filesystem::path(args.state_path).parent_path();
  std::error_code ec;
  if (!state_dir.empty()) std::filesystem::create_directories(state_dir, ec);
  Result<std::unique_ptr<PaperEngine>> engine =
      PaperEngine::open(args.state_path, options, clock, prices, *resources.cost_model);
  if (!engine.ok()) return engine.status();
  engine.value()->set_instruments(std::move(resources.instruments));
  if (resources.calendar) {
    const time::Calendar& calendar = *resources.calendar;
    engine.value()->set_session_predicate([&calendar](TimestampMs ts) -> Result<bool> {
      Result<time::Session> session = calendar.session_at(ts);
      if (!session.ok()) return session.status();
      return *session == time::Session::kContinuous;
    });
  }
  return engine;
}

// --fault, --ticker-fault and --token-expire-after, validated by parse_settings.
void add_faults(PaperServer& server, const PaperArgs& args, Settings& settings) {
  for (FaultRule& rule : settings.faults) server.faults().add(std::move(rule));
  for (const nlohmann::json& fault : settings.ticker_faults) {
    (void)server.ticker_faults().apply(fault);
  }
  if (args.token_expire_after > 0) server.faults().set_token_expire_after(args.token_expire_after);
}

// The Kite Ticker websocket of --ticker-port, which knows the engine's instruments and accepts
// the tokens the REST server accepts.
void make_ticker(std::optional<TickerServer>& ticker, const PaperArgs& args, PaperEngine& engine,
                 PaperServer& server, const InMemoryPriceSource& prices, const Logger& log) {
  ticker.emplace(
      prices,
      [&engine](std::string_view exchange, std::string_view symbol) {
        return engine.instrument_token(exchange, symbol);
      },
      [&server](std::string_view api_key, std::string_view access_token) {
        return server.accepts_token(api_key, access_token);
      },
      server.ticker_faults(),
      TickerServerOptions{
          args.ticker_port, args.ticker_interval_ms, 1000,
          [&engine](std::string_view exchange, std::string_view symbol, Paise price) {
            return engine.tick_size(exchange, symbol, price);
          }},
      &log);
}

// Order updates go to the postback URL and, as Kite does, to every ticker connection.
void send_order_updates(PaperEngine& engine, std::optional<PostbackSender>& postbacks,
                        std::optional<TickerServer>& ticker, const EngineOptions& options,
                        const Credentials& credentials) {
  if (!postbacks && !ticker) return;
  engine.set_order_observer(
      [&postbacks, &ticker, &options, &credentials](const broker::Order& order) {
        if (postbacks) postbacks->on_order(order);
        if (ticker) {
          ticker->publish_order(
              broker::postback_to_json(order, options.user_id, 0, credentials.secret).dump());
        }
      });
}

// Starts the REST server and the ticker (when there is one); the exit code, and their ports
// (ticker_port 0 without a ticker).
int start_servers(PaperServer& server, std::optional<TickerServer>& ticker, const Logger& log,
                  int& port, int& ticker_port) {
  Result<int> started = start_without_stop_signals(server);
  if (!started.ok()) {
    log.error_status("listen_error", started.status());
    return kExitFailure;
  }
  port = *started;
  ticker_port = 0;
  if (!ticker) return kExitOk;
  Result<int> ticker_started = ticker->start();
  if (!ticker_started.ok()) {
    log.error_status("listen_error", ticker_started.status());
    return kExitFailure;
  }
  ticker_port = *ticker_started;
  return kExitOk;
}

void log_listening(const PaperArgs& args, const Inputs& inputs, const EngineOptions& options,
                   int port, const Logger& log) {
  log.info("listening", {{"port", port},
                         {"state", args.state_path},
                         {"cost_model", inputs.resources.cost_model->name()},
                         {"market_hours", args.market_hours},
                         {"clock", args.clock},
                         {"mis_square_off_minute", options.mis_square_off_minute}});
}

// Stops the ticker, the server and the postbacks, then logs the engine's summary with the
// postback counters.
void stop_and_summarise(PaperEngine& engine, PaperServer& server,
                        std::optional<TickerServer>& ticker,
                        std::optional<PostbackSender>& postbacks, const Logger& log) {
  engine.set_order_observer(nullptr);
  if (ticker) ticker->stop();
  server.stop();
  nlohmann::json summary = engine.summary();
  if (postbacks) {
    postbacks->stop();
    summary["postbacks_sent"] = postbacks->counters().sent;
    summary["postbacks_failed"] = postbacks->counters().failed;
  }
  log.info("stopped", summary);
}

}  // namespace

Result<int> parse_listen_port(std::string_view listen) {
  const auto bad = [listen] {
    return error(ErrorCode::kConfigError,
                 fmt::format("paper.listen must be 127.0.0.1:PORT or localhost:PORT (sm-paper "
                             "serves only on loopback), not \"{}\"",
                             listen));
  };
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos) return bad();
  const std::string_view host = listen.substr(0, colon);
  const std::string_view digits = listen.substr(colon + 1);
  if (host != "127.0.0.1" && host != "localhost") return bad();
  if (digits.empty() || digits.size() > 5) return bad();
  int port = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return bad();
    port = port * 10 + (c - '0');
  }
  if (port > 65535) return bad();
  return port;
}

int run_paper(const PaperArgs& args, const Logger& log) {
  Inputs inputs;
  if (int code = read_inputs(args, log, inputs); code != kExitOk) return code;
  time::SystemClock wall;
  InMemoryPriceSource prices;
  prices.set_corporate_actions(inputs.resources.corporate_actions);
  MarketClock market_clock(prices, wall);
  const time::Clock& clock =
      args.clock == "market" ? static_cast<const time::Clock&>(market_clock) : wall;
  const EngineOptions options = engine_options(args, inputs.settings, inputs.resources);
  Result<std::unique_ptr<PaperEngine>> opened =
      open_engine(args, options, clock, prices, inputs.resources);
  if (!opened.ok()) {
    log.error_status("state_error", opened.status());
    return kExitFailure;
  }
  PaperEngine& engine = **opened;

  std::optional<PostbackSender> postbacks;
  if (!args.postback_url.empty()) {
    postbacks.emplace(
        PostbackSender::Options{args.postback_url, options.user_id, 0, inputs.credentials.secret},
        &log);
  }
  PaperServer server(engine, prices, server_options(args, inputs.listen_port, inputs.credentials),
                     clock, wall, &log);
  add_faults(server, args, inputs.settings);
  std::optional<TickerServer> ticker;
  if (args.ticker_port >= 0) make_ticker(ticker, args, engine, server, prices, log);
  send_order_updates(engine, postbacks, ticker, options, inputs.credentials);

  int port = 0;
  int ticker_port = 0;
  if (int code = start_servers(server, ticker, log, port, ticker_port); code != kExitOk) {
    return code;
  }
  announce(args, port, ticker_port, wall.now_ms());
  log_listening(args, inputs, options, port, log);
  const int status = feed_and_serve(server, engine, args, inputs.resources.prices_fd, log);
  stop_and_summarise(engine, server, ticker, postbacks, log);
  return status;
}

}  // namespace sm::paper

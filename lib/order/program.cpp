#include "order/program.h"

#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "broker/kite_broker.h"
#include "core/config.h"
#include "core/exit_codes.h"
#include "core/future_stamp.h"
#include "core/input_pump.h"
#include "core/json_writer.h"
#include "core/messages.h"
#include "core/ndjson.h"
#include "core/secrets.h"
#include "core/shutdown.h"
#include "core/stage_trace.h"
#include "costs/cost_model.h"
#include "order/catch_up.h"
#include "order/order_manager.h"
#include "order/postback_receiver.h"
#include "order/reconcile.h"
#include "service/notifier.h"
#include "sqlite/idle_checkpoint.h"
#include "store/database.h"
#include "store/ops_records.h"

namespace sm::order {
namespace {

struct OrderSettings {
  ManagerOptions manager;
  std::int64_t heartbeat_interval_ms = 5000;
  std::int64_t eof_wait_ms = 60000;
  bool cancel_on_exit = false;
  std::string postback_listen;  // "HOST:PORT", "" = off
  std::string postback_path = "/postback";
};

// order.costs: the cost model live fills (and the broker's trades reconcile records) are priced
// with.
Result<std::unique_ptr<costs::CostModel>> load_cost_model(const Config& config) {
  Result<std::string> cost_spec = config.get_string("order.costs", "india-equity");
  if (!cost_spec.ok()) return cost_spec.status();
  Result<std::unique_ptr<costs::CostModel>> cost_model = costs::make_cost_model(*cost_spec);
  if (!cost_model.ok()) return cost_model.status().with_context("order.costs");
  return cost_model;
}

Result<OrderSettings> load_order_settings(const Config& config, const BrokerSettings& broker,
                                          const OrderArgs& args) {
  OrderSettings s;
  s.manager.in_doubt_ms = broker.kite.timeout_ms + 3000;
  struct IntKey {
    const char* path;
    std::int64_t* target;
  };
  const IntKey ints[] = {
      {"order.poll_interval_ms", &s.manager.poll_interval_ms},
      {"order.in_doubt_ms", &s.manager.in_doubt_ms},
      {"order.in_doubt_resolve_ms", &s.manager.in_doubt_resolve_ms},
      {"order.in_doubt_settle_ms", &s.manager.in_doubt_settle_ms},
      {"order.lookup_interval_ms", &s.manager.lookup_interval_ms},
      {"order.retry_after_ms", &s.manager.retry_after_ms},
      {"order.probe_interval_ms", &s.manager.probe_interval_ms},
      {"order.max_queue_ms", &s.manager.max_queue_ms},
      {"order.heartbeat_interval_ms", &s.heartbeat_interval_ms},
      {"order.eof_wait_ms", &s.eof_wait_ms},
  };
  for (const IntKey& key : ints) {
    Result<std::int64_t> value = config.get_int(key.path, *key.target);
    if (!value.ok()) return value.status();
    if (*value < 0 || (*value == 0 && std::string_view(key.path) != "order.eof_wait_ms" &&
                       std::string_view(key.path) != "order.max_queue_ms")) {
      return error(ErrorCode::kConfigError, fmt::format("{} must be positive", key.path));
    }
    *key.target = *value;
  }
  if (s.manager.in_doubt_ms <= broker.kite.timeout_ms) {
    return error(
        ErrorCode::kConfigError,
        fmt::format(
            "order.in_doubt_ms ({}) must exceed broker.timeout_ms ({}): otherwise a placement "
            "request still in flight would be looked up as if it were lost",
            s.manager.in_doubt_ms, broker.kite.timeout_ms));
  }
  if (s.manager.in_doubt_resolve_ms < s.manager.in_doubt_ms) {
    return error(
        ErrorCode::kConfigError,
        fmt::format("order.in_doubt_resolve_ms ({}) must be at least order.in_doubt_ms ({})",
                    s.manager.in_doubt_resolve_ms, s.manager.in_doubt_ms));
  }
  Result<std::unique_ptr<costs::CostModel>> cost_model = load_cost_model(config);
  if (!cost_model.ok()) return cost_model.status();
  s.manager.cost_model = std::move(cost_model.value());
  Result<std::string> variety = config.get_string("order.variety", "regular");
  if (!variety.ok()) return variety.status();
  s.manager.variety = *variety;
  Result<bool> cancel = config.get_bool("order.cancel_on_exit", false);
  if (!cancel.ok()) return cancel.status();
  s.cancel_on_exit = args.cancel_on_exit || *cancel;
  Result<std::string> listen = config.get_string("order.postback_listen", "");
  if (!listen.ok()) return listen.status();
  s.postback_listen = args.postback_listen.empty() ? *listen : args.postback_listen;
  Result<std::string> path = config.get_string("order.postback_path", s.postback_path);
  if (!path.ok()) return path.status();
  if (path->empty() || path->front() != '/')
    return error(ErrorCode::kConfigError, "order.postback_path must start with /");
  s.postback_path = *path;
  if (args.eof_wait_ms >= 0) s.eof_wait_ms = args.eof_wait_ms;
  s.manager.allow_drift = args.allow_drift;
  Result<DefaultActions> actions = load_default_corporate_actions();
  if (!actions.ok()) return actions.status().with_context("corporate actions");
  s.manager.corporate_actions = std::move(actions->actions);
  return s;
}

// Setting up reads the configuration, so a value that is not valid there is a configuration
// error (exit 4), not a usage error; everything else maps as in every program.
int exit_for_setup_error(const Status& status) {
  const int exit_code = exit_code_for(status);
  return exit_code == kExitUsage ? kExitConfigError : exit_code;
}

struct Setup {
  Config config = Config::defaults();
  BrokerSettings broker;
};

Result<Setup> load_setup(const CommonPaths& paths, const BrokerFlags& flags, const Logger& log) {
  Result<Config> config = load_config(paths.config_path, log);
  if (!config.ok()) return config.status();
  Result<BrokerSettings> broker = load_broker_settings(*config, flags);
  if (!broker.ok()) return broker.status();
  return Setup{std::move(config.value()), std::move(broker.value())};
}

// Sends the replayed prices to the paper broker ahead of the intents decided on them.
class PaperPriceForwarder {
 public:
  PaperPriceForwarder(broker::HttpClient& http, std::string url)
      : http_(http), url_(std::move(url)) {}
  void add(std::string_view line) {
    body_.append(line);
    body_.push_back('\n');
    ++lines_;
  }
  size_t pending() const { return lines_; }
  Status flush() {
    if (lines_ == 0) return Status();
    broker::HttpRequest request;
    request.method = broker::HttpMethod::kPost;
    request.url = url_;
    request.body = std::move(body_);
    request.content_type = "application/x-ndjson";
    request.timeout_ms = 30000;
    body_.clear();
    const size_t sent = lines_;
    lines_ = 0;
    broker::HttpOutcome outcome = http_.send(request);
    if (!outcome.ok()) {
      return error(ErrorCode::kNetworkError,
                   fmt::format("paper price feed: {}", outcome.error().message));
    }
    if (outcome.response().status != 200) {
      return error(ErrorCode::kRejected,
                   fmt::format("paper price feed refused {} lines: HTTP {} {}", sent,
                               outcome.response().status, outcome.response().body));
    }
    return Status();
  }

 private:
  broker::HttpClient& http_;
  std::string url_;
  std::string body_;
  size_t lines_ = 0;
};

std::int64_t wall_now() { return time::SystemClock().now_ms(); }

}  // namespace

// Starts the postback listener when one is configured (nullptr when not). Errors: kConfigError
// (bad HOST:PORT, no api secret to verify with), kIoError (cannot listen).
Result<std::unique_ptr<PostbackReceiver>> start_postbacks(const OrderSettings& settings,
                                                          const BrokerSettings& broker,
                                                          const Logger& log) {
  if (settings.postback_listen.empty()) return std::unique_ptr<PostbackReceiver>();
  const std::string& listen = settings.postback_listen;
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon != std::string::npos && colon > 0 && colon + 1 < listen.size() &&
      listen.find_first_not_of("0123456789", colon + 1) == std::string::npos &&
      listen.size() - colon - 1 <= 5) {
    port = std::stoi(listen.substr(colon + 1));
  }
  if (port < 0 || port > 65535) {
    return error(
        ErrorCode::kConfigError,
        "--postback-listen / order.postback_listen must be HOST:PORT, got '" + listen + "'");
  }
  Result<std::string> secret = read_secret("SM_KITE_API_SECRET", broker.secrets_file);
  if (!secret.ok()) {
    return error(ErrorCode::kConfigError,
                 "postbacks are verified with the Kite api secret: set SM_KITE_API_SECRET "
                 "(environment, SM_KITE_API_SECRET_FILE or the secrets file)");
  }
  auto receiver = std::make_unique<PostbackReceiver>(
      PostbackReceiver::Options{listen.substr(0, colon), port, settings.postback_path, *secret},
      &log);
  Result<int> bound = receiver->start();
  if (!bound.ok()) return bound.status();
  log.info("postback_listening",
           {{"host", listen.substr(0, colon)}, {"port", *bound}, {"path", settings.postback_path}});
  return receiver;
}

namespace {

// What a run holds open, in the order it is opened.
struct OrderResources {
  Setup setup;
  OrderSettings settings;
  std::unique_ptr<PostbackReceiver> postbacks;  // nullptr: no listener configured
  std::unique_ptr<ProcessLock> lock;
  store::Database db;
  std::unique_ptr<store::ErrorRecorder> errors;  // our errors, as data for sm-risk
};

// Loads configuration, starts the postback listener, takes the lock and opens the database;
// kExitOk or the exit code to stop with, logged.
int open_resources(const CommonPaths& paths, const OrderArgs& args, const Logger& log,
                   OrderResources& out) {
  Result<Setup> setup = load_setup(paths, args.broker, log);
  if (!setup.ok()) {
    log.error_status("config_error", setup.status());
    return exit_for_setup_error(setup.status());
  }
  out.setup = std::move(setup.value());
  Result<OrderSettings> settings = load_order_settings(out.setup.config, out.setup.broker, args);
  if (!settings.ok()) {
    log.error_status("config_error", settings.status());
    return kExitConfigError;
  }
  out.settings = std::move(settings.value());
  for (const char* section : {"order", "broker"}) {
    for (const std::string& key : out.setup.config.unread_keys(section)) {
      log.warn("config_unknown_key", {{"key", key}});
    }
  }
  Result<std::unique_ptr<PostbackReceiver>> postbacks =
      start_postbacks(out.settings, out.setup.broker, log);
  if (!postbacks.ok()) {
    log.error_status("config_error", postbacks.status());
    return postbacks.status().code() == ErrorCode::kConfigError ? kExitConfigError : kExitFailure;
  }
  out.postbacks = std::move(postbacks.value());
  Result<std::unique_ptr<ProcessLock>> lock = ProcessLock::acquire(paths.db_path);
  if (!lock.ok()) {
    log.error_status("lock_failed", lock.status());
    return kExitFailure;
  }
  out.lock = std::move(lock.value());
  // On the live order path: checkpoints when idle (sqlite::IdleCheckpoint), not inside a commit.
  store::OpenOptions options;
  options.auto_checkpoint = false;
  Result<store::Database> db = store::Database::open(paths.db_path, options);
  if (!db.ok()) {
    log.error_status("database_error", db.status());
    return kExitFailure;
  }
  out.db = std::move(db.value());
  out.errors = std::make_unique<store::ErrorRecorder>(log, out.db);
  Result<bool> config_recorded = store::record_config(out.db, "sm-order", out.setup.config, log);
  if (!config_recorded.ok())
    log.warn("config_not_recorded", {{"message", config_recorded.status().message()}});
  return kExitOk;
}

// Gives kite the access token to start with: the token file's when there is one, else a fixed
// token from the environment or secrets; with neither, sm-order waits for `sm-order login`.
// kExitOk or the exit code to stop with, logged.
int load_access_token(broker::TokenWatcher& watcher, const BrokerSettings& broker,
                      broker::KiteBroker& kite, const Logger& log) {
  if (std::optional<Result<broker::AccessToken>> from_file = watcher.poll();
      from_file && from_file->ok()) {
    kite.set_access_token((*from_file)->access_token, (*from_file)->issued_at);
    log.info("token_loaded", {{"token_file", watcher.path()}});
    return kExitOk;
  } else if (from_file) {
    log.error_status("token_file_error", from_file->status(), {{"token_file", watcher.path()}});
    return exit_for_setup_error(from_file->status());
  }
  Result<std::optional<broker::AccessToken>> fixed = initial_token(broker);
  if (!fixed.ok()) {
    log.error_status("token_error", fixed.status());
    return exit_for_setup_error(fixed.status());
  }
  if (fixed->has_value()) {
    kite.set_access_token((*fixed)->access_token, (*fixed)->issued_at);
  } else {
    log.warn("no_access_token",
             {{"message",
               "no token file and no SM_KITE_ACCESS_TOKEN: waiting for `sm-order "
               "login` to write " +
                   watcher.path()}});
  }
  return kExitOk;
}

// stdout: the order manager's events and the market data passed through. A reader that goes away
// stops the output, not the run: orders are still followed and recorded.
class OrderOutput {
 public:
  explicit OrderOutput(const Logger& log) : out_(stdout), log_(log) {}
  void write(const Message& m) {
    if (broken_) return;
    out_.write(m);
    if (!out_.good()) {
      broken_ = true;
      log_.warn("output_closed",
                {{"message", "stdout is gone; orders are still followed and recorded"}});
    }
  }
  void pass_through(std::string_view line) {
    if (!broken_) out_.write_raw(line);
  }
  void flush() { out_.flush(); }

 private:
  NdjsonWriter out_;
  const Logger& log_;
  bool broken_ = false;
};

// The main loop of a run: token renewals, heartbeats, recovery, the intents and prices on stdin,
// postbacks and the order manager's timers, until stdin ends and the orders settle (or
// --eof-wait is over), a stop signal, or a failure. Each step's Result<bool> is false when the
// loop ends here (exit_code says how) and an error when the run fails at once.
class OrderLoop {
 public:
  OrderLoop(const OrderArgs& args, const OrderResources& resources, OrderManager& manager,
            broker::KiteBroker& kite, broker::TokenWatcher& watcher, PaperPriceForwarder* forwarder,
            IntentCatchUp& catch_up, OrderOutput& output, sqlite::IdleCheckpoint& checkpoint,
            const Logger& log)
      : args_(args),
        settings_(resources.settings),
        postbacks_(resources.postbacks.get()),
        manager_(manager),
        kite_(kite),
        watcher_(watcher),
        forwarder_(forwarder),
        catch_up_(catch_up),
        output_(output),
        checkpoint_(checkpoint),
        log_(log) {}

  // The exit code the loop ended with; an error when the run failed.
  Result<int> run() {
    notifier_.ready();
    while (!stop_requested()) {
      notifier_.alive();
      poll_token();
      if (Status s = beat_when_due(); !s.ok()) return s;
      Result<bool> go_on = recover();
      if (go_on.ok() && *go_on) go_on = read_input();
      if (go_on.ok() && *go_on) go_on = handle_lines();
      if (go_on.ok() && *go_on) go_on = after_lines();
      if (!go_on.ok()) return go_on.status();
      if (!*go_on) return exit_code_;
      checkpoint_.after_wait(!lines_.empty());
    }
    return exit_code_;
  }
  std::int64_t bad_lines() const { return bad_lines_; }
  // Tells systemd the program is ending (STOPPING=1): the shutdown that follows cancels orders.
  void stopping() { notifier_.stopping(); }

 private:
  void poll_token() {
    std::optional<Result<broker::AccessToken>> renewed = watcher_.poll();
    if (!renewed) return;
    if (renewed->ok()) {
      kite_.set_access_token((*renewed)->access_token, (*renewed)->issued_at);
      manager_.token_renewed();
      log_.info("token_loaded", {{"token_file", watcher_.path()}});
    } else {
      log_.error_status("token_file_error", renewed->status(), {{"token_file", watcher_.path()}});
    }
  }

  // Beats on schedule, and at once when the status changes: sm-risk approves entries only while
  // sm-order's latest heartbeat says ok.
  Status beat_when_due() {
    const TimestampMs now = wall_now();
    if (now < next_beat_ && manager_.heartbeat().status == last_beat_status_) return Status();
    if (Status s = manager_.beat(); !s.ok()) return s;
    last_beat_status_ = manager_.heartbeat().status;
    next_beat_ = now + settings_.heartbeat_interval_ms;
    return Status();
  }

  Result<bool> recover() {
    if (manager_.recovered()) return true;
    Result<bool> recovered = manager_.recover();
    if (recovered.ok()) {
      // Recovered or not yet: input is still read (intents are recorded and queued) so end of
      // input and --eof-wait are noticed while the broker is away.
      return true;
    }
    if (recovered.status().code() != ErrorCode::kConflict) return recovered.status();
    log_.error_status(
        "drift", recovered.status(),
        {{"hint",
          "run sm-reconcile; --apply adopts the broker's state, or start with --allow-drift"}});
    exit_code_ = kExitDrift;
    return false;
  }

  Result<bool> read_input() {
    // With a postback listener, wake at least every 100 ms to act on what arrived.
    std::int64_t wait_ms =
        std::max<std::int64_t>(0, std::min({manager_.next_due_ms(), next_beat_ - wall_now(),
                                            postbacks_ ? std::int64_t{100} : std::int64_t{1000}}));
    if (notifier_.watchdog_ms() > 0) wait_ms = std::min(wait_ms, notifier_.watchdog_ms() / 4);
    lines_.clear();
    if (input_.eof()) {
      pause_for(std::min<std::int64_t>(wait_ms, 200));
      return true;
    }
    if (Status s = input_.read(checkpoint_.wait_ms(std::min<std::int64_t>(wait_ms, 1000)), lines_);
        !s.ok()) {
      log_.error_status("input_error", s);
      exit_code_ = kExitDataError;
      return false;
    }
    if (input_.eof() && eof_at_ == 0) eof_at_ = wall_now();
    return true;
  }

  // Intents go to the order manager (after the prices before them reach a paper broker); market
  // data passes through to stdout.
  Result<bool> handle_lines() {
    for (const InputLine& line : lines_) {
      if (line.too_long || line.text.find_first_not_of(" \t\r") == std::string::npos) {
        if (line.too_long) {
          ++bad_lines_;
          log_.warn(
              "bad_line",
              {{"input", "stdin"}, {"line", line.number}, {"message", "line longer than 1 MiB"}});
          if (args_.strict) exit_code_ = kExitDataError;
        }
        continue;
      }
      Result<Message> decoded = decoder_.decode(line.text);
      if (!decoded.ok()) {
        ++bad_lines_;
        log_.warn("bad_line", {{"input", "stdin"},
                               {"line", line.number},
                               {"code", error_code_name(decoded.status().code())},
                               {"message", decoded.status().message()}});
        if (args_.strict) {
          // What came before the bad line is handled as before it stopped.
          if (Status s = submit_intents(); !s.ok()) return s;
          return false_with(kExitDataError);
        }
        continue;
      }
      note_market_time(*decoded);
      if (OrderIntent* intent = std::get_if<OrderIntent>(&*decoded)) {
        stage_trace().mark("order.read", intent->symbol);
        intents_.push_back(std::move(*intent));
        continue;
      }
      // Nothing overtakes the intents before it: a replay's intents trade at the prices before
      // them, and a line passed through after an intent (a lock-step marker) comes out after
      // that intent's order updates. The group commit takes a run of consecutive intents.
      if (Status s = submit_intents(); !s.ok()) return s;
      if (forwarder_ &&
          (std::holds_alternative<Bar>(*decoded) || std::holds_alternative<Tick>(*decoded))) {
        forwarder_->add(line.text);
      }
      output_.pass_through(line.text);
    }
    if (Status s = submit_intents(); !s.ok()) return s;
    return exit_code_ == kExitOk;
  }

  // The intents of the pass so far, recorded in one commit and then placed (group commit).
  Status submit_intents() {
    if (intents_.empty()) return Status();
    if (forwarder_) {
      if (Status s = forwarder_->flush(); !s.ok()) return s;
    }
    Status submitted = manager_.submit_all(intents_);
    intents_.clear();
    return submitted;
  }

  // The catch-up judges an approval's age in market time too (a replay at speed), from this.
  // A message stamped in the future (core/future_stamp.h) is not market time.
  void note_market_time(const Message& message) {
    if (future_stamp(message, wall_now())) return;
    TimestampMs ts = 0;
    if (const OrderIntent* intent = std::get_if<OrderIntent>(&message)) ts = intent->ts;
    if (const Bar* bar = std::get_if<Bar>(&message)) ts = bar->ts;
    if (const Tick* tick = std::get_if<Tick>(&message)) ts = tick->ts;
    market_now_ = std::max(market_now_, ts);
  }

  Result<bool> after_lines() {
    if (forwarder_ && (lines_.empty() || forwarder_->pending() >= 1000)) {
      if (Status s = forwarder_->flush(); !s.ok()) return s;
    }
    // Once a second (first at start), busy input or not: a live feed never leaves stdin idle.
    if (wall_now() >= next_catch_up_) {
      if (forwarder_) {
        if (Status s = forwarder_->flush(); !s.ok()) return s;
      }
      if (Status s = catch_up_.run(wall_now(), market_now_); !s.ok()) return s;
      next_catch_up_ = wall_now() + 1000;
    }
    if (postbacks_ && manager_.recovered()) {
      for (const PostbackHint& hint : postbacks_->take()) {
        if (Status s = manager_.on_postback(hint.order_id, hint.tag, hint.status); !s.ok())
          return s;
      }
    }
    if (Status s = manager_.tick(); !s.ok()) return s;
    if (!input_.eof() || !lines_.empty()) return true;
    if (manager_.recovered() && manager_.open_orders() == 0 && manager_.queued() == 0 &&
        manager_.in_doubt() == 0)
      return false;
    if (wall_now() - eof_at_ >= settings_.eof_wait_ms) {
      log_.info("eof_wait_over",
                {{"open_orders", manager_.open_orders()}, {"queued", manager_.queued()}});
      return false;
    }
    return true;
  }

  Result<bool> false_with(int exit_code) {
    exit_code_ = exit_code;
    return false;
  }

  const OrderArgs& args_;
  const OrderSettings& settings_;
  PostbackReceiver* postbacks_;
  OrderManager& manager_;
  broker::KiteBroker& kite_;
  broker::TokenWatcher& watcher_;
  PaperPriceForwarder* forwarder_;
  IntentCatchUp& catch_up_;
  OrderOutput& output_;
  sqlite::IdleCheckpoint& checkpoint_;
  const Logger& log_;
  InputPump input_{STDIN_FILENO};
  MessageDecoder decoder_;
  std::vector<InputLine> lines_;
  std::vector<OrderIntent> intents_;  // read in this pass, not yet submitted
  int exit_code_ = kExitOk;
  TimestampMs next_beat_ = 0;
  // READY=1 when the loop starts, WATCHDOG=1 on every pass (each wait for input is at most a
  // quarter of the watchdog interval).
  service::Notifier notifier_;
  TimestampMs next_catch_up_ = 0;
  // The latest market time seen on the input (bars, ticks, intents); 0 = none yet. A replay's.
  TimestampMs market_now_ = 0;
  std::string last_beat_status_;
  TimestampMs eof_at_ = 0;
  std::int64_t bad_lines_ = 0;
};

void log_stopped(const OrderManager& manager, const IntentCatchUp& catch_up, std::int64_t bad_lines,
                 const Logger& log) {
  const OrderManager::Counters& c = manager.counters();
  log.info("stopped", {{"intents", c.intents},
                       {"placed", c.placed},
                       {"fills", c.fills},
                       {"rejected", c.rejected},
                       {"resolved_found", c.resolved_found},
                       {"resolved_not_found", c.resolved_not_found},
                       {"illegal_transitions", c.illegal_transitions},
                       {"bad_lines", bad_lines},
                       {"caught_up", catch_up.counts().submitted},
                       {"expired", catch_up.counts().expired},
                       {"open_orders", manager.open_orders()},
                       {"queued", manager.queued()},
                       {"signal", stop_requested()}});
}

}  // namespace

int run_order(const CommonPaths& paths, const OrderArgs& args, const Logger& log) {
  // A reader that goes away must not kill us mid-order: writes then fail with EPIPE instead.
  ::signal(SIGPIPE, SIG_IGN);
  OrderResources resources;
  if (int code = open_resources(paths, args, log, resources); code != kExitOk) return code;
  const BrokerSettings& broker = resources.setup.broker;
  std::unique_ptr<BrokerConnection> connection = connect_broker(broker, &log);
  broker::KiteBroker& kite = *connection->kite;
  // Today's placements by earlier runs count against the per-minute and per-day caps too.
  Result<std::vector<TimestampMs>> placed_today = store::placement_times_since(
      resources.db, from_ist(ist_date(connection->clock.now_ms()), 0, 0));
  if (!placed_today.ok()) {
    log.error_status("database_error", placed_today.status());
    return kExitFailure;
  }
  if (!placed_today->empty()) log.info("placements_today", {{"count", placed_today->size()}});
  kite.rate_limiter().count_earlier_placements(*placed_today);
  broker::TokenWatcher watcher(broker.token_file);
  if (int code = load_access_token(watcher, broker, kite, log); code != kExitOk) return code;

  OrderOutput output(log);
  OrderManager manager(
      resources.db, kite, connection->clock, resources.settings.manager,
      [&output](const Message& m) { output.write(m); }, log);
  std::optional<PaperPriceForwarder> forwarder;
  if (args.paper_prices)
    forwarder.emplace(connection->http, broker.kite.base_url + "/_paper/prices");
  // Approvals whose intent never arrived on stdin are taken from the store; their age limit is
  // the one an intent queued here has.
  CatchUpOptions catch_up_options;
  catch_up_options.max_age_ms = resources.settings.manager.max_queue_ms;
  IntentCatchUp catch_up(resources.db, manager, catch_up_options, log);
  log.info("started", {{"broker", broker.kite.base_url},
                       {"token_file", watcher.path()},
                       {"cancel_on_exit", resources.settings.cancel_on_exit}});
  auto fail = [&](const Status& status) {
    log.error_status("failed", status);
    return kExitFailure;
  };
  sqlite::IdleCheckpoint checkpoint(resources.db, log);
  OrderLoop loop(args, resources, manager, kite, watcher, forwarder ? &*forwarder : nullptr,
                 catch_up, output, checkpoint, log);
  Result<int> exit_code = loop.run();
  loop.stopping();
  if (!exit_code.ok()) return fail(exit_code.status());
  if (forwarder) (void)forwarder->flush();
  if (Status s = manager.shutdown(resources.settings.cancel_on_exit, 10000); !s.ok())
    return fail(s);
  if (Status s = manager.beat(true); !s.ok()) return fail(s);
  output.flush();
  log_stopped(manager, catch_up, loop.bad_lines(), log);
  return *exit_code;
}

int run_login(const CommonPaths& paths, const BrokerFlags& flags, const std::string& request_token,
              const Logger& log) {
  Result<Setup> setup = load_setup(paths, flags, log);
  if (!setup.ok()) {
    log.error_status("config_error", setup.status());
    return exit_for_setup_error(setup.status());
  }
  Result<std::string> secret = read_secret("SM_KITE_API_SECRET", setup->broker.secrets_file);
  if (!secret.ok()) {
    log.error_status("config_error",
                     secret.status().code() == ErrorCode::kAuthError
                         ? error(ErrorCode::kConfigError,
                                 "no Kite api secret: set SM_KITE_API_SECRET (environment, "
                                 "SM_KITE_API_SECRET_FILE or the secrets file)")
                         : secret.status());
    return kExitConfigError;
  }
  std::unique_ptr<BrokerConnection> connection = connect_broker(setup->broker, &log);
  broker::BrokerResult<broker::Session> session = connection->kite->login(request_token, *secret);
  if (!session.ok()) {
    log.error_status("login_failed", session.status());
    const ErrorCode code = session.error().code;
    return code == ErrorCode::kAuthError || code == ErrorCode::kInvalidArgument ||
                   code == ErrorCode::kPermissionDenied || code == ErrorCode::kRejected
               ? kExitAuth
               : kExitFailure;
  }
  broker::AccessToken token{
      session->access_token,
      session->login_time > 0 ? session->login_time : connection->clock.now_ms(), session->user_id};
  if (Status s = broker::write_token_file(setup->broker.token_file, token); !s.ok()) {
    log.error_status("token_not_written", s);
    return kExitFailure;
  }
  std::string line;
  JsonObjectWriter(line)
      .string("type", "login")
      .timestamp("ts", connection->clock.now_ms())
      .string("user_id", session->user_id)
      .string("token_file", setup->broker.token_file)
      .timestamp("login_time", token.issued_at)
      .timestamp("expires", broker::kite_token_expiry(token.issued_at))
      .finish();
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
  log.info("logged_in", {{"user_id", session->user_id}, {"token_file", setup->broker.token_file}});
  return kExitOk;
}

namespace {

// The differences as a table for a person (a terminal, or --table) or as NDJSON with a summary
// line. False when stdout cannot be written.
bool write_reconcile_report(const ReconcileArgs& args, const std::vector<Difference>& differences,
                            const std::optional<ApplyReport>& applied, int drift_after,
                            TimestampMs now) {
  const bool table = args.table || (!args.json && ::isatty(STDOUT_FILENO) == 1);
  std::string text;
  if (table) {
    text = format_table(differences, drift_after, applied);
  } else {
    for (const Difference& d : differences) text += difference_to_json(d, now) + "\n";
    text += summary_to_json(now, differences, applied, drift_after) + "\n";
  }
  return std::fputs(text.c_str(), stdout) >= 0 && std::fflush(stdout) == 0;
}

// The access token sm-reconcile calls the broker with: kExitOk with out set, or the exit code to
// stop with, logged.
int reconcile_token(const BrokerSettings& settings, const Logger& log, broker::AccessToken& out) {
  Result<std::optional<broker::AccessToken>> token = initial_token(settings);
  if (!token.ok()) {
    log.error_status("token_error", token.status());
    return exit_for_setup_error(token.status());
  }
  if (!token->has_value()) {
    log.error("no_access_token",
              {{"message", "no token file (" + settings.token_file +
                               ") and no SM_KITE_ACCESS_TOKEN: run `sm-order login`"}});
    return kExitAuth;
  }
  out = **token;
  return kExitOk;
}

// Bonuses and splits due by now adjust our positions before the snapshot, so the broker's
// adjusted holdings are what we expect. Returns an exit code.
int reconcile_corporate_actions(store::Database& db, TimestampMs now, const Logger& log) {
  Result<DefaultActions> actions = load_default_corporate_actions();
  if (!actions.ok()) {
    log.error_status("config_error", actions.status().with_context("corporate actions"));
    return kExitConfigError;
  }
  if (Status adjusted = apply_due_corporate_actions(db, actions->actions, now, "sm-reconcile", log);
      !adjusted.ok()) {
    log.error_status("database_error", adjusted);
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

int run_reconcile(const CommonPaths& paths, const ReconcileArgs& args, const Logger& log) {
  ::signal(SIGPIPE, SIG_IGN);
  Result<Setup> setup = load_setup(paths, args.broker, log);
  if (!setup.ok()) {
    log.error_status("config_error", setup.status());
    return exit_for_setup_error(setup.status());
  }
  Result<std::unique_ptr<costs::CostModel>> cost_model = load_cost_model(setup->config);
  if (!cost_model.ok()) {
    log.error_status("config_error", cost_model.status());
    return kExitConfigError;
  }
  broker::AccessToken token;
  if (int code = reconcile_token(setup->broker, log, token); code != kExitOk) return code;
  if (args.apply && ProcessLock::held_by_other(paths.db_path)) {
    log.error("sm_order_running",
              {{"message", "sm-order is running on this database: stop it before --apply"}});
    return kExitFailure;
  }
  Result<store::Database> db = store::Database::open(paths.db_path);
  if (!db.ok()) {
    log.error_status("database_error", db.status());
    return kExitFailure;
  }
  store::ErrorRecorder errors(log, *db);
  std::unique_ptr<BrokerConnection> connection = connect_broker(setup->broker, &log);
  connection->kite->set_access_token(token.access_token, token.issued_at);
  const TimestampMs now = connection->clock.now_ms();
  if (int code = reconcile_corporate_actions(*db, now, log); code != kExitOk) return code;
  Result<Snapshot> snapshot = take_snapshot(*db, *connection->kite, now);
  if (!snapshot.ok()) {
    log.error_status("snapshot_failed", snapshot.status());
    return snapshot.status().code() == ErrorCode::kAuthError ? kExitAuth : kExitFailure;
  }
  const std::vector<Difference> differences = compare(*snapshot);
  std::optional<ApplyReport> applied;
  int drift_after = count_drift(differences);
  if (!args.apply) {
    // Known classes (the broker's auto square-off) are recorded without --apply; --apply below
    // records them along with everything else.
    if (Result<ApplyReport> known =
            record_known_classes(*db, *snapshot, differences, now, cost_model->get());
        !known.ok()) {
      log.error_status("record_failed", known.status());
      return kExitFailure;
    }
  }
  if (args.apply && !differences.empty()) {
    Result<ApplyReport> report = apply(*db, *snapshot, differences, now);
    if (!report.ok()) {
      log.error_status("apply_failed", report.status());
      return kExitFailure;
    }
    for (const std::string& e : report->errors) log.error("apply_error", {{"message", e}});
    applied = *report;
    Result<Snapshot> again = take_snapshot(*db, *connection->kite, connection->clock.now_ms());
    if (!again.ok()) {
      log.error_status("snapshot_failed", again.status());
      return kExitFailure;
    }
    drift_after = count_drift(compare(*again));
  }
  for (const Difference& d : differences) {
    log.log(d.drift ? LogLevel::kWarning : LogLevel::kInfo, "difference",
            {{"kind", difference_kind_name(d.kind)}, {"symbol", d.symbol}, {"detail", d.detail}});
  }
  if (!write_reconcile_report(args, differences, applied, drift_after, now)) {
    log.error("write_failed", {{"message", "cannot write to stdout"}});
    return kExitFailure;
  }
  log.info("reconciled", {{"differences", differences.size()},
                          {"drift", count_drift(differences)},
                          {"drift_remaining", drift_after},
                          {"applied", applied.has_value()}});
  return args.fail_on_drift && drift_after > 0 ? kExitDrift : kExitOk;
}

}  // namespace sm::order

#include "gateway/program.h"

#include <unistd.h>

#include <fmt/format.h>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/exit_codes.h"
#include "core/future_stamp.h"
#include "core/input_pump.h"
#include "core/json_writer.h"
#include "core/messages.h"
#include "core/ndjson.h"
#include "core/shutdown.h"
#include "core/stage_trace.h"
#include "gateway/gateway.h"
#include "risk/config.h"
#include "service/notifier.h"
#include "sqlite/idle_checkpoint.h"
#include "store/database.h"
#include "store/ops_records.h"
#include "time/calendar.h"

namespace sm::gateway {

namespace {

// A bar counts from its close, when a live gateway would have received it (not from its start:
// a replayed daily bar would otherwise make "now" 09:15 IST with the 15:30 close already known).
TimestampMs message_ts(const Message& message) { return known_at(message); }

bool blank(std::string_view text) {
  return text.find_first_not_of(" \t\r") == std::string_view::npos;
}

constexpr std::string_view kComponent = "sm-risk";
// How often stored, undecided signals are looked for.
constexpr std::int64_t kCatchUpIntervalMs = 1000;
// How long before the calendar runs out the heartbeat turns degraded (two weeks: time to install
// the holiday list NSE publishes in December).
constexpr std::int64_t kCalendarWarningDays = 14;

struct Settings {
  Config config;
  risk::RiskConfig risk;
  std::int64_t heartbeat_interval_ms = 5000;  // risk.heartbeat_interval_ms
};

// Reads the configuration and the risk section; logs and returns nullopt on a config error.
std::optional<Settings> load_settings(const std::string& path, const Logger& log) {
  Result<Config> config = load_config(path, log);
  if (!config.ok()) {
    log.error_status("config_error", config.status());
    return std::nullopt;
  }
  Result<risk::RiskConfig> risk_config = risk::load_risk_config(*config);
  if (!risk_config.ok()) {
    log.error_status("config_error", risk_config.status(),
                     {{"config", config->source().empty() ? "(defaults)" : config->source()}});
    return std::nullopt;
  }
  Result<std::int64_t> interval = config->get_int("risk.heartbeat_interval_ms", 5000);
  if (interval.ok() && (*interval < 100 || *interval > 3'600'000)) {
    interval = error(ErrorCode::kConfigError, "risk.heartbeat_interval_ms must be in 100..3600000");
  }
  if (!interval.ok()) {
    log.error_status("config_error", interval.status());
    return std::nullopt;
  }
  for (const std::string& key : config->unread_keys("risk")) {
    log.warn("config_unknown_key", {{"key", key}});
  }
  return Settings{std::move(*config), std::move(*risk_config), *interval};
}

// The calendar, or null when it cannot be loaded: then every order is denied (fail closed).
std::unique_ptr<time::Calendar> load_calendar(const Logger& log, TimestampMs now) {
  Result<time::Calendar> calendar = time::Calendar::load_default();
  if (!calendar.ok()) {
    log.error_status("calendar_unavailable", calendar.status(),
                     {{"effect", "every order is denied CALENDAR_UNAVAILABLE"}});
    return nullptr;
  }
  if (std::optional<std::string> warning = calendar->coverage_warning(ist_date(now))) {
    log.warn("calendar_coverage", {{"message", *warning}});
  }
  return std::make_unique<time::Calendar>(std::move(*calendar));
}

bool write_all(NdjsonWriter& writer, const std::vector<Message>& messages) {
  for (const Message& m : messages) writer.write(m);
  return writer.good();
}

// One sm-risk run over stdin: the gateway, the counts its heartbeats and summary report, and how
// the run ends (exit_code_ for a stop that has its own code, failed_ for a runtime failure).
class GatewayRun {
 public:
  // settings and db outlive the run; the gateway opens with open() (or, under --event-time, at
  // the first message).
  GatewayRun(const GatewayArgs& args, const Settings& settings, store::Database& db,
             std::unique_ptr<time::Calendar> calendar, const Logger& log, const time::Clock& clock)
      : args_(args),
        settings_(settings),
        db_(db),
        calendar_(std::move(calendar)),
        log_(log),
        clock_(clock),
        writer_(stdout),
        pump_(STDIN_FILENO),
        checkpoint_(db, log),
        started_(clock.now_ms()) {}

  // Loads the gateway's state as of at; logs and returns false when it cannot.
  bool open(TimestampMs at);
  // Reads stdin until its end, a stop request, a stopping failure or (under --strict) a bad line,
  // then beats "stopping" and logs the summary. Returns the exit code.
  int run();

 private:
  // Records and writes a heartbeat: liveness, on the wall clock even with --event-time, for
  // sm-status and the other components. Degraded (its detail's "degraded" says why) while every
  // order is denied for want of a calendar, after a decision could not be stored, and from
  // kCalendarWarningDays before the calendar runs out.
  void beat(bool stopping);
  // Why the gateway is degraded at now; empty when it is not.
  std::string degraded_reason(TimestampMs now, std::int64_t store_failures) const;
  // One wait for input: a heartbeat when due, then the lines read, or a tick when none came
  // within --idle-ms. False when the run ends.
  bool read_and_handle();
  // Handles one line into the pass's batch (RiskGateway::begin_batch); nothing is written until
  // write_pass(). False when the run ends.
  bool handle_line(const InputLine& line);
  // Commits the pass's batch (one durable commit for every message read in the pass), then
  // writes each line's outputs in input order. False when stdout is closed.
  bool write_pass();
  // Moves "now" to the message's time (--event-time, opening the gateway at the first message)
  // or the clock's. False when the gateway cannot be opened.
  bool advance_now(const Message& message);
  // --event-time, before the gateway opens: a restarted replay continues where the last run's
  // decisions stopped. When the latest stored decision is later on the first message's IST day,
  // the clock starts there, so the order windows (and the kill switches judged at opening) see
  // those decisions instead of a "now" that precedes them. False when the database fails.
  bool resume_event_clock(TimestampMs first);
  // Time passing with no input. False when stdout is closed.
  bool tick();
  // Decides the stored signals that never arrived (RiskGateway::catch_up) and writes the
  // outcome; not with --event-time, whose clock is the input's (a replay delivers every signal in
  // order). False when stdout is closed.
  bool catch_up();
  // True (after a future_data warning) when the message is stamped in the future and must change
  // nothing: under --event-time any message (each one moves the clock) after the run's start;
  // live, a bar or tick after the clock (core/future_stamp.h).
  bool refuse_future(const Message& message, std::int64_t line);

  const GatewayArgs& args_;
  const Settings& settings_;
  store::Database& db_;
  std::unique_ptr<time::Calendar> calendar_;
  std::unique_ptr<RiskGateway> gateway_;
  const Logger& log_;
  const time::Clock& clock_;
  NdjsonWriter writer_;
  MessageDecoder decoder_;
  InputPump pump_;
  sqlite::IdleCheckpoint checkpoint_;
  std::vector<InputLine> lines_;
  std::vector<Message> out_;
  // The pass being handled: per handled line, what to write (the line itself when it passes
  // through, then the gateway's messages), held until the pass's batch is committed.
  bool pass_open_ = false;
  std::vector<std::vector<Message>> pass_outs_;
  std::vector<std::optional<std::string>> pass_lines_;
  std::int64_t signals_ = 0;
  std::int64_t approved_ = 0;
  std::int64_t bad_lines_ = 0;
  std::int64_t future_refused_ = 0;
  bool failed_ = false;
  int exit_code_ = kExitOk;
  TimestampMs started_ = 0;  // the wall clock when the run began
  TimestampMs now_ = 0;
  TimestampMs event_now_ = 0;
  TimestampMs next_beat_ = 0;
  TimestampMs next_catch_up_ = 0;
  // READY=1 when the run starts, WATCHDOG=1 after every wait for input, STOPPING=1 at its end.
  service::Notifier notifier_;
};

bool GatewayRun::open(TimestampMs at) {
  GatewayOptions options;
  Result<DefaultActions> actions = load_default_corporate_actions();
  if (!actions.ok()) {
    log_.error_status("corporate_actions_unreadable", actions.status());
    return false;
  }
  if (!actions->missing.empty()) {
    log_.warn("corporate_actions_missing",
              {{"message", actions->missing},
               {"effect", "held positions are not adjusted on bonus or split ex-dates"}});
  }
  options.corporate_actions = std::move(actions->actions);
  // sm-risk's approvals go to sm-order, which commits each intent at FULL before placing it.
  options.defer_decision_sync = true;
  Result<std::unique_ptr<RiskGateway>> opened =
      RiskGateway::open(db_, settings_.risk, calendar_.get(), at, std::move(options));
  if (!opened.ok()) {
    log_.error_status("database_error", opened.status(), {{"db", args_.db_path}});
    return false;
  }
  gateway_ = std::move(*opened);
  return true;
}

std::string GatewayRun::degraded_reason(TimestampMs now, std::int64_t store_failures) const {
  if (calendar_ == nullptr) return "calendar_unavailable: every order is denied";
  if (store_failures > 0) return fmt::format("store_failures: {}", store_failures);
  // Orders are still allowed until the calendar runs out; the heartbeat says so early enough for
  // a person to install next year's holidays (NSE publishes them in December).
  if (std::optional<std::string> warning = calendar_->runs_out_warning(now, kCalendarWarningDays)) {
    return *warning;
  }
  return {};
}

void GatewayRun::beat(bool stopping) {
  Heartbeat h;
  h.ts = clock_.now_ms();
  h.component = std::string(kComponent);
  h.pid = ::getpid();
  const std::int64_t store_failures = gateway_ ? gateway_->store_failures() : 0;
  const std::string degraded = degraded_reason(h.ts, store_failures);
  h.status = stopping ? "stopping" : !degraded.empty() ? "degraded" : "ok";
  JsonObjectWriter detail(h.detail);
  detail.integer("signals", signals_)
      .integer("approved", approved_)
      .integer("bad_lines", bad_lines_)
      .integer("store_failures", store_failures);
  if (!degraded.empty()) detail.string("degraded", degraded);
  detail.finish();
  if (Status stored = store::record_heartbeat(db_, h); !stored.ok()) {
    log_.error_status("database_error", stored, {{"db", args_.db_path}, {"record", "heartbeat"}});
    failed_ = true;
  }
  if (writer_.good()) writer_.write(h);
  next_beat_ = h.ts + settings_.heartbeat_interval_ms;
}

int GatewayRun::run() {
  notifier_.ready();
  while (!stop_requested() && read_and_handle()) {
    notifier_.alive();
  }
  notifier_.stopping();
  beat(true);
  writer_.flush();
  log_.info("finished", {{"signals", signals_},
                         {"approved", approved_},
                         {"bad_lines", bad_lines_},
                         {"future_refused", future_refused_},
                         {"store_failures", gateway_ ? gateway_->store_failures() : 0},
                         {"stopped_by_signal", stop_requested()}});
  if (exit_code_ != kExitOk) return exit_code_;
  return failed_ ? kExitFailure : kExitOk;
}

bool GatewayRun::read_and_handle() {
  if (clock_.now_ms() >= next_beat_) beat(false);
  // Once a second (first at start), busy input or not: a live feed never leaves stdin idle.
  if (!args_.event_time && clock_.now_ms() >= next_catch_up_) {
    if (!catch_up()) return false;
    next_catch_up_ = clock_.now_ms() + kCatchUpIntervalMs;
  }
  lines_.clear();
  std::int64_t wait_ms =
      std::min(args_.idle_ms, std::max<std::int64_t>(0, next_beat_ - clock_.now_ms()));
  if (notifier_.watchdog_ms() > 0) wait_ms = std::min(wait_ms, notifier_.watchdog_ms() / 4);
  const Status read = pump_.read(checkpoint_.wait_ms(wait_ms), lines_);
  bool go_on = true;
  for (const InputLine& line : lines_) {
    if (stop_requested()) break;
    if (!handle_line(line)) {
      go_on = false;
      break;
    }
  }
  if (!write_pass()) return false;
  checkpoint_.after_wait(!lines_.empty());
  if (!go_on || pump_.eof()) return false;
  if (!read.ok()) {
    log_.error("read_failed", {{"input", "stdin"}, {"message", read.message()}});
    failed_ = true;
    return false;
  }
  if (lines_.empty() && !args_.event_time) return tick();
  return true;
}

bool GatewayRun::handle_line(const InputLine& line) {
  if (!line.too_long && blank(line.text)) return true;
  Result<Message> message =
      line.too_long ? Result<Message>(error(ErrorCode::kParseError, "line longer than 1 MiB"))
                    : decoder_.decode(line.text);
  if (!message.ok()) {
    ++bad_lines_;
    log_.error("bad_line", {{"input", "stdin"},
                            {"line", line.number},
                            {"code", error_code_name(message.status().code())},
                            {"message", message.status().message()}});
    if (args_.strict) {
      exit_code_ = kExitDataError;
      return false;
    }
    return true;
  }
  if (const Signal* signal = std::get_if<Signal>(&*message)) {
    stage_trace().mark("risk.read", signal->symbol);
  }
  if (refuse_future(*message, line.number)) return true;
  if (!advance_now(*message)) {
    exit_code_ = kExitFailure;
    return false;
  }
  if (!pass_open_) {
    gateway_->begin_batch();
    pass_open_ = true;
  }
  pass_outs_.emplace_back();
  Result<Disposition> disposition = gateway_->handle(*message, now_, pass_outs_.back());
  std::optional<std::string> pass_through;
  if (!disposition.ok()) {
    failed_ = true;
    log_.error_status("gateway_error", disposition.status(), {{"line", line.number}});
  } else if (*disposition == Disposition::kPassThrough) {
    pass_through = line.text;
  } else if (*disposition == Disposition::kRefused) {
    log_.error("order_refused",
               {{"line", line.number}, {"message", "order intents are never passed through"}});
  }
  pass_lines_.push_back(std::move(pass_through));
  if (std::holds_alternative<Signal>(*message)) ++signals_;
  return true;
}

bool GatewayRun::write_pass() {
  if (!pass_open_) return true;
  pass_open_ = false;
  Status committed = gateway_->end_batch(now_, pass_outs_);
  if (!committed.ok()) {
    failed_ = true;
    log_.error_status("gateway_error", committed, {{"step", "commit"}});
  }
  // The pass's lines in one write (NdjsonWriter::begin_burst).
  writer_.begin_burst();
  for (size_t k = 0; k < pass_outs_.size(); ++k) {
    if (k < pass_lines_.size() && pass_lines_[k]) writer_.write_raw(*pass_lines_[k]);
    for (const Message& m : pass_outs_[k]) {
      if (const RiskDecision* d = std::get_if<RiskDecision>(&m); d != nullptr && d->approved) {
        ++approved_;
      }
    }
    write_all(writer_, pass_outs_[k]);
  }
  // Stamped before the write: the reader it wakes may run before this process does again.
  for (const std::vector<Message>& outs : pass_outs_) {
    for (const Message& m : outs) {
      if (const OrderIntent* intent = std::get_if<OrderIntent>(&m)) {
        stage_trace().mark("risk.written", intent->symbol);
      }
    }
  }
  writer_.end_burst();
  pass_outs_.clear();
  pass_lines_.clear();
  if (!writer_.good()) {
    log_.error("write_failed", {{"message", "stdout closed; stopping"}});
    failed_ = true;
    return false;
  }
  return true;
}

bool GatewayRun::advance_now(const Message& message) {
  if (!args_.event_time) {
    now_ = clock_.now_ms();
    return true;
  }
  if (!gateway_ && !resume_event_clock(message_ts(message))) return false;
  event_now_ = std::max(event_now_, message_ts(message));
  now_ = event_now_;
  return gateway_ || open(now_);
}

bool GatewayRun::resume_event_clock(TimestampMs first) {
  // The decision stored last (by id, which is indexed) is where the previous run stopped.
  Result<std::int64_t> last = db_.query_int64(
      "SELECT COALESCE((SELECT ts_ms FROM risk_decisions ORDER BY id DESC LIMIT 1), 0)");
  if (!last.ok()) {
    log_.error_status("database_error", last.status(), {{"db", args_.db_path}});
    return false;
  }
  // Another day's decisions belong to another replay: that day's windows do not reach this one.
  if (*last > first && ist_date(*last) == ist_date(first)) {
    event_now_ = *last;
    log_.info("event_clock_resumed", {{"first_message", format_utc(first)},
                                      {"now", format_utc(*last)},
                                      {"reason", "the latest stored decision is later"}});
  }
  return true;
}

bool GatewayRun::refuse_future(const Message& message, std::int64_t line) {
  const bool market_data =
      std::holds_alternative<Tick>(message) || std::holds_alternative<Bar>(message);
  if (!args_.event_time && !market_data) return false;
  std::optional<FutureStamp> stamp =
      future_stamp(message, args_.event_time ? started_ : clock_.now_ms());
  if (!stamp) return false;
  ++future_refused_;
  log_.warn("future_data", {{"input", "stdin"},
                            {"line", line},
                            {"type", std::string(message_type(message))},
                            {"symbol", stamp->symbol},
                            {"message_ts", format_utc(stamp->ts)},
                            {"limit", format_utc(stamp->limit)},
                            {"action", "skipped"}});
  return true;
}

bool GatewayRun::tick() {
  now_ = clock_.now_ms();
  out_.clear();
  Status ticked = gateway_->tick(now_, out_);
  if (!ticked.ok()) {
    failed_ = true;
    log_.error_status("gateway_error", ticked);
  }
  if (!write_all(writer_, out_)) {
    log_.error("write_failed", {{"message", "stdout closed; stopping"}});
    failed_ = true;
    return false;
  }
  return true;
}

bool GatewayRun::catch_up() {
  now_ = clock_.now_ms();
  out_.clear();
  std::int64_t caught = 0;
  Status done = gateway_->catch_up(now_, out_, caught);
  if (!done.ok()) {
    failed_ = true;
    log_.error_status("gateway_error", done, {{"step", "catch_up"}});
  }
  if (caught > 0) {
    std::int64_t approved = 0;
    for (const Message& m : out_) {
      if (const RiskDecision* d = std::get_if<RiskDecision>(&m); d != nullptr && d->approved) {
        ++approved;
      }
    }
    signals_ += caught;
    approved_ += approved;
    log_.info("caught_up", {{"signals", caught}, {"approved", approved}});
  }
  if (!write_all(writer_, out_)) {
    log_.error("write_failed", {{"message", "stdout closed; stopping"}});
    failed_ = true;
    return false;
  }
  return true;
}

}  // namespace

int run_gateway(const GatewayArgs& args, const Logger& log, const time::Clock& clock) {
  if (args.idle_ms <= 0 || args.idle_ms > 60'000) {
    log.error("usage_error", {{"message", "--idle-ms must be in 1..60000"}});
    return kExitUsage;
  }
  std::optional<Settings> settings = load_settings(args.config_path, log);
  if (!settings) return kExitConfigError;
  const Config& config = settings->config;

  // On the live order path: checkpoints when idle (sqlite::IdleCheckpoint), not inside a commit.
  store::OpenOptions options;
  options.auto_checkpoint = false;
  Result<store::Database> db = store::Database::open(args.db_path, options);
  if (!db.ok()) {
    log.error_status("database_error", db.status(), {{"db", args.db_path}});
    return kExitFailure;
  }
  // Our errors are stored for people; the gateway counts them as they happen.
  store::ErrorRecorder errors(log, *db);
  const TimestampMs now = clock.now_ms();
  Result<bool> recorded = store::record_config(*db, kComponent, config, log, args.by, now);
  if (!recorded.ok()) {
    log.error_status("database_error", recorded.status(), {{"db", args.db_path}});
    return kExitFailure;
  }
  GatewayRun run(args, *settings, *db, load_calendar(log, now), log, clock);
  // With --event-time the state is loaded as of the first message's time (a replay of an earlier
  // day must see that day's positions, P&L and halts), so the gateway opens at the first message.
  if (!args.event_time && !run.open(now)) return kExitFailure;
  log.info("started", {{"db", args.db_path},
                       {"config_hash", config.content_hash()},
                       {"config_recorded", *recorded},
                       {"capital", format_rupees(settings->risk.capital)},
                       {"event_time", args.event_time},
                       {"heartbeat_interval_ms", settings->heartbeat_interval_ms}});
  return run.run();
}

namespace {

int control_error(const Logger& log, const Status& status, std::string_view db_path) {
  const int exit_code = exit_code_for(status);
  log.error_status(exit_code == kExitUsage ? "usage_error" : "database_error", status,
                   {{"db", std::string(db_path)}});
  return exit_code;
}

}  // namespace

int run_halt(const ControlArgs& args, const Logger& log, const time::Clock& clock) {
  const std::string level = args.level.empty() ? std::string(risk::kLevelHalt) : args.level;
  Result<store::Database> db = store::Database::open(args.db_path);
  if (!db.ok()) return control_error(log, db.status(), args.db_path);
  Result<std::vector<Message>> messages = manual_halt(
      *db, level, args.reason, args.by.empty() ? default_actor() : args.by, clock.now_ms());
  if (!messages.ok()) return control_error(log, messages.status(), args.db_path);
  NdjsonWriter writer(stdout);
  write_all(writer, *messages);
  writer.flush();
  return writer.good() ? kExitOk : kExitFailure;
}

int run_resume(const ControlArgs& args, const Logger& log, const time::Clock& clock) {
  Result<store::Database> db = store::Database::open(args.db_path);
  if (!db.ok()) return control_error(log, db.status(), args.db_path);
  Result<ResumeOutcome> outcome = manual_resume(
      *db, args.level, args.reason, args.by.empty() ? default_actor() : args.by, clock.now_ms());
  if (!outcome.ok()) return control_error(log, outcome.status(), args.db_path);
  log.info("resumed", {{"lifted", outcome->lifted}});
  NdjsonWriter writer(stdout);
  write_all(writer, outcome->messages);
  writer.flush();
  return writer.good() ? kExitOk : kExitFailure;
}

namespace {

std::string status_text(const risk::Assessment& a, const risk::RiskConfig& c) {
  std::string out = fmt::format("sm-risk status at {}\n", format_ist(a.now));
  out += fmt::format("State: {}\n", risk::gateway_state_name(a.state));
  if (a.halts.empty()) {
    out += "Halts in force: none\n";
  } else {
    out += "Halts in force:\n";
    for (const risk::ActiveHalt& h : a.halts) {
      out += fmt::format(
          "  {} ({}) since {}, {}, by {}: {}\n", h.level, h.trigger, format_ist(h.since),
          h.until != 0 ? "until " + format_ist(h.until) : std::string("until a person resumes"),
          h.by.empty() ? "?" : h.by, h.reason);
    }
  }
  if (a.blockers.empty()) {
    out += "Failing closed right now: no\n";
  } else {
    out += "Failing closed right now (every order is denied):\n";
    for (const std::string& b : a.blockers) out += fmt::format("  {}\n", b);
  }
  out += fmt::format("Session: {}\n", a.session);
  out += fmt::format(
      "Today ({} IST): P&L {}; loss {} of capital {} (entries blocked above {}, halt above {})\n",
      format_date(a.day), format_rupees(a.daily_pnl), risk::format_bps(a.daily_loss_bps),
      format_rupees(c.capital), risk::format_bps(c.daily_loss_block_entries_bps),
      risk::format_bps(c.daily_loss_halt_bps));
  out += fmt::format("Exposure: {} (cap {}); open positions {} (max {}); unfilled orders {}\n",
                     format_rupees(a.exposure), format_rupees(c.total_exposure_cap()),
                     a.open_positions, c.max_open_positions, a.pending_orders);
  out += fmt::format(
      "Orders approved: {} in the last minute (max {}), {} in the last 5 minutes; errors in the "
      "last minute: {} (halt above {})\n",
      a.orders_last_minute, c.max_orders_per_minute, a.orders_last_5_minutes, a.errors_last_minute,
      c.max_errors_per_minute);
  return out;
}

std::string status_json(const risk::Assessment& a, const risk::RiskConfig& c) {
  std::string halts = "[";
  for (size_t i = 0; i < a.halts.size(); ++i) {
    if (i > 0) halts += ',';
    const risk::ActiveHalt& h = a.halts[i];
    JsonObjectWriter w(halts);
    w.integer("id", h.id).string("level", h.level).string("trigger", h.trigger);
    w.string("reason", h.reason).string("by", h.by).timestamp("since", h.since);
    if (h.until != 0) {
      w.timestamp("until", h.until);
    } else {
      w.raw("until", "null");
    }
    w.finish();
  }
  halts += ']';
  std::string blockers = "[";
  for (size_t i = 0; i < a.blockers.size(); ++i) {
    if (i > 0) blockers += ',';
    append_json_string(blockers, a.blockers[i]);
  }
  blockers += ']';
  std::string out;
  JsonObjectWriter w(out);
  w.timestamp("ts", a.now)
      .string("state", risk::gateway_state_name(a.state))
      .raw("halts", halts)
      .raw("blockers", blockers)
      .string("session", a.session)
      .string("ist_date", format_date(a.day))
      .rupees("capital", c.capital)
      .rupees("daily_pnl", a.daily_pnl)
      .integer("daily_loss_bps", a.daily_loss_bps)
      .integer("daily_loss_block_entries_bps", c.daily_loss_block_entries_bps)
      .integer("daily_loss_halt_bps", c.daily_loss_halt_bps)
      .rupees("unrealised", a.unrealised)
      .rupees("exposure", a.exposure)
      .rupees("exposure_cap", c.total_exposure_cap())
      .integer("open_positions", a.open_positions)
      .integer("max_open_positions", c.max_open_positions)
      .integer("unfilled_orders", a.pending_orders)
      .integer("orders_last_minute", a.orders_last_minute)
      .integer("orders_last_5_minutes", a.orders_last_5_minutes)
      .integer("errors_last_minute", a.errors_last_minute);
  w.finish();
  return out;
}

}  // namespace

int run_status(const StatusArgs& args, const Logger& log, const time::Clock& clock) {
  TimestampMs now = clock.now_ms();
  if (!args.at.empty()) {
    Result<TimestampMs> parsed = parse_timestamp(args.at, kIstOffsetMinutes);
    if (!parsed.ok()) {
      log.error("usage_error", {{"message", "--at: " + parsed.status().message()}});
      return kExitUsage;
    }
    now = *parsed;
  }
  std::optional<Settings> settings = load_settings(args.config_path, log);
  if (!settings) return kExitConfigError;
  const risk::RiskConfig& risk_config = settings->risk;

  // A missing or empty database is an empty state (no positions, no halts), read from a private
  // in-memory one; the status never creates or migrates the real file.
  Result<store::Database> db = error(ErrorCode::kNotFound, "");
  std::error_code ec;
  if (std::filesystem::exists(args.db_path, ec)) {
    db = store::Database::open_readonly(args.db_path);
    if (!db.ok()) {
      log.error_status("database_error", db.status(), {{"db", args.db_path}});
      return kExitFailure;
    }
  }
  if (!db.ok() || !db->has_schema()) db = store::Database::open(":memory:");
  if (!db.ok()) {
    log.error_status("database_error", db.status());
    return kExitFailure;
  }
  std::unique_ptr<time::Calendar> calendar = load_calendar(log, now);
  Result<std::unique_ptr<RiskGateway>> gateway =
      RiskGateway::open(*db, risk_config, calendar.get(), now);
  if (!gateway.ok()) {
    log.error_status("database_error", gateway.status(), {{"db", args.db_path}});
    return kExitFailure;
  }
  Result<risk::Assessment> assessment = (*gateway)->assess(now);
  if (!assessment.ok()) {
    log.error_status("database_error", assessment.status(), {{"db", args.db_path}});
    return kExitFailure;
  }
  const std::string text = args.json ? status_json(*assessment, risk_config) + "\n"
                                     : status_text(*assessment, risk_config);
  if (std::fputs(text.c_str(), stdout) < 0 || std::fflush(stdout) != 0) {
    log.error("write_failed", {{"message", "cannot write to stdout"}});
    return kExitFailure;
  }
  if (args.fail_if_halted && assessment->state != risk::GatewayState::kActive) return kExitHalted;
  return kExitOk;
}

}  // namespace sm::gateway

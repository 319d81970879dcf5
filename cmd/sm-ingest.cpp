// sm-ingest: load price data (CSV files, NDJSON on stdin) into the database, make candles, replay
// stored data as NDJSON. See man/sm-ingest.1 and docs/INGEST.md.
#include <csignal>
#include <memory>
#include <string>

#include "cli/program.h"
#include "cli/progress.h"
#include "core/config.h"
#include "core/exit_codes.h"
#include "core/log.h"
#include "feed/program.h"
#include "ingest/calendar_command.h"
#include "ingest/corporate_actions_command.h"
#include "ingest/program.h"
#include "ingest/ticker_command.h"
#include "time/clock.h"

namespace {

// The flags of a plain run: loading files or stdin.
void add_ingest_options(CLI::App& app, sm::ingest::IngestArgs& in) {
  app.add_option("inputs", in.inputs,
                 "CSV files to load; - reads NDJSON ticks/bars from stdin (the default)");
  app.add_flag("--stdin", in.use_stdin, "read NDJSON ticks/bars from stdin (same as -)");
  app.add_option("--symbol", in.symbol,
                 "symbol for files without a symbol column (overrides the column)");
  app.add_option("--tz", in.tz, "zone of timestamps without one: IST (default), UTC or +HH:MM")
      ->capture_default_str();
  app.add_option("--timeframe", in.timeframe, "bar length (1m, 5m, 1h, 1d); default: detected");
  app.add_option("--date-format", in.date_format,
                 "layout of day-first or month-first dates, e.g. %d/%m/%Y or %d-%m-%Y %H:%M "
                 "(directives %d %m %Y %y %H %M %S); default: detected when the file decides it");
  app.add_option("--time-label", in.time_label,
                 "intraday stamps mark the bar's start, end, or auto (detect)")
      ->capture_default_str();
  app.add_option("--map", in.maps,
                 "field=column: read field (ts, date, time, symbol, open, high, low, close, "
                 "volume, price, qty, series) from a named or 1-based column; repeatable")
      ->allow_extra_args(false);
  app.add_option("--series", in.series,
                 "keep rows of these series when the file has a series column; all = every "
                 "series")
      ->allow_extra_args(false)
      ->capture_default_str();
  app.add_option("--resample", in.resample,
                 "also make and store bars of this timeframe (1m from ticks, 5m, 15m, "
                 "1h, 1d); repeatable")
      ->allow_extra_args(false);
  app.add_flag("--all-hours", in.all_hours,
               "use ticks outside 09:15-15:30 IST when making 1-minute bars");
  app.add_flag("--emit", in.emit, "also write the normalised records to stdout as NDJSON");
  app.add_flag("--strict", in.strict, "stop at the first bad row (exit 3)");
  app.add_flag("--dry-run", in.dry_run, "validate (and --emit) without storing");
  app.add_option("--batch-size", in.batch_size, "rows per database transaction")
      ->capture_default_str();
}

// The subcommands; each returned App is parsed() when the command line chose it.
CLI::App* add_resample_command(CLI::App& app, sm::ingest::ResampleArgs& rs) {
  CLI::App* resample =
      app.add_subcommand("resample",
                         "aggregate NDJSON ticks/bars from stdin (or --from-db) into "
                         "longer bars on stdout; other lines pass through");
  resample->fallthrough();
  resample->add_option("--to", rs.to, "target timeframe: 1m (from ticks), 5m, 15m, 1h, 1d ...")
      ->required();
  resample->add_flag("--from-db", rs.from_db, "read stored bars (or --ticks) instead of stdin");
  resample->add_option("--symbol", rs.symbols, "with --from-db: only these symbols (repeatable)")
      ->allow_extra_args(false);
  resample->add_option("--source", rs.source, "with --from-db: stored timeframe to read")
      ->capture_default_str();
  resample->add_flag("--ticks", rs.ticks, "with --from-db: read stored ticks");
  resample->add_option("--from", rs.from, "with --from-db: first date or time (IST)");
  resample->add_option("--until", rs.until,
                       "with --from-db: last date (inclusive) or end time (exclusive)");
  resample->add_flag("--store", rs.store, "also store the resampled bars");
  resample->add_flag("--all-hours", rs.all_hours, "use ticks outside 09:15-15:30 IST");
  resample->add_flag("--strict", rs.strict, "stop at the first bad line (exit 3)");
  return resample;
}

CLI::App* add_replay_command(CLI::App& app, sm::ingest::ReplayArgs& rp) {
  CLI::App* replay =
      app.add_subcommand("replay", "write stored bars or ticks for a range as NDJSON, paced");
  replay->fallthrough();
  replay->add_option("--symbol", rp.symbols, "symbols to replay (repeatable); default all")
      ->allow_extra_args(false);
  replay->add_option("--timeframe", rp.timeframe, "bar timeframe to replay")->capture_default_str();
  replay->add_flag("--ticks", rp.ticks, "replay ticks instead of bars");
  replay->add_option("--from", rp.from, "first date or time (IST unless a zone is given)");
  replay->add_option("--to", rp.until, "last date (inclusive) or end time (exclusive)");
  replay->add_option("--speed", rp.speed, "max (no waiting), realtime, or a factor such as 60")
      ->capture_default_str();
  return replay;
}

CLI::App* add_calendar_command(CLI::App& app, sm::ingest::CalendarArgs& cal) {
  CLI::App* calendar = app.add_subcommand(
      "calendar", "replace one year's holidays in the NSE calendar file from NSE's list");
  calendar->fallthrough();
  CLI::Option* list =
      calendar->add_option("list", cal.list_path, "NSE's holiday-master JSON, or a date,name CSV");
  CLI::Option* url = calendar->add_option(
      "--url", cal.url,
      "download the list instead (e.g. https://www.nseindia.com/api/holiday-master?type=trading)");
  list->excludes(url);
  calendar
      ->add_option("--page-url", cal.page_url,
                   "with --url: the page whose cookies and address the download carries, as NSE "
                   "expects; auto: NSE's holiday page for a URL on www.nseindia.com; '' none")
      ->capture_default_str()
      ->needs(url);
  calendar->add_option("--calendar", cal.calendar_path,
                       "the calendar file to update (default: the one the programs load)");
  calendar->add_option("--source", cal.source,
                       "the source column of the new rows, e.g. a circular number (default: the "
                       "list's file name)");
  calendar->add_flag("--dry-run", cal.dry_run, "validate and report without writing");
  return calendar;
}

void add_broker_options(CLI::App& command, sm::broker::BrokerFlags& flags) {
  command
      .add_option("--broker-url", flags.base_url,
                  "Kite Connect base URL (default broker.base_url); sm-paper's URL for paper "
                  "trading")
      ->check(sm::broker::broker_url_problem);
  command
      .add_option("--token-file", flags.token_file,
                  "0600 file holding the access token (default broker.token_file)")
      ->envname("SM_KITE_TOKEN_FILE");
  command
      .add_option("--secrets-file", flags.secrets_file,
                  "0600 KEY=VALUE file with SM_KITE_API_KEY (and optionally SM_KITE_ACCESS_TOKEN)")
      ->envname("SM_SECRETS_FILE");
}

CLI::App* add_poll_command(CLI::App& app, sm::feed::PollArgs& pl) {
  CLI::App* poll = app.add_subcommand(
      "poll", "poll the broker's quotes for a watch-list: ticks and live bars into the database");
  poll->fallthrough();
  poll->add_option("--symbol", pl.symbols,
                   "symbol to watch, INFY or NSE:INFY (repeatable; default signal.symbols)")
      ->allow_extra_args(false);
  poll->add_option("--mode", pl.mode, "quote (trades with volume) or ltp (last prices only)")
      ->capture_default_str();
  poll->add_option("--interval", pl.interval_s, "seconds between polls")->capture_default_str();
  poll->add_option("--bars", pl.bars,
                   "also build bars of this timeframe live, e.g. 5m (repeatable)")
      ->allow_extra_args(false);
  poll->add_option("--stale-after", pl.stale_after_s,
                   "seconds without a tick before a symbol is stale (default feed.stale_after_s, "
                   "120)");
  poll->add_flag("--emit", pl.emit, "also write ticks, bars and heartbeats to stdout as NDJSON");
  poll->add_option("--rounds", pl.rounds, "stop after this many polls (default: until SIGTERM)");
  poll->add_option("--clock-start", pl.clock_start,
                   "run on a simulated clock starting at this time (IST unless zoned)");
  poll->add_option("--clock-speed", pl.clock_speed, "with --clock-start: speed of that clock");
  add_broker_options(*poll, pl.broker);
  return poll;
}

CLI::App* add_historical_command(CLI::App& app, sm::feed::HistoricalArgs& hs) {
  CLI::App* historical = app.add_subcommand(
      "historical", "download candles for a date range into the database (resumable)");
  historical->fallthrough();
  historical->add_option("--symbol", hs.symbols, "symbol (repeatable)")
      ->required()
      ->allow_extra_args(false);
  historical
      ->add_option("--interval", hs.interval,
                   "minute, 3minute, 5minute, 10minute, 15minute, 30minute, 60minute or day")
      ->capture_default_str();
  historical->add_option("--from", hs.from, "first IST date, YYYY-MM-DD")->required();
  historical->add_option("--to", hs.to, "last IST date, YYYY-MM-DD (inclusive)")->required();
  add_broker_options(*historical, hs.broker);
  return historical;
}

CLI::App* add_instruments_command(CLI::App& app, sm::feed::InstrumentsArgs& is) {
  CLI::App* instruments = app.add_subcommand(
      "instruments", "store the instruments dump (symbol -> token) from the broker or a file");
  instruments->fallthrough();
  instruments->add_option("--file", is.file, "an instruments CSV on disk instead of the broker");
  instruments->add_option("--exchange", is.exchange, "the exchange whose rows are stored")
      ->capture_default_str();
  instruments->add_option("--max-age-hours", is.max_age_hours,
                          "do nothing while the stored dump is younger than this (daily timers)");
  add_broker_options(*instruments, is.broker);
  return instruments;
}

// A progress bar per symbol on a terminal (stderr), for sm-ingest historical.
sm::feed::SymbolProgress progress_bars(std::unique_ptr<sm::cli::ProgressBar>& bar,
                                       std::string& label) {
  return [&bar, &label](const std::string& symbol, std::size_t done, std::size_t total) {
    if (!bar || label != symbol) {
      if (bar) bar->finish();
      label = symbol;
      bar = std::make_unique<sm::cli::ProgressBar>(symbol);
    }
    bar->update(done, total);
    if (done == total) bar->finish();
  };
}

CLI::App* add_ticker_command(CLI::App& app, sm::ingest::TickerArgs& tk) {
  CLI::App* ticker = app.add_subcommand(
      "ticker", "stream live ticks from the Kite Ticker websocket into the database (and --emit)");
  ticker->fallthrough();
  ticker
      ->add_option("--symbol", tk.symbols,
                   "symbols to subscribe (repeatable; at most 3000; default signal.symbols)")
      ->allow_extra_args(false);
  ticker->add_option("--mode", tk.mode, "ltp, quote or full")
      ->capture_default_str()
      ->check(CLI::IsMember({"ltp", "quote", "full"}));
  ticker->add_option("--url", tk.url, "the ticker: wss://ws.kite.trade, or sm-paper's ticker_url")
      ->capture_default_str();
  ticker->add_option("--bars", tk.bars, "also build bars of this timeframe live (1m always)");
  ticker->add_flag("--emit", tk.emit, "write ticks and closed bars as NDJSON to stdout");
  ticker
      ->add_option("--data-timeout-ms", tk.data_timeout_ms,
                   "reconnect when nothing (not even a heartbeat) arrived for this long")
      ->capture_default_str();
  ticker->add_option("--initial-backoff-ms", tk.initial_backoff_ms, "first reconnect delay")
      ->capture_default_str();
  ticker->add_option("--max-backoff-ms", tk.max_backoff_ms, "reconnect delay cap")
      ->capture_default_str();
  ticker->add_option("--seed", tk.seed, "seed for the reconnect jitter")->capture_default_str();
  ticker->add_option("--order-postback-url", tk.order_postback_url,
                     "POST order updates from the stream to sm-order's postback listener");
  return ticker;
}

CLI::App* add_corporate_actions_command(CLI::App& app, sm::ingest::CorporateActionsArgs& ca) {
  CLI::App* actions = app.add_subcommand(
      "corporate-actions", "replace the corporate-actions file with a validated new one");
  actions->fallthrough();
  actions->add_option("file", ca.list_path, "the new list: CSV symbol,ex_date,kind,ratio")
      ->required();
  actions->add_option("--actions", ca.actions_path,
                      "the file to replace (default: the one the programs load)");
  actions->add_flag("--dry-run", ca.dry_run, "validate and report without writing");
  return actions;
}

}  // namespace

int main(int argc, char** argv) {
  sm::Logger log("sm-ingest");
  CLI::App app{
      "Load CSV price files or NDJSON ticks/bars (stdin) into the database, normalised to UTC and "
      "exact paise; bad rows are reported on stderr and skipped.",
      "sm-ingest"};
  app.footer(
      "Subcommands: resample (ticks/bars to longer bars), replay (stored data as NDJSON), "
      "calendar (a year's NSE holidays into the calendar file), poll (live quotes), historical "
      "(candles for a date range), instruments (the symbol -> token dump), ticker (live ticks from "
      "the Kite Ticker websocket), corporate-actions (replace the bonus and split list).\n"
      "Exit status: 0 ok, 1 database or broker failure, 2 usage, 3 unreadable input, a file of "
      "which no row could be stored, or a bad row under --strict; 4 configuration error; 7 no "
      "access token or an expired one.");
  sm::cli::CommonOptions common;
  sm::cli::add_common_options(app, common);

  sm::ingest::IngestArgs in;
  add_ingest_options(app, in);
  sm::ingest::ResampleArgs rs;
  CLI::App* resample = add_resample_command(app, rs);
  sm::ingest::ReplayArgs rp;
  CLI::App* replay = add_replay_command(app, rp);
  sm::ingest::CalendarArgs cal;
  CLI::App* calendar = add_calendar_command(app, cal);
  sm::feed::PollArgs pl;
  CLI::App* poll = add_poll_command(app, pl);
  sm::feed::HistoricalArgs hs;
  CLI::App* historical = add_historical_command(app, hs);
  sm::feed::InstrumentsArgs is;
  CLI::App* instruments = add_instruments_command(app, is);
  std::unique_ptr<sm::cli::ProgressBar> bar;
  std::string bar_label;
  sm::ingest::TickerArgs tk;
  CLI::App* ticker = add_ticker_command(app, tk);
  sm::ingest::CorporateActionsArgs ca;
  CLI::App* corporate_actions = add_corporate_actions_command(app, ca);

  return sm::cli::run(app, argc, argv, log, [&]() -> int {
    // A reader that goes away (| head) must not kill us mid-transaction; writes then fail and the
    // commands stop emitting.
    std::signal(SIGPIPE, SIG_IGN);
    sm::Result<sm::Config> config = sm::load_config(common.config_path, log);
    if (!config.ok()) {
      return sm::report_failure(log, "config_error", config.status(), sm::kExitConfigError);
    }
    if (calendar->parsed()) return sm::ingest::run_calendar_refresh(cal, log);
    if (corporate_actions->parsed()) return sm::ingest::run_corporate_actions_refresh(ca, log);
    pl.db_path = hs.db_path = is.db_path = common.db_path;
    if (poll->parsed()) return sm::feed::run_poll(pl, *config, log);
    if (historical->parsed()) {
      return sm::feed::run_historical(hs, *config, log, progress_bars(bar, bar_label));
    }
    if (instruments->parsed()) return sm::feed::run_instruments(is, *config, log);
    const sm::time::SystemClock clock;
    if (resample->parsed()) {
      rs.db_path = common.db_path;
      return sm::ingest::run_resample(rs, log, clock);
    }
    if (ticker->parsed()) {
      tk.config_path = common.config_path;
      tk.db_path = common.db_path;
      return sm::ingest::run_ticker(tk, log, clock);
    }
    if (replay->parsed()) {
      rp.db_path = common.db_path;
      return sm::ingest::run_replay(rp, log, clock, sm::ingest::sleep_interruptibly);
    }
    in.db_path = common.db_path;
    return sm::ingest::run_ingest(in, log, clock);
  });
}

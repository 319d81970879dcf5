// The live strategy runner against a real temporary database: signals out and recorded, state
// saved and restored, positions from stored fills (on the input or followed in the fills table),
// ticks made into bars, configuration.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>

#include "core/config.h"
#include "core/corporate_action.h"
#include "core/log.h"
#include "core/ndjson.h"
#include "signal/runner.h"
#include "store/corporate_actions.h"
#include "store/database.h"
#include "store/market_data.h"
#include "store/trading_records.h"
#include "support/temp_dir.h"

using namespace sm;
using namespace sm::signal;
using sm::testing::TempDir;

namespace {

Bar day_bar(int day, double close, const std::string& symbol = "TEST") {
  Bar b;
  b.ts = from_ist(add_days(Date{2024, 1, 1}, day), 9, 15);
  b.symbol = symbol;
  b.timeframe = Timeframe{Timeframe::kDailyMinutes};
  b.close = *paise_from_double(close);
  b.open = b.close;
  b.high = b.close + 100;
  b.low = b.close - 100;
  b.volume = 1000;
  return b;
}

// Closes that make sma(2)/sma(3) cross up at day 4 and down at day 7.
const double kCloses[] = {10, 10, 10, 9, 12, 13, 13, 8, 7, 7};

InstanceConfig sma_2_3() {
  InstanceConfig c;
  c.name = "sma-cross";
  c.id = "s";
  c.params = {{"fast", 2}, {"slow", 3}, {"qty", 5}};
  return c;
}

std::FILE* temp_file() {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  return file;
}

std::vector<InstanceConfig> validated(std::vector<InstanceConfig> instances) {
  REQUIRE(validate_instances(instances).ok());
  return instances;
}

// A runner of the instances on db, as sm-signal runs one, writing its lines to a temporary file.
struct RunnerRig {
  RunnerRig(store::Database& db, std::vector<InstanceConfig> instances)
      : runner(db, validated(std::move(instances)), RunnerOptions{}, writer, log) {}
  ~RunnerRig() { std::fclose(file); }
  RunnerRig(const RunnerRig&) = delete;
  RunnerRig& operator=(const RunnerRig&) = delete;

  // Every line the runner wrote so far.
  std::string written() {
    writer.flush();
    std::rewind(file);
    std::string out;
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) out.append(buffer, n);
    return out;
  }

  Logger log{"test", LogLevel::kError};
  std::FILE* file = temp_file();
  NdjsonWriter writer{file};
  SignalRunner runner;
};

// Runs bars through a fresh runner on db; returns the lines written.
struct Run {
  std::string out;
  RunnerCounts counts;
};

// fills go on the runner's input before the bar of their time; stored ones are stored by another
// connection (as sm-order does in another process) before that bar, never shown to the runner.
Run feed(store::Database& db, const std::vector<Bar>& bars, const std::vector<Fill>& fills = {},
         const std::vector<Fill>& stored = {}) {
  RunnerRig rig(db, {sma_2_3()});
  SignalRunner& runner = rig.runner;
  std::optional<store::Database> other;
  if (!stored.empty()) {
    auto opened = store::Database::open(db.path());
    REQUIRE(opened.ok());
    other.emplace(std::move(opened).value());
  }
  for (const Bar& bar : bars) {
    for (const Fill& fill : stored) {
      if (fill.ts == bar.ts) REQUIRE(store::insert_fill(*other, fill).ok());
    }
    for (const Fill& fill : fills) {
      if (fill.ts == bar.ts) REQUIRE(runner.on_fill(fill, to_json(Message{fill})).ok());
    }
    REQUIRE(runner.on_bar(bar).ok());
    REQUIRE(runner.commit().ok());
  }
  REQUIRE(runner.checkpoint().ok());  // as sm-signal does when it stops
  Run run;
  run.out = rig.written();
  run.counts = runner.counts();
  return run;
}

std::vector<Bar> bars(int from, int to) {
  std::vector<Bar> out;
  for (int d = from; d < to; ++d) out.push_back(day_bar(d, kCloses[d]));
  return out;
}

std::int64_t count(store::Database& db, const char* sql) { return *db.query_int64(sql); }

// The buy that fills the entry signalled at day 4, at day 5.
Fill entry_fill(const std::string& strategy = "s") {
  Fill fill;
  fill.ts = day_bar(5, 0).ts;
  fill.client_order_id = "c1";
  fill.trade_id = "t1";
  fill.strategy = strategy;
  fill.symbol = "TEST";
  fill.side = Side::kBuy;
  fill.qty = 5;
  fill.price = 1300;
  return fill;
}

}  // namespace

TEST_CASE("bars in, signals out, recorded with the state in the database", "[signal][runner]") {
  TempDir dir;
  auto db = store::Database::open(dir.file("t.db"));
  REQUIRE(db.ok());
  Run run = feed(*db, bars(0, 10));
  CHECK(run.counts.signals == 1);  // an entry; without a fill the strategy stays flat
  CHECK(run.out.find("\"action\":\"enter_long\"") != std::string::npos);
  CHECK(run.out.find("\"qty\":5") != std::string::npos);
  CHECK(count(*db, "select count(*) from signals") == 1);
  auto state = store::load_strategy_state(*db, state_key("s", "TEST"));
  REQUIRE(state.ok());
  REQUIRE(state->has_value());
  CHECK((*state)->event_ts == day_bar(9, 0).ts);
}

TEST_CASE("a restarted runner resumes from the saved state and skips bars it has taken",
          "[signal][runner]") {
  TempDir dir;
  auto whole = store::Database::open(dir.file("whole.db"));
  auto split = store::Database::open(dir.file("split.db"));
  REQUIRE(whole.ok());
  REQUIRE(split.ok());
  const Fill fill = entry_fill();
  Run one = feed(*whole, bars(0, 10), {fill});
  Run a = feed(*split, bars(0, 5), {fill});
  Run b = feed(*split, bars(0, 10), {fill});  // everything again: the first five are skipped
  CHECK(b.counts.already_seen == 5);
  CHECK(b.counts.states_restored == 1);
  CHECK(b.counts.fills_repeated + b.counts.fills_stored == 1);
  CHECK(one.counts.signals == 2);  // entry at day 4, exit at day 7 (the fill made it long)
  CHECK(a.counts.signals + b.counts.signals == 2);
  auto strip = [](const std::string& text) {
    std::string out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (line.find("\"type\":\"signal\"") != std::string::npos) out += line + "\n";
    }
    return out;
  };
  CHECK(strip(a.out) + strip(b.out) == strip(one.out));
}

// Only the lines of signals, in order.
std::string signal_lines(const std::string& text) {
  std::string out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("\"type\":\"signal\"") != std::string::npos) out += line + "\n";
  }
  return out;
}

TEST_CASE("a state is saved at a signal, every checkpoint_bars bars and at the stop, not per bar",
          "[signal][runner]") {
  // Issue 14: the state changes with every bar; saving it every bar was a write per bar.
  TempDir dir;
  auto db = store::Database::open(dir.file("t.db"));
  REQUIRE(db.ok());
  RunnerRig rig(*db, {sma_2_3()});
  const auto saved_ts = [&]() -> std::optional<TimestampMs> {
    auto state = store::load_strategy_state(*db, state_key("s", "TEST"));
    REQUIRE(state.ok());
    if (!*state) return std::nullopt;
    return (*state)->event_ts;
  };
  for (int d = 0; d < 14; ++d) {  // flat closes: no signal
    REQUIRE(rig.runner.on_bar(day_bar(d, 10)).ok());
    REQUIRE(rig.runner.commit().ok());
  }
  CHECK(rig.runner.counts().states_saved == 0);
  CHECK(rig.runner.counts().commits == 0);
  CHECK_FALSE(saved_ts().has_value());
  REQUIRE(rig.runner.on_bar(day_bar(14, 10)).ok());  // the 15th bar since the last save
  REQUIRE(rig.runner.commit().ok());
  CHECK(rig.runner.counts().states_saved == 1);
  CHECK(saved_ts() == day_bar(14, 0).ts);
  REQUIRE(rig.runner.on_bar(day_bar(15, 9)).ok());
  REQUIRE(rig.runner.on_bar(day_bar(16, 12)).ok());  // sma(2) crosses sma(3): a signal
  REQUIRE(rig.runner.commit().ok());
  CHECK(rig.runner.counts().signals == 1);
  CHECK(rig.runner.counts().states_saved == 2);
  CHECK(saved_ts() == day_bar(16, 0).ts);
  REQUIRE(rig.runner.on_bar(day_bar(17, 13)).ok());
  REQUIRE(rig.runner.commit().ok());
  CHECK(saved_ts() == day_bar(16, 0).ts);
  REQUIRE(rig.runner.checkpoint().ok());
  CHECK(rig.runner.counts().states_saved == 3);
  CHECK(saved_ts() == day_bar(17, 0).ts);
}

TEST_CASE(
    "a runner killed between checkpoints catches up from the stored bars: nothing twice, "
    "nothing missed",
    "[signal][runner]") {
  TempDir dir;
  auto whole = store::Database::open(dir.file("whole.db"));
  auto split = store::Database::open(dir.file("split.db"));
  REQUIRE(whole.ok());
  REQUIRE(split.ok());
  // sm-ingest stores the bars before it emits them.
  REQUIRE(store::insert_bars(*split, bars(0, 10)).ok());
  const Fill fill = entry_fill();
  Run one = feed(*whole, bars(0, 10), {fill});
  REQUIRE(one.counts.signals == 2);  // entry at day 4, exit at day 7

  std::string before_kill;
  {
    // Committed after every bar, then killed: no checkpoint at the end. The state stored is the
    // one of day 4 (its signal); day 5 was taken with the position the fill made.
    RunnerRig rig(*split, {sma_2_3()});
    for (const Bar& bar : bars(0, 6)) {
      if (bar.ts == fill.ts) REQUIRE(rig.runner.on_fill(fill, to_json(Message{fill})).ok());
      REQUIRE(rig.runner.on_bar(bar).ok());
      REQUIRE(rig.runner.commit().ok());
    }
    before_kill = rig.written();
    auto state = store::load_strategy_state(*split, state_key("s", "TEST"));
    REQUIRE(state.ok());
    REQUIRE(state->has_value());
    CHECK((*state)->event_ts == day_bar(4, 0).ts);
  }
  SECTION("the feed goes on from now: days 6 and 7 were lost in the pipe") {
    std::vector<Bar> later = bars(8, 10);
    Run after = feed(*split, later);
    CHECK(after.counts.bars_replayed == 3);  // days 5, 6 and 7 from the bars table
    CHECK(signal_lines(before_kill) + signal_lines(after.out) == signal_lines(one.out));
  }
  SECTION("the feed goes on from the stored state: days 5 to 9 again") {
    Run after = feed(*split, bars(5, 10));
    CHECK(after.counts.bars_replayed == 0);
    CHECK(signal_lines(before_kill) + signal_lines(after.out) == signal_lines(one.out));
  }
  CHECK(count(*split, "select count(*) from signals") == 2);
}

TEST_CASE("the position a strategy sees is the stored one, from fills", "[signal][runner]") {
  TempDir dir;
  auto db = store::Database::open(dir.file("t.db"));
  REQUIRE(db.ok());
  Run run = feed(*db, bars(0, 10), {entry_fill()});
  CHECK(run.counts.fills_stored == 1);
  CHECK(run.out.find("\"action\":\"exit_long\"") != std::string::npos);
  CHECK(run.out.find("\"type\":\"fill\"") != std::string::npos);  // passed through
  auto position = store::find_position(*db, "s", "TEST");
  REQUIRE(position.ok());
  REQUIRE(position->has_value());
  CHECK((*position)->qty == 5);
  // A fill of another strategy is passed through but not stored.
  Fill other = entry_fill("someone-else");
  other.trade_id = "t2";
  Run again = feed(*db, {}, {other});
  CHECK(count(*db, "select count(*) from fills") == 1);
}

TEST_CASE("fills another program stores are followed before the next bar: the strategy exits",
          "[signal][runner]") {
  // Issue 11: under systemd sm-signal's input is market data only; sm-order stores the fills.
  TempDir dir;
  auto db = store::Database::open(dir.file("t.db"));
  REQUIRE(db.ok());
  Run run = feed(*db, bars(0, 10), {}, {entry_fill()});
  CHECK(run.counts.fills_followed == 1);
  CHECK(run.counts.fills_stored == 0);
  CHECK(run.counts.signals == 2);
  CHECK(run.out.find("\"action\":\"exit_long\"") != std::string::npos);
  CHECK(run.out.find("\"type\":\"fill\"") == std::string::npos);  // nothing on the input
}

TEST_CASE("a position adjusted for a bonus is followed: the strategy exits the new quantity",
          "[signal][runner]") {
  // Issue 11: held into a 1:1 bonus's ex-date (day 6), the 5 shares are 10; the exit at day 7 must
  // sell 10, not leave 5 behind.
  TempDir dir;
  auto db = store::Database::open(dir.file("t.db"));
  REQUIRE(db.ok());
  auto bonus = parse_corporate_actions(
      "symbol,ex_date,kind,ratio\nTEST," + format_date(ist_date(day_bar(6, 0).ts)) + ",bonus,1:1\n",
      "test");
  REQUIRE(bonus.ok());
  auto other = store::Database::open(db->path());
  REQUIRE(other.ok());
  Logger log("test", LogLevel::kError);
  std::vector<InstanceConfig> instances{sma_2_3()};
  REQUIRE(validate_instances(instances).ok());
  RunnerRig rig(*db, instances);
  for (const Bar& bar : bars(0, 10)) {
    if (bar.ts == entry_fill().ts) REQUIRE(store::insert_fill(*other, entry_fill()).ok());
    if (bar.ts == day_bar(6, 0).ts) {
      auto applied = store::apply_corporate_actions(*other, *bonus, bar.ts, "sm-risk");
      REQUIRE(applied.ok());
      REQUIRE(applied->size() == 1);
    }
    REQUIRE(rig.runner.on_bar(bar).ok());
    REQUIRE(rig.runner.commit().ok());
  }
  const std::string out = rig.written();
  const std::size_t exit = out.find("\"action\":\"exit_long\"");
  REQUIRE(exit != std::string::npos);
  const std::size_t line_end = out.find('\n', exit);
  const std::size_t line_start = out.rfind('\n', exit) + 1;
  CHECK(out.substr(line_start, line_end - line_start).find("\"qty\":10") != std::string::npos);
}

TEST_CASE("a fill both stored by another program and on the input counts once",
          "[signal][runner]") {
  TempDir dir;
  auto db = store::Database::open(dir.file("t.db"));
  REQUIRE(db.ok());
  Run run = feed(*db, bars(0, 10), {entry_fill()}, {entry_fill()});
  CHECK(run.counts.fills_repeated == 1);
  CHECK(run.counts.fills_followed == 1);
  // The exit sells the 5 shares held, not 10.
  const std::size_t exit = run.out.find("\"action\":\"exit_long\"");
  REQUIRE(exit != std::string::npos);
  const std::size_t end = run.out.find('\n', exit);
  CHECK(run.out.substr(exit, end - exit).find("\"qty\":5") != std::string::npos);
  auto position = store::find_position(*db, "s", "TEST");
  REQUIRE(position.ok());
  REQUIRE(position->has_value());
  CHECK((*position)->qty == 5);
}

TEST_CASE("fills of other strategies in the fills table leave the position flat",
          "[signal][runner]") {
  TempDir dir;
  auto db = store::Database::open(dir.file("t.db"));
  REQUIRE(db.ok());
  Run run = feed(*db, bars(0, 10), {}, {entry_fill("someone-else")});
  CHECK(run.counts.fills_followed == 0);
  CHECK(run.counts.signals == 1);  // the entry only
  CHECK(run.out.find("\"action\":\"exit_long\"") == std::string::npos);
}

TEST_CASE("fills stored before the runner starts are in the position it loads, not followed twice",
          "[signal][runner]") {
  TempDir dir;
  auto db = store::Database::open(dir.file("t.db"));
  REQUIRE(db.ok());
  Run first = feed(*db, bars(0, 5));
  CHECK(first.counts.signals == 1);  // the entry at day 4
  REQUIRE(store::insert_fill(*db, entry_fill()).ok());
  Run second = feed(*db, bars(5, 10));
  CHECK(second.counts.fills_followed == 0);
  CHECK(second.counts.signals == 1);  // the exit at day 7
  CHECK(second.out.find("\"action\":\"exit_long\"") != std::string::npos);
}

TEST_CASE("a signal is written only after it is stored, never when storing fails",
          "[signal][runner]") {
  // Issue 11: what sm-signal decided must be in the signals table before sm-risk can get it, so a
  // restarted sm-risk can catch up from there.
  TempDir dir;
  store::OpenOptions quick;
  quick.busy_timeout_ms = 20;
  auto db = store::Database::open(dir.file("t.db"), quick);
  auto other = store::Database::open(dir.file("t.db"));
  REQUIRE(db.ok());
  REQUIRE(other.ok());
  RunnerRig rig(*db, {sma_2_3()});
  SignalRunner& runner = rig.runner;
  const NdjsonWriter& writer = rig.writer;
  for (const Bar& bar : bars(0, 5)) REQUIRE(runner.on_bar(bar).ok());  // the entry at day 4
  CHECK(runner.counts().signals == 1);
  CHECK(writer.lines_written() == 0);  // held until stored
  {
    // Another writer holds the database: the commit fails and nothing is written.
    auto lock = other->begin();
    REQUIRE(lock.ok());
    CHECK_FALSE(runner.commit().ok());
    CHECK(writer.lines_written() == 0);
    CHECK(count(*other, "select count(*) from signals") == 0);
  }
  REQUIRE(runner.commit().ok());
  CHECK(writer.lines_written() == 1);
  CHECK(count(*db, "select count(*) from signals") == 1);
}

namespace {
// Every statement text the connection runs, as SQLite's statement trace reports it.
int note_statement(unsigned /*kind*/, void* into, void* statement, void* /*text*/) {
  char* sql = sqlite3_expanded_sql(static_cast<sqlite3_stmt*>(statement));
  if (sql != nullptr) static_cast<std::vector<std::string>*>(into)->emplace_back(sql);
  sqlite3_free(sql);
  return 0;
}
}  // namespace

TEST_CASE("signals and states commit at synchronous=NORMAL; the connection stays FULL",
          "[signal][runner]") {
  // Issue 14: an fsync per bar on sm-signal's way to an order. The risk gateway stores every
  // signal again with its decision at FULL, so sm-signal's own commit need not sync.
  TempDir dir;
  auto db = store::Database::open(dir.file("t.db"));
  REQUIRE(db.ok());
  REQUIRE(db->synchronous() == store::Synchronous::kFull);
  RunnerRig rig(*db, {sma_2_3()});
  std::vector<std::string> statements;
  sqlite3_trace_v2(db->handle(), SQLITE_TRACE_STMT, note_statement, &statements);
  for (const Bar& bar : bars(0, 5)) REQUIRE(rig.runner.on_bar(bar).ok());
  REQUIRE(rig.runner.commit().ok());
  sqlite3_trace_v2(db->handle(), 0, nullptr, nullptr);
  CHECK(rig.runner.counts().commits == 1);
  CHECK(count(*db, "select count(*) from signals") == 1);
  const auto at = [&](std::string_view text) {
    return std::find_if(statements.begin(), statements.end(),
                        [&](const std::string& s) { return s.find(text) != std::string::npos; }) -
           statements.begin();
  };
  const auto relaxed = at("synchronous=NORMAL");
  const auto insert = at("INSERT INTO signals");
  const auto restored = at("synchronous=FULL");
  CHECK(relaxed < insert);
  CHECK(insert < restored);
  CHECK(restored < static_cast<std::ptrdiff_t>(statements.size()));
  CHECK(db->synchronous() == store::Synchronous::kFull);
  CHECK(*db->query_int64("PRAGMA synchronous") == 2);
  // A fill on the input is a trading record: stored on the FULL connection as before.
  REQUIRE(rig.runner.on_fill(entry_fill(), to_json(Message{entry_fill()})).ok());
  CHECK(rig.runner.counts().fills_stored == 1);
}

TEST_CASE("ticks are made into bars of the instance's timeframe", "[signal][runner]") {
  TempDir dir;
  auto db = store::Database::open(dir.file("t.db"));
  REQUIRE(db.ok());
  InstanceConfig five;
  five.name = "donchian";
  five.id = "d";
  five.params = {{"entry_bars", 1}, {"exit_bars", 1}, {"qty", 1}};
  five.timeframe = Timeframe{5};
  RunnerRig rig(*db, {five});
  SignalRunner& runner = rig.runner;
  // Prices rise minute by minute from 09:15: each complete 5-minute bar closes above the high of
  // the one before, and with no fill the strategy stays flat, so bars 2 and 3 both signal. The
  // 09:30 bar is still forming (one tick) and is not evaluated.
  for (int minute = 0; minute < 16; ++minute) {
    Tick tick;
    tick.ts = from_ist(Date{2024, 1, 2}, 9, 15 + minute, 10);
    tick.symbol = "TEST";
    tick.price = 10000 + minute * 100;
    tick.qty = 1;
    REQUIRE(runner.on_tick(tick).ok());
  }
  REQUIRE(runner.commit().ok());
  CHECK(runner.counts().ticks == 16);
  CHECK(runner.counts().bars == 3);
  CHECK(runner.counts().signals == 2);
}

TEST_CASE("a bar made here from ticks saves its slot's state: a restart could not replay it",
          "[signal][runner]") {
  TempDir dir;
  auto db = store::Database::open(dir.file("t.db"));
  REQUIRE(db.ok());
  InstanceConfig five = sma_2_3();
  five.timeframe = Timeframe{5};
  RunnerRig rig(*db, {five});
  // A flat price: the averages never cross, so no signal forces a save. Three 5-minute bars are
  // made (09:15, 09:20, 09:25; the 09:30 one is still forming), far fewer than checkpoint_bars.
  for (int minute = 0; minute < 16; ++minute) {
    Tick tick;
    tick.ts = from_ist(Date{2024, 1, 2}, 9, 15 + minute, 10);
    tick.symbol = "TEST";
    tick.price = 10000;
    tick.qty = 1;
    REQUIRE(rig.runner.on_tick(tick).ok());
    REQUIRE(rig.runner.commit().ok());
  }
  CHECK(rig.runner.counts().bars == 3);
  CHECK(rig.runner.counts().signals == 0);
  CHECK(rig.runner.counts().states_saved == 3);
  auto state = store::load_strategy_state(*db, state_key("s", "TEST"));
  REQUIRE(state.ok());
  REQUIRE(state->has_value());
  CHECK((*state)->event_ts == from_ist(Date{2024, 1, 2}, 9, 25));
}

TEST_CASE("instances are read from the signal section and validated", "[signal][config]") {
  auto config = Config::parse(R"({"signal": {"symbols": ["tcs"], "timeframe": "5m",
      "strategies": [{"name": "sma-cross", "params": {"fast": 3, "slow": 9}},
                     {"id": "d", "name": "donchian", "symbols": ["INFY"], "timeframe": "1d"}]}})");
  REQUIRE(config.ok());
  auto instances = instances_from_config(*config);
  REQUIRE(instances.ok());
  REQUIRE(instances->size() == 2);
  CHECK((*instances)[0].symbols == std::vector<std::string>{"TCS"});
  CHECK((*instances)[0].timeframe == Timeframe{5});
  CHECK((*instances)[1].timeframe.is_daily());
  CHECK(validate_instances(*instances).ok());
  CHECK((*instances)[0].id == "sma-cross");

  auto typo = Config::parse(R"({"signal": {"strategies": [{"name": "sma-cross", "parms": {}}]}})");
  CHECK(instances_from_config(*typo).status().code() == ErrorCode::kConfigError);
  auto not_list = Config::parse(R"({"signal": {"strategies": {"name": "sma-cross"}}})");
  CHECK(instances_from_config(*not_list).status().code() == ErrorCode::kConfigError);
  std::vector<InstanceConfig> bad{sma_2_3()};
  bad[0].params["slow"] = 1;
  CHECK(validate_instances(bad).code() == ErrorCode::kInvalidArgument);
  std::vector<InstanceConfig> twice{sma_2_3(), sma_2_3()};
  CHECK(validate_instances(twice).code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("the fills table is read again only after another program commits (issue 14)",
          "[signal][runner]") {
  TempDir dir;
  auto db = store::Database::open(dir.file("t.db"));
  REQUIRE(db.ok());
  // Nothing but the runner's own commits: the tables are read once, at the first bar.
  Run quiet = feed(*db, bars(0, 10));
  CHECK(quiet.counts.fill_table_reads == 0);
  // A fill stored by another connection before day 5's bar: read at that bar only, and followed.
  TempDir second;
  auto db2 = store::Database::open(second.file("t.db"));
  REQUIRE(db2.ok());
  Run followed = feed(*db2, bars(0, 10), {}, {entry_fill()});
  CHECK(followed.counts.fill_table_reads == 1);
  CHECK(followed.counts.fills_followed == 1);
  CHECK(followed.counts.signals == 2);
  // A fill on the input (this connection's own commit) is followed too.
  TempDir third;
  auto db3 = store::Database::open(third.file("t.db"));
  REQUIRE(db3.ok());
  Run on_input = feed(*db3, bars(0, 10), {entry_fill()});
  CHECK(on_input.counts.fill_table_reads == 1);
  CHECK(on_input.counts.signals == 2);
}

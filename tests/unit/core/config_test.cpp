#include "core/config.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/sha256.h"
#include "support/captured_log.h"

using sm::Config;
using sm::ErrorCode;

namespace {

class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    static int counter = 0;
    path_ =
        (std::filesystem::temp_directory_path() / ("sm_config_test_" + std::to_string(getpid()) +
                                                   "_" + std::to_string(++counter) + ".jsonc"))
            .string();
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Config parsed(const std::string& text) {
  sm::Result<Config> config = Config::parse(text, "test.jsonc");
  if (!config.ok()) FAIL(config.status().to_string());
  return std::move(config).value();
}

sm::Status parse_failure(const std::string& text) {
  sm::Result<Config> config = Config::parse(text, "test.jsonc");
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().code() == ErrorCode::kConfigError);
  return config.status();
}

const char* const kSample = R"({
  // Risk limits
  "risk": {
    "max_order_qty": 500,          /* shares */
    "max_order_value": "250000.00",
    "daily_loss_limit": 5000.5,
    "enabled": true,
    "ratio": 0.25,
    "nested": {"deep": {"key": 7}}
  },
  "signal": {"symbols": ["RELIANCE", "TCS"], "strategy": "sma-cross"},
  "store": {"unused": null}
})";

}  // namespace

TEST_CASE("config parses JSON with comments and reads typed values", "[config]") {
  const Config config = parsed(kSample);
  CHECK(*config.get_int("risk.max_order_qty", 1) == 500);
  CHECK(*config.get_bool("risk.enabled", false));
  CHECK(*config.get_double("risk.ratio", 0) == 0.25);
  CHECK(*config.get_double("risk.max_order_qty", 0) == 500.0);  // an integer is a number too
  CHECK(*config.get_string("signal.strategy", "") == "sma-cross");
  CHECK(*config.get_string_list("signal.symbols", {}) ==
        std::vector<std::string>{"RELIANCE", "TCS"});
  CHECK(*config.get_int("risk.nested.deep.key", 0) == 7);
  CHECK(config.has("risk.nested"));
  CHECK_FALSE(config.has("risk.missing"));
  REQUIRE(config.get_section("risk").ok());
  CHECK(config.get_section("risk")->at("max_order_qty") == 500);
}

TEST_CASE("missing keys, missing parents and null take the default", "[config]") {
  const Config config = parsed(kSample);
  CHECK(*config.get_int("risk.max_orders_per_minute", 30) == 30);
  CHECK(*config.get_int("order.retry.max_attempts", 5) == 5);           // no "order" section
  CHECK(*config.get_string("store.unused", "fallback") == "fallback");  // null means unset
  CHECK(*config.get_bool("paper.enabled", true));
  CHECK(config.get_section("backtest")->empty());
  const Config empty = Config::defaults();
  CHECK(*empty.get_rupees("risk.max_order_value", 100'000'00) == 100'000'00);
  CHECK(empty.source().empty());
}

TEST_CASE("a value of the wrong type is an error naming key, file and type", "[config]") {
  const Config config = parsed(kSample);
  sm::Result<std::int64_t> as_int = config.get_int("signal.strategy", 0);
  REQUIRE_FALSE(as_int.ok());
  CHECK(as_int.status().code() == ErrorCode::kConfigError);
  CHECK_THAT(as_int.status().message(),
             Catch::StartsWith("test.jsonc: signal.strategy must be an integer, not string"));
  CHECK(config.get_int("risk.ratio", 0).status().code() == ErrorCode::kConfigError);  // 0.25
  CHECK(config.get_bool("risk.max_order_qty", false).status().code() == ErrorCode::kConfigError);
  CHECK(config.get_string("risk.max_order_qty", "").status().code() == ErrorCode::kConfigError);
  CHECK(config.get_string_list("signal.strategy", {}).status().code() == ErrorCode::kConfigError);
  CHECK(config.get_section("signal.symbols").status().code() == ErrorCode::kConfigError);
  sm::Result<std::int64_t> through = config.get_int("signal.strategy.period", 0);
  REQUIRE_FALSE(through.ok());
  CHECK_THAT(through.status().message(), Catch::Contains("signal.strategy must be an object"));
}

TEST_CASE("rupee amounts are exact paise from strings and numbers", "[config]") {
  const Config config = parsed(R"({"risk": {"a": "250000.00", "b": 5000.5, "c": 1250, "d": 0.29,
      "e": 1234.567, "f": "12,50", "g": true, "h": -0.05, "i": 123456789.12}})");
  CHECK(*config.get_rupees("risk.a", 0) == 25'000'000);
  CHECK(*config.get_rupees("risk.b", 0) == 500'050);
  CHECK(*config.get_rupees("risk.c", 0) == 125'000);
  CHECK(*config.get_rupees("risk.d", 0) == 29);  // 0.29 * 100 is 28.999999999999996 in doubles
  CHECK(*config.get_rupees("risk.h", 0) == -5);
  CHECK(*config.get_rupees("risk.i", 0) == 12'345'678'912);
  for (const char* bad : {"risk.e", "risk.f", "risk.g"}) {
    INFO(bad);
    sm::Result<sm::Paise> amount = config.get_rupees(bad, 0);
    REQUIRE_FALSE(amount.ok());
    CHECK(amount.status().code() == ErrorCode::kConfigError);
    CHECK_THAT(amount.status().message(), Catch::Contains(bad));
  }
}

TEST_CASE("load names a missing file and points at bad JSON by line and column", "[config]") {
  sm::Result<Config> missing = Config::load("/nonexistent/stalkmarket.jsonc");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == ErrorCode::kConfigError);
  CHECK_THAT(missing.status().message(), Catch::Contains("/nonexistent/stalkmarket.jsonc"));

  TempFile bad("{\n  \"risk\": {\n    \"max_order_qty\": 5O0\n  }\n}\n");  // letter O
  sm::Result<Config> config = Config::load(bad.path());
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().code() == ErrorCode::kConfigError);
  CHECK_THAT(config.status().message(), Catch::StartsWith(bad.path() + ":3:"));
  CHECK_THAT(config.status().message(), !Catch::Contains("last read"));

  CHECK_THAT(parse_failure("{\"risk\": {\"a\": 1,}}").message(),
             Catch::StartsWith("test.jsonc:1:"));
  CHECK_THAT(parse_failure("[1, 2]").message(), Catch::Contains("one JSON object"));
  CHECK_THAT(parse_failure("{\"risk\": {\"a\": 1, \"a\": 2}}").message(),
             Catch::Contains("key 'a' appears twice"));
  CHECK_THAT(parse_failure("").message(), Catch::StartsWith("test.jsonc:1:"));
}

TEST_CASE("secret-looking keys are refused without echoing the value", "[config]") {
  const std::string value = "123456:AAF-very-secret";
  for (const char* key : {"bot_token", "api_secret", "access_token", "password", "routing_key",
                          "kite_api_secret", "Token", "webhook_url"}) {
    INFO(key);
    const std::string text =
        std::string(R"({"alert": {"telegram": {")") + key + R"(": ")" + value + R"("}}})";
    const sm::Status status = parse_failure(text);
    CHECK_THAT(status.message(), Catch::Contains(std::string("alert.telegram.") + key));
    CHECK_THAT(status.message(), Catch::Contains("environment"));
    CHECK_THAT(status.message(), !Catch::Contains(value));
  }
  // Inside a list too.
  CHECK_THAT(parse_failure(R"({"alert": {"sinks": [{"routing_key": "x"}]}})").message(),
             Catch::Contains("alert.sinks[0].routing_key"));
  // Kite's instrument_token is a public id, and a path to a secrets file is not a secret.
  const Config fine = parsed(
      R"({"signal": {"instrument_token": 256265}, "broker": {"api_secret_file": "/etc/sm/kite"}})");
  CHECK(*fine.get_int("signal.instrument_token", 0) == 256265);
}

TEST_CASE("environment overrides set typed values by path", "[config]") {
  Config config = parsed(kSample);
  REQUIRE(config
              .apply_overrides(
                  {"SM_CFG__RISK__MAX_ORDER_QTY=750", "SM_CFG__ALERT__TELEGRAM__CHAT_ID=12345",
                   R"(SM_CFG__SIGNAL__SYMBOLS=["INFY"])", "SM_CFG__STORE__PATH=var/other.db",
                   "SM_CFG__RISK__ENABLED=false", "SM_CFG__RISK__MAX_ORDER_VALUE=1000.10",
                   "PATH=/usr/bin", "SM_DB=ignored.db"})
              .ok());
  CHECK(*config.get_int("risk.max_order_qty", 0) == 750);
  CHECK(*config.get_string("alert.telegram.chat_id", "") == "12345");  // the text, not 12345.0
  CHECK(*config.get_int("alert.telegram.chat_id", 0) == 12345);
  CHECK(*config.get_string_list("signal.symbols", {}) == std::vector<std::string>{"INFY"});
  CHECK(*config.get_string("store.path", "") == "var/other.db");
  CHECK_FALSE(*config.get_bool("risk.enabled", true));
  CHECK(*config.get_rupees("risk.max_order_value", 0) == 100'010);
  CHECK(*config.get_string("signal.strategy", "") == "sma-cross");  // untouched
  CHECK(config.overrides().size() == 6);

  sm::Result<bool> wrong = config.get_bool("store.path", false);
  REQUIRE_FALSE(wrong.ok());
  CHECK_THAT(wrong.status().message(),
             Catch::StartsWith("environment variable SM_CFG__STORE__PATH: store.path"));
}

TEST_CASE("a whole-section override applies before keys inside it", "[config]") {
  Config config = Config::defaults();
  REQUIRE(config
              .apply_overrides({"SM_CFG__RISK__MAX_ORDER_QTY=9",
                                R"(SM_CFG__RISK={"max_order_qty": 1, "enabled": true})"})
              .ok());
  CHECK(*config.get_int("risk.max_order_qty", 0) == 9);
  CHECK(*config.get_bool("risk.enabled", false));
}

TEST_CASE("bad override variables are refused", "[config]") {
  Config config = parsed(kSample);
  sm::Status empty_part = config.apply_overrides({"SM_CFG__RISK____X=1"});
  CHECK(empty_part.code() == ErrorCode::kConfigError);
  CHECK_THAT(empty_part.message(), Catch::Contains("SM_CFG__RISK____X"));

  sm::Status secret = config.apply_overrides({"SM_CFG__BROKER__API_SECRET=hunter2hunter2"});
  CHECK(secret.code() == ErrorCode::kConfigError);
  CHECK_THAT(secret.message(), !Catch::Contains("hunter2"));
  sm::Status nested_secret = config.apply_overrides({R"(SM_CFG__ALERT={"bot_token":"hunter2"})"});
  CHECK(nested_secret.code() == ErrorCode::kConfigError);
  CHECK_THAT(nested_secret.message(), !Catch::Contains("hunter2"));

  sm::Status through = config.apply_overrides({"SM_CFG__SIGNAL__STRATEGY__PERIOD=5"});
  CHECK(through.code() == ErrorCode::kConfigError);
  CHECK_THAT(through.message(), Catch::Contains("signal.strategy is a string"));
}

TEST_CASE("load applies overrides from the process environment", "[config]") {
  TempFile file(R"({"risk": {"max_order_qty": 5}})");
  ::setenv("SM_CFG__RISK__MAX_ORDER_QTY", "7", 1);
  sm::Result<Config> config = Config::load(file.path());
  sm::Result<Config> defaults = Config::load_or_defaults("");
  ::unsetenv("SM_CFG__RISK__MAX_ORDER_QTY");
  REQUIRE(config.ok());
  CHECK(*config->get_int("risk.max_order_qty", 0) == 7);
  CHECK(config->source() == file.path());
  REQUIRE(defaults.ok());
  CHECK(*defaults->get_int("risk.max_order_qty", 0) == 7);

  sm::Result<Config> plain = Config::load_or_defaults(file.path());
  REQUIRE(plain.ok());
  CHECK(*plain->get_int("risk.max_order_qty", 0) == 5);
}

TEST_CASE("unknown sections warn and unread keys are listed", "[config]") {
  const Config config = parsed(R"({"riks": {"a": 1}, "risk": {"max_order_qty": 5,
      "max_ordr_value": 10, "limits": {"x": 1, "y": 2}}})");
  REQUIRE(config.warnings().size() == 1);
  CHECK_THAT(config.warnings()[0], Catch::Contains("unknown section 'riks'"));
  REQUIRE(config.get_int("risk.max_order_qty", 0).ok());
  CHECK(config.unread_keys("risk") ==
        std::vector<std::string>{"risk.limits.x", "risk.limits.y", "risk.max_ordr_value"});
  REQUIRE(config.get_section("risk.limits").ok());
  CHECK(config.unread_keys("risk") == std::vector<std::string>{"risk.max_ordr_value"});
  CHECK(config.unread_keys("paper").empty());
}

TEST_CASE("canonical text and hash ignore order, spacing and comments", "[config]") {
  const Config a = parsed(R"({"risk": {"b": 2, "a": [1, 2.5, "x"]}, "alert": {"on": true}})");
  const Config b = parsed(R"(
    // same content, different order and layout
    {"alert": {"on": true},
     "risk": {"a": [1, 2.5, "x"], /* two */ "b": 2}}
  )");
  const std::string expected = R"({"alert":{"on":true},"risk":{"a":[1,2.5,"x"],"b":2}})";
  CHECK(a.canonical_text() == expected);
  CHECK(b.canonical_text() == expected);
  CHECK(a.content_hash() == sm::sha256_hex(expected));
  CHECK(a.content_hash().size() == 64);
  const Config c = parsed(R"({"risk": {"b": 3, "a": [1, 2.5, "x"]}, "alert": {"on": true}})");
  CHECK(c.content_hash() != a.content_hash());

  Config overridden = parsed(R"({"risk": {"b": 2, "a": [1, 2.5, "x"]}, "alert": {"on": true}})");
  REQUIRE(overridden.apply_overrides({"SM_CFG__RISK__B=3"}).ok());
  CHECK(overridden.canonical_text() == c.canonical_text());  // the effective values are recorded
}

TEST_CASE("the example configuration loads cleanly", "[config]") {
  const std::string path = std::string(SM_DATA_DIR) + "/../examples/stalkmarket.jsonc";
  sm::Result<Config> config = Config::load(path);
  REQUIRE(config.ok());
  CHECK(config->warnings().empty());
  CHECK(config->check_known_keys().ok());
  CHECK(config->get_rupees("risk.max_order_value", 0).ok());
}

TEST_CASE(
    "regression: every known key's section is a known section (feed.stale_after_s was refused)",
    "[config]") {
  for (const std::string& key : Config::known_keys()) {
    INFO(key);
    CHECK(Config::known_sections().count(key.substr(0, key.find('.'))) == 1);
  }
  CHECK(parsed(R"({"feed": {"stale_after_s": 60}})").check_known_keys().ok());
}

TEST_CASE("check_known_keys names the first unknown section or key and where it came from",
          "[config]") {
  const Config riks = parsed(R"({"riks": {"capital": 5}})");
  CHECK(riks.check_known_keys().code() == ErrorCode::kConfigError);
  CHECK_THAT(riks.check_known_keys().message(), Catch::Contains("unknown section \"riks\""));

  const Config misspelt = parsed(R"({"risk": {"capital": 5, "max_ordr_qty": 10}})");
  CHECK(misspelt.check_known_keys().code() == ErrorCode::kConfigError);
  CHECK_THAT(misspelt.check_known_keys().message(),
             Catch::Contains("unknown key risk.max_ordr_qty"));

  const Config nested = parsed(R"({"broker": {"retry": {"max_attempts": 3, "max_attemps": 4}}})");
  CHECK_THAT(nested.check_known_keys().message(),
             Catch::Contains("unknown key broker.retry.max_attemps"));

  Config overridden = parsed(R"({"risk": {"capital": 5}})");
  REQUIRE(overridden.apply_overrides({"SM_CFG__ORDER__POLL_MS=5"}).ok());
  CHECK_THAT(overridden.check_known_keys().message(),
             Catch::Contains("SM_CFG__ORDER__POLL_MS") && Catch::Contains("order.poll_ms"));
}

TEST_CASE("check_known_keys accepts named entries, whole lists, nulls and empty sections",
          "[config]") {
  const Config ok = parsed(R"({
    "store": {},
    "risk": {"strategy_capital_percent": {"new-breakout": 5, "sma": 10},
             "circuit_limits": {"RELIANCE": {"lower": "2000", "upper": "3000"}},
             "required_components": ["sm-order"], "capital": null},
    "broker": {"retry": null, "rate_limits": {"orders_per_day": 100}},
    "signal": {"strategies": [{"name": "sma-cross", "params": {"fast": 5}}]}
  })");
  CHECK(ok.check_known_keys().ok());
  const Config bad_entry = parsed(R"({"risk": {"circuit_limits": {"TCS": {"lowr": "1"}}}})");
  CHECK_THAT(bad_entry.check_known_keys().message(),
             Catch::Contains("unknown key risk.circuit_limits.TCS.lowr"));
}

TEST_CASE("load_config refuses an unknown section or key", "[config]") {
  TempFile file(R"({"paper": {"listen": "127.0.0.1:0", "lisen": "x"}})");
  sm::testing::CapturedLog captured;
  auto config = sm::load_config(file.path(), captured.log());
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().code() == ErrorCode::kConfigError);
  CHECK_THAT(config.status().message(),
             Catch::Contains(file.path()) && Catch::Contains("paper.lisen"));
}

TEST_CASE("load_config logs the loaded hash, and a missing file is a configuration error",
          "[config]") {
  sm::testing::CapturedLog captured;
  auto defaults = sm::load_config(std::string(), captured.log());
  REQUIRE(defaults.ok());
  CHECK(captured.text().find(defaults->content_hash()) != std::string::npos);
  CHECK(captured.text().find("(defaults)") != std::string::npos);
  auto missing = sm::load_config(std::string("/nonexistent/sm.json"), captured.log());
  CHECK(missing.status().code() == ErrorCode::kConfigError);
}

TEST_CASE("default_actor is $USER, else $LOGNAME, else unknown", "[config]") {
  const char* user = std::getenv("USER");
  const char* logname = std::getenv("LOGNAME");
  const std::string saved_user = user != nullptr ? user : "";
  const std::string saved_logname = logname != nullptr ? logname : "";
  ::setenv("USER", "asha", 1);
  ::setenv("LOGNAME", "ravi", 1);
  CHECK(sm::default_actor() == "asha");
  ::unsetenv("USER");
  CHECK(sm::default_actor() == "ravi");
  ::setenv("LOGNAME", "", 1);
  CHECK(sm::default_actor() == "unknown");
  if (user != nullptr) ::setenv("USER", saved_user.c_str(), 1);
  if (logname != nullptr) {
    ::setenv("LOGNAME", saved_logname.c_str(), 1);
  } else {
    ::unsetenv("LOGNAME");
  }
}

#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ingest/fields.h"

using namespace sm;
using namespace sm::ingest;

TEST_CASE("symbols are upper-cased and lose exchange decorations") {
  CHECK(*normalize_symbol("reliance") == "RELIANCE");
  CHECK(*normalize_symbol("  RELIANCE.NS ") == "RELIANCE");
  CHECK(*normalize_symbol("NSE:INFY") == "INFY");
  CHECK(*normalize_symbol("nse:tcs") == "TCS");
  CHECK(*normalize_symbol("WIPRO.BO") == "WIPRO");
  CHECK(*normalize_symbol("SBIN-EQ") == "SBIN");
  CHECK(*normalize_symbol("M&M") == "M&M");
  CHECK(*normalize_symbol("BAJAJ-AUTO") == "BAJAJ-AUTO");
  CHECK(*normalize_symbol("\"NIFTY\"") == "NIFTY");
}

TEST_CASE("symbols that are empty or carry foreign characters are refused") {
  CHECK_FALSE(normalize_symbol("").ok());
  CHECK_FALSE(normalize_symbol("   ").ok());
  CHECK_FALSE(normalize_symbol("NSE:").ok());
  CHECK_FALSE(normalize_symbol("REL IANCE").ok());
  CHECK_FALSE(normalize_symbol("INFY;DROP").ok());
}

TEST_CASE("time zones accept IST, UTC and fixed offsets only") {
  CHECK(*parse_zone_offset("IST") == 330);
  CHECK(*parse_zone_offset("Asia/Kolkata") == 330);
  CHECK(*parse_zone_offset("utc") == 0);
  CHECK(*parse_zone_offset("+05:30") == 330);
  CHECK(*parse_zone_offset("+0530") == 330);
  CHECK(*parse_zone_offset("-04:00") == -240);
  CHECK_FALSE(parse_zone_offset("America/New_York").ok());
  CHECK_FALSE(parse_zone_offset("+25:00").ok());
  CHECK(parse_zone_offset("EST").status().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("prices are exact paise; float noise is rounded and said so") {
  CHECK(parse_price_text("1222.00")->paise == 122200);
  CHECK_FALSE(parse_price_text("1222.00")->rounded);
  CHECK(parse_price_text("886.3")->paise == 88630);
  CHECK(parse_price_text("\"1,234.50\"")->paise == 123450);
  const auto noisy = parse_price_text("2450.199951171875");
  REQUIRE(noisy.ok());
  CHECK(noisy->paise == 245020);
  CHECK(noisy->rounded);
}

TEST_CASE("bad price cells say whether they are garbage or out of range") {
  CHECK(parse_price_text("").status().code() == ErrorCode::kParseError);
  CHECK(parse_price_text("NaN").status().code() == ErrorCode::kParseError);
  CHECK(parse_price_text("inf").status().code() == ErrorCode::kParseError);
  CHECK(parse_price_text("12a").status().code() == ErrorCode::kParseError);
  CHECK(parse_price_text("1e30").status().code() == ErrorCode::kInvalidArgument);
  CHECK(parse_price_text("99999999999999999999").status().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("volumes are whole numbers even when written as floats") {
  CHECK(*parse_quantity_text("677439") == 677439);
  CHECK(*parse_quantity_text("10559.0") == 10559);
  CHECK(*parse_quantity_text("0.0") == 0);
  CHECK(*parse_quantity_text("1.2e6") == 1200000);
  CHECK(*parse_quantity_text("-5") == -5);
  CHECK_FALSE(parse_quantity_text("10.5").ok());
  CHECK_FALSE(parse_quantity_text("nan").ok());
  CHECK(parse_quantity_text("1e40").status().code() == ErrorCode::kInvalidArgument);
  // A volume is a count: its messages never call it a rupee amount, and keep the reason.
  const Status huge = parse_quantity_text("99999999999999999999999").status();
  CHECK(huge.code() == ErrorCode::kInvalidArgument);
  CHECK(huge.message() == "'99999999999999999999999' is not a whole number: too large");
  CHECK(parse_quantity_text("abc").status().message() == "'abc' is not a whole number: no digits");
}

TEST_CASE("timestamps in the forms real files use") {
  const TimestampMs open = from_ist(Date{2023, 7, 3}, 9, 15);
  CHECK(parse_time_text("2023-07-03 09:15:00+05:30", 330)->ts == open);
  CHECK(parse_time_text("2023-07-03T09:15:00+0530", 0)->ts == open);
  CHECK(parse_time_text("2023-07-03 09:15:00", 330)->ts == open);
  CHECK(parse_time_text("2023-07-03 03:45:00", 0)->ts == open);
  CHECK(parse_time_text("2023-07-03 03:45:00+00:00", 330)->ts == open);
  CHECK(parse_time_text("1688355900", 330)->ts == open);     // TradingView: Unix seconds
  CHECK(parse_time_text("1688355900000", 330)->ts == open);  // milliseconds
  const auto date = parse_time_text("2015-01-01", 330);
  REQUIRE(date.ok());
  CHECK(date->date_only);
  CHECK(date->ts == from_ist(Date{2015, 1, 1}, 0, 0));
  CHECK(parse_time_text("01-Jan-2015", 330)->ts == from_ist(Date{2015, 1, 1}, 0, 0));
  CHECK(parse_time_text("1-JAN-2015", 330)->date_only);
  CHECK(parse_time_text("28-Mar-2024 15:30:00", 330)->ts == from_ist(Date{2024, 3, 28}, 15, 30));
}

TEST_CASE("unreadable timestamps fail") {
  CHECK_FALSE(parse_time_text("", 330).ok());
  CHECK_FALSE(parse_time_text("2015-13-01", 330).ok());
  CHECK_FALSE(parse_time_text("2023-02-29", 330).ok());
  CHECK_FALSE(parse_time_text("yesterday", 330).ok());
  CHECK_FALSE(parse_time_text("12345", 330).ok());
  CHECK_FALSE(parse_time_text("01-Foo-2015", 330).ok());
}

TEST_CASE("column keys ignore case and punctuation") {
  CHECK(column_key("Prev Close") == "prevclose");
  CHECK(column_key("%Deliverble") == "deliverble");
  CHECK(column_key(" Adj Close ") == "adjclose");
}

// The fast paths (parse_plain_*) must give what the general parsers give for every text they
// accept, and must accept the shapes real files use (else they would never run).
namespace {

std::vector<std::string> price_corpus() {
  std::vector<std::string> texts = {"0",
                                    "1",
                                    "2450",
                                    "2450.5",
                                    "2450.50",
                                    "2450.500",
                                    "2450.500000",
                                    "2450.5000000",
                                    "2450.505",
                                    "0.05",
                                    "0.5",
                                    "007.50",
                                    ".5",
                                    "5.",
                                    "00",
                                    "9999999999999.99",
                                    "99999999999999",
                                    "10000000000000",
                                    "99999999999999999999",
                                    "",
                                    "NaN",
                                    "nan",
                                    "inf",
                                    "-5",
                                    "+5",
                                    "-0.05",
                                    "1e3",
                                    "1.5E2",
                                    "1,234.50",
                                    " 12",
                                    "12 ",
                                    "12\t",
                                    "\"12\"",
                                    "12.3.4",
                                    "12a",
                                    "2450.199951171875",
                                    "1234567890123.456",
                                    "0.001",
                                    "12.34\r",
                                    "١٢",
                                    "12..3",
                                    "0x10",
                                    "1_000"};
  // Fixed seed: random texts over the characters number cells are made of.
  std::mt19937 random(20261126);
  const std::string alphabet = "0123456789000.-+eE ,\"";
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const auto length = random() % 18;
    for (unsigned k = 0; k < length; ++k) text.push_back(alphabet[random() % alphabet.size()]);
    texts.push_back(text);
  }
  for (int i = 0; i < 20000; ++i) {  // well-formed prices of every size and decimal count
    std::string text = std::to_string(random() % 100000000) + std::to_string(random() % 1000000);
    text.resize(1 + random() % text.size());
    const auto decimals = random() % 8;
    if (decimals > 0) {
      text.push_back('.');
      for (unsigned k = 0; k < decimals - 1; ++k) {
        text.push_back(k < 2 || random() % 4 == 0 ? static_cast<char>('0' + random() % 10) : '0');
      }
    }
    texts.push_back(text);
  }
  return texts;
}

}  // namespace

TEST_CASE("plain prices read as the exact decimal parser reads them") {
  std::int64_t accepted = 0;
  for (const std::string& text : price_corpus()) {
    INFO("'" << text << "'");
    const std::optional<Paise> fast = parse_plain_price(text);
    if (!fast) continue;
    ++accepted;
    const Result<Paise> general = parse_rupees(text, Rounding::kExact);
    REQUIRE(general.ok());
    CHECK(*fast == *general);
  }
  CHECK(accepted > 10000);
  CHECK(parse_plain_price("2450") == 245000);
  CHECK(parse_plain_price("2450.5") == 245050);
  CHECK(parse_plain_price("2450.05") == 245005);
  CHECK(parse_plain_price("2450.0500") == 245005);
  CHECK(parse_plain_price("9999999999999.99") == 999999999999999);
  // Left to the general path: rounding, signs, exponents, separators, quotes, spaces, NaN, empty.
  for (std::string_view text : {"2450.199951171875", "-5", "+5", "1e3", "1,234.50", "\"12\"", " 12",
                                "12 ", "NaN", "", ".5", "99999999999999", "2450.5000000"}) {
    CHECK_FALSE(parse_plain_price(text));
  }
  // and the general path still answers them as before.
  CHECK(parse_price_text("2450.199951171875")->rounded);
  CHECK(parse_price_text("99999999999999999999").status().code() == ErrorCode::kInvalidArgument);
  CHECK(parse_price_text("NaN").status().code() == ErrorCode::kParseError);
  CHECK(parse_price_text(" 12")->paise == 1200);
}

TEST_CASE("plain quantities read as the general quantity parser reads them") {
  std::int64_t accepted = 0;
  std::vector<std::string> texts = price_corpus();
  for (std::string_view extra :
       {"999999999999999", "1000000000000000", "9999999999999.0", "99999999999999.0", "10559.0",
        "10559.000000", "10559.0000000", "10559.01", "0.0", "0"}) {
    texts.emplace_back(extra);
  }
  for (const std::string& text : texts) {
    INFO("'" << text << "'");
    const std::optional<Quantity> fast = parse_plain_quantity(text);
    if (!fast) continue;
    ++accepted;
    if (text.find('.') == std::string::npos) {
      CHECK(*fast == std::stoll(text));
    } else {
      // The general path reads "N.0" as hundredths, exactly.
      const Result<Paise> hundredths = parse_rupees(text, Rounding::kExact);
      REQUIRE(hundredths.ok());
      CHECK(*hundredths % 100 == 0);
      CHECK(*fast == *hundredths / 100);
    }
  }
  CHECK(accepted > 5000);
  CHECK(parse_plain_quantity("10559.0") == 10559);
  CHECK(parse_plain_quantity("999999999999999") == 999999999999999);
  CHECK_FALSE(parse_plain_quantity("99999999999999.0"));  // the general path says out of range
  CHECK(parse_quantity_text("99999999999999.0").status().code() == ErrorCode::kInvalidArgument);
  CHECK_FALSE(parse_plain_quantity("10.5"));
  CHECK_FALSE(parse_plain_quantity("1.2e6"));
  CHECK_FALSE(parse_plain_quantity("-5"));
}

TEST_CASE("plain timestamps read as the general timestamp parser reads them") {
  std::vector<std::string> texts = {"2023-07-03",
                                    "2023-07-03 09:15",
                                    "2023-07-03 09:15:00",
                                    "2023-07-03T09:15:00",
                                    "2024-02-29",
                                    "2023-02-29",
                                    "2023-13-01",
                                    "2023-00-10",
                                    "2023-04-31",
                                    "2023-07-03 24:00",
                                    "2023-07-03 23:60",
                                    "2023-07-03 23:59:60",
                                    "2023-07-03 23:59:61",
                                    "2023-07-03 9:15",
                                    "2023-07-03 09:15:00Z",
                                    "2023-07-03 09:15:00.5",
                                    "2023-07-03 09:15:00+05:30",
                                    "2023-07-03  09:15",
                                    "2023-07-03 09-15",
                                    "2023/07/03",
                                    "03-07-2023",
                                    "01-Jan-2015",
                                    "1688355900",
                                    " 2023-07-03",
                                    "2023-07-03 ",
                                    "\"2023-07-03\"",
                                    "",
                                    "1899-12-31 00:00:00",
                                    "0000-02-29",
                                    "2023-07-03x09:15"};
  std::mt19937 random(7);
  for (int i = 0; i < 30000; ++i) {
    // Random digits in the common shapes, many of them impossible dates and times.
    std::string text =
        fmt::format("{:04}-{:02}-{:02}", 1970 + random() % 80, random() % 14, random() % 33);
    switch (random() % 4) {
      case 0:
        break;
      case 1:
        text += fmt::format(" {:02}:{:02}", random() % 26, random() % 62);
        break;
      default:
        text += fmt::format("{}{:02}:{:02}:{:02}", random() % 5 == 0 ? 'T' : ' ', random() % 26,
                            random() % 62, random() % 62);
    }
    texts.push_back(text);
  }
  std::int64_t accepted = 0;
  for (const std::string& text : texts) {
    INFO("'" << text << "'");
    for (int offset : {330, 0, -240}) {
      const std::optional<ParsedTime> fast = parse_plain_time(text, offset);
      const Result<TimestampMs> general = parse_timestamp(text, offset);
      const bool common_shape = text.size() == 10 || text.size() == 16 || text.size() == 19;
      if (!fast) {
        // Refused only what the general parser refuses too, or shapes it leaves to it.
        CHECK((!general.ok() || !common_shape || text.find_first_of("Z+.\"") != std::string::npos ||
               text.front() == ' ' || text.back() == ' ' || text.find('/') != std::string::npos));
        continue;
      }
      ++accepted;
      REQUIRE(general.ok());
      CHECK(fast->ts == *general);
      CHECK(fast->date_only == (text.size() == 10));
    }
  }
  CHECK(accepted > 20000);
  // A date cell and a time cell read as the two joined by a space.
  for (int i = 0; i < 20000; ++i) {
    const std::string date =
        fmt::format("{:04}-{:02}-{:02}", 1990 + random() % 40, random() % 14, random() % 33);
    const std::string time =
        random() % 2 == 0
            ? fmt::format("{:02}:{:02}", random() % 26, random() % 62)
            : fmt::format("{:02}:{:02}:{:02}", random() % 26, random() % 62, random() % 62);
    INFO(date << " " << time);
    const std::optional<ParsedTime> fast = parse_plain_date_time(date, time, 330);
    const Result<TimestampMs> general = parse_timestamp(date + " " + time, 330);
    CHECK(fast.has_value() == general.ok());
    if (fast && general.ok()) {
      CHECK(fast->ts == *general);
      CHECK_FALSE(fast->date_only);
    }
  }
  CHECK_FALSE(parse_plain_date_time("2023-07-03", "09:15:00+05:30", 330));
  CHECK_FALSE(parse_plain_date_time("03-Jul-2023", "09:15", 330));
  CHECK_FALSE(parse_plain_date_time("", "", 330));
}

TEST_CASE("numbers scanned in place up to a delimiter read as the plain parsers read the cell") {
  std::vector<std::string> texts = price_corpus();
  for (std::string_view extra :
       {"999999999999999", "1000000000000000", "9999999999999.0", "99999999999999.0", "10559.0",
        "10559.0000000", "12.", "", "1;2", "1\t2", "1.2.3", "12\"", "0.0"}) {
    texts.emplace_back(extra);
  }
  std::int64_t prices = 0;
  for (const std::string& text : texts) {
    for (char delimiter : {',', ';', '\t'}) {
      INFO("'" << text << "' then '" << delimiter << "'");
      // The cell alone, and the cell followed by a delimiter and the rest of a row.
      const std::string row = text + delimiter + "99.5";
      const std::string_view cell = std::string_view(row).substr(0, row.find(delimiter));
      for (const std::string_view in : {std::string_view(cell), std::string_view(row)}) {
        const char* const end = in.data() + in.size();
        Paise paise = -1;
        const char* price_end = scan_plain_price(in.data(), end, delimiter, paise);
        const std::optional<Paise> price = parse_plain_price(cell);
        CHECK((price_end != nullptr) == price.has_value());
        if (price_end != nullptr) {
          ++prices;
          CHECK(price_end == in.data() + cell.size());
          CHECK(paise == *price);
        } else {
          CHECK(paise == -1);
        }
        Quantity quantity = -1;
        const char* quantity_end = scan_plain_quantity(in.data(), end, delimiter, quantity);
        const std::optional<Quantity> plain = parse_plain_quantity(cell);
        CHECK((quantity_end != nullptr) == plain.has_value());
        if (quantity_end != nullptr) {
          CHECK(quantity_end == in.data() + cell.size());
          CHECK(quantity == *plain);
        } else {
          CHECK(quantity == -1);
        }
      }
    }
  }
  CHECK(prices > 10000);
}

TEST_CASE("a time reader that remembers the last date reads as the plain time parsers") {
  std::mt19937 random(11);
  std::vector<std::string> texts;
  // Runs of rows on one date, as intraday files have them, with impossible dates and times and
  // other shapes among them.
  for (int day = 0; day < 3000; ++day) {
    const std::string date =
        fmt::format("{:04}-{:02}-{:02}", 1990 + random() % 40, random() % 14, random() % 33);
    for (int row = 0; row < 5; ++row) {
      switch (random() % 6) {
        case 0:
          texts.push_back(date);
          break;
        case 1:
          texts.push_back(date + fmt::format(" {:02}:{:02}", random() % 26, random() % 62));
          break;
        case 2:
          texts.push_back(date + "T09:15:00+05:30");
          break;
        default:
          texts.push_back(date + fmt::format("{}{:02}:{:02}:{:02}", random() % 5 == 0 ? 'T' : ' ',
                                             random() % 26, random() % 62, random() % 62));
      }
    }
  }
  for (int offset : {330, 0, -240}) {
    PlainTimeReader reader(offset);
    std::int64_t accepted = 0;
    for (const std::string& text : texts) {
      INFO("'" << text << "' at " << offset);
      const std::optional<ParsedTime> remembered = reader.time(text);
      const std::optional<ParsedTime> plain = parse_plain_time(text, offset);
      REQUIRE(remembered.has_value() == plain.has_value());
      if (!plain) continue;
      ++accepted;
      CHECK(remembered->ts == plain->ts);
      CHECK(remembered->date_only == plain->date_only);
      if (text.size() > 11) {
        const std::optional<ParsedTime> joined = reader.date_time(
            std::string_view(text).substr(0, 10), std::string_view(text).substr(11));
        const std::optional<ParsedTime> expected = parse_plain_date_time(
            std::string_view(text).substr(0, 10), std::string_view(text).substr(11), offset);
        REQUIRE(joined.has_value() == expected.has_value());
        if (expected) CHECK(joined->ts == expected->ts);
      }
    }
    CHECK(accepted > 5000);
  }
}

TEST_CASE("yfinance index tickers become NSE index names; BSE and unknown ones are refused") {
  CHECK(*normalize_symbol("^NSEI") == "NIFTY 50");
  CHECK(*normalize_symbol("^nsebank") == "NIFTY BANK");
  CHECK(*normalize_symbol("^CNXIT") == "NIFTY IT");
  CHECK(*normalize_symbol("^NSMIDCP") == "NIFTY NEXT 50");
  // The names themselves read back unchanged, so stored and emitted symbols round-trip.
  CHECK(*normalize_symbol("NIFTY 50") == "NIFTY 50");
  CHECK(*normalize_symbol(" nifty bank ") == "NIFTY BANK");
  const auto sensex = normalize_symbol("^BSESN");
  REQUIRE_FALSE(sensex.ok());
  CHECK(sensex.status().message().find("BSE") != std::string::npos);
  CHECK(sensex.status().message().find("--symbol") != std::string::npos);
  const auto unknown = normalize_symbol("^GSPC");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().message().find("--symbol") != std::string::npos);
  CHECK_FALSE(normalize_symbol("NIFTY  50").ok());
  CHECK_FALSE(normalize_symbol("RELIANCE 50").ok());
}

TEST_CASE("date formats accept the documented directives only") {
  CHECK(parse_date_format("%d/%m/%Y").ok());
  CHECK(parse_date_format("%d-%m-%y %H:%M:%S").ok());
  CHECK(parse_date_format("%m.%d.%Y %%").ok());
  CHECK(parse_date_format("%d-%m-%Y %H:%M")->has_time);
  CHECK_FALSE(parse_date_format("%d/%m/%Y")->has_time);
  for (const char* bad : {"", "%d/%m", "%d/%m/%Y %Z", "%d/%m/%Y%", "%d/%d/%Y", "%d/%m/%Y/%y",
                          "%d/%m/%Y %M", "%d/%m/%Y %H %S", "%b %d %Y"}) {
    INFO(bad);
    const auto format = parse_date_format(bad);
    REQUIRE_FALSE(format.ok());
    CHECK(format.status().code() == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("day-first dates read as the ISO text of the same day") {
  const auto day_first = *parse_date_format("%d/%m/%Y");
  const auto with_time = *parse_date_format("%d-%m-%Y %H:%M");
  const auto short_year = *parse_date_format("%d.%m.%y");
  CHECK(parse_formatted_time("31/12/2019", day_first, 330)->ts ==
        from_ist(Date{2019, 12, 31}, 0, 0));
  CHECK(parse_formatted_time("31/12/2019", day_first, 330)->date_only);
  CHECK(parse_formatted_time("1/2/2019", day_first, 330)->ts == from_ist(Date{2019, 2, 1}, 0, 0));
  // A layout without %H also reads a time of day after it.
  const auto stamped = parse_formatted_time("01/02/2019 09:15:30", day_first, 330);
  REQUIRE(stamped.ok());
  CHECK(stamped->ts == from_ist(Date{2019, 2, 1}, 9, 15, 30));
  CHECK_FALSE(stamped->date_only);
  CHECK(parse_formatted_time("01-01-2019 09:15", with_time, 330)->ts ==
        from_ist(Date{2019, 1, 1}, 9, 15));
  CHECK(parse_formatted_time("\"01-01-2019 09:15\"", with_time, 0)->ts ==
        from_ist(Date{2019, 1, 1}, 14, 45));
  CHECK(parse_formatted_time("05.03.19", short_year, 330)->ts == from_ist(Date{2019, 3, 5}, 0, 0));
  CHECK(parse_formatted_time("05.03.99", short_year, 330)->ts == from_ist(Date{1999, 3, 5}, 0, 0));
  for (const char* bad : {"31/02/2019", "12/31/2019", "2019-12-31", "31/12/19", "31/12/2019x",
                          "31/12/2019 25:00", "", "0/1/2019"}) {
    INFO(bad);
    const auto parsed = parse_formatted_time(bad, day_first, 330);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().message().find("%d/%m/%Y") != std::string::npos);
  }
  CHECK_FALSE(parse_formatted_time("01-01-2019", with_time, 330).ok());
  CHECK_FALSE(parse_formatted_time("01-01-2019 09:60", with_time, 330).ok());
}

TEST_CASE("formatted timestamps read as the general parser reads their ISO rewrite") {
  const auto day_first = *parse_date_format("%d/%m/%Y");
  const auto month_first = *parse_date_format("%m-%d-%Y %H:%M:%S");
  std::mt19937 random(11);
  std::int64_t accepted = 0;
  for (int i = 0; i < 30000; ++i) {
    // Random numbers in the common shapes, many of them impossible dates and times.
    const auto year = 1970 + random() % 80, month = random() % 14, day = random() % 33;
    const auto hour = random() % 26, minute = random() % 62, second = random() % 62;
    const std::string iso_date = fmt::format("{:04}-{:02}-{:02}", year, month, day);
    const std::string iso_time = fmt::format("{:02}:{:02}:{:02}", hour, minute, second);
    const bool timed = random() % 2 == 0;
    const std::string iso = timed ? iso_date + " " + iso_time : iso_date;
    const std::string written =
        fmt::format("{}/{}/{}", day, month, year) + (timed ? " " + iso_time : "");
    const std::string month_first_text =
        fmt::format("{:02}-{:02}-{} {}", month, day, year, iso_time);
    INFO(iso << " | " << written << " | " << month_first_text);
    const Result<TimestampMs> general = parse_timestamp(iso, 330);
    const Result<ParsedTime> formatted = parse_formatted_time(written, day_first, 330);
    REQUIRE(formatted.ok() == general.ok());
    const Result<ParsedTime> other = parse_formatted_time(month_first_text, month_first, 330);
    const Result<TimestampMs> other_general = parse_timestamp(iso_date + " " + iso_time, 330);
    REQUIRE(other.ok() == other_general.ok());
    if (other.ok()) CHECK(other->ts == *other_general);
    if (!general.ok()) continue;
    ++accepted;
    CHECK(formatted->ts == *general);
    CHECK(formatted->date_only == !timed);
  }
  CHECK(accepted > 5000);
}

TEST_CASE("day-first or month-first is decided by the whole column, never guessed") {
  SECTION("a day above 12 anywhere proves day-first") {
    DateOrderEvidence evidence;
    evidence.add("01-02-2019 09:15", 2);
    evidence.add("31-01-2019 09:15", 3);
    evidence.add("2019-01-31", 4);  // another shape: ignored
    CHECK(evidence.layout("f.csv")->text == "%d-%m-%Y");
  }
  SECTION("a second number above 12 proves month-first") {
    DateOrderEvidence evidence;
    evidence.add("01/02/2019", 2);
    evidence.add("01/31/2019", 3);
    CHECK(evidence.layout("f.csv")->text == "%m/%d/%Y");
  }
  SECTION("all numbers at most 12 is ambiguous and names the option") {
    DateOrderEvidence evidence;
    evidence.add("01.02.2019", 7);
    evidence.add("12.11.2019", 8);
    const auto layout = evidence.layout("f.csv");
    REQUIRE_FALSE(layout.ok());
    CHECK(layout.status().code() == ErrorCode::kParseError);
    CHECK(layout.status().message().find("--date-format %d.%m.%Y") != std::string::npos);
    CHECK(layout.status().message().find("line 7") != std::string::npos);
  }
  SECTION("both orders in one column is a contradiction") {
    DateOrderEvidence evidence;
    evidence.add("31/01/2019", 2);
    evidence.add("01/31/2019", 3);
    const auto layout = evidence.layout("f.csv");
    REQUIRE_FALSE(layout.ok());
    CHECK(layout.status().message().find("line 2") != std::string::npos);
    CHECK(layout.status().message().find("line 3") != std::string::npos);
  }
  CHECK(DateOrderEvidence::has_numeric_date_shape("1/2/2019"));
  CHECK(DateOrderEvidence::has_numeric_date_shape("01-02-2019T09:15"));
  CHECK_FALSE(DateOrderEvidence::has_numeric_date_shape("2019-01-02"));
  CHECK_FALSE(DateOrderEvidence::has_numeric_date_shape("01/02-2019"));
  CHECK_FALSE(DateOrderEvidence::has_numeric_date_shape("01/02/19"));
  CHECK_FALSE(DateOrderEvidence::has_numeric_date_shape("01-Jan-2019"));
}

TEST_CASE("range bounds: a date is the whole IST day, a time is used as is, empty is unbounded") {
  CHECK(*parse_range_start("2020-01-01") == from_ist(Date{2020, 1, 1}, 0, 0));
  CHECK(*parse_range_end("2020-06-30") == from_ist(Date{2020, 7, 1}, 0, 0));
  CHECK(*parse_range_end("2020-06-30 15:30") == from_ist(Date{2020, 6, 30}, 15, 30));
  CHECK(*parse_range_start("") == std::numeric_limits<TimestampMs>::min());
  CHECK(*parse_range_end("") == std::numeric_limits<TimestampMs>::max());
  CHECK(parse_range_start("someday").status().code() == ErrorCode::kInvalidArgument);
  CHECK(parse_range_end("someday").status().code() == ErrorCode::kInvalidArgument);
}

// sm-paper's work, behind its thin main: open the state, configure engine and server, announce the
// port, feed prices, serve until SIGTERM. man/sm-paper.1 documents flags and exit codes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/log.h"
#include "core/status.h"

namespace sm::paper {

struct PaperArgs {
  std::string config_path;  // --config: paper.listen
  int port = -1;            // --port; -1 = not given: the port of paper.listen, else 0 (any free)
  std::string state_path = "var/paper.db";
  std::string cash = "1000000";  // rupees, for a new state file
  std::string api_key;
  std::string
      secrets_file;    // optional KEY=VALUE file for SM_PAPER_API_SECRET / SM_PAPER_ACCESS_TOKEN
  std::string prices;  // NDJSON file, "-" for stdin, "" for none
  std::string instruments;           // Kite instruments CSV
  std::string market_hours = "nse";  // nse (calendar, continuous session) or always
  std::string clock = "wall";        // wall or market (time of the latest price)
  std::string costs = "india-equity";
  std::int64_t mis_margin_pct = 20;
  std::int64_t price_band_pct = 20;
  std::string volume_cap;  // percent of an update's volume one order may take; "" = off
  bool rms_rejects_as_orders = false;
  bool no_rate_limits = false;
  std::vector<std::string> faults;  // JSON rules
  std::int64_t token_expire_after = 0;
  std::uint64_t seed = 1;
  std::string postback_url;  // "" = no postbacks
  // The Kite Ticker websocket (paper/ticker_server.h): -1 = not served, 0 = any free port.
  int ticker_port = -1;
  std::int64_t ticker_interval_ms = 100;   // how often changed prices are sent
  std::vector<std::string> ticker_faults;  // JSON objects (paper/faults.h TickerFaults)
  // The broker's MIS auto square-off time, HH:MM IST, or "off"; "" = 15:20 with market_hours nse
  // (Zerodha's), off with always (no session to end).
  std::string mis_square_off;
};

// Runs the paper broker until SIGTERM/SIGINT. Returns an exit code: 0 after a clean stop,
// 1 when the state or port cannot be opened, 2 for a bad flag value (fault rule, mode, a
// --postback-url that is not https), 3 when --prices cannot be read, 4 for configuration (the
// --config file, paper.listen not a loopback HOST:PORT, no api key, bad cost model, calendar).
int run_paper(const PaperArgs& args, const Logger& log);

// The port of a paper.listen value "127.0.0.1:PORT" or "localhost:PORT" (PORT 0-65535; 0 picks a
// free one). kConfigError for anything else: sm-paper serves only on loopback.
Result<int> parse_listen_port(std::string_view listen);

}  // namespace sm::paper

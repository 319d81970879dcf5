// The Kite Ticker path's own costs, beside a limit measured in the same run:
//   1. limit: copying each frame and summing its big-endian words by hand (no checks, no structs);
//   2. decode_ticker_frame alone: packets per second;
//   3. decode + tick + live feed (store in SQLite, NDJSON written to /dev/null): packets per
//   second,
//      and per frame the latency from "received" (decode starts) to its NDJSON written (p50, p99).
// Frames hold `--per-frame` quote packets of `--instruments` instruments, as Kite batches them.
//
//   bench_ticker [--instruments N] [--per-frame N] [--frames N] [--db FILE] [--rate R]
//                [--batch-age-ms MS]
//
// --rate R runs step 3 on a simulated clock, starting 10:00 IST on a trading Monday and moving
// per_frame / R seconds per frame: the batches commit by age as they would at R packets per
// second live (a full NSE cash market is about 10,000), the ticks make bars, and the CPU time
// per packet is what that rate costs. Without it the wall clock runs and frames come as fast as
// the feed takes them (batches then close by size).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "broker/ticker_packets.h"
#include "core/ndjson.h"
#include "ingest/live_feed.h"
#include "ingest/ticker_source.h"
#include "store/database.h"
#include "time/calendar.h"
#include "time/clock.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void die(const std::string& what) {
  std::fprintf(stderr, "bench_ticker: %s\n", what.c_str());
  std::exit(1);
}

std::vector<std::string> make_frames(int instruments, int per_frame, int frames) {
  std::vector<std::string> out;
  int next = 0;
  for (int f = 0; f < frames; ++f) {
    std::vector<sm::broker::TickerPacket> packets;
    for (int p = 0; p < per_frame; ++p, ++next) {
      sm::broker::TickerPacket packet;
      packet.instrument_token = static_cast<std::uint32_t>((next % instruments + 1) << 8 | 1);
      packet.mode = sm::broker::TickerMode::kQuote;
      packet.last_price = static_cast<std::uint32_t>(100'000 + (next * 7) % 5'000);
      packet.last_trade_quantity = static_cast<std::uint32_t>(1 + next % 50);
      packet.volume = static_cast<std::uint32_t>(next);
      packet.close = 100'000;
      packets.push_back(packet);
    }
    out.push_back(sm::broker::encode_ticker_frame(packets));
  }
  return out;
}

std::span<const std::uint8_t> bytes(const std::string& frame) {
  return {reinterpret_cast<const std::uint8_t*>(frame.data()), frame.size()};
}

}  // namespace

int main(int argc, char** argv) {
  int instruments = 2000, per_frame = 200, frames = 5000;
  std::string db_path = "/tmp/bench_ticker.db";
  double rate = 0;  // packets per simulated second; 0 = the wall clock
  std::int64_t batch_age_ms = sm::ingest::LiveFeedOptions{}.max_batch_age_ms;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--instruments")
      instruments = std::atoi(argv[i + 1]);
    else if (flag == "--per-frame")
      per_frame = std::atoi(argv[i + 1]);
    else if (flag == "--frames")
      frames = std::atoi(argv[i + 1]);
    else if (flag == "--db")
      db_path = argv[i + 1];
    else if (flag == "--rate")
      rate = std::atof(argv[i + 1]);
    else if (flag == "--batch-age-ms")
      batch_age_ms = std::atoll(argv[i + 1]);
    else
      die("unknown flag " + flag);
  }
  const std::vector<std::string> payloads = make_frames(instruments, per_frame, 100);
  const double packets = static_cast<double>(frames) * per_frame;

  // 1. The limit: copy + hand-rolled word sum, no validation.
  std::vector<char> buffer(payloads[0].size() * 2);
  std::uint64_t sink = 0;
  Clock::time_point start = Clock::now();
  for (int f = 0; f < frames; ++f) {
    const std::string& frame = payloads[static_cast<std::size_t>(f) % payloads.size()];
    std::memcpy(buffer.data(), frame.data(), frame.size());
    for (std::size_t at = 2; at + 4 <= frame.size(); at += 4) {
      sink += (std::uint64_t{static_cast<unsigned char>(buffer[at])} << 24) |
              std::uint64_t{static_cast<unsigned char>(buffer[at + 3])};
    }
  }
  const double limit_s = seconds_since(start);

  // 2. Decoding alone.
  std::size_t decoded = 0;
  start = Clock::now();
  for (int f = 0; f < frames; ++f) {
    auto frame = sm::broker::decode_ticker_frame(
        bytes(payloads[static_cast<std::size_t>(f) % payloads.size()]));
    if (!frame.ok()) die(frame.status().to_string());
    decoded += frame->packets.size();
  }
  const double decode_s = seconds_since(start);

  // 3. Decode + tick + live feed (store + NDJSON).
  std::filesystem::remove(db_path);
  auto db = sm::store::Database::open(db_path);
  if (!db.ok()) die(db.status().to_string());
  auto calendar = sm::time::Calendar::load_default();
  if (!calendar.ok()) die(calendar.status().to_string());
  std::FILE* null_out = std::fopen("/dev/null", "w");
  sm::NdjsonWriter writer(null_out);
  sm::time::SystemClock wall_clock;
  sm::time::ManualClock simulated_clock(sm::from_ist(sm::Date{2024, 3, 4}, 10, 0));
  const sm::time::Clock& clock =
      rate > 0 ? static_cast<const sm::time::Clock&>(simulated_clock) : wall_clock;
  const auto frame_ms = static_cast<std::int64_t>(1000.0 * per_frame / std::max(rate, 1.0));
  sm::ingest::LiveFeedOptions options;
  options.stale_after_ms = 0;
  options.max_batch_age_ms = batch_age_ms;
  sm::ingest::LiveFeed feed(&*db, &writer, clock, *calendar, options, [](const sm::Status&) {});
  std::vector<double> latency_us;
  latency_us.reserve(static_cast<std::size_t>(frames));
  // Process CPU time too: on a shared machine wall time includes waiting for a core.
  const std::clock_t cpu_start = std::clock();
  start = Clock::now();
  for (int f = 0; f < frames; ++f) {
    const Clock::time_point received = Clock::now();
    auto frame = sm::broker::decode_ticker_frame(
        bytes(payloads[static_cast<std::size_t>(f) % payloads.size()]));
    if (!frame.ok()) die(frame.status().to_string());
    const sm::TimestampMs now = clock.now_ms();
    for (const auto& packet : frame->packets) {
      sm::Status added = feed.on_tick(sm::ingest::tick_from_packet(
          packet, fmt::format("S{}", packet.instrument_token >> 8), now));
      if (!added.ok()) die(added.to_string());
    }
    writer.flush();
    latency_us.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - received).count());
    if (rate > 0) {
      // The live source polls the feed about once a second of its clock.
      const sm::TimestampMs before = simulated_clock.now_ms();
      simulated_clock.advance(frame_ms);
      if (before / 1000 != simulated_clock.now_ms() / 1000) (void)feed.poll();
    } else if (f % 50 == 0) {
      (void)feed.poll();
    }
  }
  if (sm::Status done = feed.finish(); !done.ok()) die(done.to_string());
  const double feed_s = seconds_since(start);
  const double feed_cpu_s = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  std::fclose(null_out);
  std::sort(latency_us.begin(), latency_us.end());
  const auto at = [&](double q) {
    return latency_us[static_cast<std::size_t>(q * static_cast<double>(latency_us.size() - 1))];
  };

  fmt::print("frames {} x {} quote packets, {} instruments (checksum {})\n", frames, per_frame,
             instruments, sink % 10);
  fmt::print("limit: copy + word sum      {:>12.0f} packets/s\n", packets / limit_s);
  fmt::print("decode_ticker_frame         {:>12.0f} packets/s ({} decoded)\n",
             static_cast<double>(decoded) / decode_s, decoded);
  fmt::print("decode + store + NDJSON     {:>12.0f} packets/s wall, {:.0f} per CPU second\n",
             packets / feed_s, packets / feed_cpu_s);
  fmt::print("CPU per packet              {:>12.2f} us", 1e6 * feed_cpu_s / packets);
  if (rate > 0) {
    fmt::print(" at {:.0f} packets/s simulated: {:.1f} % of one core, {} bars\n", rate,
               100.0 * rate * feed_cpu_s / packets, feed.counts().bars);
  } else {
    fmt::print(" (frames as fast as the feed takes them)\n");
  }
  fmt::print("frame received -> NDJSON written: p50 {:.0f} us, p99 {:.0f} us ({} packets/frame)\n",
             at(0.50), at(0.99), per_frame);
  std::filesystem::remove(db_path);
  return 0;
}

#include "html/page.h"

#include <fmt/format.h>

#include <iterator>

namespace sm::html {

namespace {

constexpr std::string_view kStyle = R"(
body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;margin:24px;color:#1d2733;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d5dbe1;padding-bottom:4px}
h3{font-size:14px;margin:16px 0 2px}
.sub{color:#5a6672;font-size:13px;margin-bottom:16px}
table{border-collapse:collapse;font-size:12px}
td,th{padding:3px 8px;border:1px solid #e1e6ea;text-align:right;white-space:nowrap}
td.w{white-space:normal;max-width:420px}
th{background:#f3f5f7}td.l,th.l{text-align:left}
.metrics{display:flex;flex-wrap:wrap;gap:10px}
.card{border:1px solid #d5dbe1;border-radius:6px;padding:8px 12px;min-width:150px}
.card .k{font-size:11px;color:#5a6672;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:18px;font-weight:bold;margin-top:2px}
.pos{color:#137333}.neg{color:#b3261e}
svg text{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;font-size:11px;fill:#5a6672}
.note{font-size:12px;color:#5a6672}
)";

}  // namespace

std::string_view style() { return kStyle; }

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

void open_page(std::string& out, std::string_view title) {
  out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>";
  out += escape(title);
  out += "</title><style>";
  out += kStyle;
  out += "</style></head><body>\n<h1>";
  out += escape(title);
  out += "</h1>\n";
}

void close_page(std::string& out) { out += "</body></html>\n"; }

void card(std::string& out, std::string_view key, std::string_view value,
          std::string_view css_class) {
  fmt::format_to(std::back_inserter(out),
                 "<div class=\"card\"><div class=\"k\">{}</div><div class=\"v {}\">{}</div></div>",
                 key, css_class, escape(value));
}

std::string_view sign_class(Paise value) { return value > 0 ? "pos" : value < 0 ? "neg" : ""; }

}  // namespace sm::html

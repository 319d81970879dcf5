// The pieces every self-contained HTML report of StalkMarket shares, so that the backtest report
// and the trader's statements look alike: the inline style sheet, the page head, escaping, the
// headline cards and the colour of a signed amount. No scripts and no external resources.
#pragma once

#include <string>
#include <string_view>

#include "core/money.h"

namespace sm::html {

// The inline CSS: fonts, tables (td.l / th.l left-aligned), .metrics with .card (.k key, .v
// value), .pos / .neg for gains and losses, .sub and .note for small grey text.
std::string_view style();

// Escapes & < > " ' for HTML text and attributes.
std::string escape(std::string_view text);

// Appends the doctype, the head (title and style) and the opening <body> with an <h1> of title
// (escaped).
void open_page(std::string& out, std::string_view title);
// Appends "</body></html>\n".
void close_page(std::string& out);

// Appends a headline card: key is HTML (may carry an entity such as &amp;), value is escaped,
// css_class is added to the value ("pos", "neg" or "").
void card(std::string& out, std::string_view key, std::string_view value,
          std::string_view css_class);

// "pos" above zero, "neg" below, "" at zero.
std::string_view sign_class(Paise value);

}  // namespace sm::html

#include "html/page.h"

#include <catch2/catch.hpp>
#include <string>

TEST_CASE("escape makes text safe in HTML text and attributes", "[html]") {
  CHECK(sm::html::escape("a<b & \"c\" 'd'>") == "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
  CHECK(sm::html::escape("plain") == "plain");
}

TEST_CASE("a page opens with its escaped title and the shared style, and closes", "[html]") {
  std::string out;
  sm::html::open_page(out, "P&L <2024>");
  sm::html::close_page(out);
  CHECK(out.rfind("<!DOCTYPE html>\n", 0) == 0);
  CHECK(out.find("<title>P&amp;L &lt;2024&gt;</title>") != std::string::npos);
  CHECK(out.find(std::string(sm::html::style())) != std::string::npos);
  CHECK(out.find("<h1>P&amp;L &lt;2024&gt;</h1>\n</body></html>\n") != std::string::npos);
}

TEST_CASE("a card carries its key, its escaped value and the sign's class", "[html]") {
  std::string out;
  sm::html::card(out, "Net P&amp;L", "-1,234.50", sm::html::sign_class(-123450));
  CHECK(out ==
        "<div class=\"card\"><div class=\"k\">Net P&amp;L</div><div class=\"v neg\">-1,234.50"
        "</div></div>");
  CHECK(sm::html::sign_class(0).empty());
  CHECK(sm::html::sign_class(1) == "pos");
}

#include "alert/email_channel.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <cstdint>
#include <cstring>
#include <ctime>

#include "alert/message_text.h"
#include "broker/url_policy.h"
#include "core/secrets.h"
#include "core/timestamp.h"

namespace sm::alert {
namespace {

// The host of an smtp(s):// URL, or "" when it is not one.
std::string smtp_host(std::string_view url, bool& secure) {
  std::string_view rest;
  if (url.substr(0, 8) == "smtps://") {
    secure = true;
    rest = url.substr(8);
  } else if (url.substr(0, 7) == "smtp://") {
    secure = false;
    rest = url.substr(7);
  } else {
    return "";
  }
  std::string_view host = rest.substr(0, rest.find_first_of("/?#"));
  if (!host.empty() && host.front() == '[') return std::string(host.substr(0, host.find(']') + 1));
  return std::string(host.substr(0, host.find(':')));
}

bool ascii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// RFC 2047 base64 encoded-word, so a subject with "·" or "₹" survives every mail server.
std::string encoded_word(std::string_view text) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < text.size(); i += 3) {
    auto byte = [&text](size_t at) -> std::uint32_t {
      return at < text.size() ? static_cast<std::uint32_t>(static_cast<unsigned char>(text[at]))
                              : 0U;
    };
    const std::uint32_t value = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kAlphabet[(value >> 18) & 63];
    out += kAlphabet[(value >> 12) & 63];
    out += i + 1 < text.size() ? kAlphabet[(value >> 6) & 63] : '=';
    out += i + 2 < text.size() ? kAlphabet[value & 63] : '=';
  }
  return "=?UTF-8?B?" + out + "?=";
}

std::string crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

struct Upload {
  const std::string* data;
  size_t offset = 0;
};

size_t read_upload(char* buffer, size_t size, size_t count, void* user) {
  Upload* upload = static_cast<Upload*>(user);
  const size_t left = upload->data->size() - upload->offset;
  const size_t n = std::min(left, size * count);
  std::memcpy(buffer, upload->data->data() + upload->offset, n);
  upload->offset += n;
  return n;
}

class EmailChannel final : public Channel {
 public:
  explicit EmailChannel(EmailSettings settings) : settings_(std::move(settings)) {}
  std::string_view name() const override { return "email"; }
  std::int64_t longest_send_ms() const override { return kSendTimeoutMs; }

  SendOutcome send(const Outgoing& message) override {
    SendOutcome outcome;
    CURL* h = curl_easy_init();
    if (h == nullptr) {
      outcome.error = "curl_easy_init failed";
      return outcome;
    }
    const std::string mail = email_message(settings_, message);
    Upload upload{&mail};
    curl_slist* recipients = nullptr;
    for (const std::string& to : settings_.to) {
      recipients = curl_slist_append(recipients, ("<" + to + ">").c_str());
    }
    bool secure = false;
    const std::string host = smtp_host(settings_.url, secure);
    curl_easy_setopt(h, CURLOPT_URL, settings_.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(kSendTimeoutMs));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    // Plain SMTP only to a relay on this machine; anything else must upgrade with STARTTLS.
    if (!secure && !broker::is_loopback_host(host)) {
      curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    }
    if (!settings_.username.empty() && !settings_.password.empty()) {
      curl_easy_setopt(h, CURLOPT_USERNAME, settings_.username.c_str());
      curl_easy_setopt(h, CURLOPT_PASSWORD, settings_.password.c_str());
    }
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, ("<" + settings_.from + ">").c_str());
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    const CURLcode code = curl_easy_perform(h);
    long reply = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
    curl_slist_free_all(recipients);
    curl_easy_cleanup(h);
    if (code == CURLE_OK) {
      outcome.delivered = true;
      return outcome;
    }
    // libcurl's own words name the failing step, never the password.
    outcome.error = fmt::format("smtp: {} (reply {})", curl_easy_strerror(code), reply);
    outcome.permanent = reply >= 500 && reply < 600;
    return outcome;
  }

 private:
  static constexpr std::int64_t kSendTimeoutMs = 30000;
  EmailSettings settings_;
};

}  // namespace

Status check_email_settings(const EmailSettings& settings) {
  bool secure = false;
  if (smtp_host(settings.url, secure).empty()) {
    return error(ErrorCode::kConfigError,
                 "alert.email.url must be smtps://HOST[:PORT] or smtp://HOST[:PORT] (STARTTLS "
                 "is required except to 127.0.0.1 or localhost)");
  }
  if (settings.from.find('@') == std::string::npos) {
    return error(ErrorCode::kConfigError, "alert.email.from must be an email address");
  }
  if (settings.to.empty()) {
    return error(ErrorCode::kConfigError, "alert.email.to must list at least one address");
  }
  return Status();
}

std::string email_message(const EmailSettings& settings, const Outgoing& message) {
  const std::string_view text = message.text;
  const std::string subject(text.substr(0, text.find('\n')));
  std::string to;
  for (const std::string& address : settings.to) to += (to.empty() ? "" : ", ") + address;
  char date[64];
  const std::time_t seconds = static_cast<std::time_t>(message.ts / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  std::strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return crlf(
      fmt::format("Date: {}\nFrom: {}\nTo: {}\nSubject: {}\nMIME-Version: 1.0\n"
                  "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n"
                  "X-StalkMarket-Incident: {}\n\n{}\n",
                  date, settings.from, to, ascii(subject) ? subject : encoded_word(subject),
                  message.incident_key, text));
}

std::unique_ptr<Channel> email_channel(EmailSettings settings) {
  return std::make_unique<EmailChannel>(std::move(settings));
}

}  // namespace sm::alert

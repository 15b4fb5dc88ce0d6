#include "engine/vocabulary/field_text.h"

#include <charconv>

namespace cohort::field_text {
namespace {

bool needs_escape(unsigned char c, bool escape_comma) {
  return c == '%' || c == ' ' || c < 0x20 || c == 0x7f || (escape_comma && c == ',');
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

void append_escaped(std::string& out, std::string_view raw, bool escape_comma) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : raw) {
    auto c = static_cast<unsigned char>(ch);
    if (needs_escape(c, escape_comma)) {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(ch);
    }
  }
}

std::string unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) throw FieldError("bad percent escape");
    int hi = hex_value(text[i + 1]);
    int lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) throw FieldError("bad percent escape");
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

void Writer::key(std::string_view key) {
  if (!out_.empty()) out_.push_back(' ');
  out_.append(key);
  out_.push_back('=');
}

void Writer::operator()(std::string_view k, const std::string& value) {
  key(k);
  append_escaped(out_, value, false);
}

void Writer::operator()(std::string_view k, std::int64_t value) {
  key(k);
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out_.append(buf, end);
}

void Writer::operator()(std::string_view k, bool value) {
  key(k);
  out_.push_back(value ? '1' : '0');
}

void Writer::operator()(std::string_view k, const std::vector<std::string>& value) {
  key(k);
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (i) out_.push_back(',');
    append_escaped(out_, value[i], true);
  }
}

void Writer::operator()(std::string_view k, const std::vector<bool>& value) {
  key(k);
  for (bool bit : value) out_.push_back(bit ? '1' : '0');
}

void Reader::operator()(std::string_view key, std::vector<bool>& value) {
  std::string_view raw = take(key);
  value.clear();
  for (char c : raw) {
    if (c != '0' && c != '1') throw FieldError("field '" + std::string(key) + "' is not a list of 0 and 1");
    value.push_back(c == '1');
  }
}

void Reader::advance() {
  has_current_ = !rest_.empty();
  if (!has_current_) {
    current_key_ = {};
    return;
  }
  auto space = rest_.find(' ');
  std::string_view token = rest_.substr(0, space);
  rest_ = space == std::string_view::npos ? std::string_view{} : rest_.substr(space + 1);
  auto eq = token.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw FieldError("malformed field '" + std::string(token.substr(0, 40)) + "'");
  }
  current_key_ = token.substr(0, eq);
  current_value_ = token.substr(eq + 1);
}

std::string_view Reader::take(std::string_view key) {
  if (!has_current_ || current_key_ != key) {
    throw FieldError("missing field '" + std::string(key) + "'");
  }
  std::string_view value = current_value_;
  advance();
  return value;
}

void Reader::operator()(std::string_view key, std::string& value) {
  std::string_view raw = take(key);
  value = raw.find('%') == std::string_view::npos ? std::string(raw) : unescape(raw);
}

void Reader::operator()(std::string_view key, std::int64_t& value) {
  std::string_view raw = take(key);
  auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), value);
  if (ec != std::errc{} || end != raw.data() + raw.size() || raw.empty()) {
    throw FieldError("field '" + std::string(key) + "' is not an integer");
  }
}

void Reader::operator()(std::string_view key, bool& value) {
  std::string_view raw = take(key);
  if (raw != "0" && raw != "1") throw FieldError("field '" + std::string(key) + "' is not 0 or 1");
  value = raw == "1";
}

void Reader::operator()(std::string_view key, std::vector<std::string>& value) {
  std::string_view raw = take(key);
  value.clear();
  if (raw.empty()) return;
  std::size_t start = 0;
  while (true) {
    auto comma = raw.find(',', start);
    std::string_view item = raw.substr(start, comma - start);
    value.push_back(item.find('%') == std::string_view::npos ? std::string(item) : unescape(item));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
}

void Reader::finish() const {
  if (has_current_) throw FieldError("unexpected field '" + std::string(current_key_) + "'");
}

}  // namespace cohort::field_text

#pragma once
// The payload text of a log record: `key=value` pairs separated by single spaces, in the
// order a body's `fields` lists them. Readable in the sqlite3 shell, parsed in one pass
// with no allocation but the values themselves.
//
// Values: integers in decimal; booleans 1/0; strings percent-escaped (%, space, control
// bytes); string lists comma-separated with ',' escaped. An absent optional is omitted.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace cohort::field_text {

struct FieldError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void operator()(std::string_view key, const std::string& value);
  void operator()(std::string_view key, std::int64_t value);
  void operator()(std::string_view key, bool value);
  void operator()(std::string_view key, const std::vector<std::string>& value);
  void operator()(std::string_view key, const std::vector<bool>& value);
  template <class T>
  void operator()(std::string_view key, const std::optional<T>& value) {
    if (value) (*this)(key, *value);
  }
  // Narrower integers and enums travel as their int64 value.
  template <class T>
    requires((std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, std::int64_t>) ||
             std::is_enum_v<T>)
  void operator()(std::string_view k, const T& value) {
    (*this)(k, static_cast<std::int64_t>(value));
  }

 private:
  void key(std::string_view key);
  std::string& out_;
};

class Reader {
 public:
  explicit Reader(std::string_view text) : rest_(text) { advance(); }
  void operator()(std::string_view key, std::string& value);
  void operator()(std::string_view key, std::int64_t& value);
  void operator()(std::string_view key, bool& value);
  void operator()(std::string_view key, std::vector<std::string>& value);
  void operator()(std::string_view key, std::vector<bool>& value);
  template <class T>
    requires((std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, std::int64_t>) ||
             std::is_enum_v<T>)
  void operator()(std::string_view k, T& value) {
    std::int64_t wide = 0;
    (*this)(k, wide);
    value = static_cast<T>(wide);
  }
  template <class T>
  void operator()(std::string_view key, std::optional<T>& value) {
    if (current_key_ != key) {
      value.reset();
      return;
    }
    T inner{};
    (*this)(key, inner);
    value = std::move(inner);
  }
  // Throws when a field is left over: the record has a key its type does not know.
  void finish() const;

 private:
  std::string_view take(std::string_view key);
  void advance();
  std::string_view rest_;
  std::string_view current_key_;
  std::string_view current_value_;
  bool has_current_ = false;
};

void append_escaped(std::string& out, std::string_view raw, bool escape_comma);
std::string unescape(std::string_view text);

}  // namespace cohort::field_text

#include "engine/vocabulary/payload_json.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <optional>
#include <set>
#include <string_view>
#include <type_traits>
#include <vector>

#include "engine/vocabulary/field_text.h"
#include "engine/vocabulary/json_nesting.h"
#include "engine/vocabulary/record_codec.h"

namespace cohort {
namespace {

using PayloadWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// The string fields whose text is JSON the server wrote or parsed before recording it.
const std::set<std::string_view> kJsonTextFields = {"args", "metrics", "experiment"};

bool is_json_value(const std::string& text) {
  if (text.empty() || json_nesting(text) > kMaxJsonNesting) return false;
  rapidjson::Document document;
  document.Parse<rapidjson::kParseIterativeFlag>(text.c_str(), text.size());
  return !document.HasParseError();
}

// Visits a body's fields (Body::fields) and writes each as a member of the open object.
struct PayloadFields {
  PayloadWriter& w;

  void key(std::string_view name) { w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size())); }
  void text(const std::string& value) { w.String(value.data(), static_cast<rapidjson::SizeType>(value.size())); }

  void operator()(std::string_view name, const std::string& value) {
    key(name);
    if (kJsonTextFields.count(name) && is_json_value(value)) {
      w.RawValue(value.data(), value.size(), rapidjson::kObjectType);
    } else {
      text(value);
    }
  }
  void operator()(std::string_view name, const std::int64_t& value) {
    key(name);
    w.Int64(value);
  }
  void operator()(std::string_view name, const bool& value) {
    key(name);
    w.Bool(value);
  }
  void operator()(std::string_view name, const std::vector<std::string>& values) {
    key(name);
    w.StartArray();
    for (const std::string& value : values) text(value);
    w.EndArray();
  }
  void operator()(std::string_view name, const std::vector<bool>& values) {
    key(name);
    w.StartArray();
    for (bool value : values) w.Bool(value);
    w.EndArray();
  }
  template <class T>
  void operator()(std::string_view name, const std::optional<T>& value) {
    if (value) (*this)(name, *value);
  }
  template <class T>
    requires((std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, std::int64_t>) ||
             std::is_enum_v<T>)
  void operator()(std::string_view name, const T& value) {
    (*this)(name, static_cast<std::int64_t>(value));
  }
};

void write_decoded(const RecordView& record, PayloadWriter& w) {
  PayloadFields fields{w};
  if (record.kind == RecordKind::command) {
    const Command command = command_from_record(record);
    fields("conn", command.conn);
    fields("ack", command.ack);
    std::visit([&](const auto& body) { std::decay_t<decltype(body)>::fields(body, fields); }, command.body);
  } else {
    const Event event = event_from_record(record);
    std::visit([&](const auto& body) { std::decay_t<decltype(body)>::fields(body, fields); }, event.body);
  }
}

// `key=value` pairs split at single spaces, values unescaped: what any payload is, decoded or not.
void write_undecoded(std::string_view payload, PayloadWriter& w) {
  while (!payload.empty()) {
    std::size_t end = payload.find(' ');
    std::string_view pair = payload.substr(0, end);
    payload = end == std::string_view::npos ? std::string_view{} : payload.substr(end + 1);
    std::size_t equals = pair.find('=');
    std::string_view name = pair.substr(0, equals);
    std::string_view raw = equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1);
    std::string value;
    try {
      value = field_text::unescape(raw);
    } catch (const field_text::FieldError&) {
      value = std::string(raw);  // a damaged escape: shown as it is
    }
    w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  }
}

}  // namespace

std::string payload_json(const RecordView& record) {
  rapidjson::StringBuffer buffer;
  {
    PayloadWriter w(buffer);
    w.StartObject();
    try {
      write_decoded(record, w);
      w.EndObject();
    } catch (const std::exception&) {  // CodecError, or a field the codec could not read
      buffer.Clear();
      PayloadWriter fallback(buffer);
      fallback.StartObject();
      write_undecoded(record.payload, fallback);
      fallback.EndObject();
    }
  }
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace cohort

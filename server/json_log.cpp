#include "server/json_log.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>

namespace cohort::json_log {
namespace {

std::mutex mutex;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void write(std::string_view event, std::initializer_list<Field> fields, std::int64_t suppressed) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("ts");
  w.Int64(now_ms());
  w.Key("event");
  w.String(event.data(), static_cast<rapidjson::SizeType>(event.size()));
  for (const auto& [key, value] : fields) {
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  }
  if (suppressed) {
    w.Key("suppressed_before");
    w.Int64(suppressed);
  }
  w.EndObject();
  std::fprintf(stderr, "%s\n", buffer.GetString());
}

}  // namespace

void line(std::string_view event, std::initializer_list<Field> fields) {
  std::lock_guard lock(mutex);
  write(event, fields, 0);
}

void limited(std::string_view event, std::initializer_list<Field> fields, int per_second) {
  struct Window {
    std::int64_t second = 0;
    int written = 0;
    std::int64_t suppressed = 0;
  };
  static std::map<std::string, Window, std::less<>> windows;
  std::lock_guard lock(mutex);
  Window& window = windows[std::string(event)];
  std::int64_t second = now_ms() / 1000;
  if (second != window.second) {
    window.second = second;
    window.written = 0;
  }
  if (window.written >= per_second) {
    ++window.suppressed;
    return;
  }
  ++window.written;
  write(event, fields, window.suppressed);
  window.suppressed = 0;
}

}  // namespace cohort::json_log

#include "engine/vocabulary/json_text.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <vector>

namespace cohort {

struct JsonObject::Impl {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buffer};
  bool closed = false;
};

namespace {

// Writers and their buffers are reused: a notification then costs one allocation, its text.
// A pool rather than one object, because one JsonObject may be built while another is open.
std::vector<std::unique_ptr<JsonObject::Impl>>& pool() {
  thread_local std::vector<std::unique_ptr<JsonObject::Impl>> free_list;
  return free_list;
}

}  // namespace

JsonObject::JsonObject() {
  auto& free_list = pool();
  if (free_list.empty()) {
    impl_ = std::make_unique<Impl>();
  } else {
    impl_ = std::move(free_list.back());
    free_list.pop_back();
  }
  impl_->writer.StartObject();
}

JsonObject::~JsonObject() {
  if (!impl_) return;  // moved from
  impl_->buffer.Clear();
  impl_->writer.Reset(impl_->buffer);
  impl_->closed = false;
  auto& free_list = pool();
  if (free_list.size() < 8) free_list.push_back(std::move(impl_));
}
JsonObject::JsonObject(JsonObject&&) noexcept = default;
JsonObject& JsonObject::operator=(JsonObject&&) noexcept = default;

JsonObject& JsonObject::str(std::string_view key, std::string_view value) {
  impl_->writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  impl_->writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  return *this;
}

JsonObject& JsonObject::num(std::string_view key, std::int64_t value) {
  impl_->writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  impl_->writer.Int64(value);
  return *this;
}

JsonObject& JsonObject::boolean(std::string_view key, bool value) {
  impl_->writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  impl_->writer.Bool(value);
  return *this;
}

JsonObject& JsonObject::raw(std::string_view key, std::string_view json) {
  impl_->writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  impl_->writer.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  return *this;
}

std::string JsonObject::text() {
  if (!impl_->closed) {
    impl_->writer.EndObject();
    impl_->closed = true;
  }
  return std::string(impl_->buffer.GetString(), impl_->buffer.GetSize());
}

}  // namespace cohort

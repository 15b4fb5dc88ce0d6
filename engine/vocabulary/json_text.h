#pragma once
// Builds the JSON text of a notification's argument. RapidJSON stays in the .cpp so that
// the decider's headers do not pull it in.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace cohort {

class JsonObject {
 public:
  JsonObject();
  ~JsonObject();
  JsonObject(JsonObject&&) noexcept;
  JsonObject& operator=(JsonObject&&) noexcept;

  JsonObject& str(std::string_view key, std::string_view value);
  JsonObject& num(std::string_view key, std::int64_t value);
  JsonObject& boolean(std::string_view key, bool value);
  // `json` must already be valid JSON (an object built here, or text the client sent
  // that the server parsed).
  JsonObject& raw(std::string_view key, std::string_view json);
  std::string text();

 struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cohort

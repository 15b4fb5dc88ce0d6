#include "server/transport/binary_event.h"

#include <rapidjson/document.h>

#include <vector>

#include "engine/vocabulary/json_nesting.h"

namespace cohort::sio {

BinaryAssembly::BinaryAssembly(std::string_view array_json, std::optional<std::int64_t> ack_id, std::size_t announced,
                               BinaryLimits limits)
    : announced_(announced), due_(announced), bytes_(array_json.size()), limits_(limits) {
  event_.array_json = std::string(array_json);
  event_.ack_id = ack_id;
  if (announced > limits_.max_attachments) {
    refuse("bad_payload", "more than " + std::to_string(limits_.max_attachments) + " binary attachments");
  } else if (bytes_ > limits_.max_bytes) {
    refuse("too_large", "message exceeds " + std::to_string(limits_.max_bytes) + " bytes");
  } else {
    event_.attachments.reserve(announced);
  }
}

void BinaryAssembly::refuse(std::string code, std::string message) {
  if (!event_.error_code.empty()) return;  // the first reason stands
  event_.error_code = std::move(code);
  event_.error_message = std::move(message);
  event_.attachments.clear();
  event_.attachments.shrink_to_fit();
}

void BinaryAssembly::add(std::string_view frame) {
  --due_;
  bytes_ += frame.size();
  if (bytes_ > limits_.max_bytes) {
    refuse("too_large", "message and its binary attachments exceed " + std::to_string(limits_.max_bytes) + " bytes");
  }
  if (event_.error_code.empty() && !event_.dropped) event_.attachments.emplace_back(frame);
}

void BinaryAssembly::skip() {
  --due_;
  drop();
}

void BinaryAssembly::drop() {
  event_.dropped = true;
  event_.attachments.clear();
  event_.attachments.shrink_to_fit();
}

BinaryEvent BinaryAssembly::finish() {
  if (event_.error_code.empty() && !event_.dropped) {
    std::string why = check_placeholders(event_.array_json, announced_);
    if (!why.empty()) refuse("bad_payload", why);
  }
  return std::move(event_);
}

std::string check_placeholders(std::string_view array_json, std::size_t attachments) {
  if (json_nesting(array_json) > kMaxJsonNesting) return "";  // refused as any event is, by the wire decoder
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(array_json.data(), array_json.size());
  if (doc.HasParseError()) return "";  // not JSON: the wire decoder closes the connection, as for any event
  std::vector<bool> seen(attachments, false);
  std::size_t found = 0;
  std::vector<const rapidjson::Value*> pending{&doc};  // a stack of our own: nothing recurses on input
  while (!pending.empty()) {
    const rapidjson::Value* value = pending.back();
    pending.pop_back();
    if (value->IsArray()) {
      for (const auto& element : value->GetArray()) pending.push_back(&element);
      continue;
    }
    if (!value->IsObject()) continue;
    auto marker = value->FindMember("_placeholder");
    if (marker == value->MemberEnd() || !marker->value.IsTrue()) {
      for (const auto& member : value->GetObject()) pending.push_back(&member.value);
      continue;
    }
    auto num = value->FindMember("num");
    if (num == value->MemberEnd() || !num->value.IsUint64()) return "a placeholder without a whole num of 0 or more";
    std::uint64_t index = num->value.GetUint64();
    if (index >= attachments) {
      return "placeholder num " + std::to_string(index) + " with " + std::to_string(attachments) + " attachments";
    }
    if (seen[index]) return "placeholder num " + std::to_string(index) + " twice";
    seen[index] = true;
    ++found;
  }
  if (found != attachments) {
    return std::to_string(attachments) + " attachments announced, " + std::to_string(found) + " placeholders";
  }
  return "";
}

}  // namespace cohort::sio

#pragma once
// A Socket.IO binary event (`45<n>-[...]`, or `46<n>-` for a binary ack) and the n binary
// WebSocket frames that follow its header, put together. Pure: no socket, never throws.
//
// What breaks the framing itself (a binary frame no header announced, a text frame while
// attachments are due, a header without its count) is the session's to see: it closes the
// connection. What this class refuses is an event whose frames were well delimited but whose
// content is wrong; the session answers it (`bad_payload` or `too_large`) and reads on:
//   - more attachments announced than `max_attachments`;
//   - header and attachments together larger than `max_bytes`;
//   - placeholders that do not match the attachments: not exactly one `{"_placeholder":true,
//     "num":i}` for each i in 0..n-1 (a count mismatch, a num that is negative, huge,
//     fractional or repeated).
// Either way every announced frame is read, so the connection stays in step with the client;
// attachments are kept only while the running total is within `max_bytes`.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cohort::sio {

struct BinaryLimits {
  std::size_t max_bytes = 1048576;  // header text and attachments together
  std::size_t max_attachments = 16;
};

// A finished binary event: the event array as the client sent it (placeholders in place), and
// its attachments in placeholder order. When `error_code` is set ("bad_payload", "too_large"),
// the event is refused and `attachments` is empty; when `dropped`, it is to be let go unanswered.
struct BinaryEvent {
  std::string array_json;
  std::optional<std::int64_t> ack_id;
  std::vector<std::string> attachments;
  std::string error_code;
  std::string error_message;
  bool dropped = false;
};

class BinaryAssembly {
 public:
  // `array_json`: the header's payload; `announced`: its attachment count.
  BinaryAssembly(std::string_view array_json, std::optional<std::int64_t> ack_id, std::size_t announced,
                 BinaryLimits limits);
  // Binary frames still due before the event is whole.
  std::size_t due() const { return due_; }
  // REQUIRES: due() > 0.
  void add(std::string_view frame);
  // A due frame that was not read (over the rate limit): counted, and the event dropped.
  void skip();
  // The event is read to its end and let go unanswered (a binary ack: the server asks for none).
  void drop();
  // REQUIRES: due() == 0. Checks the placeholders and hands the event over; call once.
  BinaryEvent finish();
  // Refuses the event with this answer (the first reason stands); its frames are still read.
  void refuse(std::string code, std::string message);

 private:

  BinaryEvent event_;
  std::size_t announced_;
  std::size_t due_;
  std::size_t bytes_;
  BinaryLimits limits_;
};

// The placeholders of an event array with `attachments` attachments: "" when there is exactly
// one `{"_placeholder":true,"num":i}` for each i in 0..attachments-1, else why not. The array
// must already have passed the nesting check (engine/vocabulary/json_nesting.h).
std::string check_placeholders(std::string_view array_json, std::size_t attachments);

}  // namespace cohort::sio

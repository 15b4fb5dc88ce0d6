// libFuzzer target: the Engine.IO/Socket.IO frame parser, fed whatever a socket can send.
// Beyond not crashing (the sanitizers watch memory and undefined behaviour), it checks what the
// server relies on: views point into the frame, and an event or ack has a readable header.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/transport/socketio_frame.h"

namespace {

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  cohort::sio::InboundFrame frame = cohort::sio::parse_frame(text);
  using cohort::sio::FrameKind;
  if (frame.kind == FrameKind::invalid) {
    if (frame.error.empty()) std::abort();  // every rejection says why
    return 0;
  }
  if (!inside(frame.payload, text)) std::abort();
  if (frame.nsp != "/" && !inside(frame.nsp, text)) std::abort();
  if (frame.ack_id && *frame.ack_id < 0) std::abort();
  if ((frame.kind == FrameKind::event || frame.kind == FrameKind::ack) && frame.payload.empty()) std::abort();
  return 0;
}

// libFuzzer target: the Engine.IO/Socket.IO frame parser, and a binary event put together from
// its header and its attachments, fed whatever a socket can send. The input is a text frame,
// then, after each NUL byte, one binary frame. Beyond not crashing (the sanitizers watch memory
// and undefined behaviour), it checks what the server relies on: views point into the frame, an
// event or ack has a readable header, and a binary event is either refused (with a code, keeping
// no attachment) or whole (one attachment per placeholder, within the size limit).
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "server/transport/binary_event.h"
#include "server/transport/socketio_frame.h"

namespace {

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void check_binary_event(const cohort::sio::InboundFrame& header, const std::vector<std::string_view>& frames) {
  const cohort::sio::BinaryLimits limits{4096, 16};
  cohort::sio::BinaryAssembly assembly(header.payload, header.ack_id, header.attachments, limits);
  std::size_t total = header.payload.size();
  for (std::string_view frame : frames) {
    if (assembly.due() == 0) break;
    assembly.add(frame);
    total += frame.size();
  }
  while (assembly.due() > 0) assembly.skip();  // the frames the input lacks, as if dropped
  cohort::sio::BinaryEvent event = assembly.finish();
  if (event.dropped || !event.error_code.empty()) {
    if (!event.attachments.empty()) std::abort();  // a refused event keeps nothing
    if (!event.dropped && event.error_message.empty()) std::abort();
    return;
  }
  if (event.attachments.size() != header.attachments || total > limits.max_bytes) std::abort();
  if (!cohort::sio::check_placeholders(event.array_json, event.attachments.size()).empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view text = input.substr(0, input.find('\0'));
  std::vector<std::string_view> binary_frames;
  for (std::size_t at = text.size(); at < input.size();) {
    std::size_t next = input.find('\0', at + 1);
    if (next == std::string_view::npos) next = input.size();
    binary_frames.push_back(input.substr(at + 1, next - at - 1));
    at = next;
  }
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
  if (frame.kind == FrameKind::binary || frame.kind == FrameKind::binary_ack) check_binary_event(frame, binary_frames);
  return 0;
}

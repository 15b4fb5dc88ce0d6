#include "store/participant_data.h"

#include <xxhash.h>

#include <memory>
#include <new>
#include <string_view>

namespace cohort {

std::int64_t data_bytes(const DataRecord& data) {
  auto bytes = static_cast<std::int64_t>(data.json.size());
  for (const std::string& attachment : data.attachments) bytes += static_cast<std::int64_t>(attachment.size());
  return bytes;
}

std::uint64_t data_checksum(const DataRecord& data) {
  // Blobs of up to max_message_bytes: streamed into the hash, not copied.
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(), XXH3_freeState);
  if (!state) throw std::bad_alloc();
  XXH3_64bits_reset(state.get());
  auto put_int = [&](std::int64_t v) { XXH3_64bits_update(state.get(), &v, sizeof v); };
  auto put_str = [&](std::string_view s) {  // length-prefixed: no two rows lay out alike
    put_int(static_cast<std::int64_t>(s.size()));
    XXH3_64bits_update(state.get(), s.data(), s.size());
  };
  put_int(data.seq);
  put_int(data.at);
  put_str(data.kind);
  put_str(data.subject);
  put_int(data.game);
  put_int(data.scene);
  put_str(data.json);
  put_int(static_cast<std::int64_t>(data.attachments.size()));
  for (const std::string& attachment : data.attachments) put_str(attachment);
  return XXH3_64bits_digest(state.get());
}

}  // namespace cohort

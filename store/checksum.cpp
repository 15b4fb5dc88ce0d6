#include "store/checksum.h"

#include <xxhash.h>

#include <string>

namespace cohort {

std::uint64_t record_checksum(const RecordView& r) {
  // Fixed-width numbers, then length-prefixed strings: no two records serialise alike.
  thread_local std::string buffer;
  buffer.clear();
  auto put_int = [](std::int64_t v) { buffer.append(reinterpret_cast<const char*>(&v), sizeof v); };
  auto put_str = [&](std::string_view s) {
    put_int(static_cast<std::int64_t>(s.size()));
    buffer.append(s);
  };
  put_int(r.seq);
  put_int(r.at);
  put_int(r.kind == RecordKind::command ? 0 : 1);
  put_str(r.type);
  put_int(r.version);
  put_str(r.subject);
  put_int(r.game);
  put_int(r.scene);
  put_int(r.causation);
  put_str(r.payload);
  return XXH3_64bits(buffer.data(), buffer.size());
}

}  // namespace cohort

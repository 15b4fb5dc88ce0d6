#include "store/checksum.h"

#include <xxhash.h>

#include <cstring>
#include <memory>
#include <new>
#include <string>

namespace cohort {
namespace {

// Lays a record out as fixed-width numbers, then length-prefixed strings, so that no two
// records serialise alike. Every record is checksummed on every read, so the layout is written
// with memcpy into a buffer on the stack, not appended to a string.
class Layout {
 public:
  explicit Layout(char* out) : out_(out) {}
  void put_int(std::int64_t v) {
    std::memcpy(out_ + size_, &v, sizeof v);
    size_ += sizeof v;
  }
  void put_str(std::string_view s) {
    put_int(static_cast<std::int64_t>(s.size()));
    if (s.empty()) return;  // an empty view's data() may be null, which memcpy must not get
    std::memcpy(out_ + size_, s.data(), s.size());
    size_ += s.size();
  }
  std::size_t size() const { return size_; }

 private:
  char* out_;
  std::size_t size_ = 0;
};

constexpr std::size_t kFixedBytes = 10 * sizeof(std::int64_t);  // 7 numbers, 3 length prefixes
constexpr std::size_t kStackBytes = 1024;

}  // namespace

std::uint64_t record_checksum(const RecordView& r) {
  std::size_t size = kFixedBytes + r.type.size() + r.subject.size() + r.payload.size();
  char stack[kStackBytes];
  std::string heap;
  char* out = stack;
  if (size > kStackBytes) {
    heap.resize(size);
    out = heap.data();
  }
  Layout layout(out);
  layout.put_int(r.seq);
  layout.put_int(r.at);
  layout.put_int(r.kind == RecordKind::command ? 0 : 1);
  layout.put_str(r.type);
  layout.put_int(r.version);
  layout.put_str(r.subject);
  layout.put_int(r.game);
  layout.put_int(r.scene);
  layout.put_int(r.causation);
  layout.put_str(r.payload);
  return XXH3_64bits(out, layout.size());
}

std::uint64_t snapshot_checksum(Seq seq, std::string_view projection, std::string_view data) {
  // A snapshot is megabytes and read once per start: streamed into the hash, not copied.
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(), XXH3_freeState);
  if (!state) throw std::bad_alloc();
  XXH3_64bits_reset(state.get());
  std::int64_t numbers[] = {seq, static_cast<std::int64_t>(projection.size())};
  XXH3_64bits_update(state.get(), numbers, sizeof numbers);
  XXH3_64bits_update(state.get(), projection.data(), projection.size());
  XXH3_64bits_update(state.get(), data.data(), data.size());
  return XXH3_64bits_digest(state.get());
}

}  // namespace cohort

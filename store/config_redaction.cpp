#include "store/config_redaction.h"

#include <rapidjson/reader.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace cohort {
namespace {

using Range = std::pair<std::size_t, std::size_t>;  // [begin, end) of a `"admin_token": value` member

// The text as RapidJSON reads it, with the position it has reached. Unlike StringStream it asks
// for no copy optimisation: RapidJSON then reads strings and numbers through this very object,
// so that Tell(), in a handler, is just past the token the handler was called for.
class Cursor {
 public:
  using Ch = char;
  explicit Cursor(std::string_view text) : text_(text) {}
  Ch Peek() const { return at_ < text_.size() ? text_[at_] : '\0'; }
  Ch Take() { return at_ < text_.size() ? text_[at_++] : '\0'; }
  std::size_t Tell() const { return at_; }
  // Never written to: the reader is not in situ.
  Ch* PutBegin() { return nullptr; }
  void Put(Ch) {}
  void Flush() {}
  std::size_t PutEnd(Ch*) { return 0; }

 private:
  std::string_view text_;
  std::size_t at_ = 0;
};

// Walks the config with RapidJSON's iterative SAX reader (no recursion, whatever the nesting)
// and notes where each server.admin_token member begins and ends.
class Finder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Finder> {
 public:
  Finder(std::string_view text, const Cursor& stream) : text_(text), stream_(stream) {}

  bool Key(const char* key, rapidjson::SizeType length, bool) {
    std::string_view name(key, length);
    if (depth_ == 1) in_server_ = name == "server";
    if (depth_ == 2 && in_server_ && name == "admin_token") {
      // The key decodes to admin_token, so no quote is escaped inside it: the opening quote is
      // the last one before its closing quote.
      std::size_t closing = stream_.Tell() - 1;
      begin_ = text_.rfind('"', closing - 1);
      value_depth_ = depth_;
    }
    return true;
  }
  bool StartObject() { return open(); }
  bool StartArray() { return open(); }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool EndArray(rapidjson::SizeType) { return close(); }
  bool Default() { return scalar(); }
  bool String(const char*, rapidjson::SizeType, bool) { return scalar(); }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return scalar(); }

  std::vector<Range> found;

 private:
  bool open() {
    ++depth_;
    return true;
  }
  bool close() {
    --depth_;
    if (depth_ == 1) in_server_ = false;
    return scalar();  // a container value ends here
  }
  bool scalar() {
    if (value_depth_ != 0 && depth_ == value_depth_) {
      found.emplace_back(begin_, stream_.Tell());
      value_depth_ = 0;
    }
    return true;
  }

  std::string_view text_;
  const Cursor& stream_;
  int depth_ = 0;
  bool in_server_ = false;
  int value_depth_ = 0;  // the depth at which the admin_token value being read ends; 0: none
  std::size_t begin_ = 0;
};

bool blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Cuts one member out with the comma that joined it to its neighbours: the one after it (and
// the blanks up to the next member, so indentation stays), else the one before it.
void cut(std::string& text, Range member) {
  auto [begin, end] = member;
  std::size_t after = end;
  while (after < text.size() && blank(text[after])) ++after;
  if (after < text.size() && text[after] == ',') {
    ++after;
    while (after < text.size() && blank(text[after])) ++after;
    text.erase(begin, after - begin);
    return;
  }
  std::size_t before = begin;
  while (before > 0 && blank(text[before - 1])) --before;
  if (before > 0 && text[before - 1] == ',') begin = before - 1;
  text.erase(begin, end - begin);
}

}  // namespace

std::string config_without_admin_token(std::string_view json) {
  std::string text(json);
  Cursor stream(text);
  Finder finder(text, stream);
  rapidjson::Reader reader;
  if (!reader.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag>(stream, finder)) return text;
  std::sort(finder.found.rbegin(), finder.found.rend());  // from the end, so earlier offsets hold
  for (const Range& member : finder.found) cut(text, member);
  return text;
}

}  // namespace cohort

#pragma once
// The study's page and its files, served from `server.static_dir` (docs/mug.md, "The page"):
// GET /<subject_id> and GET /?subject_id=<id> answer the directory's index.html with the subject
// id written where the page says `{{ subject_id }}` (mug's own placeholder); any other path names
// a file under the directory. No Beast here: the HTTP session turns the answer into a response.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cohort {

inline constexpr std::string_view kSubjectIdPlaceholder = "{{ subject_id }}";
inline constexpr std::size_t kMaxPageSubjectIdLength = 128;
inline constexpr std::uintmax_t kMaxStaticFileBytes = 64ull * 1024 * 1024;

struct StaticAnswer {
  int status = 200;
  std::string content_type;
  std::string body;
};

// 1 to 128 of A-Z a-z 0-9 _ -: recruitment ids (Prolific, MTurk, SONA) and UUIDs fit, and such
// an id means the same in HTML, a JavaScript string and a URL. No dot, so /favicon.ico and the
// like are never taken for a subject.
bool is_page_subject_id(std::string_view id);

// The file a URL path names, relative to the directory: percent-decoded, every segment non-empty
// and not starting with '.' (no "..", no hidden files), no backslash, colon or control character,
// at most 1024 characters. Empty when the path names no file.
std::string static_relative_path(std::string_view url_path);

// By extension; application/octet-stream when unknown.
std::string_view static_content_type(std::string_view path);

// The page with every placeholder replaced by the subject id, HTML-escaped (the id is validated
// before, so the escape only matters if that rule is ever widened).
std::string render_subject_page(std::string_view page, std::string_view subject_id);

// The whole answer for a GET of `target` (path and query) under `root`.
StaticAnswer serve_static(const std::filesystem::path& root, std::string_view target);

}  // namespace cohort

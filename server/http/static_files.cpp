#include "server/http/static_files.h"

#include <cctype>
#include <fstream>
#include <sstream>

#include "server/http/url_text.h"

namespace cohort {
namespace {

constexpr std::size_t kMaxStaticPathLength = 1024;

StaticAnswer not_found(std::string_view message) {
  return {404, "application/json", R"({"code":"not_found","message":")" + std::string(message) + "\"}"};
}

bool safe_segment(std::string_view segment) {
  if (segment.empty() || segment.front() == '.') return false;
  for (char c : segment) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || c == '\\' || c == ':') return false;
  }
  return true;
}

// The regular file at `path` (symbolic links followed: the researcher's directory may link
// mug's files in), at most kMaxStaticFileBytes; a status other than 200 otherwise.
StaticAnswer read_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return not_found("no such file");
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return not_found("no such file");
  if (size > kMaxStaticFileBytes) {
    return {500, "application/json", R"({"code":"file_too_large","message":"static files are served up to 64 MiB"})"};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("no such file");
  std::ostringstream text;
  text << in.rdbuf();
  return {200, std::string(static_content_type(path.filename().string())), std::move(text).str()};
}

StaticAnswer subject_page(const std::filesystem::path& root, std::string_view subject_id) {
  StaticAnswer page = read_file(root / "index.html");
  if (page.status != 200) return page.status == 404 ? not_found("the static directory has no index.html") : page;
  page.body = render_subject_page(page.body, subject_id);
  return page;
}

}  // namespace

bool is_page_subject_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxPageSubjectIdLength) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string static_relative_path(std::string_view url_path) {
  if (url_path.size() > 3 * kMaxStaticPathLength) return "";
  std::string decoded = url_decode(url_path);
  if (decoded.size() > kMaxStaticPathLength || decoded.empty() || decoded.front() != '/') return "";
  std::string_view rest = std::string_view(decoded).substr(1);
  std::string relative;
  while (true) {
    auto slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    if (!safe_segment(segment)) return "";
    relative += (relative.empty() ? "" : "/") + std::string(segment);
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return relative;
}

std::string_view static_content_type(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},   {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"}, {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},     {".json", "application/json"},
      {".map", "application/json"},            {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},               {".png", "image/png"},
      {".jpg", "image/jpeg"},                  {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},                   {".webp", "image/webp"},
      {".ico", "image/x-icon"},                {".wasm", "application/wasm"},
      {".woff", "font/woff"},                  {".woff2", "font/woff2"},
      {".ttf", "font/ttf"},                    {".mp3", "audio/mpeg"},
      {".wav", "audio/wav"},                   {".ogg", "audio/ogg"},
      {".mp4", "video/mp4"},                   {".webm", "video/webm"},
      {".onnx", "application/octet-stream"},   {".whl", "application/zip"},
      {".zip", "application/zip"},             {".data", "application/octet-stream"},
  };
  auto dot = path.rfind('.');
  if (dot == std::string_view::npos || path.find('/', dot) != std::string_view::npos) return "application/octet-stream";
  std::string ext(path.substr(dot));
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& [suffix, type] : kTypes) {
    if (suffix == ext) return type;
  }
  return "application/octet-stream";
}

std::string render_subject_page(std::string_view page, std::string_view subject_id) {
  std::string escaped;
  for (char c : subject_id) {
    switch (c) {
      case '&': escaped += "&amp;"; break;
      case '<': escaped += "&lt;"; break;
      case '>': escaped += "&gt;"; break;
      case '"': escaped += "&quot;"; break;
      case '\'': escaped += "&#39;"; break;
      case '\\': escaped += "&#92;"; break;
      default: escaped += c;
    }
  }
  std::string out;
  out.reserve(page.size());
  while (true) {
    auto at = page.find(kSubjectIdPlaceholder);
    out += page.substr(0, at);
    if (at == std::string_view::npos) break;
    out += escaped;
    page.remove_prefix(at + kSubjectIdPlaceholder.size());
  }
  return out;
}

StaticAnswer serve_static(const std::filesystem::path& root, std::string_view target) {
  std::string_view path = path_of(target);
  if (path == "/") {
    std::string id = query_param(target, "subject_id");
    if (id.empty()) return not_found("open /<subject_id> or /?subject_id=<id>");
    if (!is_page_subject_id(id)) return not_found("a subject id is 1 to 128 of A-Z a-z 0-9 _ -");
    return subject_page(root, id);
  }
  std::string relative = static_relative_path(path);
  if (relative.empty()) return not_found("no such file");
  StaticAnswer file = read_file(root / relative);
  // One segment that names nothing in the directory (a folder is no subject): the subject's page.
  std::error_code ec;
  if (file.status == 404 && relative.find('/') == std::string::npos && is_page_subject_id(relative) &&
      !std::filesystem::exists(root / relative, ec)) {
    return subject_page(root, relative);
  }
  return file;
}

}  // namespace cohort

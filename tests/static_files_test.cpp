// server.static_dir: the study's page for /<subject_id> with the id filled in, and the files
// under the directory, nothing outside it, no listing, the right Content-Type.
#include <catch2/catch.hpp>

#include <fstream>

#include "server/config.h"
#include "server/http/static_files.h"
#include "tests/support/temp_dir.h"

using namespace cohort;
using cohort::testing::TempDir;

namespace {

void write_static_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// index.html, a script under js/, a hidden file, and a secret beside the directory.
struct StudySite {
  TempDir temp;
  std::filesystem::path root = temp.path() / "site";
  StudySite() {
    write_static_file(root / "index.html", "<script>var subjectName = \"{{ subject_id }}\";</script><p>{{ subject_id }}</p>");
    write_static_file(root / "js" / "app.js", "console.log(1);");
    write_static_file(root / ".env", "SECRET=1");
    write_static_file(root / "logo.PNG", "png");
    write_static_file(temp.path() / "secret.txt", "outside");
  }
};

}  // namespace

TEST_CASE("static: /<subject_id> and /?subject_id= render index.html with the id in every placeholder") {
  StudySite site;
  StaticAnswer page = serve_static(site.root, "/5f8a2b9c0d1e2f3a4b5c6d7e");
  CHECK(page.status == 200);
  CHECK(page.content_type == "text/html; charset=utf-8");
  CHECK(page.body == "<script>var subjectName = \"5f8a2b9c0d1e2f3a4b5c6d7e\";</script><p>5f8a2b9c0d1e2f3a4b5c6d7e</p>");
  CHECK(serve_static(site.root, "/?subject_id=P_42-x").body.find("\"P_42-x\"") != std::string::npos);
  CHECK(serve_static(site.root, "/?subject_id=P_42-x&other=1").status == 200);
}

TEST_CASE("static: a subject id that could carry markup or script is refused, never written into the page") {
  StudySite site;
  for (const char* target : {"/%22%3Balert(1)%3B%22", "/%3Cscript%3E", "/?subject_id=%3Cb%3E", "/?subject_id=a%22b",
                             "/?subject_id=a%20b", "/a'b", "/?subject_id=", "/"}) {
    StaticAnswer answer = serve_static(site.root, target);
    CHECK(answer.status == 404);
    CHECK(answer.body.find("subjectName") == std::string::npos);
  }
  CHECK(serve_static(site.root, "/" + std::string(kMaxPageSubjectIdLength, 'a')).status == 200);
  CHECK(serve_static(site.root, "/" + std::string(kMaxPageSubjectIdLength + 1, 'a')).status == 404);
  // Were the rule ever widened, the page still gets the id escaped.
  CHECK(render_subject_page("x{{ subject_id }}y", "\"</script><b a='1'>&\\") ==
        "x&quot;&lt;/script&gt;&lt;b a=&#39;1&#39;&gt;&amp;&#92;y");
}

TEST_CASE("static: files under the directory, with their type; nothing outside it, no hidden file, no listing") {
  StudySite site;
  StaticAnswer script = serve_static(site.root, "/js/app.js?v=3");
  CHECK(script.status == 200);
  CHECK(script.content_type == "text/javascript; charset=utf-8");
  CHECK(script.body == "console.log(1);");
  CHECK(serve_static(site.root, "/logo.PNG").content_type == "image/png");
  CHECK(serve_static(site.root, "/index.html").body.find("{{ subject_id }}") != std::string::npos);
  for (const char* target : {"/../secret.txt", "/js/../../secret.txt", "/%2e%2e/secret.txt", "/js/%2E%2E/%2e%2e/secret.txt",
                             "/js%2f..%2f..%2fsecret.txt", "/..%5csecret.txt", "/.env", "/js/", "/js", "//etc/passwd",
                             "/js/app.js%00.html", "/C:/x", "/nope/app.js"}) {
    INFO(target);
    StaticAnswer answer = serve_static(site.root, target);
    CHECK(answer.status == 404);
    CHECK(answer.body.find("outside") == std::string::npos);
    CHECK(answer.body.find("SECRET") == std::string::npos);
  }
  CHECK(serve_static(site.root, "/" + std::string(2000, 'a') + "/x.js").status == 404);
  CHECK(static_content_type("a.wasm") == "application/wasm");
  CHECK(static_content_type("README") == "application/octet-stream");
  CHECK(static_content_type("dir.v2/README") == "application/octet-stream");
}

TEST_CASE("static: without index.html the subject page is a 404 saying so") {
  TempDir temp;
  StaticAnswer answer = serve_static(temp.path(), "/abc");
  CHECK(answer.status == 404);
  CHECK(answer.body.find("index.html") != std::string::npos);
}

TEST_CASE("static: server.static_dir must be a directory, and is made absolute") {
  StudySite site;
  std::string base = R"({"experiment_id":"e","scenes":[{"scene_id":"s","type":"static"}],"server":{"static_dir":")";
  Config config = parse_config(base + site.root.string() + "/js/..\"}}");
  CHECK(config.server.static_dir == std::filesystem::canonical(site.root).string());
  CHECK_THROWS_WITH(parse_config(base + (site.root / "index.html").string() + "\"}}"),
                    Catch::Contains("server.static_dir: is not a directory"));
  CHECK_THROWS_WITH(parse_config(base + "/no/such/dir\"}}"), Catch::Contains("server.static_dir"));
  CHECK(parse_config(R"({"experiment_id":"e","scenes":[{"scene_id":"s","type":"static"}]})").server.static_dir.empty());
}

#include <catch2/catch.hpp>

#include <string>

#include "engine/vocabulary/json_nesting.h"

using namespace cohort;

namespace {

std::string nested(std::size_t levels, char open, char close, std::string_view inner = "") {
  return std::string(levels, open) + std::string(inner) + std::string(levels, close);
}

}  // namespace

TEST_CASE("json_nesting counts arrays and objects, not text") {
  CHECK(json_nesting("") == 0);
  CHECK(json_nesting("1") == 0);
  CHECK(json_nesting(R"("a")") == 0);
  CHECK(json_nesting("[]") == 1);
  CHECK(json_nesting("{}") == 1);
  CHECK(json_nesting(R"([1,[2],{"a":[3,{"b":4}]}])") == 4);
  CHECK(json_nesting(R"([[1],[2],[3]])") == 2);  // siblings do not add up
}

TEST_CASE("json_nesting skips brackets inside strings, escaped quotes included") {
  CHECK(json_nesting(R"(["[[[{{{"])") == 1);
  CHECK(json_nesting(R"(["]]]}}}",[1]])") == 2);
  // `"\\"` is a string holding one backslash: the `[` after it is outside any string.
  CHECK(json_nesting(R"(["\\",[1]])") == 2);
  // `"\"["` holds a quote and a bracket: still one level.
  CHECK(json_nesting(R"(["\"[",1])") == 1);
  CHECK(json_nesting(R"(["\\\"[[",1])") == 1);
  CHECK(json_nesting(R"({"k\"{":"v[","[":{}})") == 2);
}

TEST_CASE("json_nesting on deep and broken texts") {
  CHECK(json_nesting(nested(64, '[', ']')) == 64);
  CHECK(json_nesting(nested(65, '[', ']')) == 65);
  std::string objects;
  for (int i = 0; i < 100; ++i) objects += R"({"a":)";
  objects += "1" + std::string(100, '}');
  CHECK(json_nesting(objects) == 100);
  // Unbalanced texts get an answer; the parser after the check refuses them.
  CHECK(json_nesting(nested(70, '[', ' ')) == 70);
  CHECK(json_nesting("]]]]]][") == 1);
  CHECK(json_nesting(R"(["unterminated [[[[)") == 1);
}

TEST_CASE("json_nesting takes 200,000 levels in a loop, without a stack per level") {
  CHECK(json_nesting(nested(200'000, '[', ']')) == 200'000);
  CHECK(json_nesting("[\"register_subject\"," + nested(200'000, '{', '}')) == 200'001);
  CHECK(json_nesting(nested(200'000, '[', ']', R"("\"")")) == 200'000);
}

#include <catch2/catch.hpp>

#include "engine/vocabulary/field_text.h"

using namespace cohort::field_text;

TEST_CASE("strings that need escaping survive a round trip and stay one token") {
  std::string value = "a b%c\nd\te,f=g \x01 ü";
  std::string text;
  Writer writer(text);
  writer("s", value);
  writer("n", std::int64_t{-42});
  CHECK(text.find(' ') == text.find(" n="));  // the only space separates the fields

  Reader reader(text);
  std::string s;
  std::int64_t n = 0;
  reader("s", s);
  reader("n", n);
  reader.finish();
  CHECK(s == value);
  CHECK(n == -42);
}

TEST_CASE("string lists keep empty-free elements with commas and spaces") {
  std::vector<std::string> value{"alice,1", "bob smith", "c"};
  std::string text;
  Writer writer(text);
  writer("players", value);
  Reader reader(text);
  std::vector<std::string> back;
  reader("players", back);
  CHECK(back == value);
}

TEST_CASE("absent optionals are omitted and read back as absent") {
  std::string text;
  Writer writer(text);
  writer("a", std::optional<std::int64_t>{});
  writer("b", std::int64_t{7});
  CHECK(text == "b=7");
  Reader reader(text);
  std::optional<std::int64_t> a;
  std::int64_t b = 0;
  reader("a", a);
  reader("b", b);
  CHECK_FALSE(a.has_value());
  CHECK(b == 7);
}

TEST_CASE("malformed payload text is a FieldError, never a crash") {
  auto read_int = [](const std::string& text) {
    Reader reader(text);
    std::int64_t v = 0;
    reader("n", v);
    reader.finish();
    return v;
  };
  CHECK_THROWS_AS(read_int("n=12x"), FieldError);
  CHECK_THROWS_AS(read_int("n="), FieldError);
  CHECK_THROWS_AS(read_int("m=1"), FieldError);           // missing field
  CHECK_THROWS_AS(read_int("n=1 extra=2"), FieldError);   // unknown field
  CHECK_THROWS_AS(read_int("garbage"), FieldError);       // no '='
  CHECK_THROWS_AS(read_int("n=99999999999999999999999"), FieldError);
  CHECK_THROWS_AS(unescape("abc%4"), FieldError);
  CHECK_THROWS_AS(unescape("abc%zz"), FieldError);
  CHECK(read_int("n=-5") == -5);
}

// JSON Schema regex keywords ("pattern", "patternProperties", "format" dates) checked with RE2 instead of valijson's std::regex.
#pragma once

#include <majordomo/json_value.hpp>

#include <valijson/schema_parser.hpp>

#include <memory>
#include <string>
#include <string_view>

// valijson 1.0 (Debian 12) matches with std::regex, which recurses once per character (a long
// answer overflows the stack) and backtracks without bound (a pathological pattern runs for
// minutes). It has no regex hook, so the schema valijson compiles is a rewritten copy: each of
// those keywords becomes a private keyword whose constraint matches with RE2 (linear time, no
// recursion), and the sub-schemas of "patternProperties" / "additionalProperties" are compiled
// as schemas of their own that the constraint applies to the matching members.
namespace majordomo::json_schema {

// `pattern` (ECMA-262 syntax, as JSON Schema specifies) in RE2 syntax: \uXXXX becomes \x{XXXX},
// '.' and \s take ECMA-262's meaning, (?<name> becomes (?P<name>. Throws ConfigurationError
// (naming the construct, the pattern and `provider`) for what RE2 cannot run: backreferences
// and lookaround.
std::string ecma_pattern_to_re2(std::string_view pattern, std::string_view provider);

class RegexKeywords {
 public:
  // Rewrites `schema` and compiles every pattern in it; ConfigurationError when one cannot be
  // used or when a $ref chain leads only to itself (valijson would recurse until the stack ends).
  RegexKeywords(const JsonValue& schema, std::string_view provider);
  RegexKeywords(RegexKeywords&&) noexcept;
  RegexKeywords& operator=(RegexKeywords&&) noexcept;
  ~RegexKeywords();

  // The document valijson compiles in place of the caller's schema. Stays valid while this lives.
  [[nodiscard]] const JsonValue& document() const;
  // Teaches `parser` the private keywords. The constraints it builds refer to this object: it
  // must outlive every schema compiled with `parser`.
  void register_with(valijson::SchemaParser& parser) const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace majordomo::json_schema

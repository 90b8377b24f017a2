// Structured output: JSON Schema checks of model answers and a typed get_structured_response.
#pragma once

#include <majordomo/export.hpp>
#include <majordomo/errors.hpp>
#include <majordomo/json_value.hpp>
#include <majordomo/llm.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace majordomo {

// A JSON Schema (draft 7) parsed once, to check answers against. Parsing up front lets callers
// refuse an unusable schema before any request is sent.
class MAJORDOMO_API JsonSchema {
 public:
  // Throws ConfigurationError (naming `provider` when given) when schema_json is not one JSON
  // object or is not a schema the validator understands.
  explicit JsonSchema(std::string_view schema_json, std::string_view provider = {});
  JsonSchema(JsonSchema&&) noexcept;
  JsonSchema& operator=(JsonSchema&&) noexcept;
  ~JsonSchema();

  const std::string& text() const noexcept;
  // Fences stripped and parsed as parse_json_response does; then an empty object throws
  // ParseError and an answer that breaks the schema throws SchemaMismatchError, both with the
  // raw text in partial_content. Before the check, a null given for a property the schema leaves
  // optional and does not let be null is removed from the answer (strict provider modes make
  // optional properties nullable and answer null for "absent"); json_text then holds the answer
  // as checked, response.content the text as received.
  [[nodiscard]] JsonResponse check(Response response) const;
  // The validator's verdict on `value` alone, without check()'s fence stripping, empty-object
  // and optional-null handling (JSON text: JsonValue::parse it first). Throws what the validator
  // throws (std::exception). For checking the validator itself, e.g. against the
  // JSON-Schema-Test-Suite.
  [[nodiscard]] bool accepts(const JsonValue& value) const;
  // (0.5) The first violations of `value`, as check() words them ("/path: what; …"); empty when
  // the schema accepts it. Throws what the validator throws (std::exception).
  [[nodiscard]] std::string violations_of(const JsonValue& value) const;

 private:
  struct Parsed;
  std::unique_ptr<Parsed> parsed_;
};

// A structured answer read as a stream: pieces of the JSON text arrive as the model writes them
// (through stream()), then finish() reads whatever is left and checks the whole answer.
class MAJORDOMO_API StructuredStream {
 public:
  StructuredStream(ResponseStream stream, JsonSchema schema)
      : stream_(std::move(stream)), schema_(std::move(schema)) {}

  ResponseStream& stream() noexcept { return stream_; }
  // Reads the rest of the stream, then JsonSchema::check on the whole answer. Throws the
  // stream's errors (with the text so far) and the errors of get_json_schema_response.
  [[nodiscard]] JsonResponse finish();

 private:
  ResponseStream stream_;
  JsonSchema schema_;
};

// get_json_schema_response, streamed: the same request with streaming on, and the same checks
// when finish() is called. ConfigurationError and UnsupportedError come before sending.
[[nodiscard]] MAJORDOMO_API StructuredStream get_json_schema_response_stream(LLM& llm, std::string_view prompt,
                                                                           std::string_view schema_json,
                                                                           std::string_view schema_name,
                                                                           const RequestOptions& options = {});

// Strips Markdown code fences from response.content and parses it; ParseError (partial_content =
// raw text) when it is not JSON. What get_json_response does with the answer it received.
[[nodiscard]] MAJORDOMO_API JsonResponse parse_json_response(Response response);

// get_json_schema_response with the checked answer turned into T by `convert`, which is called
// with it as `const JsonValue&`. Errors as get_json_schema_response, plus whatever convert throws.
// A SchemaMismatchError out of convert (JsonValue's as_*() and at() on a value of another shape)
// reaches the caller with the answer's provider, request id and raw text (partial_content) filled
// in where convert left them empty, like the schema check's own errors.
template <class T, class Convert>
  requires std::is_invocable_r_v<T, Convert&, const JsonValue&>
[[nodiscard]] T get_structured_response(LLM& llm, std::string_view prompt, std::string_view schema_json,
                                        std::string_view schema_name, Convert convert,
                                        const RequestOptions& options = {}) {
  JsonResponse answer = llm.get_json_schema_response(prompt, schema_json, schema_name, options);
  try {
    return convert(std::as_const(answer.value));
  } catch (const SchemaMismatchError& error) {
    ErrorDetails details = error.details();
    if (details.provider.empty()) details.provider = answer.response.provider;
    if (details.request_id.empty()) details.request_id = answer.response.request_id;
    if (details.partial_content.empty()) details.partial_content = answer.response.content;
    throw SchemaMismatchError(std::move(details));
  }
}

}  // namespace majordomo

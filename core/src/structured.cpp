// JSON answers (get_json_response, get_json_schema_response, JsonSchema) and fence stripping: answers
// are parsed into JsonValue and checked in place by valijson through a JsonValue adapter.
#include <majordomo/llm.hpp>
#include <majordomo/structured.hpp>

#include "json_value_adapter.hpp"
#include "schema_patterns.hpp"

// VALIJSON_USE_EXCEPTIONS=1 comes from the build: without it valijson aborts on a bad schema.
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <optional>

namespace majordomo {

namespace {

// How many validation errors the SchemaMismatchError message lists: enough to fix the prompt or
// schema, short enough to log.
constexpr std::size_t kReportedViolations = 3;

[[noreturn]] void throw_answer_error(ErrorKind kind, const Response& response, std::string message) {
  ErrorDetails details;
  details.kind = kind;
  details.provider = response.provider;
  details.request_id = response.request_id;
  details.message = std::move(message);
  details.partial_content = response.content;
  throw_error(std::move(details));
}

// "<root>.[items].[0]" style context from valijson, as one path string.
std::string violation_path(const std::vector<std::string>& context) {
  std::string path;
  for (const auto& part : context) path += part;
  return path.empty() ? "<root>" : path;
}

}  // namespace

std::string_view strip_json_fences(std::string_view text) noexcept {
  const auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  if (text.size() >= 6 && text.substr(0, 3) == "```" && text.substr(text.size() - 3) == "```") {
    text.remove_prefix(3);
    text.remove_suffix(3);
    const auto newline = text.find('\n');
    // The opening fence line may name a language ("```json").
    if (newline != std::string_view::npos) text.remove_prefix(newline + 1);
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  }
  return text;
}

JsonResponse parse_json_response(Response response) {
  JsonResponse out;
  out.response = std::move(response);
  out.json_text = std::string(strip_json_fences(out.response.content));
  try {
    out.value = JsonValue::parse(out.json_text);
  } catch (const ParseError& error) {
    throw_answer_error(ErrorKind::parse, out.response,
                       fmt::format("the model's answer is not valid JSON ({}); the raw text is in "
                                   "partial_content",
                                   error.what()));
  }
  return out;
}

struct JsonSchema::Parsed {
  std::string text;
  JsonValue document;  // the caller's schema, read by drop_optional_nulls
  // Declared before `schema`, which refers to it (and into its document) and goes first.
  std::optional<json_schema::RegexKeywords> regex_keywords;
  valijson::Schema schema;
};

namespace {

// The member `name` of `object` when it has that type, else nullptr.
const JsonValue* member_of_type(const JsonValue& object, std::string_view name, JsonValue::Type type) {
  const JsonValue* member = object.find(name);
  return member != nullptr && member->type() == type ? member : nullptr;
}

// The target of a local "#/…" reference, or nullptr when it does not resolve here (the
// validator reports remote and broken references itself).
const JsonValue* resolve_local_ref(const JsonValue& root, const std::string& ref) {
  if (ref.empty() || ref.front() != '#') return nullptr;
  const JsonValue* node = &root;
  std::size_t start = 1;
  while (start < ref.size()) {
    if (ref[start] != '/') return nullptr;
    const std::size_t end = std::min(ref.find('/', start + 1), ref.size());
    std::string token = ref.substr(start + 1, end - start - 1);
    for (std::size_t at = 0; (at = token.find('~', at)) != std::string::npos; ++at) {
      if (at + 1 < token.size() && token[at + 1] == '1') token.replace(at, 2, "/");
      else if (at + 1 < token.size() && token[at + 1] == '0') token.replace(at, 2, "~");
    }
    node = node->find(token);
    if (node == nullptr) return nullptr;
    start = end;
  }
  return node;
}

// A schema object behind at most this many chained $refs; deeper chains are left alone.
constexpr int kRefHops = 32;

const JsonValue* schema_object(const JsonValue& root, const JsonValue* node) {
  for (int hop = 0; hop < kRefHops && node != nullptr && node->is_object(); ++hop) {
    const JsonValue* ref = member_of_type(*node, "$ref", JsonValue::Type::string);
    if (ref == nullptr) return node;
    node = resolve_local_ref(root, ref->as_string());
  }
  return nullptr;
}

// Whether `node` lets a value be null (an unconstrained schema does).
bool accepts_null(const JsonValue& root, const JsonValue& node, int depth = 0) {
  if (node.is_bool()) return node.as_bool();
  const JsonValue* object = schema_object(root, &node);
  if (object == nullptr || depth > kRefHops) return true;
  if (const JsonValue* type = object->find("type")) {
    if (type->is_string()) return type->as_string() == "null";
    if (type->is_array()) {
      const auto names = type->as_array();
      return std::any_of(names.begin(), names.end(),
                         [](const JsonValue& name) { return name.is_string() && name.as_string() == "null"; });
    }
  }
  if (const JsonValue* values = member_of_type(*object, "enum", JsonValue::Type::array)) {
    const auto list = values->as_array();
    return std::any_of(list.begin(), list.end(), [](const JsonValue& value) { return value.is_null(); });
  }
  if (const JsonValue* constant = object->find("const")) return constant->is_null();
  for (const char* key : {"anyOf", "oneOf"}) {
    if (const JsonValue* branches = member_of_type(*object, key, JsonValue::Type::array)) {
      const auto list = branches->as_array();
      return std::any_of(list.begin(), list.end(),
                         [&](const JsonValue& branch) { return accepts_null(root, branch, depth + 1); });
    }
  }
  if (const JsonValue* branches = member_of_type(*object, "allOf", JsonValue::Type::array)) {
    const auto list = branches->as_array();
    return std::all_of(list.begin(), list.end(),
                       [&](const JsonValue& branch) { return accepts_null(root, branch, depth + 1); });
  }
  return true;
}

// Strict structured-output dialects (OpenAI's) must list every property as required, so a
// property the caller left optional is sent as nullable and the model answers null for "absent".
// Such nulls are removed here when the caller's schema leaves the property optional and does not
// allow null, so the answer is checked as the caller meant it. Follows properties, items, allOf
// and local $refs; anyOf/oneOf branches are not entered (which one applies is the validator's
// call). Returns whether anything was removed.
bool drop_optional_nulls(const JsonValue& root, const JsonValue& schema, JsonValue& value, int depth = 0) {
  const JsonValue* object = schema_object(root, &schema);
  if (object == nullptr || depth > 256) return false;
  bool dropped = false;
  if (const JsonValue* branches = member_of_type(*object, "allOf", JsonValue::Type::array)) {
    for (const auto& branch : branches->as_array()) dropped |= drop_optional_nulls(root, branch, value, depth + 1);
  }
  if (value.is_object()) {
    const JsonValue* properties = member_of_type(*object, "properties", JsonValue::Type::object);
    if (properties == nullptr) return dropped;
    const JsonValue* required = member_of_type(*object, "required", JsonValue::Type::array);
    const auto is_required = [&](const std::string& name) {
      if (required == nullptr) return false;
      const auto list = required->as_array();
      return std::any_of(list.begin(), list.end(),
                         [&](const JsonValue& entry) { return entry.is_string() && entry.as_string() == name; });
    };
    for (const auto& [name, property] : properties->as_object()) {
      JsonValue* answer = value.find(name);
      if (answer == nullptr) continue;
      if (answer->is_null()) {
        if (!is_required(name) && !accepts_null(root, property)) {
          (void)value.erase(name);
          dropped = true;
        }
      } else {
        dropped |= drop_optional_nulls(root, property, *answer, depth + 1);
      }
    }
  } else if (value.is_array()) {
    if (const JsonValue* items = object->find("items")) {
      for (std::size_t i = 0; i < value.size(); ++i) dropped |= drop_optional_nulls(root, *items, value.at(i), depth + 1);
    }
  }
  return dropped;
}

}  // namespace

JsonSchema::JsonSchema(std::string_view schema_json, std::string_view provider)
    : parsed_(std::make_unique<Parsed>()) {
  parsed_->text = std::string(schema_json);
  try {
    parsed_->document = JsonValue::parse(parsed_->text);
  } catch (const ParseError& error) {
    throw_configuration_error(
        fmt::format("the JSON Schema is not valid JSON ({}); pass the schema as text", error.what()),
        std::string(provider));
  }
  if (!parsed_->document.is_object()) {
    throw_configuration_error("the JSON Schema must be one JSON object", std::string(provider));
  }
  // Patterns are compiled here, so a pattern RE2 cannot run is a configuration error before
  // anything is sent rather than a failure after the paid call.
  parsed_->regex_keywords.emplace(parsed_->document, provider);
  try {
    valijson::SchemaParser schema_parser(valijson::SchemaParser::kDraft7);
    parsed_->regex_keywords->register_with(schema_parser);
    const json_schema::JsonValueAdapter adapter(parsed_->regex_keywords->document());
    schema_parser.populateSchema(adapter, parsed_->schema);
  } catch (const std::exception& error) {
    // valijson refuses malformed keywords and remote $refs (nothing is fetched).
    throw_configuration_error(fmt::format("the JSON Schema cannot be used ({})", error.what()),
                              std::string(provider));
  }
}

JsonSchema::JsonSchema(JsonSchema&&) noexcept = default;
JsonSchema& JsonSchema::operator=(JsonSchema&&) noexcept = default;
JsonSchema::~JsonSchema() = default;

const std::string& JsonSchema::text() const noexcept { return parsed_->text; }

JsonResponse JsonSchema::check(Response response) const {
  JsonResponse out = parse_json_response(std::move(response));
  // Some models answer "{}" when they cannot fill the schema; report that as unusable output
  // rather than letting a schema without "required" pass it.
  if (out.value.is_object() && out.value.size() == 0) {
    throw_answer_error(ErrorKind::parse, out.response,
                       "the model's answer is an empty JSON object; the raw text is in partial_content");
  }
  if (drop_optional_nulls(parsed_->document, parsed_->document, out.value)) {
    // json_text follows value, so re-parsing it gives what was checked; content stays raw.
    out.json_text = out.value.to_json();
  }
  std::string violations;
  try {
    violations = violations_of(out.value);
  } catch (const std::exception& error) {
    // Whatever the validator throws, the caller gets a typed error that keeps the answer.
    throw_answer_error(ErrorKind::schema_mismatch, out.response,
                       fmt::format("the model's answer could not be checked against the JSON Schema "
                                   "({}); the raw text is in partial_content",
                                   error.what()));
  }
  if (!violations.empty()) {
    throw_answer_error(ErrorKind::schema_mismatch, out.response,
                       fmt::format("the model's answer does not match the JSON Schema ({}); the raw "
                                   "text is in partial_content",
                                   violations));
  }
  return out;
}

std::string JsonSchema::violations_of(const JsonValue& value) const {
  valijson::Validator validator;
  valijson::ValidationResults results;
  if (validator.validate(parsed_->schema, json_schema::JsonValueAdapter(value), &results)) return {};
  std::string violations;
  std::size_t shown = 0;
  for (const auto& violation : results) {
    if (shown == kReportedViolations) break;
    violations += fmt::format("{}{}: {}", shown == 0 ? "" : "; ", violation_path(violation.context),
                              violation.description);
    ++shown;
  }
  if (results.numErrors() > shown) violations += fmt::format("; and {} more", results.numErrors() - shown);
  if (violations.empty()) violations = "the validator gave no reason";  // refused all the same
  return violations;
}

bool JsonSchema::accepts(const JsonValue& value) const {
  valijson::Validator validator;
  return validator.validate(parsed_->schema, json_schema::JsonValueAdapter(value), nullptr);
}

JsonResponse StructuredStream::finish() {
  StreamChunk chunk;
  while (stream_.next(chunk)) {
  }
  return schema_.check(stream_.response());
}

StructuredStream get_json_schema_response_stream(LLM& llm, std::string_view prompt, std::string_view schema_json,
                                                 std::string_view schema_name, const RequestOptions& options) {
  JsonSchema schema(schema_json, llm.provider());
  LLMRequest request = LLMRequest::from_prompt(prompt, options);
  request.format = ResponseFormat::json_schema;
  request.schema_json = schema.text();
  request.schema_name = std::string(schema_name);
  ResponseStream stream = llm.stream(request);
  return StructuredStream(std::move(stream), std::move(schema));
}

JsonResponse LLM::get_json_response(std::string_view prompt, const RequestOptions& options) {
  LLMRequest request = LLMRequest::from_prompt(prompt, options);
  request.format = ResponseFormat::json_object;
  return complete_checked(request, parse_json_response);
}

JsonResponse LLM::get_json_schema_response(std::string_view prompt, std::string_view schema_json,
                                           std::string_view schema_name, const RequestOptions& options) {
  // Parsed before sending, so an unusable schema costs no request.
  const JsonSchema schema(schema_json, provider());
  LLMRequest request = LLMRequest::from_prompt(prompt, options);
  request.format = ResponseFormat::json_schema;
  request.schema_json = schema.text();
  request.schema_name = std::string(schema_name);
  // Through complete_checked, so that a cascade can fail over on an answer that fails the check.
  return complete_checked(request, [&schema](Response response) { return schema.check(std::move(response)); });
}

}  // namespace majordomo

// JSON answers (get_json_response, get_json_schema_response, JsonSchema) and fence stripping: kept
// apart so programs that never ask for JSON do not load Poco::JSON or valijson at start-up (a
// static link pulls this file in only when it is used).
#include <majordomo/llm.hpp>
#include <majordomo/structured.hpp>

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

// VALIJSON_USE_EXCEPTIONS=1 comes from the build: without it valijson aborts on a bad schema.
#include <valijson/adapters/poco_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <regex>
#include <sstream>

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
    Poco::JSON::Parser parser;
    out.value = parser.parse(out.json_text);
  } catch (const Poco::Exception& error) {
    throw_answer_error(ErrorKind::parse, out.response,
                       fmt::format("the model's answer is not valid JSON ({}); the raw text is in "
                                   "partial_content",
                                   error.displayText()));
  }
  return out;
}

struct JsonSchema::Parsed {
  std::string text;
  Poco::Dynamic::Var document;  // kept alive: the compiled schema may refer into it
  valijson::Schema schema;
  bool has_patterns = false;    // "pattern" or "patternProperties" somewhere in the schema
};

namespace {

// The validator compiles "pattern" regexes only while validating, with std::regex. Compiling
// them here turns syntax std::regex lacks (\p{L}, lookbehind, …) into a configuration error
// before anything is sent, instead of an exception after the paid call.
void check_patterns(const Poco::Dynamic::Var& node, bool& has_patterns, std::string_view provider) {
  const auto compile = [&](const std::string& pattern) {
    has_patterns = true;
    try {
      const std::regex compiled(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& error) {
      throw_configuration_error(
          fmt::format("the JSON Schema has a pattern this validator cannot use ({}): '{}'", error.what(),
                      pattern),
          std::string(provider));
    }
  };
  if (node.type() == typeid(Poco::JSON::Object::Ptr)) {
    const auto object = node.extract<Poco::JSON::Object::Ptr>();
    for (const auto& [key, value] : *object) {
      if (key == "pattern" && value.isString()) compile(value.extract<std::string>());
      if (key == "patternProperties" && value.type() == typeid(Poco::JSON::Object::Ptr)) {
        for (const auto& entry : *value.extract<Poco::JSON::Object::Ptr>()) compile(entry.first);
      }
      check_patterns(value, has_patterns, provider);
    }
  } else if (node.type() == typeid(Poco::JSON::Array::Ptr)) {
    for (const auto& value : *node.extract<Poco::JSON::Array::Ptr>()) check_patterns(value, has_patterns, provider);
  }
}

// std::regex matching recurses once per character: an answer string this long is not matched
// against a pattern (it would risk the stack), it is reported as a mismatch instead.
constexpr std::size_t kLongestPatternChecked = 16 * 1024;

std::size_t longest_string(const Poco::Dynamic::Var& node) {
  std::size_t longest = 0;
  if (node.isString()) return node.extract<std::string>().size();
  if (node.type() == typeid(Poco::JSON::Object::Ptr)) {
    for (const auto& [key, value] : *node.extract<Poco::JSON::Object::Ptr>()) {
      longest = std::max({longest, key.size(), longest_string(value)});
    }
  } else if (node.type() == typeid(Poco::JSON::Array::Ptr)) {
    for (const auto& value : *node.extract<Poco::JSON::Array::Ptr>()) longest = std::max(longest, longest_string(value));
  }
  return longest;
}

// The target of a local "#/…" reference, or an empty Var when it does not resolve here (the
// validator reports remote and broken references itself).
Poco::Dynamic::Var resolve_local_ref(const Poco::Dynamic::Var& root, const std::string& ref) {
  if (ref.empty() || ref.front() != '#') return {};
  Poco::Dynamic::Var node = root;
  std::size_t start = 1;
  while (start < ref.size()) {
    if (ref[start] != '/') return {};
    const std::size_t end = std::min(ref.find('/', start + 1), ref.size());
    std::string token = ref.substr(start + 1, end - start - 1);
    for (std::size_t at = 0; (at = token.find('~', at)) != std::string::npos; ++at) {
      if (at + 1 < token.size() && token[at + 1] == '1') token.replace(at, 2, "/");
      else if (at + 1 < token.size() && token[at + 1] == '0') token.replace(at, 2, "~");
    }
    if (node.type() != typeid(Poco::JSON::Object::Ptr)) return {};
    const auto object = node.extract<Poco::JSON::Object::Ptr>();
    if (!object->has(token)) return {};
    node = object->get(token);
    start = end;
  }
  return node;
}

// A schema object behind at most this many chained $refs; deeper chains are left alone.
constexpr int kRefHops = 32;

Poco::JSON::Object::Ptr schema_object(const Poco::Dynamic::Var& root, Poco::Dynamic::Var node) {
  for (int hop = 0; hop < kRefHops && node.type() == typeid(Poco::JSON::Object::Ptr); ++hop) {
    const auto object = node.extract<Poco::JSON::Object::Ptr>();
    if (!object->has("$ref")) return object;
    node = resolve_local_ref(root, object->getValue<std::string>("$ref"));
  }
  return {};
}

// Whether `node` lets a value be null (an unconstrained schema does).
bool accepts_null(const Poco::Dynamic::Var& root, const Poco::Dynamic::Var& node, int depth = 0) {
  if (node.isBoolean()) return node.convert<bool>();
  const auto object = schema_object(root, node);
  if (!object || depth > kRefHops) return true;
  if (object->has("type")) {
    const auto type = object->get("type");
    if (type.isString()) return type.extract<std::string>() == "null";
    if (type.type() == typeid(Poco::JSON::Array::Ptr)) {
      for (const auto& name : *type.extract<Poco::JSON::Array::Ptr>()) {
        if (name.isString() && name.extract<std::string>() == "null") return true;
      }
      return false;
    }
  }
  if (object->has("enum") && object->get("enum").type() == typeid(Poco::JSON::Array::Ptr)) {
    const auto values = object->getArray("enum");
    return std::any_of(values->begin(), values->end(), [](const auto& value) { return value.isEmpty(); });
  }
  if (object->has("const")) return object->isNull("const");
  for (const char* key : {"anyOf", "oneOf"}) {
    if (const auto branches = object->getArray(key)) {
      return std::any_of(branches->begin(), branches->end(),
                         [&](const auto& branch) { return accepts_null(root, branch, depth + 1); });
    }
  }
  if (const auto branches = object->getArray("allOf")) {
    return std::all_of(branches->begin(), branches->end(),
                       [&](const auto& branch) { return accepts_null(root, branch, depth + 1); });
  }
  return true;
}

// Strict structured-output dialects (OpenAI's) must list every property as required, so a
// property the caller left optional is sent as nullable and the model answers null for "absent".
// Such nulls are removed here when the caller's schema leaves the property optional and does not
// allow null, so the answer is checked as the caller meant it. Follows properties, items, allOf
// and local $refs; anyOf/oneOf branches are not entered (which one applies is the validator's
// call). Returns whether anything was removed.
bool drop_optional_nulls(const Poco::Dynamic::Var& root, const Poco::Dynamic::Var& schema,
                         const Poco::Dynamic::Var& value, int depth = 0) {
  const auto object = schema_object(root, schema);
  if (!object || depth > 256) return false;
  bool dropped = false;
  if (const auto branches = object->getArray("allOf")) {
    for (const auto& branch : *branches) dropped |= drop_optional_nulls(root, branch, value, depth + 1);
  }
  if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
    const auto properties = object->getObject("properties");
    if (!properties) return dropped;
    Poco::JSON::Object::Ptr answer = value.extract<Poco::JSON::Object::Ptr>();  // non-const: nulls are removed
    const auto required = object->getArray("required");
    const auto is_required = [&](const std::string& name) {
      return required && std::any_of(required->begin(), required->end(), [&](const auto& entry) {
               return entry.isString() && entry.template extract<std::string>() == name;
             });
    };
    for (const auto& [name, property] : *properties) {
      if (!answer->has(name)) continue;
      if (answer->isNull(name)) {
        if (!is_required(name) && !accepts_null(root, property)) {
          answer->remove(name);
          dropped = true;
        }
      } else {
        dropped |= drop_optional_nulls(root, property, answer->get(name), depth + 1);
      }
    }
  } else if (value.type() == typeid(Poco::JSON::Array::Ptr) && object->has("items")) {
    const auto items = object->get("items");
    for (const auto& item : *value.extract<Poco::JSON::Array::Ptr>()) {
      dropped |= drop_optional_nulls(root, items, item, depth + 1);
    }
  }
  return dropped;
}

}  // namespace

JsonSchema::JsonSchema(std::string_view schema_json, std::string_view provider)
    : parsed_(std::make_unique<Parsed>()) {
  parsed_->text = std::string(schema_json);
  try {
    Poco::JSON::Parser parser;
    parsed_->document = parser.parse(parsed_->text);
  } catch (const Poco::Exception& error) {
    throw_configuration_error(
        fmt::format("the JSON Schema is not valid JSON ({}); pass the schema as text", error.displayText()),
        std::string(provider));
  }
  if (parsed_->document.type() != typeid(Poco::JSON::Object::Ptr)) {
    throw_configuration_error("the JSON Schema must be one JSON object", std::string(provider));
  }
  check_patterns(parsed_->document, parsed_->has_patterns, provider);
  try {
    valijson::SchemaParser schema_parser(valijson::SchemaParser::kDraft7);
    const valijson::adapters::PocoJsonAdapter adapter(parsed_->document);
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
  if (out.value.type() == typeid(Poco::JSON::Object::Ptr) &&
      out.value.extract<Poco::JSON::Object::Ptr>()->size() == 0) {
    throw_answer_error(ErrorKind::parse, out.response,
                       "the model's answer is an empty JSON object; the raw text is in partial_content");
  }
  if (drop_optional_nulls(parsed_->document, parsed_->document, out.value)) {
    // json_text follows value, so re-parsing it gives what was checked; content stays raw.
    std::ostringstream text;
    Poco::JSON::Stringifier::condense(out.value, text);
    out.json_text = text.str();
  }
  if (parsed_->has_patterns && longest_string(out.value) > kLongestPatternChecked) {
    throw_answer_error(ErrorKind::schema_mismatch, out.response,
                       fmt::format("the model's answer has a string longer than {} bytes, too long to "
                                   "check against the schema's patterns; the raw text is in "
                                   "partial_content",
                                   kLongestPatternChecked));
  }
  valijson::Validator validator;
  valijson::ValidationResults results;
  bool valid = false;
  try {
    valid = validator.validate(parsed_->schema, valijson::adapters::PocoJsonAdapter(out.value), &results);
  } catch (const std::exception& error) {
    // Whatever the validator throws, the caller gets a typed error that keeps the answer.
    throw_answer_error(ErrorKind::schema_mismatch, out.response,
                       fmt::format("the model's answer could not be checked against the JSON Schema "
                                   "({}); the raw text is in partial_content",
                                   error.what()));
  }
  if (!valid) {
    std::string violations;
    std::size_t shown = 0;
    for (const auto& violation : results) {
      if (shown == kReportedViolations) break;
      violations += fmt::format("{}{}: {}", shown == 0 ? "" : "; ", violation_path(violation.context),
                                violation.description);
      ++shown;
    }
    if (results.numErrors() > shown) violations += fmt::format("; and {} more", results.numErrors() - shown);
    throw_answer_error(ErrorKind::schema_mismatch, out.response,
                       fmt::format("the model's answer does not match the JSON Schema ({}); the raw "
                                   "text is in partial_content",
                                   violations));
  }
  return out;
}

bool JsonSchema::accepts(const Poco::Dynamic::Var& value) const {
  valijson::Validator validator;
  return validator.validate(parsed_->schema, valijson::adapters::PocoJsonAdapter(value), nullptr);
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

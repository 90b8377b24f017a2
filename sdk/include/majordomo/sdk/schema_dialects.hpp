// Rewrites of a caller's JSON Schema (draft 7) into the subsets providers' structured-output modes accept.
#pragma once

#include <majordomo/sdk/requires_cxx20.hpp>

#include <string>
#include <string_view>

namespace majordomo::sdk {
inline namespace v1 {

// Every function takes the caller's schema as JSON text (the host checked it is one JSON object)
// and returns the provider's version of it as compact JSON text. Keywords a provider does not
// accept are dropped: the host validates every answer against the caller's ORIGINAL schema, so a
// constraint the provider could not enforce is still enforced there (a violation becomes
// schema_mismatch, never a silent pass). A schema the dialect cannot express at all throws
// ProviderError(MJ_ERR_UNSUPPORTED) naming the construct and the remedy; invalid JSON throws
// MJ_ERR_CONFIGURATION. Nothing here does I/O; all three are thread-safe.

// OpenAI Structured Outputs with `strict: true` (Chat Completions and the Responses API alike;
// docs/providers.md, "Structured output"):
//  - the root must be an object schema;
//  - every object schema gets `additionalProperties: false` and ALL its properties listed in
//    `required`; a property the caller left optional is made nullable instead (`type` gains
//    "null", an `enum` gains null, a schema without `type` becomes `anyOf:[…, {"type":"null"}]`),
//    so the model answers `null` where it has nothing. The host drops such nulls before
//    validating (see JsonSchema::check), so the answer still fits the caller's schema;
//  - an object schema without `properties` (arbitrary keys) cannot be expressed: unsupported;
//  - `oneOf` is sent as `anyOf`; an `allOf` of one schema is merged into its parent, a longer one
//    is unsupported; tuple `items` (an array) and boolean schemas are unsupported;
//  - kept: type, properties, required, additionalProperties, items, enum, const, anyOf, $ref,
//    $defs, definitions, title, description, pattern, format (date-time, time, date, duration,
//    email, hostname, ipv4, ipv6, uuid), multipleOf, minimum, maximum, exclusiveMinimum,
//    exclusiveMaximum, minItems, maxItems. Everything else (minLength, maxLength, default,
//    patternProperties, uniqueItems, $schema, $id, other formats, …) is dropped.
std::string openai_strict_schema(std::string_view schema_json);

// Anthropic `output_config.format` json_schema (docs/providers.md): every object schema gets
// `additionalProperties: false` (the only value the service accepts); `required` stays as the
// caller wrote it. Numeric bounds, string lengths, minItems above 1, maxItems, uniqueItems,
// patternProperties, and formats other than date-time, time, date, duration, email, hostname,
// uri, ipv4, ipv6 and uuid are dropped. $ref/$defs/definitions, anyOf, allOf, enum, const and
// default pass through. An object schema without `properties` is unsupported (the service allows
// no other additionalProperties than false).
std::string anthropic_output_schema(std::string_view schema_json);

// Gemini `generationConfig.responseSchema` (the OpenAPI-subset Schema object; docs/providers.md):
//  - local `$ref`s (`#/definitions/…`, `#/$defs/…`, any `#/…` pointer) are inlined; a recursive
//    `$ref` is unsupported (the Schema object has no references), as is a reference elsewhere;
//  - `type` names are upper-cased (OBJECT, STRING, …); a type list with "null" becomes the other
//    type plus `nullable: true`; several non-null types become an `anyOf` of bare types;
//  - `oneOf` is sent as `anyOf`; an `allOf` of one schema is merged, a longer one is unsupported;
//  - `const` of a string becomes a one-value `enum`; an `enum` that is not all strings is dropped
//    (the Schema's enum holds strings only);
//  - `propertyOrdering` is added in the caller's property order unless given;
//  - kept: type, format, title, description, nullable, enum, items, properties, required,
//    propertyOrdering, anyOf, minItems, maxItems, minimum, maximum, minLength, maxLength,
//    pattern, minProperties, maxProperties. Everything else (additionalProperties, $schema, $id,
//    $defs, definitions, default, patternProperties, exclusiveMinimum, examples, …) is dropped.
std::string gemini_response_schema(std::string_view schema_json);

// Whether the schema's root describes an object ("type" names "object", or it has
// "properties"), as tool input schemas must. False for anything else, invalid JSON included.
bool has_object_root(std::string_view schema_json);

// Whether `name` is accepted as a schema or tool name by OpenAI and Anthropic: 1 to 64 characters
// from a-z, A-Z, 0-9, '_' and '-'.
bool valid_schema_name(std::string_view name) noexcept;

}  // namespace v1
}  // namespace majordomo::sdk

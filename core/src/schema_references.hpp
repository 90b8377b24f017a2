// How "$ref" resolves, as valijson 1.0 resolves it: references to the root, the resolution scope, reference cycles.
#pragma once

#include <majordomo/json_value.hpp>

#include <string_view>

namespace majordomo::json_schema {

// Whether valijson resolves `ref` to the document's root: "#", "#/", "", "name.json", …
bool refers_to_root(std::string_view ref);

// Keywords whose value is data (enum, const, default, examples), never a schema.
bool is_data_keyword(std::string_view key);
// Keywords whose value maps names to schemas (properties, definitions, $defs, dependencies).
bool is_schema_map_keyword(std::string_view key);

// The value of a hexadecimal digit, or -1.
int hex_value(char c);

// `schema` without draft 4's resolution scope: every "id" that valijson would read as a scope is
// dropped, and a "$ref" that names the root's own id ("http://x/s.json#/a") becomes the
// fragment alone ("#/a"), which is what valijson resolved it to. Under a scope, valijson's schema
// cache missed its own entries: {"id":"tree","properties":{"a":{"$ref":"tree"}}} recursed while
// loading until the stack overflowed (found by fuzz_schema). Without one, every reference
// resolves within the document, as the checks below assume (no remote schema is ever fetched).
JsonValue without_resolution_scope(const JsonValue& schema);

// Refuses (ConfigurationError naming `provider`) a schema valijson would recurse on without end:
// a loop of references and applicators that checks the same value against the same schema
// again; also a "$ref" longer than valijson's std::regex can match safely, and the names the
// rewrite reserves (x-majordomo-…).
void refuse_reference_cycles(const JsonValue& root, std::string_view provider);

}  // namespace majordomo::json_schema

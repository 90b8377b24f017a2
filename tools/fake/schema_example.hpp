// A small answer that fits a JSON Schema: what the fake server replies to structured-output requests.
#pragma once

#include <Poco/Dynamic/Var.h>

#include <string>

namespace majordomo::fake {

// Compact JSON text of one value valid against `schema` (JSON Schema or Gemini's Schema object,
// whose type names are upper case): every listed property present, arrays of minItems (at least
// one) items, the first enum/const/anyOf/oneOf choice, numbers at their minimum or 1, strings
// shaped by a few common formats and padded to minLength. Local $refs are followed to a bounded
// depth (deeper levels become null), so recursive schemas still give an answer.
std::string schema_example(const Poco::Dynamic::Var& schema);

}  // namespace majordomo::fake

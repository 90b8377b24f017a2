// Out-of-line parts of json_read.hpp and provider_support.hpp: the cold, throwing and formatting paths.
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/json_read.hpp>
#include <majordomo/sdk/provider_support.hpp>

#include <fmt/format.h>

#include <cmath>
#include <cstdint>

namespace majordomo::sdk {
inline namespace v1 {

void throw_invalid_json(std::string_view provider, std::string_view what,
                        simdjson::error_code error) {
  throw ProviderError(MJ_ERR_PARSE, fmt::format("{} {} is not valid JSON: {}", provider, what,
                                                simdjson::error_message(error)));
}

void throw_empty_json(std::string_view provider, std::string_view what) {
  throw ProviderError(MJ_ERR_PARSE, fmt::format("{} {} is empty", provider, what));
}

void throw_not_json_object(std::string_view provider, std::string_view what) {
  throw ProviderError(MJ_ERR_PARSE, fmt::format("{} {} is not a JSON object", provider, what));
}

std::string_view json_type_name(simdjson::ondemand::json_type type) noexcept {
  switch (type) {
    case simdjson::ondemand::json_type::array: return "an array";
    case simdjson::ondemand::json_type::object: return "an object";
    case simdjson::ondemand::json_type::number: return "a number";
    case simdjson::ondemand::json_type::string: return "a string";
    case simdjson::ondemand::json_type::boolean: return "a boolean";
    case simdjson::ondemand::json_type::null: return "null";
    default: return "not a JSON value";
  }
}

void read_token_count(simdjson::ondemand::value& value, int64_t& out, std::string_view provider,
                      std::string_view field) {
  simdjson::ondemand::json_type type{};
  if (const auto error = value.type().get(type)) throw_invalid_json(provider, field, error);
  if (type == simdjson::ondemand::json_type::null) return;
  const auto refuse = [&](std::string_view got) {
    throw ProviderError(MJ_ERR_PARSE,
                        fmt::format("{} {} is {}, not a token count (a whole number from 0 to 2^53); the usage "
                                    "is refused rather than billed wrong",
                                    provider, field, got));
  };
  if (type != simdjson::ondemand::json_type::number) refuse(json_type_name(type));
  simdjson::ondemand::number_type number_type{};
  if (value.get_number_type().get(number_type) != simdjson::SUCCESS) refuse("an unreadable number");
  if (number_type == simdjson::ondemand::number_type::signed_integer) {
    int64_t count = 0;
    if (value.get_int64().get(count) != simdjson::SUCCESS) refuse("an unreadable number");
    if (count < 0 || count > kMaxTokenCount) refuse(fmt::format("{}", count));
    out = count;
    return;
  }
  if (number_type == simdjson::ondemand::number_type::unsigned_integer) {
    uint64_t count = 0;
    if (value.get_uint64().get(count) != simdjson::SUCCESS) refuse("an unreadable number");
    if (count > static_cast<uint64_t>(kMaxTokenCount)) refuse(fmt::format("{}", count));
    out = static_cast<int64_t>(count);
    return;
  }
  if (number_type == simdjson::ondemand::number_type::floating_point_number) {
    double number = 0;
    if (value.get_double().get(number) != simdjson::SUCCESS) refuse("an unreadable number");
    // A whole value written as a float (18.0) is a count; 12.5, 1e300 and -1.0 are not.
    if (!(number >= 0 && number <= static_cast<double>(kMaxTokenCount)) || std::floor(number) != number) {
      refuse(fmt::format("{}", number));
    }
    out = static_cast<int64_t>(number);
    return;
  }
  refuse("a number too large for any count");  // big_integer
}

void read_answer_text(simdjson::ondemand::value& value, std::string_view& out, bool& present,
                      std::string_view provider, std::string_view field, bool null_allowed) {
  simdjson::ondemand::json_type type{};
  if (const auto error = value.type().get(type)) throw_invalid_json(provider, field, error);
  if (type == simdjson::ondemand::json_type::string) {
    if (const auto error = value.get_string().get(out)) throw_invalid_json(provider, field, error);
    present = true;
    return;
  }
  if (type == simdjson::ondemand::json_type::null && null_allowed) return;
  throw ProviderError(MJ_ERR_PARSE, fmt::format("{} {} is {}, not text: the answer is malformed", provider, field,
                                                json_type_name(type)));
}

void reject_all_options(const mj_instance_config& config, std::string_view provider_id) {
  if (config.option_count == 0) return;
  throw ProviderError(MJ_ERR_CONFIGURATION,
                      fmt::format("unknown option '{}' for provider {}; known options: (none)",
                                  view(config.options[0].name), provider_id));
}

void require_request_covers_read_fields(const mj_request& request) {
  // The v1 size, never this build's sizeof: a request from a host built before mj_request grew
  // is still a whole v1 request (the export glue zeroes the fields it lacks).
  if (request.struct_size < MJ_REQUEST_V1_SIZE) {
    throw ProviderError(MJ_ERR_CONFIGURATION, "mj_request is smaller than the ABI v1 layout");
  }
}

void throw_unknown_response_format(int32_t response_format) {
  throw ProviderError(MJ_ERR_CONFIGURATION, fmt::format("unknown response format {}", response_format));
}

void require_model_and_messages(const mj_request& request, std::string_view model,
                                std::string_view provider_id) {
  if (model.empty()) {
    throw ProviderError(MJ_ERR_CONFIGURATION,
                        fmt::format("no model given for provider {}", provider_id));
  }
  if (request.message_count > 0 && request.messages == nullptr) {
    throw ProviderError(MJ_ERR_CONFIGURATION, "mj_request.messages is NULL");
  }
}

std::string printable_excerpt(std::string_view body, std::size_t limit) {
  std::size_t end = body.size();
  if (end > limit) {
    end = limit;
    // Back off continuation bytes so the cut never splits a UTF-8 character.
    while (end > 0 && (static_cast<unsigned char>(body[end]) & 0xC0u) == 0x80u) --end;
  }
  std::string excerpt;
  excerpt.reserve(end + 3);
  for (const char c : body.substr(0, end)) {
    const auto byte = static_cast<unsigned char>(c);
    excerpt.push_back(byte < 0x20u || byte == 0x7Fu ? ' ' : c);
  }
  while (!excerpt.empty() && excerpt.back() == ' ') excerpt.pop_back();
  if (end < body.size()) excerpt += "…";
  return excerpt;
}

std::string error_status_message(std::string_view provider, int status, std::string_view body,
                                 std::optional<std::string_view> body_message) {
  if (body_message) return fmt::format("{} {}: {}", provider, status, *body_message);
  if (body.empty()) return fmt::format("{} returned HTTP {} with an empty body", provider, status);
  return fmt::format("{} returned HTTP {} with an unexpected body: {}", provider, status,
                     printable_excerpt(body));
}

}  // namespace v1
}  // namespace majordomo::sdk

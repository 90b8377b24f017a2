// error_kind_for_http_status: the fallback mapping from HTTP statuses to ABI error kinds.
#include <majordomo/sdk/errors.hpp>

#include <catch2/catch.hpp>

using majordomo::sdk::error_kind_for_http_status;

TEST_CASE("HTTP statuses map to error kinds, retryable ones to retryable kinds", "[errors]") {
  CHECK(error_kind_for_http_status(400) == MJ_ERR_BAD_REQUEST);
  CHECK(error_kind_for_http_status(401) == MJ_ERR_AUTHENTICATION);
  CHECK(error_kind_for_http_status(402) == MJ_ERR_PERMISSION);  // insufficient balance: retrying won't help
  CHECK(error_kind_for_http_status(403) == MJ_ERR_PERMISSION);
  CHECK(error_kind_for_http_status(404) == MJ_ERR_NOT_FOUND);
  CHECK(error_kind_for_http_status(408) == MJ_ERR_TIMEOUT);
  CHECK(error_kind_for_http_status(409) == MJ_ERR_SERVER);  // conflict: the official SDKs retry it
  CHECK(error_kind_for_http_status(413) == MJ_ERR_BAD_REQUEST);
  CHECK(error_kind_for_http_status(422) == MJ_ERR_BAD_REQUEST);
  CHECK(error_kind_for_http_status(429) == MJ_ERR_RATE_LIMITED);
  CHECK(error_kind_for_http_status(500) == MJ_ERR_SERVER);
  CHECK(error_kind_for_http_status(502) == MJ_ERR_SERVER);
  CHECK(error_kind_for_http_status(503) == MJ_ERR_OVERLOADED);
  CHECK(error_kind_for_http_status(504) == MJ_ERR_TIMEOUT);
  CHECK(error_kind_for_http_status(529) == MJ_ERR_OVERLOADED);
}

// Umbrella header of the majordomo public C++ API.
#pragma once

#include <majordomo/call_record.hpp>
#include <majordomo/cancellation.hpp>
#include <majordomo/cascade.hpp>
#include <majordomo/error_kind.hpp>
#include <majordomo/errors.hpp>
#include <majordomo/export.hpp>
#include <majordomo/headers.hpp>
#include <majordomo/host.hpp>
#include <majordomo/json_value.hpp>
#include <majordomo/layers.hpp>
#include <majordomo/llm.hpp>
#include <majordomo/options.hpp>
#include <majordomo/response.hpp>
#include <majordomo/retry.hpp>
#include <majordomo/structured.hpp>
#include <majordomo/version.hpp>

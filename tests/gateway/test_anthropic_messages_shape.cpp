// The Anthropic Messages shape: requests decoded, answers and stream events encoded.
#include "anthropic_messages_shape.hpp"

#include <catch2/catch.hpp>

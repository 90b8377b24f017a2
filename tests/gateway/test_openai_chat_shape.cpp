// The OpenAI Chat shape: requests decoded, answers and chunk events encoded.
#include "openai_chat_shape.hpp"

#include <catch2/catch.hpp>

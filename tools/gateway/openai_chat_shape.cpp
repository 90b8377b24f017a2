// The OpenAI Chat Completions shape of the gateway (openai_chat_shape.hpp).
#include "openai_chat_shape.hpp"

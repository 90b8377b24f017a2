// The Anthropic Messages shape of the gateway (anthropic_messages_shape.hpp).
#include "anthropic_messages_shape.hpp"

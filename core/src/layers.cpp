// ForwardingLLM and layered(): composing middleware around an LLM.
#include <majordomo/layers.hpp>

#include <fmt/format.h>

#include <utility>

namespace majordomo {

ForwardingLLM::ForwardingLLM(std::shared_ptr<LLM> inner) : inner_(std::move(inner)) {
  if (!inner_) throw_configuration_error("a middleware needs an LLM to wrap (got a null one)");
}

std::shared_ptr<LLM> layered(std::shared_ptr<LLM> base, std::initializer_list<Layer> layers) {
  if (!base) throw_configuration_error("layered() needs an LLM to wrap (got a null one)");
  std::size_t position = 0;
  for (const Layer& layer : layers) {
    ++position;
    if (!layer) throw_configuration_error(fmt::format("layer {} passed to layered() is empty", position));
    base = layer(std::move(base));
    if (!base) throw_configuration_error(fmt::format("layer {} passed to layered() returned no LLM", position));
  }
  return base;
}

}  // namespace majordomo

// `majordomo plugins` and `majordomo models`: what the host loaded, skipped and can price.
#include "commands.hpp"
#include "safe_output.hpp"
#include "json_output.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo::cli {
namespace {

std::string price_text(double price) { return price < 0 ? "-" : fmt::format("{:.4g}", price); }

}  // namespace

int run_plugins(const Arguments& args) {
  const majordomo::Host host(host_options(args));
  if (args.json_output) {
    std::string out;
    JsonWriter json(out);
    json.begin_object().key("plugins").begin_array();
    for (const auto& plugin : host.plugins()) {
      json.begin_object();
      json.key("provider").string(plugin.provider_id);
      json.key("name").string(plugin.display_name);
      json.key("version").string(plugin.version);
      json.key("abi").number(static_cast<int64_t>(plugin.abi_version));
      json.key("path").string(plugin.path.string());
      json.key("default_base_url").string(plugin.default_base_url);
      json.key("models").number(static_cast<int64_t>(plugin.models.size()));
      json.end_object();
    }
    json.end_array().key("skipped").begin_array();
    for (const auto& skipped : host.skipped()) {
      json.begin_object();
      json.key("path").string(skipped.path.string());
      json.key("reason").string(majordomo::to_string(skipped.reason));
      json.key("message").string(skipped.message);
      json.end_object();
    }
    json.end_array().key("search_path").begin_array();
    for (const auto& dir : host.search_path()) json.string(dir.string());
    json.end_array().end_object();
    print_line(out);
    return 0;
  }
  std::string out = "plugin directories (in search order):\n";
  for (const auto& dir : host.search_path()) out += fmt::format("  {}\n", dir.string());
  out += fmt::format("loaded ({}):\n", host.plugins().size());
  for (const auto& plugin : host.plugins()) {
    out += fmt::format("  {:<12} {:<14} {:<8} ABI {}  {}\n", plugin.provider_id, plugin.display_name,
                       plugin.version, plugin.abi_version, plugin.path.string());
  }
  out += fmt::format("skipped ({}):\n", host.skipped().size());
  for (const auto& skipped : host.skipped()) {
    out += fmt::format("  {}\n    {}: {}\n", skipped.path.string(), majordomo::to_string(skipped.reason),
                       skipped.message);
  }
  write_stdout(printable_answer(out));  // plugin metadata: escaped for a terminal like server text
  return 0;
}

int run_models(const Arguments& args) {
  const majordomo::Host host(host_options(args));
  if (args.positional.size() > 1) throw UsageError{"models takes at most one provider"};
  std::vector<const majordomo::PluginInfo*> selected;
  for (const auto& plugin : host.plugins()) {
    if (args.positional.empty() || plugin.provider_id == args.positional[0]) selected.push_back(&plugin);
  }
  if (!args.positional.empty() && selected.empty()) {
    majordomo::throw_configuration_error(
        fmt::format("unknown provider '{}' (run `majordomo plugins` to see what is loaded)",
                    args.positional[0]));
  }
  std::string out;
  if (args.json_output) {
    JsonWriter json(out);
    json.begin_object().key("models").begin_array();
    for (const auto* plugin : selected) {
      for (const auto& model : plugin->models) {
        json.begin_object();
        json.key("provider").string(plugin->provider_id);
        json.key("id").string(model.id);
        const auto price = [&](std::string_view key, double value) {
          json.key(key);
          if (value >= 0) json.number(value); else json.null();  // null: not in the catalog
        };
        price("input_usd_per_mtok", model.input_usd_per_mtok);
        price("output_usd_per_mtok", model.output_usd_per_mtok);
        price("cached_input_usd_per_mtok", model.cached_input_usd_per_mtok);
        price("cache_write_usd_per_mtok", model.cache_write_usd_per_mtok);
        json.key("max_output_tokens").number(model.max_output_tokens);
        json.end_object();
      }
    }
    json.end_array().end_object();
    print_line(out);
    return 0;
  }
  out = fmt::format("{:<10} {:<28} {:>10} {:>10} {:>10} {:>10}\n", "provider", "model", "input/1M",
                    "output/1M", "cached/1M", "max out");
  for (const auto* plugin : selected) {
    for (const auto& model : plugin->models) {
      out += fmt::format("{:<10} {:<28} {:>10} {:>10} {:>10} {:>10}\n", plugin->provider_id, model.id,
                         price_text(model.input_usd_per_mtok), price_text(model.output_usd_per_mtok),
                         price_text(model.cached_input_usd_per_mtok),
                         model.max_output_tokens > 0 ? std::to_string(model.max_output_tokens) : "-");
    }
  }
  out += "prices in USD per million tokens\n";
  write_stdout(printable_answer(out));  // plugin metadata: escaped for a terminal like server text
  return 0;
}

}  // namespace majordomo::cli

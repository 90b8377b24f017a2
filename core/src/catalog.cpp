// The user catalog: reading and validating its JSON files (simdjson DOM), and merging the models.
#include "catalog.hpp"

#include <majordomo/errors.hpp>

#include <simdjson.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>

namespace majordomo::catalog {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// Validation context: the file and the key path reached ("aliases.fast", "models.openai[2].id").
class Reader {
 public:
  Reader(const std::filesystem::path& file, const std::vector<PluginInfo>& plugins)
      : file_(file), plugins_(plugins) {}

  [[noreturn]] void fail(std::string_view key, std::string_view problem) const {
    throw_configuration_error(fmt::format("catalog file {}: {}: {}", file_.string(), key, problem));
  }

  simdjson::dom::object object(element value, std::string_view key) const {
    simdjson::dom::object out;
    if (value.get_object().get(out)) fail(key, "expected a JSON object");
    return out;
  }

  std::string string(element value, std::string_view key) const {
    std::string_view out;
    if (value.get_string().get(out)) fail(key, "expected a string");
    if (out.empty()) fail(key, "must not be empty");
    return std::string(out);
  }

  double price(element value, std::string_view key) const {
    double out = 0;
    if (!value.is_number() || value.get_double().get(out) || !std::isfinite(out) || out < 0) {
      fail(key, "expected a price in USD per million tokens (a number >= 0)");
    }
    return out;
  }

  int64_t count(element value, std::string_view key) const {
    int64_t out = 0;
    if (!value.is_int64() || value.get_int64().get(out) || out < 0) fail(key, "expected an integer >= 0");
    return out;
  }

  const PluginInfo& provider(std::string_view id, std::string_view key) const {
    for (const auto& plugin : plugins_) {
      if (plugin.provider_id == id) return plugin;
    }
    std::string loaded;
    for (const auto& plugin : plugins_) loaded += (loaded.empty() ? "" : ", ") + plugin.provider_id;
    fail(key, fmt::format("no loaded plugin has provider id '{}' (loaded: {})", id,
                          loaded.empty() ? "none" : loaded));
  }

  const std::filesystem::path& file() const noexcept { return file_; }

 private:
  const std::filesystem::path& file_;
  const std::vector<PluginInfo>& plugins_;
};

ModelEntry read_model(const Reader& reader, element value, const std::string& key) {
  ModelEntry entry;
  for (auto [field, field_value] : reader.object(value, key)) {
    const std::string field_key = fmt::format("{}.{}", key, field);
    if (field == "id") entry.id = reader.string(field_value, field_key);
    else if (field == "input_usd_per_mtok") entry.input_usd_per_mtok = reader.price(field_value, field_key);
    else if (field == "output_usd_per_mtok") entry.output_usd_per_mtok = reader.price(field_value, field_key);
    else if (field == "cached_input_usd_per_mtok") entry.cached_input_usd_per_mtok = reader.price(field_value, field_key);
    else if (field == "cache_write_usd_per_mtok") entry.cache_write_usd_per_mtok = reader.price(field_value, field_key);
    else if (field == "max_output_tokens") entry.max_output_tokens = reader.count(field_value, field_key);
    else {
      reader.fail(field_key, "unknown field (known: id, input_usd_per_mtok, output_usd_per_mtok, "
                             "cached_input_usd_per_mtok, cache_write_usd_per_mtok, max_output_tokens)");
    }
  }
  if (entry.id.empty()) reader.fail(key, "a model entry needs an \"id\"");
  return entry;
}

void read_models(const Reader& reader, element value, UserCatalog& into) {
  for (auto [provider, list] : reader.object(value, "models")) {
    const std::string key = fmt::format("models.{}", provider);
    reader.provider(provider, key);
    simdjson::dom::array array;
    if (list.get_array().get(array)) reader.fail(key, "expected an array of model entries");
    auto& models = into.models[std::string(provider)];
    std::size_t index = 0;
    for (element item : array) {
      ModelEntry entry = read_model(reader, item, fmt::format("{}[{}]", key, index++));
      // A later entry for the same id replaces the earlier one whole.
      std::erase_if(models, [&](const ModelEntry& m) { return m.id == entry.id; });
      models.push_back(std::move(entry));
    }
  }
}

void read_deprecated(const Reader& reader, element value, UserCatalog& into) {
  for (auto [provider, table] : reader.object(value, "deprecated")) {
    const std::string key = fmt::format("deprecated.{}", provider);
    reader.provider(provider, key);
    auto& deprecated = into.deprecated[std::string(provider)];
    for (auto [old_id, replacement] : reader.object(table, key)) {
      const std::string entry_key = fmt::format("{}.{}", key, old_id);
      std::string new_id = reader.string(replacement, entry_key);
      if (new_id == old_id) reader.fail(entry_key, "a model cannot replace itself");
      deprecated[std::string(old_id)] = Deprecation{std::move(new_id), reader.file()};
    }
  }
}

bool is_alias_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

void read_aliases(const Reader& reader, element value, UserCatalog& into) {
  for (auto [name, target] : reader.object(value, "aliases")) {
    const std::string key = fmt::format("aliases.{}", name);
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_alias_char)) {
      reader.fail(key, "an alias name is 1 or more of A-Z a-z 0-9 _ - .");
    }
    const auto parse = [&](element entry, const std::string& entry_key) {
      std::string_view text;
      if (entry.get_string().get(text)) {
        reader.fail(entry_key, "expected \"provider:model\" or an array of them (a cascade)");
      }
      if (text.find(',') != std::string_view::npos) {
        reader.fail(entry_key, "one \"provider:model\" per string; list a cascade as an array");
      }
      std::vector<CascadeMember> members;
      try {
        members = parse_cascade_members(text);
      } catch (const ConfigurationError& error) {
        reader.fail(entry_key, error.what());
      }
      reader.provider(members.front().provider, entry_key);
      return std::move(members.front());
    };
    Alias alias;
    alias.file = reader.file();
    simdjson::dom::array array;
    if (target.get_array().get(array) == simdjson::SUCCESS) {
      std::size_t index = 0;
      for (element item : array) {
        alias.members.push_back(parse(item, fmt::format("{}[{}]", key, index++)));
      }
      if (alias.members.empty()) reader.fail(key, "a cascade alias needs at least one member");
    } else {
      alias.members.push_back(parse(target, key));
    }
    into.aliases[std::string(name)] = std::move(alias);
  }
}

}  // namespace

void load_file(const std::filesystem::path& file, const std::vector<PluginInfo>& plugins, UserCatalog& into) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw_configuration_error(fmt::format("catalog file {}: cannot open it", file.string()));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw_configuration_error(fmt::format("catalog file {}: cannot read it", file.string()));

  const Reader reader(file, plugins);
  simdjson::dom::parser parser;
  element root;
  if (const auto error = parser.parse(simdjson::padded_string(text)).get(root)) {
    throw_configuration_error(
        fmt::format("catalog file {}: not valid JSON ({})", file.string(), simdjson::error_message(error)));
  }
  // Read into a copy so that a file that fails half-way changes nothing.
  UserCatalog merged = into;
  for (auto [key, value] : reader.object(root, "<root>")) {
    if (key == "models") read_models(reader, value, merged);
    else if (key == "deprecated") read_deprecated(reader, value, merged);
    else if (key == "aliases") read_aliases(reader, value, merged);
    else reader.fail(key, "unknown key (known: models, deprecated, aliases)");
  }
  // A replacement that is itself deprecated would make the chain depend on the order of files.
  for (const auto& [provider, table] : merged.deprecated) {
    for (const auto& [old_id, deprecation] : table) {
      if (table.contains(deprecation.replacement)) {
        reader.fail(fmt::format("deprecated.{}.{}", provider, old_id),
                    fmt::format("the replacement '{}' is itself deprecated; name the final model",
                                deprecation.replacement));
      }
    }
  }
  into = std::move(merged);
}

std::vector<ModelInfo> merged_models(const PluginInfo& plugin, const UserCatalog& user) {
  std::vector<ModelInfo> models = plugin.models;
  const auto found = user.models.find(plugin.provider_id);
  if (found == user.models.end()) return models;
  for (const ModelEntry& entry : found->second) {
    auto it = std::find_if(models.begin(), models.end(), [&](const ModelInfo& m) { return m.id == entry.id; });
    if (it == models.end()) {
      models.push_back(ModelInfo{});
      it = std::prev(models.end());
      it->id = entry.id;
    }
    if (entry.input_usd_per_mtok) it->input_usd_per_mtok = *entry.input_usd_per_mtok;
    if (entry.output_usd_per_mtok) it->output_usd_per_mtok = *entry.output_usd_per_mtok;
    if (entry.cached_input_usd_per_mtok) it->cached_input_usd_per_mtok = *entry.cached_input_usd_per_mtok;
    if (entry.cache_write_usd_per_mtok) it->cache_write_usd_per_mtok = *entry.cache_write_usd_per_mtok;
    if (entry.max_output_tokens) it->max_output_tokens = *entry.max_output_tokens;
  }
  return models;
}

}  // namespace majordomo::catalog

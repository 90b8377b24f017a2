// The model catalog: user catalog files (merge, validation), deprecated ids, aliases, pricing queries.
#include "provider_test_env.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace majordomo;
using majordomo::testing::ProviderTestEnv;
using majordomo::testing::parse_object;

namespace {

// A catalog file in a directory of its own, removed with it.
struct CatalogFile {
  std::filesystem::path dir;
  std::filesystem::path path;

  explicit CatalogFile(const std::string& json) {
    dir = std::filesystem::temp_directory_path() /
          fmt::format("majordomo-catalog-{}-{}", ::getpid(), reinterpret_cast<std::uintptr_t>(this));
    std::filesystem::create_directories(dir);
    path = dir / "catalog.json";
    std::ofstream(path, std::ios::binary) << json;
  }
  ~CatalogFile() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

const std::string kCatalog = R"({
  "models": {
    "openai": [
      {"id": "gpt-4o", "input_usd_per_mtok": 100, "output_usd_per_mtok": 200},
      {"id": "house-model", "input_usd_per_mtok": 1, "output_usd_per_mtok": 2, "max_output_tokens": 4096}
    ]
  },
  "deprecated": {"openai": {"gpt-4-0314": "gpt-4o"}},
  "aliases": {
    "fast": "openai:gpt-4o",
    "safe": ["anthropic:claude-haiku-4-5", "openai:gpt-4o"]
  }
})";

HostOptions host_with(const CatalogFile& file) {
  HostOptions options = ProviderTestEnv::host_options();
  options.use_env_catalog = false;
  options.catalog_files = {file.path};
  return options;
}

// kCatalog loaded by a host, the fake on loopback, and client options pointing there.
struct CatalogEnv {
  CatalogFile file{kCatalog};
  fake::FakeProviderServer server{ProviderTestEnv::default_options()};
  Host host{host_with(file)};
  ClientOptions options = ProviderTestEnv::single_attempt();

  explicit CatalogEnv(std::string base_path) {
    server.start();
    options.api_key = "sk-test-0000";
    options.base_url = server.origin() + base_path;
  }
};

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

TEST_CASE("supported providers and models, and prices from the merged catalog", "[catalog]") {
  const CatalogFile file(kCatalog);
  const Host host(host_with(file));
  const auto providers = host.supported_providers();
  for (const char* id : {"openai", "anthropic", "gemini", "deepseek", "cohere"}) CHECK(contains(providers, id));

  const auto models = host.supported_models("openai");
  CHECK(contains(models, "gpt-4o"));
  CHECK(contains(models, "house-model"));
  CHECK_FALSE(contains(models, "gpt-4-0314"));
  CHECK_THROWS_AS(host.supported_models("nope"), ConfigurationError);

  const auto house = host.model_pricing("openai", "house-model");
  REQUIRE(house);
  CHECK(house->input_usd_per_mtok == 1);
  CHECK(house->output_usd_per_mtok == 2);
  CHECK(house->max_output_tokens == 4096);
  CHECK(house->cached_input_usd_per_mtok < 0);
  // The user's price replaces the plugin's; the fields it does not give are kept.
  const auto gpt4o = host.model_pricing("openai", "gpt-4o");
  REQUIRE(gpt4o);
  CHECK(gpt4o->input_usd_per_mtok == 100);
  const Host plain(ProviderTestEnv::host_options());
  CHECK(gpt4o->max_output_tokens == plain.model_pricing("openai", "gpt-4o")->max_output_tokens);
  CHECK(plain.model_pricing("openai", "gpt-4o")->input_usd_per_mtok != 100);
  // A deprecated id prices as its successor; an unknown model has no entry.
  CHECK(host.model_pricing("openai", "gpt-4-0314")->id == "gpt-4o");
  CHECK_FALSE(host.model_pricing("openai", "no-such-model"));
  CHECK_THROWS_AS(host.model_pricing("nope", "x"), ConfigurationError);
  // `majordomo models` shows the merged catalog.
  const PluginInfo* openai = host.find_plugin("openai");
  REQUIRE(openai != nullptr);
  CHECK(openai->find_model("house-model") != nullptr);
}

TEST_CASE("calls are priced from the merged catalog", "[catalog]") {
  CatalogEnv env("/v1");
  const Response response = env.host.get_llm_instance("openai", "gpt-4o", env.options)->get_response("hi");
  REQUIRE(response.cost.priced);
  CHECK(response.cost.input == Approx(response.usage.input_tokens * 100e-6));
}

TEST_CASE("a deprecated model id is replaced, with a warning on the instance and every response",
          "[catalog]") {
  CatalogEnv env("/v1");
  const auto llm = env.host.get_llm_instance("openai", "gpt-4-0314", env.options);
  CHECK(llm->model() == "gpt-4o");
  REQUIRE(llm->warnings().size() == 1);
  CHECK_THAT(llm->warnings()[0], Catch::Contains("'gpt-4-0314' of openai is deprecated; 'gpt-4o' is used instead"));
  CHECK_THAT(llm->warnings()[0], Catch::Contains(env.file.path.string()));
  const Response response = llm->get_response("hi");
  CHECK(response.warnings == llm->warnings());
  ResponseStream stream = llm->get_response_stream("hi");
  majordomo::testing::drain(stream);
  CHECK(stream.response().warnings == llm->warnings());
  for (const auto& request : env.server.requests()) {
    CHECK(parse_object(request.body)->getValue<std::string>("model") == "gpt-4o");
  }
  // Not deprecated: no warning.
  CHECK(env.host.get_llm_instance("openai", "gpt-4o", env.options)->warnings().empty());
}

TEST_CASE("an alias names one model or a cascade, and responses carry the alias", "[catalog]") {
  CatalogEnv env("/gw");
  const Host& host = env.host;
  const ClientOptions& options = env.options;
  CHECK(host.aliases() == std::vector<std::string>{"fast", "safe"});

  const auto fast = host.get_alias("fast", options);
  CHECK(fast->provider() == "openai");
  CHECK(fast->alias() == "fast");
  const Response one = fast->get_response("hi");
  CHECK(one.alias == "fast");

  const auto safe = host.get_alias("safe", options);
  CHECK(safe->provider() == "cascade");
  CHECK(safe->alias() == "safe");
  fake::ScriptedResponse overloaded;
  overloaded.status = 529;
  overloaded.body = R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})";
  overloaded.path_contains = "/v1/messages";
  env.server.push_response(overloaded);
  const Response failed_over = safe->get_response("hi");
  CHECK(failed_over.alias == "safe");
  CHECK(failed_over.served_by == "openai:gpt-4o");
  REQUIRE(failed_over.failed_attempts.size() == 1);
  CHECK(failed_over.failed_attempts[0].provider == "anthropic");

  try {
    (void)host.get_alias("slow");
    FAIL("no error");
  } catch (const ConfigurationError& error) {
    CHECK_THAT(error.what(), Catch::Contains("unknown alias 'slow'; known aliases: fast, safe"));
  }
}

TEST_CASE("a bad catalog file is refused at load with the file and the key named", "[catalog]") {
  struct Row {
    const char* json;
    const char* expected;  // in the message, after the file name
  };
  const Row rows[] = {
      {R"({"model": {}})", ": model: unknown key (known: models, deprecated, aliases)"},
      {R"([1])", ": <root>: expected a JSON object"},
      {R"({"models": {"openai": [{"id": "x", "input_usd_per_mtok": -1}]}})",
       ": models.openai[0].input_usd_per_mtok: expected a price"},
      {R"({"models": {"openai": [{"input_usd_per_mtok": 1}]}})", ": models.openai[0]: a model entry needs an \"id\""},
      {R"({"models": {"openai": [{"id": "x", "price": 1}]}})", ": models.openai[0].price: unknown field"},
      {R"({"models": {"openai": {"id": "x"}}})", ": models.openai: expected an array of model entries"},
      {R"({"models": {"acme": []}})", ": models.acme: no loaded plugin has provider id 'acme'"},
      {R"({"deprecated": {"openai": {"a": 3}}})", ": deprecated.openai.a: expected a string"},
      {R"({"deprecated": {"openai": {"a": "b", "b": "c"}}})", ": deprecated.openai.a: the replacement 'b' is itself deprecated"},
      {R"({"aliases": {"fast": 1}})", ": aliases.fast: expected \"provider:model\" or an array of them"},
      {R"({"aliases": {"fast": "gpt-4o"}})", ": aliases.fast: cascade member 'gpt-4o' is not PROVIDER:MODEL"},
      {R"({"aliases": {"fast": "openai:a,anthropic:b"}})", ": aliases.fast: one \"provider:model\" per string"},
      {R"({"aliases": {"fast": ["openai:a", "acme:b"]}})", ": aliases.fast[1]: no loaded plugin has provider id 'acme'"},
      {R"({"aliases": {"fast": []}})", ": aliases.fast: a cascade alias needs at least one member"},
      {R"({"aliases": {"no spaces": "openai:a"}})", ": aliases.no spaces: an alias name is"},
      {R"({"models": )", ": not valid JSON"},
  };
  for (const Row& row : rows) {
    INFO(row.json);
    const CatalogFile file(row.json);
    try {
      const Host host(host_with(file));
      FAIL("no error");
    } catch (const ConfigurationError& error) {
      CHECK_THAT(error.what(), Catch::StartsWith("catalog file " + file.path.string()));
      CHECK_THAT(error.what(), Catch::Contains(row.expected));
    }
  }
  HostOptions missing = ProviderTestEnv::host_options();
  missing.catalog_files = {"/nonexistent/catalog.json"};
  CHECK_THROWS_WITH(Host(missing), Catch::Contains("catalog file /nonexistent/catalog.json: cannot open it"));
}

TEST_CASE("catalog files merge in order: a later file wins", "[catalog]") {
  const CatalogFile first(kCatalog);
  const CatalogFile second(R"({"aliases": {"fast": "anthropic:claude-haiku-4-5"},
                               "models": {"openai": [{"id": "house-model", "input_usd_per_mtok": 5}]}})");
  HostOptions options = ProviderTestEnv::host_options();
  options.use_env_catalog = false;
  options.catalog_files = {first.path, second.path};
  const Host host(options);
  ClientOptions client;
  client.api_key = "any-test-key-0000";
  client.base_url = "http://127.0.0.1:9/gateway";  // one gateway key for all members; nothing is sent
  CHECK(host.get_alias("fast", client)->provider() == "anthropic");
  CHECK(host.get_alias("safe", client)->provider() == "cascade");
  // The second file's entry for the same id replaces the first's whole.
  const auto house = host.model_pricing("openai", "house-model");
  REQUIRE(house);
  CHECK(house->input_usd_per_mtok == 5);
  CHECK(house->output_usd_per_mtok < 0);
}

TEST_CASE("every catalog entry of every plugin is well formed", "[catalog]") {
  HostOptions options = ProviderTestEnv::host_options();
  options.use_env_catalog = false;  // the plugins' own tables only
  const Host host(options);
  std::size_t checked = 0;
  for (const char* provider : {"openai", "anthropic", "gemini", "deepseek", "cohere"}) {
    const PluginInfo* plugin = host.find_plugin(provider);
    REQUIRE(plugin != nullptr);
    CHECK_FALSE(plugin->models.empty());
    std::vector<std::string> ids;
    for (const ModelInfo& model : plugin->models) {
      CAPTURE(provider, model.id);
      CHECK_FALSE(model.id.empty());
      CHECK_FALSE(contains(ids, model.id));  // the host prices by exact id: one row per id
      ids.push_back(model.id);
      CHECK(model.max_output_tokens > 0);
      // A free model is listed unpriced (every price negative); a priced one has positive prices.
      if (!model.priced()) {
        CHECK(model.input_usd_per_mtok < 0);
        CHECK(model.output_usd_per_mtok < 0);
        CHECK(model.cached_input_usd_per_mtok < 0);
        CHECK(model.cache_write_usd_per_mtok < 0);
        continue;
      }
      CHECK(model.input_usd_per_mtok > 0);
      CHECK(model.output_usd_per_mtok > 0);
      // Optional prices are either not priced (negative) or positive, and a cache read costs no
      // more than an uncached token.
      if (model.cached_input_usd_per_mtok >= 0) {
        CHECK(model.cached_input_usd_per_mtok > 0);
        CHECK(model.cached_input_usd_per_mtok <= model.input_usd_per_mtok);
      }
      if (model.cache_write_usd_per_mtok >= 0) CHECK(model.cache_write_usd_per_mtok > 0);
      ++checked;
    }
  }
  CHECK(checked > 20);
}

TEST_CASE("the OpenAI, DeepSeek and Cohere catalogs as of 2026-11-25", "[catalog]") {
  HostOptions options = ProviderTestEnv::host_options();
  options.use_env_catalog = false;
  const Host host(options);
  // GPT-6 bills cache writes (30-minute retention price); older OpenAI models bill none.
  const auto sol = host.model_pricing("openai", "gpt-6-sol");
  REQUIRE(sol);
  CHECK(sol->input_usd_per_mtok == Approx(2.00));
  CHECK(sol->output_usd_per_mtok == Approx(10.00));
  CHECK(sol->cached_input_usd_per_mtok == Approx(0.20));
  CHECK(sol->cache_write_usd_per_mtok == Approx(2.50));
  CHECK(sol->max_output_tokens == 128'000);
  const auto luna = host.model_pricing("openai", "gpt-6-luna");
  REQUIRE(luna);
  CHECK(luna->cache_write_usd_per_mtok == Approx(0.125));
  CHECK(host.model_pricing("openai", "gpt-4o")->cache_write_usd_per_mtok < 0);
  for (const char* id : {"gpt-6.2-sol", "gpt-6.1-terra", "gpt-5.4", "gpt-5"}) CHECK(host.model_pricing("openai", id));
  CHECK_FALSE(host.model_pricing("openai", "gpt-4.1-nano"));  // shut down 2026-10-23
  CHECK_FALSE(host.model_pricing("openai", "o4-mini"));

  // DeepSeek at the peak price (off-peak is half): an upper bound.
  const auto flash = host.model_pricing("deepseek", "deepseek-flash");
  REQUIRE(flash);
  CHECK(flash->input_usd_per_mtok == Approx(0.30));
  CHECK(flash->output_usd_per_mtok == Approx(1.20));
  CHECK(flash->cached_input_usd_per_mtok == Approx(0.006));
  CHECK(flash->max_output_tokens == 393'216);
  const auto legacy = host.model_pricing("deepseek", "deepseek-v4-flash");  // still accepted, Flash prices
  REQUIRE(legacy);
  CHECK(legacy->input_usd_per_mtok == flash->input_usd_per_mtok);
  const auto pro = host.model_pricing("deepseek", "deepseek-v4-pro");
  REQUIRE(pro);
  CHECK(pro->input_usd_per_mtok == Approx(1.32));
  CHECK(pro->output_usd_per_mtok == Approx(3.96));
  CHECK(pro->cached_input_usd_per_mtok == Approx(0.044));
  CHECK_FALSE(host.model_pricing("deepseek", "deepseek-chat"));  // retired 2026-07-24
  CHECK_FALSE(host.model_pricing("deepseek", "deepseek-reasoner"));

  const auto command_a = host.model_pricing("cohere", "command-a-03-2025");
  REQUIRE(command_a);
  CHECK(command_a->input_usd_per_mtok == Approx(2.50));
  CHECK(command_a->output_usd_per_mtok == Approx(10.00));
}

TEST_CASE("a DeepSeek call is priced at the peak rate", "[catalog][deepseek]") {
  ProviderTestEnv env;
  env.push_fixture("deepseek/chat_completion.json");  // 6 input tokens, none cached, 92 output
  const Response response = env.deepseek()->get_response("hello");
  REQUIRE(response.cost.priced);
  CHECK(response.usage.input_tokens == 6);
  CHECK(response.usage.output_tokens == 92);
  CHECK(response.cost.input == Approx(6 * 0.30e-6));
  CHECK(response.cost.output == Approx(92 * 1.20e-6));
}

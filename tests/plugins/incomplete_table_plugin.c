/* Test plugin whose ABI v1 function table is missing functions: the host must refuse it. */
#include <majordomo/plugin.h>

static const mj_provider_info kInfo = {sizeof(mj_provider_info), MJ_AUTH_NONE, {"incomplete", 10}};
static const mj_plugin_v1 kTable = {sizeof(mj_plugin_v1), 1u, &kInfo};  /* every function NULL */

MJ_PLUGIN_EXPORT int32_t majordomo_plugin_entry(const mj_host_offer* offer, mj_plugin_answer* answer) {
  (void)offer;
  answer->abi_min = 1;
  answer->abi_max = 1;
  answer->abi_chosen = 1;
  answer->table = &kTable;
  return 0;
}

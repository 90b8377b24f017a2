/* Test plugin that speaks only a future ABI (2): the host must refuse it and name both ranges. */
#include <majordomo/plugin.h>

MJ_PLUGIN_EXPORT int32_t majordomo_plugin_entry(const mj_host_offer* offer, mj_plugin_answer* answer) {
  (void)offer;
  answer->abi_min = 2;
  answer->abi_max = 2;
  answer->abi_chosen = 0;
  answer->table = 0;
  return 1;
}

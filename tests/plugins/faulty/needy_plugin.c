/* Test plugin that needs a library which is absent at run time: the dynamic loader refuses it. */
#include <majordomo/plugin.h>

int majordomo_test_absent(void);

MJ_PLUGIN_EXPORT int32_t majordomo_plugin_entry(const mj_host_offer* offer, mj_plugin_answer* answer) {
  (void)offer;
  (void)answer;
  return majordomo_test_absent() == 0 ? MJ_ENTRY_REFUSED : MJ_ENTRY_FAILED;
}

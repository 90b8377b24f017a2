/* The library needy_plugin.c links against; the test plugin directory never holds it. */
__attribute__((visibility("default"))) int majordomo_test_absent(void) { return 0; }

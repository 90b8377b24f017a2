/* Test library: a valid shared object without the plugin entry symbol. */
__attribute__((visibility("default"))) int majordomo_test_not_a_plugin(void) { return 42; }

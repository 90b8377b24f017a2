/* Test library: not a plugin, with a constructor that leaves a mark. Discovery must never load it. */
#include <stdlib.h>

__attribute__((constructor)) static void leave_mark(void) { setenv("MAJORDOMO_TEST_CONSTRUCTOR_RAN", "1", 1); }

__attribute__((visibility("default"))) int majordomo_test_marker(void) { return 7; }

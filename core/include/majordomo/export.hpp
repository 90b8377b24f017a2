// MAJORDOMO_API: what libmajordomo and libmajordomo-logging export; everything else they hold is hidden.
#pragma once

// Every class, function and object of the public C++ API carries MAJORDOMO_API. The libraries
// are built with -fvisibility=hidden, so a declaration without it is private to the library even
// when a header shows it. A program linked against the static libraries defines MAJORDOMO_STATIC
// (the CMake package and majordomo.pc do it), and then the macro marks nothing.
#if defined(MAJORDOMO_STATIC)
#define MAJORDOMO_API
#elif defined(__GNUC__) || defined(__clang__)
#define MAJORDOMO_API __attribute__((visibility("default")))
#else
#define MAJORDOMO_API
#endif

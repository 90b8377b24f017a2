// Stops a build of the SDK's C++ headers under a standard older than C++20, with the remedy.
#pragma once

// Every C++ header of the SDK includes this first: the SDK uses std::span, designated initializers
// and other C++20 features, and a C++17 build would otherwise fail deep inside a header with an
// error that names none of this. (<majordomo/plugin.h>, the C ABI, needs only C99 or C++.)
#if defined(_MSVC_LANG) ? (_MSVC_LANG < 202002L) : (__cplusplus < 202002L)
#error "the majordomo SDK needs C++20: compile with -std=c++20 (CMake: cxx_std_20, or set CMAKE_CXX_STANDARD 20)"
#endif

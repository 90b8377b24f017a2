# Installs the host's packages: CMake (find_package(Majordomo)) and pkg-config (majordomo, majordomo-logging).
# Included from core/CMakeLists.txt after the targets exist. Everything installed here locates
# itself (CMake's imported-targets file from its own directory, the .pc files from ${pcfiledir}),
# so an installed tree can be moved.
include(CMakePackageConfigHelpers)

set(_package_dir "${CMAKE_INSTALL_LIBDIR}/cmake/Majordomo")
set(_generated "${CMAKE_CURRENT_BINARY_DIR}/package")

install(EXPORT MajordomoTargets NAMESPACE majordomo:: DESTINATION ${_package_dir})
configure_file(${CMAKE_CURRENT_LIST_DIR}/MajordomoConfig.cmake.in ${_generated}/MajordomoConfig.cmake @ONLY)
# The compatibility mode follows the SOVERSION rule (top-level CMakeLists.txt): 0.2.x satisfies a
# request for 0.2 but not 0.1 or 0.3 while the major version is 0; from 1.0, the same major.
write_basic_package_version_file(${_generated}/MajordomoConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${MAJORDOMO_PACKAGE_COMPATIBILITY})
install(FILES ${_generated}/MajordomoConfig.cmake ${_generated}/MajordomoConfigVersion.cmake
  DESTINATION ${_package_dir})

# pkg-config: the prefix is ${pcfiledir} minus <libdir>/pkgconfig ("lib/pkgconfig" -> "../..").
string(REGEX REPLACE "[^/]+" ".." MAJORDOMO_PC_PREFIX_FROM_PCDIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
string(JOIN " " MAJORDOMO_PC_HEADER_LIBS ${MAJORDOMO_PUBLIC_HEADER_LIBS})
if(MAJORDOMO_BUILD_SHARED)
  # A consumer links the library and what the public headers themselves use; the libraries'
  # own dependencies are their business (their DT_NEEDED entries), and there is no archive for
  # `pkg-config --static` to need a Libs.private for.
  set(MAJORDOMO_PC_CFLAGS "")
  set(MAJORDOMO_PC_LIBS "${MAJORDOMO_PC_HEADER_LIBS}")
  set(MAJORDOMO_PC_LIBS_PRIVATE "")
  set(MAJORDOMO_PC_LOGGING_LIBS "")
  set(MAJORDOMO_PC_LOGGING_LIBS_PRIVATE "")
else()
  # Static archives: everything they reference goes on the link line.
  set(MAJORDOMO_PC_CFLAGS "-DMAJORDOMO_STATIC")
  set(MAJORDOMO_PC_LIBS "-lPocoFoundation -lsimdjson -lfmt -lre2 -ldl")
  set(MAJORDOMO_PC_LIBS_PRIVATE "")
  set(MAJORDOMO_PC_LOGGING_LIBS
      "-lmajordomo_sdk -lPocoDataSQLite -lPocoData -lPocoNet -lPocoFoundation -lpq -lsimdjson -lfmt -pthread")
  set(MAJORDOMO_PC_LOGGING_LIBS_PRIVATE "")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/majordomo.pc.in ${_generated}/majordomo.pc @ONLY)
configure_file(${CMAKE_CURRENT_LIST_DIR}/majordomo-logging.pc.in ${_generated}/majordomo-logging.pc @ONLY)
install(FILES ${_generated}/majordomo.pc ${_generated}/majordomo-logging.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

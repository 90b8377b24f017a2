# Package config so an out-of-tree plugin builds with find_package(MajordomoSDK).
include(CMakeFindDependencyMacro)
find_dependency(Poco COMPONENTS Foundation)
find_dependency(simdjson CONFIG)
find_dependency(fmt)
include("${CMAKE_CURRENT_LIST_DIR}/MajordomoSDKTargets.cmake")
include("${CMAKE_CURRENT_LIST_DIR}/MajordomoPlugin.cmake")

# majordomo_add_plugin(): builds a provider plugin module with the ABI's visibility and export rules.
#   majordomo_add_plugin(<target> SOURCES <files>... [OUTPUT_DIRECTORY <dir>])
# The module is named libmajordomo-<target>.so, exports only
# majordomo_plugin_entry, and refuses undefined symbols at link time.
function(majordomo_add_plugin target)
  # The function runs in the caller's directory scope: locate the map next to this file.
  set(_MAJORDOMO_PLUGIN_MAP "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/plugin.map")
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  add_library(${target} MODULE ${ARG_SOURCES})
  set_target_properties(${target} PROPERTIES
    PREFIX "libmajordomo-"
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
  endif()
  target_link_options(${target} PRIVATE -Wl,--no-undefined "-Wl,--version-script=${_MAJORDOMO_PLUGIN_MAP}")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${_MAJORDOMO_PLUGIN_MAP}")
  if(TARGET majordomo::sdk)
    target_link_libraries(${target} PRIVATE majordomo::sdk)
  endif()
endfunction()

# Writes a copy of plugin.h in which every growable struct gained one field at its end, as a later
# release would add one: the ABI growth tests build a second host against it.
#   cmake -DSOURCE=<plugin.h> -DOUTPUT=<copy> -P grow_header.cmake
file(READ "${SOURCE}" header)
foreach(name mj_status mj_model_info mj_provider_info mj_instance_config mj_request mj_prepared
             mj_call_params mj_event mj_host_offer mj_plugin_answer mj_plugin_v1
             mj_part mj_tool_call mj_turn mj_tool)
  string(FIND "${header}" "\n} ${name};" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "grow_header.cmake: struct ${name} not found in ${SOURCE}")
  endif()
  string(REPLACE "\n} ${name};"
         "\n  uint64_t growth_probe[2]; /* the ABI growth test's stand-in for a later field */\n} ${name};"
         header "${header}")
endforeach()
file(WRITE "${OUTPUT}" "${header}")

/* The plugin ABI's frozen struct layouts, asserted field by field; included by plugin.h only. */
#ifndef MAJORDOMO_PLUGIN_LAYOUT_H
#define MAJORDOMO_PLUGIN_LAYOUT_H

#ifndef MAJORDOMO_PLUGIN_H
#error "include <majordomo/plugin.h>, which includes this header after the structs it checks"
#endif

/* Frozen layouts (LP64), asserted field by field: a change above a fence breaks every plugin (or
 * host) already built. A field added below a fence gets its line here, under its release. */
#if defined(__cplusplus)
#define MJ_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define MJ_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif
#define MJ_FROZEN_AT(type, field, offset) \
  MJ_STATIC_ASSERT(offsetof(type, field) == (offset), #type "." #field " must stay at offset " #offset)
#if defined(__LP64__) || defined(_WIN64)
MJ_FROZEN_AT(mj_str, data, 0);
MJ_FROZEN_AT(mj_str, size, 8);
MJ_STATIC_ASSERT(sizeof(mj_str) == 16, "mj_str never changes");
MJ_FROZEN_AT(mj_header, name, 0);
MJ_FROZEN_AT(mj_header, value, 16);
MJ_STATIC_ASSERT(sizeof(mj_header) == 32, "mj_header never changes");
MJ_FROZEN_AT(mj_status, struct_size, 0);
MJ_FROZEN_AT(mj_status, kind, 4);
MJ_FROZEN_AT(mj_status, http_status, 8);
MJ_FROZEN_AT(mj_status, reserved0, 12);
MJ_FROZEN_AT(mj_status, retry_after_ms, 16);
MJ_FROZEN_AT(mj_status, provider_error_type, 24);
MJ_FROZEN_AT(mj_status, message, 40);
MJ_FROZEN_AT(mj_status, request_id, 56);
MJ_STATIC_ASSERT(sizeof(mj_status) >= MJ_STATUS_V1_SIZE, "mj_status only grows");
MJ_FROZEN_AT(mj_model_info, struct_size, 0);
MJ_FROZEN_AT(mj_model_info, capabilities, 4);
MJ_FROZEN_AT(mj_model_info, id, 8);
MJ_FROZEN_AT(mj_model_info, input_usd_per_mtok, 24);
MJ_FROZEN_AT(mj_model_info, output_usd_per_mtok, 32);
MJ_FROZEN_AT(mj_model_info, cached_input_usd_per_mtok, 40);
MJ_FROZEN_AT(mj_model_info, cache_write_usd_per_mtok, 48);
MJ_FROZEN_AT(mj_model_info, max_output_tokens, 56);
MJ_STATIC_ASSERT(sizeof(mj_model_info) >= MJ_MODEL_INFO_V1_SIZE, "mj_model_info only grows");
MJ_FROZEN_AT(mj_provider_info, struct_size, 0);
MJ_FROZEN_AT(mj_provider_info, auth_scheme, 4);
MJ_FROZEN_AT(mj_provider_info, provider_id, 8);
MJ_FROZEN_AT(mj_provider_info, display_name, 24);
MJ_FROZEN_AT(mj_provider_info, plugin_version, 40);
MJ_FROZEN_AT(mj_provider_info, default_base_url, 56);
MJ_FROZEN_AT(mj_provider_info, api_key_env, 72);
MJ_FROZEN_AT(mj_provider_info, base_url_env, 88);
MJ_FROZEN_AT(mj_provider_info, auth_header, 104);
MJ_FROZEN_AT(mj_provider_info, required_headers, 120);
MJ_FROZEN_AT(mj_provider_info, required_header_count, 128);
MJ_FROZEN_AT(mj_provider_info, gateway_headers, 136);
MJ_FROZEN_AT(mj_provider_info, gateway_header_count, 144);
MJ_FROZEN_AT(mj_provider_info, models, 152);
MJ_FROZEN_AT(mj_provider_info, model_count, 160);
MJ_STATIC_ASSERT(sizeof(mj_provider_info) >= MJ_PROVIDER_INFO_V1_SIZE, "mj_provider_info only grows");
MJ_FROZEN_AT(mj_instance_config, struct_size, 0);
MJ_FROZEN_AT(mj_instance_config, flags, 4);
MJ_FROZEN_AT(mj_instance_config, ca_file, 8);
MJ_FROZEN_AT(mj_instance_config, connect_timeout_ms, 24);
MJ_FROZEN_AT(mj_instance_config, first_byte_timeout_ms, 32);
MJ_FROZEN_AT(mj_instance_config, idle_timeout_ms, 40);
MJ_FROZEN_AT(mj_instance_config, total_timeout_ms, 48);
MJ_FROZEN_AT(mj_instance_config, options, 56);
MJ_FROZEN_AT(mj_instance_config, option_count, 64);
MJ_STATIC_ASSERT(sizeof(mj_instance_config) >= MJ_INSTANCE_CONFIG_V1_SIZE, "mj_instance_config only grows");
MJ_FROZEN_AT(mj_message, role, 0);
MJ_FROZEN_AT(mj_message, reserved0, 4);
MJ_FROZEN_AT(mj_message, content, 8);
MJ_STATIC_ASSERT(sizeof(mj_message) == 24, "mj_message never changes");
MJ_FROZEN_AT(mj_request, struct_size, 0);
MJ_FROZEN_AT(mj_request, flags, 4);
MJ_FROZEN_AT(mj_request, model, 8);
MJ_FROZEN_AT(mj_request, system, 24);
MJ_FROZEN_AT(mj_request, messages, 40);
MJ_FROZEN_AT(mj_request, message_count, 48);
MJ_FROZEN_AT(mj_request, temperature, 56);
MJ_FROZEN_AT(mj_request, top_p, 64);
MJ_FROZEN_AT(mj_request, max_tokens, 72);
MJ_FROZEN_AT(mj_request, response_format, 80);
MJ_FROZEN_AT(mj_request, reserved0, 84);
MJ_FROZEN_AT(mj_request, schema_json, 88);
MJ_FROZEN_AT(mj_request, schema_name, 104);
MJ_STATIC_ASSERT(sizeof(mj_request) >= MJ_REQUEST_V1_SIZE, "mj_request only grows");
MJ_FROZEN_AT(mj_prepared, struct_size, 0);
MJ_FROZEN_AT(mj_prepared, reserved0, 4);
MJ_FROZEN_AT(mj_prepared, path, 8);
MJ_FROZEN_AT(mj_prepared, body, 24);
MJ_STATIC_ASSERT(sizeof(mj_prepared) >= MJ_PREPARED_V1_SIZE, "mj_prepared only grows");
MJ_FROZEN_AT(mj_call_params, struct_size, 0);
MJ_FROZEN_AT(mj_call_params, flags, 4);
MJ_FROZEN_AT(mj_call_params, url, 8);
MJ_FROZEN_AT(mj_call_params, headers, 24);
MJ_FROZEN_AT(mj_call_params, header_count, 32);
MJ_FROZEN_AT(mj_call_params, body, 40);
MJ_STATIC_ASSERT(sizeof(mj_call_params) >= MJ_CALL_PARAMS_V1_SIZE, "mj_call_params only grows");
MJ_FROZEN_AT(mj_usage, input_tokens, 0);
MJ_FROZEN_AT(mj_usage, output_tokens, 8);
MJ_FROZEN_AT(mj_usage, cached_tokens, 16);
MJ_FROZEN_AT(mj_usage, cache_write_tokens, 24);
MJ_FROZEN_AT(mj_usage, reasoning_tokens, 32);
MJ_STATIC_ASSERT(sizeof(mj_usage) == 40, "mj_usage never changes");
MJ_FROZEN_AT(mj_event, struct_size, 0);
MJ_FROZEN_AT(mj_event, type, 4);
MJ_FROZEN_AT(mj_event, text, 8);
MJ_FROZEN_AT(mj_event, stop_reason, 24);
MJ_FROZEN_AT(mj_event, reserved0, 28);
MJ_FROZEN_AT(mj_event, usage, 32);
MJ_FROZEN_AT(mj_event, request_id, 72);
MJ_FROZEN_AT(mj_event, model, 88);
MJ_STATIC_ASSERT(sizeof(mj_event) >= MJ_EVENT_V1_SIZE, "mj_event only grows");
MJ_FROZEN_AT(mj_host_offer, struct_size, 0);
MJ_FROZEN_AT(mj_host_offer, abi_min, 4);
MJ_FROZEN_AT(mj_host_offer, abi_max, 8);
MJ_FROZEN_AT(mj_host_offer, reserved0, 12);
MJ_FROZEN_AT(mj_host_offer, host_version, 16);
MJ_STATIC_ASSERT(sizeof(mj_host_offer) >= MJ_HOST_OFFER_V1_SIZE, "mj_host_offer only grows");
MJ_FROZEN_AT(mj_plugin_answer, struct_size, 0);
MJ_FROZEN_AT(mj_plugin_answer, abi_min, 4);
MJ_FROZEN_AT(mj_plugin_answer, abi_max, 8);
MJ_FROZEN_AT(mj_plugin_answer, abi_chosen, 12);
MJ_FROZEN_AT(mj_plugin_answer, table, 16);
MJ_STATIC_ASSERT(sizeof(mj_plugin_answer) >= MJ_PLUGIN_ANSWER_V1_SIZE, "mj_plugin_answer only grows");
MJ_FROZEN_AT(mj_plugin_v1, struct_size, 0);
MJ_FROZEN_AT(mj_plugin_v1, abi_version, 4);
MJ_FROZEN_AT(mj_plugin_v1, info, 8);
MJ_FROZEN_AT(mj_plugin_v1, instance_create, 16);
MJ_FROZEN_AT(mj_plugin_v1, instance_destroy, 24);
MJ_FROZEN_AT(mj_plugin_v1, request_build, 32);
MJ_FROZEN_AT(mj_plugin_v1, prepared_release, 40);
MJ_FROZEN_AT(mj_plugin_v1, call_open, 48);
MJ_FROZEN_AT(mj_plugin_v1, call_next, 56);
MJ_FROZEN_AT(mj_plugin_v1, call_close, 64);
MJ_FROZEN_AT(mj_plugin_v1, status_release, 72);
MJ_STATIC_ASSERT(sizeof(mj_plugin_v1) >= MJ_PLUGIN_V1_SIZE, "mj_plugin_v1 only grows");
/* The MJ_*_V1_SIZE constants are where the v1 fields end. */
MJ_STATIC_ASSERT(MJ_FIELD_END(mj_status, request_id) == MJ_STATUS_V1_SIZE, "MJ_STATUS_V1_SIZE is the end of the v1 fields");
MJ_STATIC_ASSERT(MJ_FIELD_END(mj_model_info, max_output_tokens) == MJ_MODEL_INFO_V1_SIZE, "MJ_MODEL_INFO_V1_SIZE is the end of the v1 fields");
MJ_STATIC_ASSERT(MJ_FIELD_END(mj_provider_info, model_count) == MJ_PROVIDER_INFO_V1_SIZE, "MJ_PROVIDER_INFO_V1_SIZE is the end of the v1 fields");
MJ_STATIC_ASSERT(MJ_FIELD_END(mj_instance_config, option_count) == MJ_INSTANCE_CONFIG_V1_SIZE, "MJ_INSTANCE_CONFIG_V1_SIZE is the end of the v1 fields");
MJ_STATIC_ASSERT(MJ_FIELD_END(mj_request, schema_name) == MJ_REQUEST_V1_SIZE, "MJ_REQUEST_V1_SIZE is the end of the v1 fields");
MJ_STATIC_ASSERT(MJ_FIELD_END(mj_prepared, body) == MJ_PREPARED_V1_SIZE, "MJ_PREPARED_V1_SIZE is the end of the v1 fields");
MJ_STATIC_ASSERT(MJ_FIELD_END(mj_call_params, body) == MJ_CALL_PARAMS_V1_SIZE, "MJ_CALL_PARAMS_V1_SIZE is the end of the v1 fields");
MJ_STATIC_ASSERT(MJ_FIELD_END(mj_event, model) == MJ_EVENT_V1_SIZE, "MJ_EVENT_V1_SIZE is the end of the v1 fields");
MJ_STATIC_ASSERT(MJ_FIELD_END(mj_host_offer, host_version) == MJ_HOST_OFFER_V1_SIZE, "MJ_HOST_OFFER_V1_SIZE is the end of the v1 fields");
MJ_STATIC_ASSERT(MJ_FIELD_END(mj_plugin_answer, table) == MJ_PLUGIN_ANSWER_V1_SIZE, "MJ_PLUGIN_ANSWER_V1_SIZE is the end of the v1 fields");
MJ_STATIC_ASSERT(MJ_FIELD_END(mj_plugin_v1, status_release) == MJ_PLUGIN_V1_SIZE, "MJ_PLUGIN_V1_SIZE is the end of the v1 fields");
/* Added in 0.2. */
MJ_FROZEN_AT(mj_call_params, proxy, 56);
MJ_FROZEN_AT(mj_host_offer, tls_module_path, 32);
MJ_FROZEN_AT(mj_plugin_answer, call_params_size, 24);
MJ_FROZEN_AT(mj_plugin_answer, reserved0, 28);
MJ_FROZEN_AT(mj_plugin_answer, failure, 32);
MJ_FROZEN_AT(mj_plugin_answer, failure_capacity, 40);
/* Added in 0.3. */
MJ_FROZEN_AT(mj_instance_config, max_event_bytes, 72);
MJ_FROZEN_AT(mj_instance_config, max_body_bytes, 80);
MJ_FROZEN_AT(mj_call_params, time_left_ms, 72);
/* Added in 0.5. */
MJ_FROZEN_AT(mj_provider_info, request_features, 168);
MJ_FROZEN_AT(mj_provider_info, reserved0, 172);
MJ_FROZEN_AT(mj_part, struct_size, 0);
MJ_FROZEN_AT(mj_part, type, 4);
MJ_FROZEN_AT(mj_part, text, 8);
MJ_FROZEN_AT(mj_part, media_type, 24);
MJ_STATIC_ASSERT(MJ_FIELD_END(mj_part, media_type) == MJ_PART_V1_SIZE, "MJ_PART_V1_SIZE is the end of its first fields");
MJ_FROZEN_AT(mj_tool_call, struct_size, 0);
MJ_FROZEN_AT(mj_tool_call, reserved0, 4);
MJ_FROZEN_AT(mj_tool_call, id, 8);
MJ_FROZEN_AT(mj_tool_call, name, 24);
MJ_FROZEN_AT(mj_tool_call, arguments, 40);
MJ_STATIC_ASSERT(MJ_FIELD_END(mj_tool_call, arguments) == MJ_TOOL_CALL_V1_SIZE, "MJ_TOOL_CALL_V1_SIZE is the end of its first fields");
MJ_FROZEN_AT(mj_turn, struct_size, 0);
MJ_FROZEN_AT(mj_turn, role, 4);
MJ_FROZEN_AT(mj_turn, parts, 8);
MJ_FROZEN_AT(mj_turn, part_count, 16);
MJ_FROZEN_AT(mj_turn, tool_calls, 24);
MJ_FROZEN_AT(mj_turn, tool_call_count, 32);
MJ_FROZEN_AT(mj_turn, tool_call_id, 40);
MJ_FROZEN_AT(mj_turn, tool_name, 56);
MJ_FROZEN_AT(mj_turn, flags, 72);
MJ_FROZEN_AT(mj_turn, reserved0, 76);
MJ_FROZEN_AT(mj_turn, continuation, 80);
MJ_FROZEN_AT(mj_turn, continuation_count, 88);
MJ_STATIC_ASSERT(MJ_FIELD_END(mj_turn, continuation_count) == MJ_TURN_V1_SIZE, "MJ_TURN_V1_SIZE is the end of its first fields");
MJ_FROZEN_AT(mj_tool, struct_size, 0);
MJ_FROZEN_AT(mj_tool, flags, 4);
MJ_FROZEN_AT(mj_tool, name, 8);
MJ_FROZEN_AT(mj_tool, description, 24);
MJ_FROZEN_AT(mj_tool, parameters_json, 40);
MJ_STATIC_ASSERT(MJ_FIELD_END(mj_tool, parameters_json) == MJ_TOOL_V1_SIZE, "MJ_TOOL_V1_SIZE is the end of its first fields");
MJ_FROZEN_AT(mj_request, turns, 120);
MJ_FROZEN_AT(mj_request, turn_count, 128);
MJ_FROZEN_AT(mj_request, tools, 136);
MJ_FROZEN_AT(mj_request, tool_count, 144);
MJ_FROZEN_AT(mj_request, tool_choice, 152);
MJ_FROZEN_AT(mj_request, parallel_tool_calls, 156);
MJ_FROZEN_AT(mj_request, tool_choice_name, 160);
MJ_FROZEN_AT(mj_request, reasoning_effort, 176);
MJ_FROZEN_AT(mj_request, thinking, 180);
MJ_FROZEN_AT(mj_request, thinking_budget_tokens, 184);
MJ_FROZEN_AT(mj_event, tool_index, 104);
MJ_FROZEN_AT(mj_event, reserved1, 108);
MJ_FROZEN_AT(mj_event, tool_call_id, 112);
MJ_FROZEN_AT(mj_event, tool_name, 128);
/* Added in 0.6. */
MJ_FROZEN_AT(mj_call_params, cancel_fd, 80);
MJ_FROZEN_AT(mj_call_params, reserved1, 84);
MJ_FROZEN_AT(mj_plugin_v1, call_ready, 80);
#endif

#endif /* MAJORDOMO_PLUGIN_LAYOUT_H */

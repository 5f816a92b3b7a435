/*
 * The layout of the C ABI's structures, fixed at compile time: every size and the offset of
 * every field a C caller and the Swift implementation both touch. A change here is an ABI
 * change (raise VNET_RSS_ABI_VERSION).
 */
#include "vnet_rss.h"
#include <stddef.h>

#define VNET_ASSERT_OFFSET(type, field, offset) _Static_assert(offsetof(type, field) == (offset), #type "." #field)
#define VNET_ASSERT_SIZE(type, size) _Static_assert(sizeof(type) == (size), "sizeof " #type)

VNET_ASSERT_SIZE(vnet_rss_error, 272);
VNET_ASSERT_OFFSET(vnet_rss_error, value, 16);
VNET_ASSERT_OFFSET(vnet_rss_error, field, 32);
VNET_ASSERT_OFFSET(vnet_rss_error, message, 72);
VNET_ASSERT_SIZE(vnet_rss_device_limits, 16);
VNET_ASSERT_SIZE(vnet_rss_fields, 24);
VNET_ASSERT_OFFSET(vnet_rss_fields, indirection_table_length, 12);
VNET_ASSERT_SIZE(vnet_rss_decision, 8);
VNET_ASSERT_SIZE(vnet_rss_packet, 24);
VNET_ASSERT_SIZE(vnet_rss_frame, 32);
VNET_ASSERT_OFFSET(vnet_rss_frame, hash, 16);
VNET_ASSERT_SIZE(vnet_rss_engine_options, 40);
VNET_ASSERT_OFFSET(vnet_rss_engine_options, inline_handler, 24);
VNET_ASSERT_SIZE(vnet_rss_statistics, 48);
VNET_ASSERT_SIZE(vnet_rss_capability, 8);
VNET_ASSERT_SIZE(vnet_rss_guest_frame, 24);
VNET_ASSERT_OFFSET(vnet_rss_guest_frame, length, 16);
VNET_ASSERT_SIZE(vnet_rss_guest_decision, 20);
VNET_ASSERT_OFFSET(vnet_rss_guest_decision, stray, 8);
VNET_ASSERT_OFFSET(vnet_rss_guest_decision, fields_offset, 10);
VNET_ASSERT_OFFSET(vnet_rss_guest_decision, fields, 12);
VNET_ASSERT_SIZE(vnet_rss_steering_counters, 24);

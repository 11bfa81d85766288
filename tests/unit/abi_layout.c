/*
 * Prints the offset and size of every field of every structure in
 * abi/kspawn_abi.h, and every structure size, one per line.  The unit
 * suite compares this with abi/layout.golden, so that an accidental layout
 * change fails the tests.  A new field must be listed here too.
 */
#include <stdio.h>

#include "abi/kspawn_abi.h"

#define FIELD(s, f) \
	printf("%-16s %-22s %5zu %5zu\n", #s, #f, offsetof(struct s, f), \
	       sizeof(((struct s *)0)->f))
#define FLEX(s, f) printf("%-16s %-22s %5zu %5s\n", #s, #f, offsetof(struct s, f), "[]")
#define SIZE(s) printf("%-16s %-22s %5s %5zu\n", #s, "(size)", "-", sizeof(struct s))

int main(void)
{
	FIELD(kspawn_note_abi, abi_major);
	FIELD(kspawn_note_abi, abi_minor);
	FIELD(kspawn_note_abi, min_region_mib);
	SIZE(kspawn_note_abi);
	FIELD(kspawn_header, magic);
	FIELD(kspawn_header, abi_major);
	FIELD(kspawn_header, abi_minor);
	FIELD(kspawn_header, header_size);
	FIELD(kspawn_header, host_features);
	FIELD(kspawn_header, guest_features);
	FIELD(kspawn_header, flags);
	FIELD(kspawn_header, instance_id);
	FIELD(kspawn_header, region_base);
	FIELD(kspawn_header, region_size);
	FIELD(kspawn_header, shared_base);
	FIELD(kspawn_header, shared_size);
	FIELD(kspawn_header, tsc_khz);
	FIELD(kspawn_header, ncpus);
	FIELD(kspawn_header, host_apic_id);
	FIELD(kspawn_header, cpu_apic_id);
	FIELD(kspawn_header, state_off);
	FIELD(kspawn_header, console_out_off);
	FIELD(kspawn_header, console_in_off);
	FIELD(kspawn_header, debug_out_off);
	FIELD(kspawn_header, debug_in_off);
	FIELD(kspawn_header, devices_off);
	FIELD(kspawn_header, ndevices);
	FIELD(kspawn_header, host_doorbell_vector);
	FIELD(kspawn_header, boot_tsc);
	FIELD(kspawn_header, apic_timer_khz);
	FIELD(kspawn_header, cmdline);
	FIELD(kspawn_header, echo);
	FIELD(kspawn_header, wake);
	FIELD(kspawn_header, cpu_tsc);
	FIELD(kspawn_header, reserved);
	SIZE(kspawn_header);
	FIELD(kspawn_echo, seq);
	FIELD(kspawn_echo, guest_tx_tsc);
	FIELD(kspawn_echo, host_rx_tsc);
	FIELD(kspawn_echo, host_tx_tsc);
	FIELD(kspawn_echo, vector);
	SIZE(kspawn_echo);
	FIELD(kspawn_wake, waiting);
	FIELD(kspawn_wake, pending);
	SIZE(kspawn_wake);
	FIELD(kspawn_panic, vector);
	FIELD(kspawn_panic, error_code);
	FIELD(kspawn_panic, rip);
	FIELD(kspawn_panic, rsp);
	FIELD(kspawn_panic, rflags);
	FIELD(kspawn_panic, cr2);
	FIELD(kspawn_panic, gpr);
	FIELD(kspawn_panic, message);
	SIZE(kspawn_panic);
	FIELD(kspawn_state, state);
	FIELD(kspawn_state, exit_code);
	FIELD(kspawn_state, heartbeat);
	FIELD(kspawn_state, host_request);
	FIELD(kspawn_state, stop_vector);
	FIELD(kspawn_state, debug_vector);
	FIELD(kspawn_state, apic_timer_khz);
	FIELD(kspawn_state, panic);
	FIELD(kspawn_state, stray_irqs);
	FIELD(kspawn_state, stray_vector);
	FIELD(kspawn_state, reserved0);
	SIZE(kspawn_state);
	FIELD(kspawn_ring, head);
	FIELD(kspawn_ring, dropped);
	FIELD(kspawn_ring, pad0);
	FIELD(kspawn_ring, tail);
	FIELD(kspawn_ring, pad1);
	FIELD(kspawn_ring, size);
	FIELD(kspawn_ring, pad2);
	FLEX(kspawn_ring, data);
	SIZE(kspawn_ring);
	FIELD(kspawn_queue, size_max);
	FIELD(kspawn_queue, size);
	FIELD(kspawn_queue, ready);
	FIELD(kspawn_queue, reserved0);
	FIELD(kspawn_queue, vector);
	FIELD(kspawn_queue, notify);
	FIELD(kspawn_queue, desc_addr);
	FIELD(kspawn_queue, driver_addr);
	FIELD(kspawn_queue, device_addr);
	FIELD(kspawn_queue, pad);
	SIZE(kspawn_queue);
	FIELD(kspawn_device, device_id);
	FIELD(kspawn_device, num_queues);
	FIELD(kspawn_device, device_features);
	FIELD(kspawn_device, driver_features);
	FIELD(kspawn_device, status);
	FIELD(kspawn_device, reset);
	FIELD(kspawn_device, features_ack);
	FIELD(kspawn_device, config_generation);
	FIELD(kspawn_device, config_vector);
	FIELD(kspawn_device, reserved1);
	FIELD(kspawn_device, pad);
	FIELD(kspawn_device, config);
	FIELD(kspawn_device, queues);
	SIZE(kspawn_device);
	return 0;
}

#include "arch/x86_64/pci.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "kern/sync.h"

#define CFG_ADDR 0xcf8
#define CFG_DATA 0xcfc
#define CFG_ENABLE 0x80000000u
#define MSI_ADDR_BASE 0xfee00000u
#define MSI_ADDR_DEST_SHIFT 12

/* The address port and the data port are one access: keep them together. */
static struct spinlock cfg_lock = SPINLOCK_INIT;

static void cfg_select(uint32_t bdf, unsigned int off)
{
	outl(CFG_ADDR, CFG_ENABLE | (bdf & 0xffff) << 8 | (off & 0xfc));
}

uint32_t pci_cfg_read(uint32_t bdf, unsigned int off, unsigned int size)
{
	uint16_t port = (uint16_t)(CFG_DATA + (off & 3));
	uint64_t flags;
	uint32_t v;

	if (off > 0xff || off % size)
		return ~0u;
	flags = spin_lock_irqsave(&cfg_lock);
	cfg_select(bdf, off);
	v = size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
	spin_unlock_irqrestore(&cfg_lock, flags);
	return v;
}

void pci_cfg_write(uint32_t bdf, unsigned int off, unsigned int size,
		   uint32_t v)
{
	uint16_t port = (uint16_t)(CFG_DATA + (off & 3));
	uint64_t flags;

	if (off > 0xff || off % size)
		return;
	flags = spin_lock_irqsave(&cfg_lock);
	cfg_select(bdf, off);
	if (size == 1)
		outb(port, (uint8_t)v);
	else if (size == 2)
		outw(port, (uint16_t)v);
	else
		outl(port, v);
	spin_unlock_irqrestore(&cfg_lock, flags);
}

int pci_msi_message(uint32_t vector, uint64_t *addr, uint32_t *data)
{
	uint32_t id = apic_id();

	if (id > 0xff || vector < 32 || vector > 255)
		return -1;
	*addr = MSI_ADDR_BASE | id << MSI_ADDR_DEST_SHIFT;
	*data = vector;
	return 0;
}

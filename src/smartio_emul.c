// SPDX-License-Identifier: GPL-2.0
/*
 * smartio emulated adapter.
 *
 * Stands in for an NTB adapter in QEMU: a q35 machine with a pxb-pcie
 * expander whose tree the guest does not enumerate (booted with
 * "pci=noacpi pci=lastbus=127"). That hidden tree is the fabric. Its config
 * space is reached through the q35 ECAM window; its aperture is the memory
 * the firmware reserved for the expander's root ports (size it with the
 * root port's mem-reserve= and pref64-reserve= on the QEMU command line, as
 * one sets the NTB prefetchable size of a real adapter).
 *
 * A test and development backend, built on the backend interface of
 * smartio.ko (smartio_backend.h) as a module of its own. It has no module
 * alias, so it never loads by itself: "modprobe smartio_emul" loads it. It
 * leaves alone an expander whose tree the kernel enumerated (a QEMU guest
 * booted with ACPI, such as a libvirt NUMA guest).
 */

#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sizes.h>

#include "smartio_backend.h"

#define SMARTIO_EMUL_PXB_DEVICE		0x000b	/* QEMU pxb-pcie */
#define SMARTIO_EMUL_Q35_MCH		0x29c0
#define SMARTIO_EMUL_PCIEXBAR		0x60
#define SMARTIO_EMUL_NR_BUSES		256
#define SMARTIO_EMUL_MAX_BUTTONS	4

/**
 * struct smartio_emul_slot - a slot whose power the emulation models
 * @bus: bus of the slot's port
 * @devfn: its device/function
 * @exp: offset of its PCI Express capability
 * @sec: first bus below it
 * @sub: last bus below it
 * @ctl: power controller and indicator bits of Slot Control as written
 * @sta: Slot Status bits latched by the emulation (write 1 to clear)
 * @latch: only @sta is modelled, power goes to QEMU (debugfs "link_flap");
 *	the entry ends once @sta is cleared
 *
 * Test only (debugfs "attention_button"). QEMU 7.2 removes the card of a
 * slot the guest powers off; to test a card left in a powered-off slot,
 * the power-off is kept here instead of reaching QEMU: the slot reads as
 * off, its link as down, and the functions below it do not answer, until
 * it is powered on again.
 */
struct smartio_emul_slot {
	u8 bus;
	u8 devfn;
	u8 exp;
	u8 sec;
	u8 sub;
	u16 ctl;
	u16 sta;
	bool latch;
};

/**
 * struct smartio_emul - one emulated adapter
 * @pdev: the pxb-pcie device it binds
 * @adapter: the smartio adapter
 * @ecam: ECAM mapping of buses @bus_start..@bus_end
 * @bus_start: first bus of the hidden tree
 * @bus_end: last bus of the hidden tree
 * @link_down: fault injection (debugfs "link_down"): while set, the link is
 *	down and the remote tree does not answer config requests; each
 *	change is reported as a link event, as a real adapter's link
 *	interrupt would
 * @flr_bdf: fault injection (flr_busy_ms): the function reset last, as
 *	bus << 8 | devfn, read locklessly
 * @flr_until: until when (jiffies) @flr_bdf answers no config read
 * @slot_lock: protects @slots and @nr_slots; taken inside the PCI core's
 *	raw config lock, so a raw spinlock
 * @slots: slots whose power the emulation models (test only)
 * @nr_slots: valid entries in @slots; read without the lock to skip it
 */
struct smartio_emul {
	struct pci_dev *pdev;
	struct smartio_adapter *adapter;
	void __iomem *ecam;
	u8 bus_start;
	u8 bus_end;
	bool link_down;
	u16 flr_bdf;
	unsigned long flr_until;
	raw_spinlock_t slot_lock;
	struct smartio_emul_slot slots[SMARTIO_EMUL_MAX_BUTTONS];
	unsigned int nr_slots;
};

static bool link_down_at_probe;
module_param(link_down_at_probe, bool, 0444);
MODULE_PARM_DESC(link_down_at_probe,
		 "Test only: bind each adapter with its link down, as a real adapter whose cable or chassis is not up yet; debugfs link_down brings it up (default: 0)");

static unsigned int flr_busy_ms;
module_param(flr_busy_ms, uint, 0644);
MODULE_PARM_DESC(flr_busy_ms,
		 "Test only: after a function level reset a function answers no config read for this many milliseconds, as a slow device would (QEMU's reset at once); 0 for none (default: 0)");

static bool adapter_id;
module_param(adapter_id, bool, 0444);
MODULE_PARM_DESC(adapter_id,
		 "Test only: describe each adapter as one that rewrites requester IDs to its own PCI function's. QEMU does not: with an IOMMU, DMA and MSI of borrowed devices then fault. Tests smartio's DMA alias (default: 0)");

static unsigned long long dma_limit;
module_param(dma_limit, ullong, 0444);
MODULE_PARM_DESC(dma_limit,
		 "Test only: describe each adapter's inbound window as reaching local DMA addresses up to this one (QEMU's reaches all); 0 for all (default: 0)");

static void __iomem *smartio_emul_addr(void __iomem *ecam, unsigned int bus,
				       unsigned int devfn, int where)
{
	return ecam + ((bus << 20) | (devfn << 12) | where);
}

static u32 smartio_emul_read_raw(void __iomem *ecam, unsigned int bus,
				 unsigned int devfn, int where, int size)
{
	void __iomem *addr = smartio_emul_addr(ecam, bus, devfn, where);

	switch (size) {
	case 1:
		return readb(addr);
	case 2:
		return readw(addr);
	default:
		return readl(addr);
	}
}

static bool smartio_emul_valid(struct smartio_emul *emul, unsigned int bus,
			       int where, int size)
{
	if (bus < emul->bus_start || bus > emul->bus_end)
		return false;
	if (size != 1 && size != 2 && size != 4)
		return false;
	return where >= 0 && where + size <= SZ_4K && !(where & (size - 1));
}

static bool smartio_emul_slot_off(const struct smartio_emul_slot *slot)
{
	return !slot->latch &&
	       (slot->ctl & PCI_EXP_SLTCTL_PCC) == PCI_EXP_SLTCTL_PWR_OFF;
}

/* Ends the modelling of @slot. Called with slot_lock held. */
static void smartio_emul_slot_end(struct smartio_emul *emul,
				  struct smartio_emul_slot *slot)
{
	WRITE_ONCE(emul->nr_slots, emul->nr_slots - 1);
	*slot = emul->slots[emul->nr_slots];
}

/*
 * The modelled slot whose port is @bus/@devfn, or whose powered-off slot
 * hides @bus (then *@below_off is set), or NULL. Called with slot_lock held.
 */
static struct smartio_emul_slot *
smartio_emul_slot_get(struct smartio_emul *emul, unsigned int bus,
		      unsigned int devfn, bool *below_off)
{
	unsigned int i;

	*below_off = false;
	for (i = 0; i < emul->nr_slots; i++) {
		struct smartio_emul_slot *slot = &emul->slots[i];

		if (slot->bus == bus && slot->devfn == devfn)
			return slot;
		if (bus >= slot->sec && bus <= slot->sub &&
		    smartio_emul_slot_off(slot)) {
			*below_off = true;
			return slot;
		}
	}
	return NULL;
}

/* Replaces the @mask bits of the 16-bit register at @reg in an access. */
static u32 smartio_emul_patch16(u32 val, int where, int size, int reg,
				u16 mask, u16 bits)
{
	int i, b;

	for (i = 0; i < 2; i++) {
		b = reg + i - where;
		if (b < 0 || b >= size)
			continue;
		val &= ~((u32)(u8)(mask >> (8 * i)) << (8 * b));
		val |= (u32)(u8)((bits & mask) >> (8 * i)) << (8 * b);
	}
	return val;
}

/* What a read of a modelled slot's port shows. Called with slot_lock held. */
static u32 smartio_emul_slot_read(struct smartio_emul_slot *slot, int where,
				  int size, u32 val)
{
	if (slot->latch)
		return smartio_emul_patch16(val, where, size,
					    slot->exp + PCI_EXP_SLTSTA,
					    slot->sta, slot->sta);
	val = smartio_emul_patch16(val, where, size, slot->exp + PCI_EXP_SLTCTL,
				   PCI_EXP_SLTCTL_PCC | PCI_EXP_SLTCTL_PIC,
				   slot->ctl);
	val = smartio_emul_patch16(val, where, size, slot->exp + PCI_EXP_SLTSTA,
				   slot->sta, slot->sta);
	if (smartio_emul_slot_off(slot))
		val = smartio_emul_patch16(val, where, size,
					   slot->exp + PCI_EXP_LNKSTA,
					   PCI_EXP_LNKSTA_DLLLA, 0);
	return val;
}

/*
 * A write to a modelled slot's port: Slot Status clears latched bits, and
 * Slot Control (written whole, as smartio does) moves the modelled power,
 * while QEMU's slot stays powered. Powering on with the indicator on ends
 * the modelling. Returns the value to pass on to QEMU. Called with
 * slot_lock held.
 */
static u32 smartio_emul_slot_write(struct smartio_emul *emul,
				   struct smartio_emul_slot *slot, int where,
				   int size, u32 val)
{
	int ctl = slot->exp + PCI_EXP_SLTCTL, sta = slot->exp + PCI_EXP_SLTSTA;
	bool was_off = smartio_emul_slot_off(slot);
	u16 new;

	if (where <= sta && sta + 2 <= where + size)
		slot->sta &= ~(u16)(val >> (8 * (sta - where)));
	if (slot->latch) {
		if (!slot->sta)
			smartio_emul_slot_end(emul, slot);
		return val;
	}
	if (where > ctl || ctl + 2 > where + size)
		return val;

	new = val >> (8 * (ctl - where));
	slot->ctl = new & (PCI_EXP_SLTCTL_PCC | PCI_EXP_SLTCTL_PIC);
	/* A real slot's link goes down when it powers off, and up again. */
	if (was_off != smartio_emul_slot_off(slot))
		slot->sta |= PCI_EXP_SLTSTA_DLLSC;
	if (!smartio_emul_slot_off(slot) &&
	    (slot->ctl & PCI_EXP_SLTCTL_PIC) == PCI_EXP_SLTCTL_PWR_IND_ON) {
		smartio_emul_slot_end(emul, slot);
		return val;
	}
	return smartio_emul_patch16(val, where, size, ctl, PCI_EXP_SLTCTL_PCC,
				    PCI_EXP_SLTCTL_PWR_ON);
}

static u8 smartio_emul_find_exp(void __iomem *ecam, unsigned int bus,
				unsigned int devfn)
{
	u32 pos, id;
	int ttl = 48;

	if (!(smartio_emul_read_raw(ecam, bus, devfn, PCI_STATUS, 2) &
	      PCI_STATUS_CAP_LIST))
		return 0;
	pos = smartio_emul_read_raw(ecam, bus, devfn, PCI_CAPABILITY_LIST, 1);
	while (ttl-- && pos >= PCI_STD_HEADER_SIZEOF && pos < 0x100) {
		pos &= ~3;
		id = smartio_emul_read_raw(ecam, bus, devfn, pos, 1);
		if (id == PCI_CAP_ID_EXP)
			return pos;
		if (id == 0xff)
			break;
		pos = smartio_emul_read_raw(ecam, bus, devfn, pos + 1, 1);
	}
	return 0;
}

/*
 * Fault injection: a function answers no config read for flr_busy_ms after
 * a function level reset, as a device that takes its time does (QEMU's
 * reset at once). One function at a time is enough for the tests.
 */
static bool smartio_emul_flr_busy(struct smartio_emul *emul, unsigned int bus,
				  unsigned int devfn)
{
	return READ_ONCE(emul->flr_bdf) == (bus << 8 | devfn) &&
	       time_before(jiffies, READ_ONCE(emul->flr_until));
}

static void smartio_emul_flr_seen(struct smartio_emul *emul, unsigned int bus,
				  unsigned int devfn, int where, int size,
				  u32 val)
{
	unsigned int ms = READ_ONCE(flr_busy_ms);
	u8 exp;

	if (!ms || size != 2 || !(val & PCI_EXP_DEVCTL_BCR_FLR))
		return;
	exp = smartio_emul_find_exp(emul->ecam, bus - emul->bus_start, devfn);
	if (!exp || where != exp + PCI_EXP_DEVCTL)
		return;
	WRITE_ONCE(emul->flr_until, jiffies + msecs_to_jiffies(ms));
	WRITE_ONCE(emul->flr_bdf, bus << 8 | devfn);
}

/**
 * smartio_emul_config_read() - &smartio_adapter_ops.config_read over ECAM
 * @adapter: the adapter
 * @bus: remote bus number
 * @devfn: remote device/function
 * @where: offset
 * @size: 1, 2 or 4
 * @val: the value read, all-ones on error
 *
 * Return: a PCIBIOS_* code.
 */
static int smartio_emul_config_read(struct smartio_adapter *adapter,
				    unsigned int bus, unsigned int devfn,
				    int where, int size, u32 *val)
{
	struct smartio_emul *emul = smartio_adapter_priv(adapter);
	struct smartio_emul_slot *slot;
	unsigned long flags;
	bool below_off;

	if (!smartio_emul_valid(emul, bus, where, size)) {
		PCI_SET_ERROR_RESPONSE(val);
		return PCIBIOS_BAD_REGISTER_NUMBER;
	}
	if (READ_ONCE(emul->link_down)) {
		PCI_SET_ERROR_RESPONSE(val);
		return PCIBIOS_DEVICE_NOT_FOUND;
	}
	if (smartio_emul_flr_busy(emul, bus, devfn)) {
		PCI_SET_ERROR_RESPONSE(val);
		return PCIBIOS_SUCCESSFUL;
	}
	*val = smartio_emul_read_raw(emul->ecam, bus - emul->bus_start, devfn,
				     where, size);
	if (!READ_ONCE(emul->nr_slots))
		return PCIBIOS_SUCCESSFUL;

	raw_spin_lock_irqsave(&emul->slot_lock, flags);
	slot = smartio_emul_slot_get(emul, bus, devfn, &below_off);
	if (below_off)
		PCI_SET_ERROR_RESPONSE(val);
	else if (slot)
		*val = smartio_emul_slot_read(slot, where, size, *val);
	raw_spin_unlock_irqrestore(&emul->slot_lock, flags);
	return PCIBIOS_SUCCESSFUL;
}

/**
 * smartio_emul_config_write() - &smartio_adapter_ops.config_write over ECAM
 * @adapter: the adapter
 * @bus: remote bus number
 * @devfn: remote device/function
 * @where: offset
 * @size: 1, 2 or 4
 * @val: the value to write
 *
 * Return: a PCIBIOS_* code.
 */
static int smartio_emul_config_write(struct smartio_adapter *adapter,
				     unsigned int bus, unsigned int devfn,
				     int where, int size, u32 val)
{
	struct smartio_emul *emul = smartio_adapter_priv(adapter);
	struct smartio_emul_slot *slot;
	void __iomem *addr;
	unsigned long flags;
	bool below_off = false;

	if (!smartio_emul_valid(emul, bus, where, size))
		return PCIBIOS_BAD_REGISTER_NUMBER;
	if (READ_ONCE(emul->link_down))
		return PCIBIOS_DEVICE_NOT_FOUND;
	if (READ_ONCE(emul->nr_slots)) {
		raw_spin_lock_irqsave(&emul->slot_lock, flags);
		slot = smartio_emul_slot_get(emul, bus, devfn, &below_off);
		if (slot && !below_off)
			val = smartio_emul_slot_write(emul, slot, where, size,
						      val);
		raw_spin_unlock_irqrestore(&emul->slot_lock, flags);
	}
	/* A function in a powered-off slot does not answer. */
	if (below_off)
		return PCIBIOS_SUCCESSFUL;
	smartio_emul_flr_seen(emul, bus, devfn, where, size, val);
	addr = smartio_emul_addr(emul->ecam, bus - emul->bus_start, devfn,
				 where);
	switch (size) {
	case 1:
		writeb(val, addr);
		break;
	case 2:
		writew(val, addr);
		break;
	default:
		writel(val, addr);
		break;
	}
	return PCIBIOS_SUCCESSFUL;
}

/**
 * smartio_emul_link_up() - &smartio_adapter_ops.link_up
 * @adapter: the adapter
 *
 * Return: false while link loss is being injected through debugfs.
 */
static bool smartio_emul_link_up(struct smartio_adapter *adapter)
{
	struct smartio_emul *emul = smartio_adapter_priv(adapter);

	return !READ_ONCE(emul->link_down);
}

static ssize_t smartio_emul_link_down_read(struct file *file,
					   char __user *buf, size_t count,
					   loff_t *ppos)
{
	struct smartio_emul *emul = file->private_data;
	char val[2] = { READ_ONCE(emul->link_down) ? 'Y' : 'N', '\n' };

	return simple_read_from_buffer(buf, count, ppos, val, sizeof(val));
}

static ssize_t smartio_emul_link_down_write(struct file *file,
					    const char __user *buf,
					    size_t count, loff_t *ppos)
{
	struct smartio_emul *emul = file->private_data;
	bool down;
	int ret;

	ret = kstrtobool_from_user(buf, count, &down);
	if (ret)
		return ret;
	if (READ_ONCE(emul->link_down) != down) {
		WRITE_ONCE(emul->link_down, down);
		smartio_adapter_link_event(emul->adapter);
	}
	return count;
}

static const struct file_operations smartio_emul_link_down_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = smartio_emul_link_down_read,
	.write = smartio_emul_link_down_write,
	.llseek = default_llseek,
};

/*
 * Fault injection (debugfs "power_cycle", write 1): what a power cycle of
 * the remote chassis does. The link goes down, a secondary bus reset of
 * the remote root ports resets everything below them (QEMU clears the
 * switch's bus numbers and windows and the endpoints' BARs), and the link
 * comes back; each change is reported as a link event.
 */
static ssize_t smartio_emul_power_cycle_write(struct file *file,
					      const char __user *buf,
					      size_t count, loff_t *ppos)
{
	struct smartio_emul *emul = file->private_data;
	unsigned long flags;
	void __iomem *ctl;
	unsigned int dev;
	bool cycle;
	u32 hdr;
	int ret;

	ret = kstrtobool_from_user(buf, count, &cycle);
	if (ret)
		return ret;
	if (!cycle)
		return -EINVAL;
	WRITE_ONCE(emul->link_down, true);
	smartio_adapter_link_event(emul->adapter);
	/* The reset powers the populated slots on: forget the kept ones. */
	raw_spin_lock_irqsave(&emul->slot_lock, flags);
	WRITE_ONCE(emul->nr_slots, 0);
	raw_spin_unlock_irqrestore(&emul->slot_lock, flags);
	for (dev = 0; dev < 32; dev++) {
		hdr = smartio_emul_read_raw(emul->ecam, 0, PCI_DEVFN(dev, 0),
					    PCI_HEADER_TYPE, 1);
		if ((hdr & 0x7f) != PCI_HEADER_TYPE_BRIDGE)
			continue;
		ctl = smartio_emul_addr(emul->ecam, 0, PCI_DEVFN(dev, 0),
					PCI_BRIDGE_CONTROL);
		writew(readw(ctl) | PCI_BRIDGE_CTL_BUS_RESET, ctl);
		/* PCIe r6.0 sec 6.6.1: hold the reset for at least 1 ms. */
		usleep_range(2000, 3000);
		writew(readw(ctl) & ~PCI_BRIDGE_CTL_BUS_RESET, ctl);
	}
	/* Link training, then 100 ms before config requests. */
	msleep(100);
	WRITE_ONCE(emul->link_down, false);
	smartio_adapter_link_event(emul->adapter);
	return count;
}

static const struct file_operations smartio_emul_power_cycle_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = smartio_emul_power_cycle_write,
	.llseek = default_llseek,
};

/*
 * Parses "bb:dd.f" of a port whose slot has the Slot Capabilities bits
 * @caps, for the debugfs hooks below; sets *@rel to its bus in ECAM.
 */
static int smartio_emul_port(struct smartio_emul *emul,
			     const char __user *ubuf, size_t count, u32 caps,
			     unsigned int *bus, unsigned int *rel, u8 *devfn,
			     u8 *exp)
{
	unsigned int dev, fn;
	char buf[16];
	u32 cap;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (sscanf(buf, "%2x:%2x.%1x", bus, &dev, &fn) != 3 || dev > 0x1f ||
	    fn > 7 || *bus < emul->bus_start || *bus > emul->bus_end)
		return -EINVAL;
	*rel = *bus - emul->bus_start;
	*devfn = PCI_DEVFN(dev, fn);
	*exp = smartio_emul_find_exp(emul->ecam, *rel, *devfn);
	if (!*exp)
		return -ENODEV;
	cap = smartio_emul_read_raw(emul->ecam, *rel, *devfn,
				    *exp + PCI_EXP_SLTCAP, 4);
	if (!(smartio_emul_read_raw(emul->ecam, *rel, *devfn,
				    *exp + PCI_EXP_FLAGS, 2) & PCI_EXP_FLAGS_SLOT) ||
	    (cap & caps) != caps)
		return -ENODEV;
	return 0;
}

/*
 * The entry for the port @bus/@devfn, a new one if there is none: for a
 * power model, with the power control QEMU's slot has now. NULL with *@ret
 * set if a powered-off slot hides the port or the table is full. Called
 * with slot_lock held.
 */
static struct smartio_emul_slot *
smartio_emul_slot_new(struct smartio_emul *emul, unsigned int bus,
		      unsigned int rel, u8 devfn, u8 exp, bool latch, int *ret)
{
	struct smartio_emul_slot *slot;
	bool below_off;

	slot = smartio_emul_slot_get(emul, bus, devfn, &below_off);
	if (slot && below_off) {
		*ret = -ENODEV;
		return NULL;
	}
	if (!slot && emul->nr_slots == SMARTIO_EMUL_MAX_BUTTONS) {
		*ret = -ENOSPC;
		return NULL;
	}
	if (!slot) {
		slot = &emul->slots[emul->nr_slots];
		slot->bus = bus;
		slot->devfn = devfn;
		slot->exp = exp;
		slot->sec = smartio_emul_read_raw(emul->ecam, rel, devfn,
						  PCI_SECONDARY_BUS, 1);
		slot->sub = smartio_emul_read_raw(emul->ecam, rel, devfn,
						  PCI_SUBORDINATE_BUS, 1);
		slot->sta = 0;
		slot->latch = true;
		WRITE_ONCE(emul->nr_slots, emul->nr_slots + 1);
	}
	if (slot->latch && !latch) {
		slot->latch = false;
		slot->ctl = smartio_emul_read_raw(emul->ecam, rel, devfn,
						  exp + PCI_EXP_SLTCTL, 2) &
			    (PCI_EXP_SLTCTL_PCC | PCI_EXP_SLTCTL_PIC);
	}
	return slot;
}

/*
 * Latches @sta in the entry of the port @bus/@devfn (see
 * smartio_emul_slot_new()). Returns @count, or the error.
 */
static ssize_t smartio_emul_latch(struct smartio_emul *emul, unsigned int bus,
				  unsigned int rel, u8 devfn, u8 exp, bool latch,
				  u16 sta, size_t count)
{
	struct smartio_emul_slot *slot;
	unsigned long flags;
	int ret = 0;

	raw_spin_lock_irqsave(&emul->slot_lock, flags);
	slot = smartio_emul_slot_new(emul, bus, rel, devfn, exp, latch, &ret);
	if (slot)
		slot->sta |= sta;
	raw_spin_unlock_irqrestore(&emul->slot_lock, flags);
	return slot ? count : ret;
}

/*
 * Test only: "echo 82:01.0 > attention_button" presses the attention
 * button of the slot of that port without QEMU's device_del, and models
 * the slot's power until it is powered on again, so the card stays in
 * the slot when smartio powers it off. See struct smartio_emul_slot.
 */
static ssize_t smartio_emul_button_write(struct file *file,
					 const char __user *ubuf,
					 size_t count, loff_t *ppos)
{
	struct smartio_emul *emul = file->private_data;
	unsigned int bus, rel;
	int ret;
	u8 devfn, exp;

	ret = smartio_emul_port(emul, ubuf, count,
				PCI_EXP_SLTCAP_ABP | PCI_EXP_SLTCAP_PCP, &bus,
				&rel, &devfn, &exp);
	if (ret)
		return ret;
	return smartio_emul_latch(emul, bus, rel, devfn, exp, false,
				  PCI_EXP_SLTSTA_ABP, count);
}

static const struct file_operations smartio_emul_button_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = smartio_emul_button_write,
	.llseek = default_llseek,
};

/*
 * Fault injection: "echo 82:00.0 > link_flap" is a link flap of the slot
 * of that port with the card left in, which QEMU cannot do: a secondary
 * bus reset below the port resets the card (QEMU clears its BARs and its
 * state) and the slot latches Data Link Layer State Changed, as a real
 * port does when its link goes down and trains again.
 */
static ssize_t smartio_emul_link_flap_write(struct file *file,
					    const char __user *ubuf,
					    size_t count, loff_t *ppos)
{
	struct smartio_emul *emul = file->private_data;
	unsigned int bus, rel;
	void __iomem *ctl;
	int ret;
	u8 devfn, exp;

	ret = smartio_emul_port(emul, ubuf, count, 0, &bus, &rel, &devfn,
				&exp);
	if (ret)
		return ret;
	ctl = smartio_emul_addr(emul->ecam, rel, devfn, PCI_BRIDGE_CONTROL);
	writew(readw(ctl) | PCI_BRIDGE_CTL_BUS_RESET, ctl);
	usleep_range(2000, 3000);
	writew(readw(ctl) & ~PCI_BRIDGE_CTL_BUS_RESET, ctl);
	msleep(100);
	return smartio_emul_latch(emul, bus, rel, devfn, exp, true,
				  PCI_EXP_SLTSTA_DLLSC, count);
}

static const struct file_operations smartio_emul_link_flap_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = smartio_emul_link_flap_write,
	.llseek = default_llseek,
};

static const struct smartio_adapter_ops smartio_emul_ops = {
	.config_read = smartio_emul_config_read,
	.config_write = smartio_emul_config_write,
	.link_up = smartio_emul_link_up,
};

/* The q35 host bridge tells where ECAM is and how many buses it decodes. */
static int smartio_emul_find_ecam(u64 *base, unsigned int *nr_buses)
{
	struct pci_dev *mch;
	u32 lo, hi;

	mch = pci_get_domain_bus_and_slot(0, 0, PCI_DEVFN(0, 0));
	if (!mch)
		return -ENODEV;
	if (mch->vendor != PCI_VENDOR_ID_INTEL ||
	    mch->device != SMARTIO_EMUL_Q35_MCH) {
		pci_dev_put(mch);
		return -ENODEV;
	}
	pci_read_config_dword(mch, SMARTIO_EMUL_PCIEXBAR, &lo);
	pci_read_config_dword(mch, SMARTIO_EMUL_PCIEXBAR + 4, &hi);
	pci_dev_put(mch);

	if (!(lo & 1))
		return -ENODEV;
	switch ((lo >> 1) & 3) {
	case 0:
		*nr_buses = 256;
		break;
	case 1:
		*nr_buses = 128;
		break;
	case 2:
		*nr_buses = 64;
		break;
	default:
		return -ENODEV;
	}
	*base = (((u64)hi << 32) | lo) & ~((u64)*nr_buses * SZ_1M - 1);
	return 0;
}

static bool smartio_emul_bus_has_device(void __iomem *ecam, unsigned int bus)
{
	unsigned int dev;

	for (dev = 0; dev < 32; dev++)
		if (smartio_emul_read_raw(ecam, bus, PCI_DEVFN(dev, 0),
					  PCI_VENDOR_ID, 2) != 0xffff)
			return true;
	return false;
}

/*
 * The expander trees are the bus ranges ECAM decodes that do not hang below
 * bus 0: the ones the kernel did not enumerate, and the root buses of the
 * expanders it did (booted with ACPI). The Nth pxb-pcie (in bus/devfn
 * order) owns the Nth of them, which is how QEMU numbers expanders whose
 * bus_nr grow with their slot. @enumerated tells whether the kernel owns it.
 */
static int smartio_emul_find_tree(void __iomem *ecam, int domain,
				  unsigned int nr_buses, int index, u8 *start,
				  u8 *end, bool *enumerated)
{
	DECLARE_BITMAP(covered, SMARTIO_EMUL_NR_BUSES);
	unsigned int bus, last, devfn;
	struct pci_bus *known;
	int found = 0;

	bitmap_zero(covered, SMARTIO_EMUL_NR_BUSES);
	for (bus = 1; bus < nr_buses; bus++) {
		if (test_bit(bus, covered))
			continue;
		known = pci_find_bus(domain, bus);
		if (known ? !pci_is_root_bus(known) :
		    !smartio_emul_bus_has_device(ecam, bus))
			continue;

		last = bus;
		for (devfn = 0; devfn < 256; devfn++) {
			u32 hdr, sub;

			hdr = smartio_emul_read_raw(ecam, bus, devfn,
						    PCI_HEADER_TYPE, 1);
			if ((hdr & 0x7f) != PCI_HEADER_TYPE_BRIDGE)
				continue;
			sub = smartio_emul_read_raw(ecam, bus, devfn,
						    PCI_SUBORDINATE_BUS, 1);
			if (sub > last && sub < nr_buses)
				last = sub;
		}
		bitmap_set(covered, bus, last - bus + 1);
		if (found++ == index) {
			*start = bus;
			*end = last;
			*enumerated = !!known;
			return 0;
		}
	}
	return -ENODEV;
}

static int smartio_emul_index(struct pci_dev *pdev)
{
	struct pci_dev *other = NULL;
	int index = 0;

	while ((other = pci_get_device(PCI_VENDOR_ID_REDHAT,
				       SMARTIO_EMUL_PXB_DEVICE, other))) {
		if (pci_domain_nr(other->bus) != pci_domain_nr(pdev->bus))
			continue;
		if (other->bus->number < pdev->bus->number ||
		    (other->bus->number == pdev->bus->number &&
		     other->devfn < pdev->devfn))
			index++;
	}
	return index;
}

static void smartio_emul_add_window(struct smartio_adapter_info *info,
				    u64 start, u64 end, unsigned long flags)
{
	struct smartio_window *win;

	if (start >= end || info->nr_windows == SMARTIO_MAX_WINDOWS)
		return;
	win = &info->windows[info->nr_windows++];
	win->res.start = start;
	win->res.end = end;
	win->res.flags = flags;
	win->offset = 0;
}

/*
 * A root port's 32-bit memory BAR (QEMU's holds its MSI-X table), which
 * the firmware placed outside the port's windows: without it in the
 * aperture the PCI core cannot place the BAR, and the port has no MSI-X.
 * Sized as the PCI core does, decoding off, before anything uses the tree.
 */
static void smartio_emul_add_bar(void __iomem *ecam, unsigned int bus,
				 unsigned int devfn,
				 struct smartio_adapter_info *info)
{
	void __iomem *cmd = smartio_emul_addr(ecam, bus, devfn, PCI_COMMAND);
	unsigned int i;

	for (i = 0; i < 2; i++) {
		void __iomem *reg = smartio_emul_addr(ecam, bus, devfn,
						      PCI_BASE_ADDRESS_0 + 4 * i);
		u32 orig = readl(reg), mask;
		u16 command = readw(cmd);

		if (!(orig & PCI_BASE_ADDRESS_MEM_MASK) ||
		    (orig & (PCI_BASE_ADDRESS_SPACE_IO |
			     PCI_BASE_ADDRESS_MEM_TYPE_64)))
			continue;
		writew(command & ~PCI_COMMAND_MEMORY, cmd);
		writel(~0U, reg);
		mask = readl(reg) & PCI_BASE_ADDRESS_MEM_MASK;
		writel(orig, reg);
		writew(command, cmd);
		if (!mask)
			continue;
		smartio_emul_add_window(info, orig & PCI_BASE_ADDRESS_MEM_MASK,
					(orig & PCI_BASE_ADDRESS_MEM_MASK) +
					~mask, IORESOURCE_MEM);
	}
}

/* The aperture: the windows the firmware gave the root ports of the tree. */
static void smartio_emul_find_aperture(void __iomem *ecam, unsigned int bus,
				       struct smartio_adapter_info *info)
{
	unsigned int devfn;

	for (devfn = 0; devfn < 256; devfn++) {
		u32 hdr, base, limit, base_hi = 0, limit_hi = 0;
		unsigned long flags = IORESOURCE_MEM | IORESOURCE_PREFETCH;

		hdr = smartio_emul_read_raw(ecam, bus, devfn, PCI_HEADER_TYPE, 1);
		if ((hdr & 0x7f) != PCI_HEADER_TYPE_BRIDGE)
			continue;

		base = smartio_emul_read_raw(ecam, bus, devfn, PCI_MEMORY_BASE, 2);
		limit = smartio_emul_read_raw(ecam, bus, devfn, PCI_MEMORY_LIMIT, 2);
		smartio_emul_add_window(info, (u64)(base & 0xfff0) << 16,
					((u64)(limit & 0xfff0) << 16) | 0xfffff,
					IORESOURCE_MEM);

		base = smartio_emul_read_raw(ecam, bus, devfn,
					     PCI_PREF_MEMORY_BASE, 2);
		limit = smartio_emul_read_raw(ecam, bus, devfn,
					      PCI_PREF_MEMORY_LIMIT, 2);
		if ((base & PCI_PREF_RANGE_TYPE_MASK) == PCI_PREF_RANGE_TYPE_64) {
			base_hi = smartio_emul_read_raw(ecam, bus, devfn,
							PCI_PREF_BASE_UPPER32, 4);
			limit_hi = smartio_emul_read_raw(ecam, bus, devfn,
							 PCI_PREF_LIMIT_UPPER32, 4);
			flags |= IORESOURCE_MEM_64;
		}
		smartio_emul_add_window(info,
					((u64)base_hi << 32) | ((u64)(base & 0xfff0) << 16),
					((u64)limit_hi << 32) |
					((u64)(limit & 0xfff0) << 16) | 0xfffff,
					flags);
	}
	/* Where windows are left: the root ports' own BARs, after them. */
	for (devfn = 0; devfn < 256; devfn++)
		if ((smartio_emul_read_raw(ecam, bus, devfn, PCI_HEADER_TYPE,
					   1) & 0x7f) == PCI_HEADER_TYPE_BRIDGE)
			smartio_emul_add_bar(ecam, bus, devfn, info);
}

static int smartio_emul_probe(struct pci_dev *pdev,
			      const struct pci_device_id *id)
{
	struct smartio_adapter_info info = { .backend = "emul" };
	struct smartio_adapter *adapter;
	struct smartio_emul *emul;
	void __iomem *ecam;
	unsigned int nr_buses;
	bool enumerated;
	u64 base;
	int ret;

	/* Nothing to emulate where the expander's tree belongs to the OS. */
	if (pdev->subordinate) {
		pci_info(pdev, "expander has child buses, not an emulated adapter\n");
		return -ENODEV;
	}
	ret = smartio_emul_find_ecam(&base, &nr_buses);
	if (ret) {
		pci_err(pdev, "no q35 ECAM window found\n");
		return ret;
	}

	emul = devm_kzalloc(&pdev->dev, sizeof(*emul), GFP_KERNEL);
	if (!emul)
		return -ENOMEM;
	emul->pdev = pdev;
	raw_spin_lock_init(&emul->slot_lock);

	ecam = ioremap(base, (unsigned long)nr_buses * SZ_1M);
	if (!ecam)
		return -ENOMEM;
	ret = smartio_emul_find_tree(ecam, pci_domain_nr(pdev->bus), nr_buses,
				     smartio_emul_index(pdev), &emul->bus_start,
				     &emul->bus_end, &enumerated);
	if (ret) {
		pci_err(pdev, "no hidden PCI tree found behind this expander\n");
		goto unmap_all;
	}
	if (enumerated) {
		pci_info(pdev, "buses %02x-%02x already enumerated by the OS, not an emulated adapter\n",
			 emul->bus_start, emul->bus_end);
		ret = -ENODEV;
		goto unmap_all;
	}
	smartio_emul_find_aperture(ecam, emul->bus_start, &info);
	iounmap(ecam);

	emul->ecam = ioremap(base + ((u64)emul->bus_start << 20),
			     (unsigned long)(emul->bus_end - emul->bus_start + 1) *
			     SZ_1M);
	if (!emul->ecam)
		return -ENOMEM;

	info.bus_start = emul->bus_start;
	info.bus_end = emul->bus_end;
	if (adapter_id)
		info.dma_ids = SMARTIO_DMA_ADAPTER_ID;
	info.dma_limit = dma_limit;
	/* Fault injection: the adapter is bound with its link down. */
	emul->link_down = link_down_at_probe;
	adapter = smartio_adapter_register(&pdev->dev, &smartio_emul_ops,
					   &info, emul);
	if (IS_ERR(adapter)) {
		ret = PTR_ERR(adapter);
		goto unmap;
	}
	emul->adapter = adapter;
	pci_set_drvdata(pdev, emul);
	/* Fault injection: "echo 1 > link_down" cuts the emulated link. */
	debugfs_create_file("link_down", 0600, smartio_adapter_debugfs(adapter),
			    emul, &smartio_emul_link_down_fops);
	debugfs_create_file("power_cycle", 0200, smartio_adapter_debugfs(adapter),
			    emul, &smartio_emul_power_cycle_fops);
	/* Test only: an attention button press that leaves the card in. */
	debugfs_create_file("attention_button", 0200,
			    smartio_adapter_debugfs(adapter), emul,
			    &smartio_emul_button_fops);
	debugfs_create_file("link_flap", 0200, smartio_adapter_debugfs(adapter),
			    emul, &smartio_emul_link_flap_fops);
	return 0;

unmap_all:
	iounmap(ecam);
	return ret;
unmap:
	iounmap(emul->ecam);
	return ret;
}

static void smartio_emul_remove(struct pci_dev *pdev)
{
	struct smartio_emul *emul = pci_get_drvdata(pdev);

	smartio_adapter_unregister(emul->adapter);
	iounmap(emul->ecam);
}

/* No MODULE_DEVICE_TABLE: the module must not load by itself. */
static const struct pci_device_id smartio_emul_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT, SMARTIO_EMUL_PXB_DEVICE) },
	{ }
};

static struct pci_driver smartio_emul_driver = {
	.name = "smartio_emul",
	.id_table = smartio_emul_ids,
	.probe = smartio_emul_probe,
	.remove = smartio_emul_remove,
};

static int __init smartio_emul_init(void)
{
	int ret;

	ret = pci_register_driver(&smartio_emul_driver);
	if (ret)
		return ret;
	/* Adapters bound now have their host bridge when insmod returns. */
	smartio_adapters_settle();
	return 0;
}

static void __exit smartio_emul_exit(void)
{
	/* Nothing is borrowed: each borrowed device holds this module. */
	pci_unregister_driver(&smartio_emul_driver);
	/*
	 * The adapters are gone from sysfs when rmmod returns, so loading the
	 * module again names them as before (adapter0, ...).
	 */
	smartio_adapters_settle();
}

module_init(smartio_emul_init);
module_exit(smartio_emul_exit);

MODULE_DESCRIPTION("smartio emulated adapter: QEMU pxb-pcie as an NTB adapter (test and development backend)");
MODULE_AUTHOR("smartio kernel team");
MODULE_LICENSE("GPL");
MODULE_VERSION(SMARTIO_VERSION);

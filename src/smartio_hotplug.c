// SPDX-License-Identifier: GPL-2.0
/*
 * smartio hot-plug: smartio, not the OS, watches the chassis.
 *
 * pciehp does not bind below the synthetic host bridges, so the hot-plug
 * slots of the remote tree and the adapter's link are polled here, and a
 * slot whose port signals by MSI or MSI-X also kicks the watcher by
 * interrupt (smartio_slot_irq.c). A device that appears is scanned into the pool (and borrowed
 * with autoborrow_transparent); an attention button press returns the
 * devices behind the slot and powers it off (at once, or once
 * button_cancel_ms passed without a second press), and the slot stays off
 * until its button is pressed again or user space asks
 * (adapter<N>/slot_power_on); a device or a link that is gone has its
 * borrowed devices marked disconnected and removed; a slot whose card
 * stayed in through a presence or link change has its devices removed,
 * and borrowed again if the same card answers.
 */

#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kobject.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>

#include "smartio.h"

#define SMARTIO_MS_MAX		60000

/*
 * Strict: decimal digits without sign or leading zero, at most 60000, one
 * trailing newline allowed. The generic uint parser would take "+5" or
 * " 5". A module parameter's set() does not see the write's length, so a
 * NUL byte ends the value.
 */
static int smartio_parse_ms(const char *val, unsigned int *ms)
{
	size_t len = strlen(val), i;
	unsigned int v;

	if (len && val[len - 1] == '\n')
		len--;
	if (!len || len > 5 || (val[0] == '0' && len > 1))
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (val[i] < '0' || val[i] > '9')
			return -EINVAL;
	if (kstrtouint(val, 10, &v) || v > SMARTIO_MS_MAX)
		return -EINVAL;
	*ms = v;
	return 0;
}

static int smartio_poll_ms_set(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret;

	ret = smartio_parse_ms(val, &v);
	if (ret)
		return ret;
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	/* A watcher asleep for the old interval takes the new one now. */
	smartio_kick_watchers();
	return 0;
}

static const struct kernel_param_ops smartio_poll_ms_ops = {
	.set = smartio_poll_ms_set,
	.get = param_get_uint,
};

static unsigned int hotplug_poll_ms = 200;
module_param_cb(hotplug_poll_ms, &smartio_poll_ms_ops, &hotplug_poll_ms, 0644);
MODULE_PARM_DESC(hotplug_poll_ms,
		 "Interval in ms at which slots and links are checked for hot-plug events, 0-60000; 0 pauses watching (default: 200)");

static int smartio_cancel_ms_set(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret;

	ret = smartio_parse_ms(val, &v);
	if (ret)
		return ret;
	/* Applies to the next press; a window already open keeps its end. */
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops smartio_cancel_ms_ops = {
	.set = smartio_cancel_ms_set,
	.get = param_get_uint,
};

/* Off by default: an orderly removal (QEMU's device_del) must not wait. */
static unsigned int button_cancel_ms;
module_param_cb(button_cancel_ms, &smartio_cancel_ms_ops, &button_cancel_ms,
		0644);
MODULE_PARM_DESC(button_cancel_ms,
		 "Time in ms after an attention button press during which a second press cancels the power-off, 0-60000; 0 powers off at once (default: 0)");

/**
 * smartio_find_cap() - find a capability in remote config space
 * @adapter: the adapter
 * @bus: remote bus number
 * @devfn: remote device/function
 * @cap: PCI_CAP_ID_*
 *
 * Return: its offset, or 0 if the function does not have it.
 */
u8 smartio_find_cap(struct smartio_adapter *adapter, u8 bus, u8 devfn, u8 cap)
{
	u32 status, pos, id;
	int ttl = 48;

	status = smartio_scan_read(adapter, bus, devfn, PCI_STATUS, 2);
	if (status == 0xffff || !(status & PCI_STATUS_CAP_LIST))
		return 0;
	pos = smartio_scan_read(adapter, bus, devfn, PCI_CAPABILITY_LIST, 1);
	while (ttl-- && pos >= PCI_STD_HEADER_SIZEOF && pos < 0x100) {
		pos &= ~3;
		id = smartio_scan_read(adapter, bus, devfn, pos + PCI_CAP_LIST_ID, 1);
		if (id == cap)
			return pos;
		if (id == 0xff)
			break;
		pos = smartio_scan_read(adapter, bus, devfn,
					pos + PCI_CAP_LIST_NEXT, 1);
	}
	return 0;
}

static u32 smartio_slot_read(struct smartio_adapter *adapter,
			     struct smartio_slot *slot, int reg, int size)
{
	return smartio_scan_read(adapter, slot->bus, slot->devfn,
				 slot->exp + reg, size);
}

/* Slot Status (write 1 to clear); Slot Control is smartio_slot_command()'s. */
static void smartio_slot_write(struct smartio_adapter *adapter,
			       struct smartio_slot *slot, int reg, u32 val)
{
	smartio_scan_write(adapter, slot->bus, slot->devfn, slot->exp + reg, 2,
			   val);
}

static bool smartio_slot_has_power(struct smartio_adapter *adapter,
				   struct smartio_slot *slot)
{
	return smartio_slot_read(adapter, slot, PCI_EXP_SLTCAP, 4) &
		PCI_EXP_SLTCAP_PCP;
}

/* A slot without a power controller counts as powered while occupied. */
static bool smartio_slot_powered(struct smartio_adapter *adapter,
				 struct smartio_slot *slot)
{
	if (!smartio_slot_has_power(adapter, slot))
		return smartio_slot_read(adapter, slot, PCI_EXP_SLTSTA, 2) &
			PCI_EXP_SLTSTA_PDS;
	return !(smartio_slot_read(adapter, slot, PCI_EXP_SLTCTL, 2) &
		 PCI_EXP_SLTCTL_PCC);
}

/*
 * One write to Slot Control is one command (PCIe r6.0 sec 6.7.3.2), and a
 * controller that reports Command Completed may drop a command written
 * while the previous one is still running. Every Slot Control write goes
 * through here: it clears a completion left from before, writes, and waits
 * up to 1 s (as pciehp does) for this command to complete, so the next one
 * is never written too early. Ports with No Command Completed Support take
 * commands back to back. Reads back all-ones: the port is gone, no wait.
 */
void smartio_slot_command(struct smartio_adapter *adapter, u8 bus, u8 devfn,
			  u8 exp, u16 set, u16 clear)
{
	u32 cap, ctl, sta;
	int i;

	cap = smartio_scan_read(adapter, bus, devfn, exp + PCI_EXP_SLTCAP, 4);
	ctl = smartio_scan_read(adapter, bus, devfn, exp + PCI_EXP_SLTCTL, 2);
	if (cap == ~0U || ctl == ~0U)
		return;
	if (!(cap & PCI_EXP_SLTCAP_NCCS) &&
	    (smartio_scan_read(adapter, bus, devfn, exp + PCI_EXP_SLTSTA, 2) &
	     PCI_EXP_SLTSTA_CC))
		smartio_scan_write(adapter, bus, devfn, exp + PCI_EXP_SLTSTA, 2,
				   PCI_EXP_SLTSTA_CC);
	smartio_scan_write(adapter, bus, devfn, exp + PCI_EXP_SLTCTL, 2,
			   (ctl & ~clear) | set);
	if (cap & PCI_EXP_SLTCAP_NCCS)
		return;
	for (i = 0; i < 100; i++) {
		sta = smartio_scan_read(adapter, bus, devfn,
					exp + PCI_EXP_SLTSTA, 2);
		if (sta == ~0U)
			return;
		if (sta & PCI_EXP_SLTSTA_CC) {
			smartio_scan_write(adapter, bus, devfn,
					   exp + PCI_EXP_SLTSTA, 2,
					   PCI_EXP_SLTSTA_CC);
			return;
		}
		usleep_range(10000, 11000);
	}
	dev_warn(&adapter->dev, "slot %02x:%02x.%d: Slot Control command not completed within 1 s\n",
		 bus, PCI_SLOT(devfn), PCI_FUNC(devfn));
}

static void smartio_slot_power(struct smartio_adapter *adapter,
			       struct smartio_slot *slot, bool on)
{
	smartio_slot_command(adapter, slot->bus, slot->devfn, slot->exp,
			     on ? PCI_EXP_SLTCTL_PWR_IND_ON :
				  PCI_EXP_SLTCTL_PWR_OFF | PCI_EXP_SLTCTL_PWR_IND_OFF,
			     PCI_EXP_SLTCTL_PCC | PCI_EXP_SLTCTL_PIC);
}

/* Sets the power indicator alone: blinking while a power-off may be cancelled. */
static void smartio_slot_indicator(struct smartio_adapter *adapter,
				   struct smartio_slot *slot, u16 pic)
{
	smartio_slot_command(adapter, slot->bus, slot->devfn, slot->exp, pic,
			     PCI_EXP_SLTCTL_PIC);
}

/* Tells user space that a slot was powered off or on by request. */
static void smartio_slot_uevent(struct smartio_adapter *adapter,
				struct smartio_slot *slot, bool on)
{
	char addr[32], power[32];
	char *envp[3];

	snprintf(addr, sizeof(addr), "SMARTIO_SLOT=%02x:%02x.%d", slot->bus,
		 PCI_SLOT(slot->devfn), PCI_FUNC(slot->devfn));
	snprintf(power, sizeof(power), "SMARTIO_SLOT_POWER=%s",
		 on ? "on" : "off");
	envp[0] = addr;
	envp[1] = power;
	envp[2] = NULL;
	kobject_uevent_env(&adapter->dev.kobj, KOBJ_CHANGE, envp);
}

/*
 * A slot that holds a device but is powered off (after a hot-add no OS
 * driver handled) is powered on, so the device behind it answers. Returns
 * whether it did.
 */
static bool smartio_slot_power_on(struct smartio_adapter *adapter,
				  struct smartio_slot *slot)
{
	u32 sta, ctl, lnksta;
	int i;

	if (!smartio_slot_has_power(adapter, slot))
		return false;
	sta = smartio_slot_read(adapter, slot, PCI_EXP_SLTSTA, 2);
	ctl = smartio_slot_read(adapter, slot, PCI_EXP_SLTCTL, 2);
	if (!(sta & PCI_EXP_SLTSTA_PDS) || !(ctl & PCI_EXP_SLTCTL_PCC))
		return false;

	/*
	 * A hot-add presses the attention button too; powering on answers
	 * it, so it must not be taken later as a request to power off.
	 */
	smartio_slot_write(adapter, slot, PCI_EXP_SLTSTA, PCI_EXP_SLTSTA_ABP);
	smartio_slot_power(adapter, slot, true);
	dev_info(&adapter->dev, "powered on slot below %02x:%02x.%d\n",
		 slot->bus, PCI_SLOT(slot->devfn), PCI_FUNC(slot->devfn));

	/* PCIe r6.0 sec 6.6.1: wait for the link, then 100 ms. */
	for (i = 0; i < 100; i++) {
		lnksta = smartio_slot_read(adapter, slot, PCI_EXP_LNKSTA, 2);
		if (lnksta & PCI_EXP_LNKSTA_DLLLA)
			break;
		usleep_range(10000, 11000);
	}
	msleep(100);
	/* The link change is this power-on's, not one of the card found now. */
	smartio_slot_write(adapter, slot, PCI_EXP_SLTSTA,
			   PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_DLLSC);
	return true;
}

/**
 * smartio_slots_walk_start() - a walk of the remote tree begins
 * @adapter: the adapter
 *
 * The slots the walk finds again keep their state; see
 * smartio_slots_walk_end(). Called under smartio_lock.
 */
void smartio_slots_walk_start(struct smartio_adapter *adapter)
{
	unsigned int i;

	lockdep_assert_held(&smartio_lock);
	for (i = 0; i < adapter->nr_slots; i++)
		adapter->slots[i].seen = false;
}

/**
 * smartio_slots_walk_end() - a walk of the remote tree is done
 * @adapter: the adapter
 *
 * Forgets the slots the walk did not find. Called under smartio_lock.
 */
void smartio_slots_walk_end(struct smartio_adapter *adapter)
{
	unsigned int i, n = 0;

	lockdep_assert_held(&smartio_lock);
	for (i = 0; i < adapter->nr_slots; i++)
		if (adapter->slots[i].seen)
			adapter->slots[n++] = adapter->slots[i];
	adapter->nr_slots = n;
}

static struct smartio_slot *smartio_slot_find(struct smartio_adapter *adapter,
					      u8 bus, u8 devfn)
{
	unsigned int i;

	for (i = 0; i < adapter->nr_slots; i++)
		if (adapter->slots[i].bus == bus &&
		    adapter->slots[i].devfn == devfn)
			return &adapter->slots[i];
	return NULL;
}

/**
 * smartio_slot_found() - note a bridge met while walking the remote tree
 * @adapter: the adapter
 * @bus: the bridge's bus
 * @devfn: the bridge's device/function
 * @powered: set if this powered the slot on
 *
 * Records it if it is a hot-plug slot, and powers the slot on if it holds
 * a device, unless its attention button powered it off. Called under
 * smartio_lock, between smartio_slots_walk_start() and
 * smartio_slots_walk_end().
 *
 * Return: false if the walk must not go below it (a held slot).
 */
bool smartio_slot_found(struct smartio_adapter *adapter, u8 bus, u8 devfn,
			bool *powered)
{
	struct smartio_slot *slot;
	u32 flags, sltcap;
	u8 exp;

	lockdep_assert_held(&smartio_lock);
	exp = smartio_find_cap(adapter, bus, devfn, PCI_CAP_ID_EXP);
	if (!exp)
		return true;
	flags = smartio_scan_read(adapter, bus, devfn, exp + PCI_EXP_FLAGS, 2);
	if (!(flags & PCI_EXP_FLAGS_SLOT))
		return true;
	sltcap = smartio_scan_read(adapter, bus, devfn, exp + PCI_EXP_SLTCAP, 4);
	if (!(sltcap & PCI_EXP_SLTCAP_HPC))
		return true;

	slot = smartio_slot_find(adapter, bus, devfn);
	if (!slot) {
		if (adapter->nr_slots == SMARTIO_MAX_SLOTS)
			return true;
		slot = &adapter->slots[adapter->nr_slots++];
		memset(slot, 0, sizeof(*slot));
		slot->bus = bus;
		slot->devfn = devfn;
		slot->exp = exp;
		/*
		 * Changes latched before this walk found the slot are not of
		 * the devices it finds now; a button press still counts.
		 */
		smartio_slot_write(adapter, slot, PCI_EXP_SLTSTA,
				   PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_DLLSC);
	}
	slot->seen = true;
	slot->exp = exp;
	slot->sec = smartio_scan_read(adapter, bus, devfn, PCI_SECONDARY_BUS, 1);
	slot->sub = smartio_scan_read(adapter, bus, devfn, PCI_SUBORDINATE_BUS, 1);
	/* A card put into an empty slot is a new insertion, as with pciehp. */
	if (!(smartio_slot_read(adapter, slot, PCI_EXP_SLTSTA, 2) &
	      PCI_EXP_SLTSTA_PDS))
		slot->held = false;
	if (slot->held)
		return false;
	*powered = smartio_slot_power_on(adapter, slot) || slot->powered;
	slot->powered = false;
	return true;
}

/**
 * smartio_slots_power_on() - power on the known slots a card waits in
 * @adapter: the adapter
 *
 * Before a scan takes the rescan lock: powering a slot on waits for its
 * link, up to 1.1 s, which the host's own pciehp and rescans must not wait
 * for. The walk then finds these slots on, their devices fresh from
 * power-on reset; it still powers on a slot it meets for the first time.
 * Called under smartio_scan_mutex alone, which keeps the slots and the
 * host bridge as they are (every walk and slot change holds it), so that
 * smartio_lock is not held across the wait either.
 */
void smartio_slots_power_on(struct smartio_adapter *adapter)
{
	unsigned int i;

	lockdep_assert_held(&smartio_scan_mutex);
	if (READ_ONCE(adapter->dead) || !adapter->host ||
	    !smartio_link_up(adapter))
		return;
	for (i = 0; i < adapter->nr_slots; i++) {
		struct smartio_slot *slot = &adapter->slots[i];

		if (!slot->held && !slot->pending &&
		    smartio_slot_power_on(adapter, slot))
			slot->powered = true;
	}
}

/* How smartio_release() treats the borrowed devices it takes out. */
enum smartio_release_how {
	SMARTIO_ORDERLY,	/* they still answer: their drivers stop them */
	SMARTIO_GONE,		/* pulled out: they no longer answer */
	SMARTIO_AGAIN,		/* reset, or replaced: borrowed again if the same */
};

static bool smartio_slot_has(struct smartio_slot *slot,
			     struct smartio_fdev *fdev)
{
	return fdev->bus >= slot->sec && fdev->bus <= slot->sub;
}

/**
 * smartio_slots_add_bridges() - enumerate bridges that arrived in slots
 * @adapter: the adapter, its tree just walked
 *
 * For a walk that met a bridge the PCI core does not have: a card with a
 * bridge (a switch) put into a slot has no bus numbers yet, so the walk
 * stopped at it; the PCI core numbers it from the slot's range (see
 * smartio_host_slot_add()). Held slots, and slots whose power-off is
 * pending, are left alone. Called under the rescan lock and smartio_lock.
 *
 * Return: true if a bridge was added and the tree must be walked again.
 */
bool smartio_slots_add_bridges(struct smartio_adapter *adapter)
{
	bool added = false;
	unsigned int i;

	lockdep_assert_held(&smartio_lock);
	for (i = 0; i < adapter->nr_slots; i++) {
		struct smartio_slot *slot = &adapter->slots[i];

		if (slot->held || slot->pending)
			continue;
		added |= smartio_host_slot_add(adapter, slot->bus, slot->devfn);
	}
	return added;
}

/* Takes the devices behind @slot (all of them with a NULL slot) out. */
static void smartio_release(struct smartio_adapter *adapter,
			    struct smartio_slot *slot,
			    enum smartio_release_how how,
			    struct list_head *dead)
{
	struct smartio_fdev *fdev, *tmp;

	list_for_each_entry_safe(fdev, tmp, &adapter->fdevs, node) {
		if (slot && !smartio_slot_has(slot, fdev))
			continue;
		if (how == SMARTIO_AGAIN)
			smartio_detach_again(fdev);
		else
			smartio_detach(fdev, how == SMARTIO_GONE);
		smartio_fdev_drop(fdev, dead);
	}
	/* The bridges that came with the card go with it. */
	if (slot)
		smartio_host_slot_remove(adapter, slot->bus, slot->devfn);
}

static bool smartio_slot_busy(struct smartio_adapter *adapter,
			      struct smartio_slot *slot)
{
	struct smartio_fdev *fdev;

	list_for_each_entry(fdev, &adapter->fdevs, node)
		if (smartio_slot_has(slot, fdev))
			return true;
	return false;
}

/* Returns the devices behind a slot and powers it off, at a button's request. */
static void smartio_slot_off(struct smartio_adapter *adapter,
			     struct smartio_slot *slot, struct list_head *dead)
{
	dev_info(&adapter->dev,
		 "attention button of slot below %02x:%02x.%d: removing\n",
		 slot->bus, PCI_SLOT(slot->devfn), PCI_FUNC(slot->devfn));
	slot->pending = false;
	smartio_release(adapter, slot, SMARTIO_ORDERLY, dead);
	smartio_again_forget(adapter, slot->sec, slot->sub);
	if (smartio_slot_has_power(adapter, slot))
		smartio_slot_power(adapter, slot, false);
	/*
	 * The power-off latches a link change, and the card may stay in:
	 * without this, the rescan that follows would power it on again.
	 * Walks do not go below a held slot, so this holds for a slot
	 * without a power controller too.
	 */
	slot->held = true;
	smartio_slot_uevent(adapter, slot, false);
}

/* The button of a powered slot: power off now, or after the cancel window. */
static void smartio_slot_button(struct smartio_adapter *adapter,
				struct smartio_slot *slot,
				struct list_head *dead)
{
	unsigned int ms = READ_ONCE(button_cancel_ms);

	if (slot->pending) {
		slot->pending = false;
		smartio_slot_indicator(adapter, slot, PCI_EXP_SLTCTL_PWR_IND_ON);
		dev_info(&adapter->dev,
			 "attention button of slot below %02x:%02x.%d: removal cancelled\n",
			 slot->bus, PCI_SLOT(slot->devfn), PCI_FUNC(slot->devfn));
		return;
	}
	if (!ms) {
		smartio_slot_off(adapter, slot, dead);
		return;
	}
	slot->pending = true;
	slot->deadline = jiffies + msecs_to_jiffies(ms);
	smartio_slot_indicator(adapter, slot, PCI_EXP_SLTCTL_PWR_IND_BLINK);
	dev_info(&adapter->dev,
		 "attention button of slot below %02x:%02x.%d: removing in %u ms unless pressed again\n",
		 slot->bus, PCI_SLOT(slot->devfn), PCI_FUNC(slot->devfn), ms);
}

/* Handles the events latched in a slot; true if a scan should follow. */
static bool smartio_slot_event(struct smartio_adapter *adapter,
			       struct smartio_slot *slot, struct list_head *dead)
{
	bool changed = false;
	u32 sta, events;

	sta = smartio_slot_read(adapter, slot, PCI_EXP_SLTSTA, 2);
	if (sta == 0xffff)
		return false;
	events = sta & (PCI_EXP_SLTSTA_ABP | PCI_EXP_SLTSTA_PDC |
			PCI_EXP_SLTSTA_DLLSC);
	if (events)
		smartio_slot_write(adapter, slot, PCI_EXP_SLTSTA, events);

	if (!(sta & PCI_EXP_SLTSTA_PDS)) {
		/* Pulled: a card put in later is a new insertion. */
		slot->held = false;
		slot->pending = false;
		smartio_again_forget(adapter, slot->sec, slot->sub);
	} else if ((events & (PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_DLLSC)) &&
		   smartio_slot_busy(adapter, slot)) {
		/*
		 * A card is in, but its presence or link changed since the
		 * walk that found its devices: it was swapped, or reset by
		 * a link flap. Either way no driver may keep talking to it.
		 */
		dev_warn(&adapter->dev,
			 "%s of slot below %02x:%02x.%d with a card in: removing its devices\n",
			 events & PCI_EXP_SLTSTA_PDC ? "presence change" :
						       "link change",
			 slot->bus, PCI_SLOT(slot->devfn),
			 PCI_FUNC(slot->devfn));
		smartio_release(adapter, slot, SMARTIO_AGAIN, dead);
		changed = true;
	}

	/*
	 * The attention button toggles the slot, as with pciehp: it asks to
	 * power off a powered slot (an orderly removal: QEMU's device_del)
	 * and to power on one that is off (QEMU presses it on device_add
	 * too); the walk of the rescan powers on an occupied slot.
	 */
	if (events & PCI_EXP_SLTSTA_ABP) {
		if (slot->held) {
			slot->held = false;
			smartio_slot_uevent(adapter, slot, true);
			return true;
		}
		if (slot->pending || smartio_slot_powered(adapter, slot)) {
			smartio_slot_button(adapter, slot, dead);
			return changed;
		}
		return true;
	}
	if (slot->pending && time_after_eq(jiffies, slot->deadline)) {
		smartio_slot_off(adapter, slot, dead);
		return changed;
	}
	if (!events)
		return false;
	if (!(sta & PCI_EXP_SLTSTA_PDS)) {
		smartio_release(adapter, slot, SMARTIO_GONE, dead);
		return false;
	}
	return true;
}

/*
 * The button of the adapter's own slot, pressed since the last look: the
 * presses toggle the slot, an even number of them leaves it as it is.
 * Called under the rescan lock and smartio_lock.
 */
static void smartio_adapter_buttons(struct smartio_adapter *adapter,
				    struct list_head *dead)
{
	bool off = adapter->link_off;

	if (!(atomic_xchg(&adapter->buttons, 0) & 1) || !adapter->ops->power)
		return;
	if (off) {
		dev_info(&adapter->dev,
			 "attention button of the adapter's slot: powering on\n");
		adapter->ops->power(adapter, true);
		WRITE_ONCE(adapter->link_off, false);
		return;
	}
	dev_info(&adapter->dev,
		 "attention button of the adapter's slot: removing its devices, powering off\n");
	smartio_release(adapter, NULL, SMARTIO_ORDERLY, dead);
	adapter->ops->power(adapter, false);
	WRITE_ONCE(adapter->link_off, true);
	/* Taken down on purpose: nothing is left to remove, no warning. */
	adapter->link_was_up = false;
}

/* How long the watcher may sleep: a pending power-off must not be late. */
static unsigned long smartio_watch_delay(struct smartio_adapter *adapter,
					 unsigned int interval, bool up)
{
	unsigned long delay = msecs_to_jiffies(interval);
	unsigned int i;

	/* With the link down no slot is handled, so none is waited for. */
	for (i = 0; up && i < adapter->nr_slots; i++) {
		struct smartio_slot *slot = &adapter->slots[i];

		if (!slot->pending)
			continue;
		if (time_after_eq(jiffies, slot->deadline))
			return 0;
		delay = min(delay, slot->deadline - jiffies);
	}
	return delay;
}

/**
 * smartio_slot_release_hold() - power on a slot its attention button turned off
 * @adapter: the adapter
 * @bus: bus of the slot's port
 * @devfn: device/function of the slot's port
 *
 * Lets the next walk power the slot on. Called under smartio_lock.
 *
 * Return: 1 if the slot was held off (a scan should follow), 0 if it was
 * not, -ENODEV if the last walk found no such hot-plug slot.
 */
int smartio_slot_release_hold(struct smartio_adapter *adapter, u8 bus,
			      u8 devfn)
{
	struct smartio_slot *slot;

	lockdep_assert_held(&smartio_lock);
	slot = smartio_slot_find(adapter, bus, devfn);
	if (!slot)
		return -ENODEV;
	if (!slot->held)
		return 0;
	slot->held = false;
	dev_info(&adapter->dev, "slot below %02x:%02x.%d: powering on by request\n",
		 bus, PCI_SLOT(devfn), PCI_FUNC(devfn));
	smartio_slot_uevent(adapter, slot, true);
	return 1;
}

/**
 * smartio_slots_show() - the hot-plug slots of an adapter, for sysfs
 * @adapter: the adapter
 * @buf: a sysfs page
 *
 * One line per slot the last walk found: its port and "on", "off",
 * "held" (off by its button, until powered on again) or "pending" (its
 * button was pressed, the cancel window is open). Called under smartio_lock.
 *
 * Return: the length written.
 */
int smartio_slots_show(struct smartio_adapter *adapter, char *buf)
{
	unsigned int i;
	int len = 0;

	lockdep_assert_held(&smartio_lock);
	for (i = 0; i < adapter->nr_slots; i++) {
		struct smartio_slot *slot = &adapter->slots[i];
		const char *state;

		if (slot->held)
			state = "held";
		else if (slot->pending)
			state = "pending";
		else if (smartio_slot_powered(adapter, slot))
			state = "on";
		else
			state = "off";
		len += sysfs_emit_at(buf, len, "%02x:%02x.%d %s\n", slot->bus,
				     PCI_SLOT(slot->devfn),
				     PCI_FUNC(slot->devfn), state);
	}
	return len;
}

/*
 * Whether a poll finds nothing to do: the link as it was, with no event
 * since, and no slot with a latched event, a pending power-off or state to
 * forget. Reads only; called under smartio_lock.
 */
static bool smartio_watch_idle(struct smartio_adapter *adapter)
{
	unsigned int i;
	bool up;
	u32 sta;

	if (atomic_read(&adapter->link_events) != adapter->link_events_seen ||
	    atomic_read(&adapter->buttons))
		return false;
	up = smartio_link_up(adapter);
	if (up != adapter->link_was_up)
		return false;
	for (i = 0; up && i < adapter->nr_slots; i++) {
		struct smartio_slot *slot = &adapter->slots[i];

		if (slot->pending)
			return false;
		sta = smartio_slot_read(adapter, slot, PCI_EXP_SLTSTA, 2);
		if (sta == 0xffff)
			continue;
		if (sta & (PCI_EXP_SLTSTA_ABP | PCI_EXP_SLTSTA_PDC |
			   PCI_EXP_SLTSTA_DLLSC))
			return false;
		if (!(sta & PCI_EXP_SLTSTA_PDS) && (slot->held || adapter->nr_again))
			return false;
	}
	return true;
}

static void smartio_watch(struct work_struct *work)
{
	struct smartio_adapter *adapter =
		container_of(to_delayed_work(work), struct smartio_adapter, watch);
	unsigned int i, events, interval = READ_ONCE(hotplug_poll_ms);
	bool up, flapped, rescan = false;
	unsigned long delay;
	LIST_HEAD(dead);

	/* Paused: look again in a second whether watching was turned back on. */
	if (!interval) {
		queue_delayed_work(smartio_wq, &adapter->watch, HZ);
		return;
	}

	mutex_lock(&smartio_scan_mutex);
	/*
	 * Most polls find nothing: they look under smartio_lock alone, so that
	 * polling never holds up the PCI core's rescans or pciehp of the host.
	 * The rescan lock, taken before smartio_lock, is only for acting.
	 */
	mutex_lock(&smartio_lock);
	if (!adapter->dead && smartio_watch_idle(adapter)) {
		delay = smartio_watch_delay(adapter, interval,
					    adapter->link_was_up);
		mutex_unlock(&smartio_lock);
		mutex_unlock(&smartio_scan_mutex);
		queue_delayed_work(smartio_wq, &adapter->watch, delay);
		return;
	}
	mutex_unlock(&smartio_lock);

	pci_lock_rescan_remove();
	mutex_lock(&smartio_lock);
	if (adapter->dead) {
		/* The teardown cancels this work; do not come back. */
		mutex_unlock(&smartio_lock);
		pci_unlock_rescan_remove();
		mutex_unlock(&smartio_scan_mutex);
		return;
	}
	smartio_adapter_buttons(adapter, &dead);
	/*
	 * A link that went down, even too briefly for a poll to see it, may
	 * have lost config writes and transactions of the borrowed devices
	 * (a masked MSI-X vector, a half-done reset): their drivers would
	 * talk to a device in a state they did not leave it in.
	 */
	events = atomic_read(&adapter->link_events);
	flapped = events != adapter->link_events_seen;
	adapter->link_events_seen = events;
	up = smartio_link_up(adapter);
	if (adapter->link_was_up && (!up || flapped)) {
		dev_warn(&adapter->dev, "link %s: removing its devices\n",
			 up ? "went down and up" : "down");
		smartio_release(adapter, NULL, SMARTIO_AGAIN, &dead);
	}
	if (up && (!adapter->link_was_up || flapped)) {
		dev_info(&adapter->dev, "link up\n");
		rescan = true;
	}
	adapter->link_was_up = up;
	for (i = 0; up && i < adapter->nr_slots; i++)
		rescan |= smartio_slot_event(adapter, &adapter->slots[i], &dead);
	delay = smartio_watch_delay(adapter, interval, up);
	mutex_unlock(&smartio_lock);
	pci_unlock_rescan_remove();
	/* Dropped devices leave sysfs before a scan may re-add their fdid. */
	smartio_fdevs_unregister(&dead);

	if (rescan) {
		smartio_rescan_adapter(adapter, &dead);
		smartio_fdevs_unregister(&dead);
	}
	mutex_unlock(&smartio_scan_mutex);

	queue_delayed_work(smartio_wq, &adapter->watch, delay);
}

/**
 * smartio_watch_init() - prepare an adapter's watcher
 * @adapter: a new adapter
 */
void smartio_watch_init(struct smartio_adapter *adapter)
{
	INIT_DELAYED_WORK(&adapter->watch, smartio_watch);
}

/**
 * smartio_watch_start() - start watching an adapter's slots and link
 * @adapter: an adapter with its host bridge
 *
 * Called under smartio_lock. The teardown of the adapter cancels it.
 */
void smartio_watch_start(struct smartio_adapter *adapter)
{
	lockdep_assert_held(&smartio_lock);
	WRITE_ONCE(adapter->watching, true);
	queue_delayed_work(smartio_wq, &adapter->watch, 0);
}

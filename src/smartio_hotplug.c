// SPDX-License-Identifier: GPL-2.0
/*
 * smartio hot-plug: smartio, not the OS, watches the chassis.
 *
 * pciehp does not bind below the synthetic host bridges, so the hot-plug
 * slots of the remote tree and the adapter's link are polled here. A device
 * that appears is scanned into the pool (and borrowed with
 * autoborrow_transparent); an attention button press returns the devices
 * behind the slot and powers it off at once; a device or a link that is
 * gone has its borrowed devices marked disconnected and removed.
 */

#include <linux/delay.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/workqueue.h>

#include "smartio.h"

#define SMARTIO_POLL_MS_MAX	60000

/*
 * Strict: decimal digits without sign or leading zero, at most 60000, one
 * trailing newline allowed. The generic uint parser would take "+5" or
 * " 5". A module parameter's set() does not see the write's length, so a
 * NUL byte ends the value.
 */
static int smartio_poll_ms_set(const char *val, const struct kernel_param *kp)
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
	if (kstrtouint(val, 10, &v) || v > SMARTIO_POLL_MS_MAX)
		return -EINVAL;
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

static void smartio_slot_power(struct smartio_adapter *adapter,
			       struct smartio_slot *slot, bool on)
{
	u32 ctl = smartio_slot_read(adapter, slot, PCI_EXP_SLTCTL, 2);

	ctl &= ~(PCI_EXP_SLTCTL_PCC | PCI_EXP_SLTCTL_PIC);
	ctl |= on ? PCI_EXP_SLTCTL_PWR_IND_ON :
		    PCI_EXP_SLTCTL_PWR_OFF | PCI_EXP_SLTCTL_PWR_IND_OFF;
	smartio_slot_write(adapter, slot, PCI_EXP_SLTCTL, ctl);
}

/*
 * A slot that holds a device but is powered off (after a hot-add no OS
 * driver handled) is powered on, so the device behind it answers.
 */
static void smartio_slot_power_on(struct smartio_adapter *adapter,
				  struct smartio_slot *slot)
{
	u32 sta, ctl, lnksta;
	int i;

	if (!smartio_slot_has_power(adapter, slot))
		return;
	sta = smartio_slot_read(adapter, slot, PCI_EXP_SLTSTA, 2);
	ctl = smartio_slot_read(adapter, slot, PCI_EXP_SLTCTL, 2);
	if (!(sta & PCI_EXP_SLTSTA_PDS) || !(ctl & PCI_EXP_SLTCTL_PCC))
		return;

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
}

/**
 * smartio_slot_found() - note a bridge met while walking the remote tree
 * @adapter: the adapter
 * @bus: the bridge's bus
 * @devfn: the bridge's device/function
 *
 * Records it if it is a hot-plug slot, and powers the slot on if it holds
 * a device. Called under smartio_lock.
 */
void smartio_slot_found(struct smartio_adapter *adapter, u8 bus, u8 devfn)
{
	struct smartio_slot *slot;
	u32 flags, sltcap;
	u8 exp;

	lockdep_assert_held(&smartio_lock);
	exp = smartio_find_cap(adapter, bus, devfn, PCI_CAP_ID_EXP);
	if (!exp)
		return;
	flags = smartio_scan_read(adapter, bus, devfn, exp + PCI_EXP_FLAGS, 2);
	if (!(flags & PCI_EXP_FLAGS_SLOT))
		return;
	sltcap = smartio_scan_read(adapter, bus, devfn, exp + PCI_EXP_SLTCAP, 4);
	if (!(sltcap & PCI_EXP_SLTCAP_HPC) ||
	    adapter->nr_slots == SMARTIO_MAX_SLOTS)
		return;

	slot = &adapter->slots[adapter->nr_slots++];
	slot->bus = bus;
	slot->devfn = devfn;
	slot->exp = exp;
	slot->sec = smartio_scan_read(adapter, bus, devfn, PCI_SECONDARY_BUS, 1);
	slot->sub = smartio_scan_read(adapter, bus, devfn, PCI_SUBORDINATE_BUS, 1);
	smartio_slot_power_on(adapter, slot);
}

/* Takes the devices behind @slot (all of them with a NULL slot) out. */
static void smartio_release(struct smartio_adapter *adapter,
			    struct smartio_slot *slot, bool gone,
			    struct list_head *dead)
{
	struct smartio_fdev *fdev, *tmp;

	list_for_each_entry_safe(fdev, tmp, &adapter->fdevs, node) {
		if (slot && (fdev->bus < slot->sec || fdev->bus > slot->sub))
			continue;
		smartio_detach(fdev, gone);
		smartio_fdev_drop(fdev, dead);
	}
}

/* Handles the events latched in a slot; true if a scan should follow. */
static bool smartio_slot_event(struct smartio_adapter *adapter,
			       struct smartio_slot *slot, struct list_head *dead)
{
	u32 sta, events;

	sta = smartio_slot_read(adapter, slot, PCI_EXP_SLTSTA, 2);
	if (sta == 0xffff)
		return false;
	events = sta & (PCI_EXP_SLTSTA_ABP | PCI_EXP_SLTSTA_PDC |
			PCI_EXP_SLTSTA_DLLSC);
	if (!events)
		return false;
	smartio_slot_write(adapter, slot, PCI_EXP_SLTSTA, events);

	/*
	 * The attention button toggles the slot, as with pciehp: it asks to
	 * power off a powered slot (an orderly removal: QEMU's device_del)
	 * and to power on one that is off (QEMU presses it on device_add
	 * too); the walk of the rescan powers on an occupied slot.
	 */
	if ((events & PCI_EXP_SLTSTA_ABP) && smartio_slot_powered(adapter, slot)) {
		dev_info(&adapter->dev,
			 "attention button of slot below %02x:%02x.%d: removing\n",
			 slot->bus, PCI_SLOT(slot->devfn), PCI_FUNC(slot->devfn));
		smartio_release(adapter, slot, false, dead);
		if (smartio_slot_has_power(adapter, slot))
			smartio_slot_power(adapter, slot, false);
		return false;
	}
	if (!(sta & PCI_EXP_SLTSTA_PDS)) {
		smartio_release(adapter, slot, true, dead);
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
	LIST_HEAD(dead);

	/* Paused: look again in a second whether watching was turned back on. */
	if (!interval) {
		queue_delayed_work(smartio_wq, &adapter->watch, HZ);
		return;
	}

	mutex_lock(&smartio_scan_mutex);
	pci_lock_rescan_remove();
	mutex_lock(&smartio_lock);
	if (adapter->dead) {
		/* The teardown cancels this work; do not come back. */
		mutex_unlock(&smartio_lock);
		pci_unlock_rescan_remove();
		mutex_unlock(&smartio_scan_mutex);
		return;
	}
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
		smartio_release(adapter, NULL, true, &dead);
	}
	if (up && (!adapter->link_was_up || flapped)) {
		dev_info(&adapter->dev, "link up\n");
		rescan = true;
	}
	adapter->link_was_up = up;
	for (i = 0; up && i < adapter->nr_slots; i++)
		rescan |= smartio_slot_event(adapter, &adapter->slots[i], &dead);
	mutex_unlock(&smartio_lock);
	pci_unlock_rescan_remove();
	/* Dropped devices leave sysfs before a scan may re-add their fdid. */
	smartio_fdevs_unregister(&dead);

	if (rescan) {
		pci_lock_rescan_remove();
		mutex_lock(&smartio_lock);
		smartio_scan_adapter(adapter, &dead, true);
		mutex_unlock(&smartio_lock);
		pci_unlock_rescan_remove();
		smartio_fdevs_unregister(&dead);
	}
	mutex_unlock(&smartio_scan_mutex);

	queue_delayed_work(smartio_wq, &adapter->watch,
			   msecs_to_jiffies(interval));
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

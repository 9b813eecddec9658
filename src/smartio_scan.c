// SPDX-License-Identifier: GPL-2.0
/*
 * smartio scan: walks an adapter's remote tree through the backend's
 * config access and updates the pool.
 */

#include <linux/device.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string_helpers.h>
#include <linux/sysfs.h>

#include "smartio.h"

/* Depth of switch levels a scan follows; PCIe allows far fewer in practice. */
#define SMARTIO_MAX_DEPTH	16

/* Scan */

/*
 * Puts an endpoint the walk found in the pool (@cold: fresh from a power-on
 * reset, see smartio_scan_bus()), or marks it seen again. A VF of a
 * borrowed PF is no pool device: it belongs to its PF, comes and goes with
 * the PF's sriov_numvfs, and leaves with it.
 */
static void smartio_scan_endpoint(struct smartio_adapter *adapter, u8 bus,
				  u8 devfn, u32 id, bool cold)
{
	struct smartio_fdev *fdev;

	fdev = smartio_fdev_find(adapter, smartio_fdid(adapter->id, bus, devfn));
	if (!fdev) {
		if (smartio_host_is_vf(adapter, bus, devfn))
			return;
		fdev = smartio_fdev_add(adapter, bus, devfn, id);
		if (!IS_ERR(fdev))
			fdev->cold = cold;
	}
	if (IS_ERR(fdev))
		dev_warn(&adapter->dev, "cannot add %02x:%02x.%d: %ld\n", bus,
			 PCI_SLOT(devfn), PCI_FUNC(devfn), PTR_ERR(fdev));
	else
		fdev->seen = true;
}

static void smartio_scan_bus(struct smartio_adapter *adapter, u8 bus,
			     unsigned long *visited, int depth, bool pool,
			     bool cold, bool ari);

/*
 * An ARI device (Alternative Routing-ID Interpretation) below the bridge:
 * its functions are 0-255 of device 0, and only a port that forwards ARI
 * reaches those above 7. Turns forwarding on, as the PCI core does once
 * it scans function 0 (pci_configure_ari()), so that the pool sees every
 * function before any is borrowed.
 */
static bool smartio_scan_ari(struct smartio_adapter *adapter, u8 bus,
			     u8 devfn, u8 sec)
{
	u8 exp = smartio_find_cap(adapter, bus, devfn, PCI_CAP_ID_EXP);
	u32 ctl;

	if (!exp || !(smartio_scan_read(adapter, bus, devfn,
					exp + PCI_EXP_DEVCAP2, 4) &
		      PCI_EXP_DEVCAP2_ARI))
		return false;
	/* Nothing there reads all-ones, which ends the capability walk. */
	if (!smartio_find_ext_cap(adapter, sec, 0, PCI_EXT_CAP_ID_ARI))
		return false;
	ctl = smartio_scan_read(adapter, bus, devfn, exp + PCI_EXP_DEVCTL2, 2);
	if (!(ctl & PCI_EXP_DEVCTL2_ARI))
		smartio_scan_write(adapter, bus, devfn, exp + PCI_EXP_DEVCTL2,
				   2, ctl | PCI_EXP_DEVCTL2_ARI);
	return true;
}

/*
 * One function met by the walk: a bridge is walked below, an endpoint
 * added to the pool (with @pool). Returns its header type, or ~0 if
 * nothing answers there (or a device still initializing, found by the next
 * scan).
 */
static u32 smartio_scan_fn(struct smartio_adapter *adapter, u8 bus, u8 devfn,
			   unsigned long *visited, int depth, bool pool,
			   bool cold)
{
	u32 id, hdr;
	u8 sec;

	id = smartio_scan_read(adapter, bus, devfn, PCI_VENDOR_ID, 4);
	if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
		return ~0U;
	/*
	 * Configuration Request Retry Status seen through a port with CRS
	 * Software Visibility: a device still initializing.
	 */
	if ((id & 0xffff) == SMARTIO_CRS_VENDOR_ID)
		return ~0U;
	hdr = smartio_scan_read(adapter, bus, devfn, PCI_HEADER_TYPE, 1);

	if ((hdr & 0x7f) == PCI_HEADER_TYPE_BRIDGE) {
		bool powered = false, below;

		/* Nothing below a held slot joins the pool. */
		below = smartio_slot_found(adapter, bus, devfn, &powered);
		sec = smartio_scan_read(adapter, bus, devfn, PCI_SECONDARY_BUS,
					1);
		if (!smartio_host_knows(adapter, bus, devfn))
			adapter->new_bridge = true;
		if (below && sec > bus && sec <= adapter->info.bus_end)
			smartio_scan_bus(adapter, sec, visited, depth + 1, pool,
					 cold || powered,
					 smartio_scan_ari(adapter, bus, devfn,
							  sec));
	} else if (pool && (hdr & 0x7f) == PCI_HEADER_TYPE_NORMAL) {
		smartio_scan_endpoint(adapter, bus, devfn, id, cold);
	}
	return hdr;
}

/*
 * Walks the remote tree below @bus: records the hot-plug slots (powering on
 * occupied ones, not going below held ones) and, with @pool, adds the
 * endpoints to the pool; @cold: this walk powered the slot above @bus on,
 * so what it adds there is fresh from power-on reset; @ari: the port above
 * forwards ARI to the device on @bus, whose functions chain by their Next
 * Function Numbers.
 */
static void smartio_scan_bus(struct smartio_adapter *adapter, u8 bus,
			     unsigned long *visited, int depth, bool pool,
			     bool cold, bool ari)
{
	unsigned int dev, fn, next;
	int pos;

	if (depth > SMARTIO_MAX_DEPTH || test_and_set_bit(bus, visited))
		return;

	if (ari) {
		/* Numbers only go up, so the chain ends; 0 ends it too. */
		for (fn = 0; ; fn = next) {
			if (smartio_scan_fn(adapter, bus, fn, visited, depth,
					    pool, cold) == ~0U)
				break;
			pos = smartio_find_ext_cap(adapter, bus, fn,
						   PCI_EXT_CAP_ID_ARI);
			if (!pos)
				break;
			next = PCI_ARI_CAP_NFN(smartio_scan_read(adapter, bus,
								 fn,
								 pos + PCI_ARI_CAP,
								 2));
			if (next <= fn)
				break;
		}
		return;
	}
	for (dev = 0; dev < 32; dev++) {
		for (fn = 0; fn < 8; fn++) {
			u32 hdr = smartio_scan_fn(adapter, bus,
						  PCI_DEVFN(dev, fn), visited,
						  depth, pool, cold);

			if (hdr == ~0U) {
				if (fn == 0)
					break;
				continue;
			}
			if (fn == 0 && !(hdr & 0x80))
				break;
		}
	}
}

/* Drops the whole pool of a remote tree that was reset; returns how many. */
static unsigned int smartio_scan_reset(struct smartio_adapter *adapter,
				       struct list_head *dead)
{
	struct smartio_fdev *fdev, *tmp;
	unsigned int dropped = 0;

	if (!smartio_host_stale(adapter))
		return 0;
	/* Whatever is borrowed talks to a reset device: it goes. */
	dev_warn(&adapter->dev, "remote tree was reset (chassis power cycle?): enumerating it again\n");
	list_for_each_entry_safe(fdev, tmp, &adapter->fdevs, node) {
		smartio_detach_again(fdev);
		smartio_fdev_drop(fdev, dead);
		dropped++;
	}
	smartio_host_forget(adapter);
	/*
	 * The reset put every slot's power controller in its reset state,
	 * which powers an occupied slot: a slot its button held off is not
	 * off any more. The next walk finds each slot as new.
	 */
	adapter->nr_slots = 0;
	return dropped;
}

/*
 * Drop available devices that no longer answer with the ids they had, so a
 * slot whose device changed is re-added under the same name by the scan.
 */
static void smartio_scan_prune(struct smartio_adapter *adapter,
			       struct list_head *dead)
{
	struct smartio_fdev *fdev, *tmp;
	unsigned int n;
	u32 id;

	lockdep_assert_held(&smartio_lock);
	atomic64_set(&adapter->scan_config_reads, 0);
	/* A reset tree loses its whole pool, re-added by the scan after. */
	n = smartio_scan_reset(adapter, dead);
	if (n) {
		adapter->scan_pruned = n;
		return;
	}
	list_for_each_entry_safe(fdev, tmp, &adapter->fdevs, node) {
		if (fdev->pdev || fdev->resetting)
			continue;
		id = smartio_scan_read(adapter, fdev->bus, fdev->devfn,
				       PCI_VENDOR_ID, 4);
		/* A device retrying config requests (reset) is still there. */
		if ((id & 0xffff) == SMARTIO_CRS_VENDOR_ID)
			continue;
		if (id != ((u32)fdev->device << 16 | fdev->vendor)) {
			smartio_fdev_drop(fdev, dead);
			n++;
		}
	}
	adapter->scan_pruned = n;
}

/* Walks the remote tree; with @pool, also updates the pool. */
int smartio_walk(struct smartio_adapter *adapter, bool pool)
{
	unsigned long *visited;

	visited = bitmap_zalloc(SMARTIO_NR_BUSES, GFP_KERNEL);
	if (!visited)
		return -ENOMEM;
	smartio_slots_walk_start(adapter);
	adapter->new_bridge = false;
	smartio_scan_bus(adapter, adapter->info.bus_start, visited, 0, pool,
			 false, false);
	smartio_slots_walk_end(adapter);
	bitmap_free(visited);
	return 0;
}

/**
 * smartio_scan_adapter() - scan one adapter into the pool
 * @adapter: the adapter
 * @dead: where devices dropped from the pool go, to be unregistered by the
 *	caller once smartio_lock is released
 * @only_new: autoborrow only the devices this scan adds
 *
 * Adds the endpoints found, drops available ones that vanished, records the
 * hot-plug slots and, with autoborrow_transparent, borrows what is available
 * (with @only_new, only what it added: a hot-add must not take a device its
 * user returned). Called with the rescan lock and smartio_lock held.
 */
void smartio_scan_adapter(struct smartio_adapter *adapter,
			  struct list_head *dead, bool only_new)
{
	unsigned int added = 0, dropped = adapter->scan_pruned;
	struct smartio_fdev *fdev, *tmp;

	lockdep_assert_held(&smartio_lock);
	/* A scan that does not reach the fabric adds and drops nothing. */
	adapter->scan_pruned = 0;
	WRITE_ONCE(adapter->scan_added, 0);
	WRITE_ONCE(adapter->scan_dropped, 0);
	if (!smartio_adapter_host(adapter))
		return;
	if (!smartio_link_up(adapter)) {
		dev_info(&adapter->dev, "link down, not scanned\n");
		return;
	}
	if (smartio_scan_reset(adapter, dead)) {
		/* Like a link flap: the watcher scans once they left sysfs. */
		smartio_adapter_link_event(adapter);
		return;
	}
	smartio_host_enumerate(adapter);
	list_for_each_entry(fdev, &adapter->fdevs, node)
		fdev->seen = false;
	if (smartio_walk(adapter, true))
		return;
	/* A bridge hot-added into a slot is numbered now: walk below it. */
	if (adapter->new_bridge && smartio_slots_add_bridges(adapter) &&
	    smartio_walk(adapter, true))
		return;

	/* One a borrow is resetting may not answer yet: it stays. */
	list_for_each_entry_safe(fdev, tmp, &adapter->fdevs, node) {
		if (!fdev->seen && !fdev->pdev && !fdev->resetting) {
			smartio_fdev_drop(fdev, dead);
			dropped++;
		}
	}

	list_for_each_entry(fdev, &adapter->fdevs, node) {
		bool fresh = fdev->fresh;
		unsigned int rule;
		int ret;

		added += fresh;
		fdev->fresh = false;
		if (!READ_ONCE(smartio_autoborrow) || fdev->pdev ||
		    (only_new && !fresh))
			continue;
		if (!smartio_policy_allows(fdev, &rule)) {
			if (rule)
				dev_info(&fdev->dev, "autoborrow: ignored by policy line %u\n",
					 rule);
			else
				dev_info(&fdev->dev, "autoborrow: no policy rule matches\n");
			continue;
		}
		ret = smartio_borrow_locked(fdev, false);
		if (ret)
			dev_warn(&fdev->dev, "autoborrow failed: %d\n", ret);
	}
	WRITE_ONCE(adapter->scan_added, added);
	WRITE_ONCE(adapter->scan_dropped, dropped);
	smartio_borrow_again(adapter);
}

/**
 * smartio_rescan_adapter() - scan one adapter after its slots changed
 * @adapter: the adapter
 * @dead: as for smartio_scan_adapter()
 *
 * Powers on the slots a card waits in first, outside the rescan lock,
 * then scans, adding only new devices to autoborrow. Called under
 * smartio_scan_mutex alone.
 */
void smartio_rescan_adapter(struct smartio_adapter *adapter,
			    struct list_head *dead)
{
	smartio_slots_power_on(adapter);
	pci_lock_rescan_remove();
	mutex_lock(&smartio_lock);
	smartio_scan_adapter(adapter, dead, true);
	mutex_unlock(&smartio_lock);
	pci_unlock_rescan_remove();
}

/*
 * Powers on the slots a card waits in, adapter by adapter, with no lock
 * but smartio_scan_mutex held across the waits (smartio_lock guards the
 * adapter list only while the next adapter is looked up).
 */
static void smartio_power_on_all(void)
{
	struct smartio_adapter *adapter, *pos;
	unsigned int i, n;

	for (i = 0; ; i++) {
		adapter = NULL;
		n = 0;
		mutex_lock(&smartio_lock);
		list_for_each_entry(pos, &smartio_adapters, node) {
			if (n++ == i) {
				adapter = pos;
				get_device(&adapter->dev);
				break;
			}
		}
		mutex_unlock(&smartio_lock);
		if (!adapter)
			return;
		smartio_slots_power_on(adapter);
		put_device(&adapter->dev);
	}
}

/**
 * smartio_scan_all() - scan every adapter's fabric into the pool
 *
 * Return: 0 when at least one adapter's link was up (its fabric scanned);
 * -ENODEV when no adapter is bound, -ENOLINK when every adapter's link is
 * down: the write of "scan" tells its writer, whichever tool it is, that
 * nothing could be scanned.
 */
int smartio_scan_all(void)
{
	struct smartio_adapter *adapter;
	int ret = -ENODEV;
	LIST_HEAD(dead);

	/* Adapters bound just now have their host bridge first. */
	flush_workqueue(smartio_attach_wq);

	mutex_lock(&smartio_scan_mutex);
	smartio_power_on_all();
	/* Pruned devices must be gone from sysfs before their slot is re-added. */
	pci_lock_rescan_remove();
	mutex_lock(&smartio_lock);
	list_for_each_entry(adapter, &smartio_adapters, node)
		if (smartio_link_up(adapter))
			smartio_scan_prune(adapter, &dead);
	mutex_unlock(&smartio_lock);
	pci_unlock_rescan_remove();
	smartio_fdevs_unregister(&dead);

	pci_lock_rescan_remove();
	mutex_lock(&smartio_lock);
	list_for_each_entry(adapter, &smartio_adapters, node) {
		if (smartio_link_up(adapter))
			ret = 0;
		else if (ret)
			ret = -ENOLINK;
		smartio_scan_adapter(adapter, &dead, false);
	}
	mutex_unlock(&smartio_lock);
	pci_unlock_rescan_remove();
	smartio_fdevs_unregister(&dead);
	mutex_unlock(&smartio_scan_mutex);
	return ret;
}


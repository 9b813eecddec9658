// SPDX-License-Identifier: GPL-2.0
/*
 * smartio borrow and return: a pool device becomes a local PCI device under
 * its adapter's synthetic host bridge, and goes back to the pool.
 */

#include <linux/blkdev.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string_helpers.h>
#include <linux/sysfs.h>

#include "smartio.h"

/* Borrow and return */

static void smartio_report_nospace(struct smartio_fdev *fdev)
{
	struct smartio_adapter *adapter = fdev->adapter;
	char need_mem[16], need_pref[16], have_mem[16], have_pref[16];

	string_get_size(smartio_fdev_needed(fdev, false), 1, STRING_UNITS_2,
			need_mem, sizeof(need_mem));
	string_get_size(smartio_fdev_needed(fdev, true), 1, STRING_UNITS_2,
			need_pref, sizeof(need_pref));
	string_get_size(smartio_aperture_size(adapter, false), 1,
			STRING_UNITS_2, have_mem, sizeof(have_mem));
	string_get_size(smartio_aperture_size(adapter, true), 1,
			STRING_UNITS_2, have_pref, sizeof(have_pref));
	dev_err(&fdev->dev,
		"BARs do not fit the aperture of %s: need %s non-prefetchable + %s prefetchable, aperture has %s + %s\n",
		dev_name(&adapter->dev), need_mem, need_pref, have_mem,
		have_pref);
}

/* Function level reset through the backend, of a device nobody uses. */
void smartio_fdev_reset(struct smartio_fdev *fdev)
{
	struct smartio_adapter *adapter = fdev->adapter;
	u8 bus = fdev->bus, devfn = fdev->devfn;
	u32 cap, id;
	u8 exp;
	int i;

	exp = smartio_find_cap(adapter, bus, devfn, PCI_CAP_ID_EXP);
	if (!exp)
		return;
	cap = smartio_scan_read(adapter, bus, devfn, exp + PCI_EXP_DEVCAP, 4);
	if (cap == ~0U || !(cap & PCI_EXP_DEVCAP_FLR))
		return;
	smartio_scan_write(adapter, bus, devfn, PCI_COMMAND, 2, 0);
	smartio_scan_write(adapter, bus, devfn, exp + PCI_EXP_DEVCTL, 2,
			   smartio_scan_read(adapter, bus, devfn,
					     exp + PCI_EXP_DEVCTL, 2) |
			   PCI_EXP_DEVCTL_BCR_FLR);
	/* PCIe r6.0 sec 6.6.2: 100 ms, then it may answer with CRS a while. */
	msleep(100);
	for (i = 0; i < 100; i++) {
		id = smartio_scan_read(adapter, bus, devfn, PCI_VENDOR_ID, 4);
		if (id == ((u32)fdev->device << 16 | fdev->vendor))
			return;
		usleep_range(10000, 11000);
	}
	dev_warn(&fdev->dev, "no answer after function level reset\n");
}

/*
 * An adapter that passes its remote devices' own requester IDs upstream:
 * an IOMMU that translates the adapter's device has no context for those
 * IDs and blocks them (DMAR faults, a driver timing out). Refuse the borrow
 * instead. For an adapter that rewrites them to its own ID, the synthetic
 * domain has the adapter's device as its DMA alias, which only VT-d maps
 * through, and only with VMD's support built (CONFIG_VMD); elsewhere refuse
 * too. smartio_host_attach() checks that the IOMMU took the device.
 */
static int smartio_dma_check(struct smartio_fdev *fdev)
{
	struct device *backend_dev = fdev->adapter->backend_dev;

	if (!device_iommu_mapped(backend_dev))
		return 0;
	/* On the adapter's own bus the IOMMU takes them as any device there. */
	if (fdev->adapter->info.bus)
		return 0;
	if (fdev->adapter->info.dma_ids == SMARTIO_DMA_ADAPTER_ID) {
		/* Only VT-d maps through the alias, and only with VMD's code. */
		if (IS_ENABLED(CONFIG_VMD) && smartio_host_iommu_vtd(backend_dev))
			return 0;
		dev_warn(&fdev->dev, "not borrowed: the IOMMU translating %s does not take it as its DMA alias\n",
			 dev_name(backend_dev));
		return -EOPNOTSUPP;
	}
	dev_warn(&fdev->dev, "not borrowed: the IOMMU translating %s would block the DMA and MSI of the devices behind it\n",
		 dev_name(backend_dev));
	return -EOPNOTSUPP;
}

/* Whether a borrow may start on it; called under smartio_lock. */
int smartio_borrowable(struct smartio_fdev *fdev)
{
	if (fdev->dead || fdev->adapter->dead)
		return -ENODEV;
	if (fdev->pdev || fdev->resetting)
		return -EBUSY;
	return 0;
}

/*
 * Called with the rescan lock and smartio_lock held. The device is reset
 * first where it can be (unless @reset_done): a device returned in the
 * middle of its driver's initialization may still hold queues pointing at
 * memory that driver freed, and the next driver enables bus mastering
 * before it resets the device itself.
 */
int smartio_borrow_locked(struct smartio_fdev *fdev, bool reset_done)
{
	struct smartio_adapter *adapter = fdev->adapter;
	unsigned int events = atomic_read(&adapter->link_events);
	struct pci_dev *pdev;
	unsigned long flags;
	u32 id;
	int ret;

	lockdep_assert_held(&smartio_lock);
	ret = smartio_borrowable(fdev);
	if (ret)
		return ret;
	if (!smartio_link_up(adapter))
		return -ENODEV;
	if (smartio_config_read(adapter, fdev->bus, fdev->devfn, PCI_VENDOR_ID,
				4, &id) ||
	    id != ((u32)fdev->device << 16 | fdev->vendor))
		return -ENODEV;
	ret = smartio_dma_check(fdev);
	if (ret)
		return ret;

	/* Dropped when the device leaves the PCI core: smartio_pci_notify(). */
	if (!try_module_get(adapter->owner))
		return -ENODEV;
	/* A hot-added device not yet borrowed needs no reset: saves 100 ms. */
	if (!fdev->cold && !reset_done)
		smartio_fdev_reset(fdev);
	fdev->cold = false;
	pdev = smartio_host_attach(adapter, fdev->bus, fdev->devfn);
	if (IS_ERR(pdev)) {
		module_put(adapter->owner);
		if (PTR_ERR(pdev) == -ENOSPC)
			smartio_report_nospace(fdev);
		if (PTR_ERR(pdev) == -EOPNOTSUPP)
			dev_warn(&fdev->dev, "not borrowed: the IOMMU translating %s does not take it as its DMA alias\n",
				 dev_name(adapter->backend_dev));
		if (PTR_ERR(pdev) == -EXDEV) {
			dev_warn(&fdev->dev, "not borrowed: interrupt remapping for %s would block its MSIs\n",
				 dev_name(adapter->backend_dev));
			return -EOPNOTSUPP;
		}
		return PTR_ERR(pdev);
	}

	fdev->vfs = smartio_host_show_vfs(adapter, pdev);
	/* Under the rescan lock, so no removal can slip in before this. */
	spin_lock_irqsave(&smartio_borrow_lock, flags);
	fdev->pdev = pdev;
	list_add_tail(&fdev->borrowed_node, &smartio_borrowed);
	spin_unlock_irqrestore(&smartio_borrow_lock, flags);
	/*
	 * Listed before its driver probes: a link drop during the probe marks
	 * it disconnected, so the probe gives up instead of waiting on a
	 * device that lost config writes. One since the checks above: the
	 * same. See smartio_watch().
	 */
	if (atomic_read(&adapter->link_events) != events)
		smartio_pdev_set_gone(pdev);
	pci_bus_add_device(pdev);
	ret = sysfs_create_link(&fdev->dev.kobj, &pdev->dev.kobj, "pci_dev");
	if (ret)
		dev_warn(&fdev->dev, "no pci_dev link: %d\n", ret);

	/* The log names what keeps the backend loaded; rmmod cannot. */
	dev_info(&fdev->dev, "borrowed as %s, holding %s until returned\n",
		 pci_name(pdev), module_name(adapter->owner));
	smartio_fdev_uevent(fdev, true);
	return 0;
}

/**
 * smartio_mark_gone() - tell the driver of a borrowed device it is gone
 * @fdev: the fabric device
 *
 * What the PCI core's pci_dev_set_disconnected() does, without the device
 * lock: a probe stuck on the dead device holds that lock, and the caller
 * holds the rescan lock and smartio_lock, which every scan waits for.
 * Drivers then fail fast instead of waiting for timeouts.
 */
void smartio_mark_gone(struct smartio_fdev *fdev)
{
	struct pci_dev *pdev = smartio_fdev_pdev(fdev);

	if (!pdev)
		return;
	smartio_pdev_set_gone(pdev);
	dev_info(&fdev->dev, "gone while borrowed as %s\n", pci_name(pdev));
	pci_dev_put(pdev);
}

/* In use */

/*
 * Whether block device @dev is open. block_class is not exported: a block
 * device is known by its class's name. bd_openers counts every opener:
 * mounts, swap, device-mapper and md members, processes; an open partition
 * counts on its disk too.
 */
static bool smartio_bdev_open(struct device *dev)
{
	return dev->class && !strcmp(dev->class->name, "block") &&
	       atomic_read(&dev_to_bdev(dev)->bd_openers);
}

/*
 * An NVMe multipath path, the hidden disk nvme<S>c<C>n<N> below its
 * controller, is never opened itself: its head nvme<S>n<N>, below the
 * subsystem and outside the controller's tree, is. Puts the head's name
 * in @name.
 */
static bool smartio_nvme_head_open(struct device *dev, char *name)
{
	unsigned int subsys, ctrl, ns;
	struct device *head;
	bool open;
	char end;

	if (!dev->class || strcmp(dev->class->name, "block") ||
	    sscanf(dev_name(dev), "nvme%uc%un%u%c", &subsys, &ctrl, &ns,
		   &end) != 3)
		return false;
	snprintf(name, DISK_NAME_LEN, "nvme%un%u", subsys, ns);
	head = class_find_device_by_name(dev->class, name);
	if (!head)
		return false;
	open = smartio_bdev_open(head);
	put_device(head);
	return open;
}

static int smartio_find_open_disk(struct device *dev, void *name)
{
	if (smartio_bdev_open(dev)) {
		strscpy(name, dev_name(dev), DISK_NAME_LEN);
		return 1;
	}
	if (smartio_nvme_head_open(dev, name))
		return 1;
	return device_for_each_child(dev, name, smartio_find_open_disk);
}

/**
 * smartio_device_in_use() - find an open disk below a device
 * @dev: a borrowed PCI device, or a port about to be adopted
 * @name: DISK_NAME_LEN bytes for the open disk's name
 *
 * A disk or partition below @dev, or the NVMe multipath head of a path
 * below it, is in use while open: mounted, used as swap, a member of a
 * device-mapper or md device, or open in a process. Removing the device
 * would take that disk away from its user. Character devices (an NVMe
 * controller's, a DRM card's) are not counted: their drivers end their
 * open files on removal. The answer is the moment's: nothing keeps a
 * disk from being opened, or a new one from appearing, right after.
 *
 * Return: true, with the disk's name in @name, if one is open.
 */
bool smartio_device_in_use(struct device *dev, char *name)
{
	name[0] = '\0';
	if (device_for_each_child(dev, name, smartio_find_open_disk))
		return true;
	name[0] = '\0';
	return false;
}
EXPORT_SYMBOL_GPL(smartio_device_in_use);

/**
 * smartio_adapter_in_use() - find an open disk below an adapter's devices
 * @adapter: the adapter
 * @name: DISK_NAME_LEN bytes for the open disk's name
 *
 * As smartio_device_in_use(), for each device borrowed through @adapter,
 * wherever the backend puts them in the device tree. A backend asks before
 * it takes the adapter away, which returns them all. Takes smartio_lock.
 *
 * Return: true, with the disk's name in @name, if one is open.
 */
bool smartio_adapter_in_use(struct smartio_adapter *adapter, char *name)
{
	struct smartio_fdev *fdev;
	bool busy = false;

	mutex_lock(&smartio_lock);
	list_for_each_entry(fdev, &adapter->fdevs, node) {
		struct pci_dev *pdev = smartio_fdev_pdev(fdev);

		if (pdev)
			busy = smartio_device_in_use(&pdev->dev, name);
		pci_dev_put(pdev);
		if (busy)
			break;
	}
	mutex_unlock(&smartio_lock);
	return busy;
}
EXPORT_SYMBOL_GPL(smartio_adapter_in_use);

/*
 * Opens that end by themselves, the kernel's partition scan of a new disk
 * and udev's probe of it, are no reason to refuse a return: they get a
 * second to end. Called without locks: the caller checks again under them.
 */
void smartio_wait_unused(struct smartio_fdev *fdev)
{
	struct pci_dev *pdev = smartio_fdev_pdev(fdev);
	char disk[DISK_NAME_LEN];
	int i;

	if (!pdev)
		return;
	for (i = 0; i < 20 && smartio_device_in_use(&pdev->dev, disk); i++)
		msleep(50);
	pci_dev_put(pdev);
}

/**
 * smartio_return() - give a borrowed device back to the pool
 * @fdev: the fabric device
 * @force: even while a disk below it is in use
 *
 * Called with the rescan lock and smartio_lock held.
 *
 * Return: 0; -ENODEV if the device is gone; -EINVAL if it is not borrowed;
 * -EBUSY if a disk below it is in use and @force is false.
 */
int smartio_return(struct smartio_fdev *fdev, bool force)
{
	char disk[DISK_NAME_LEN];
	struct pci_dev *pdev;
	bool busy;

	lockdep_assert_held(&smartio_lock);
	if (fdev->dead)
		return -ENODEV;
	pdev = smartio_fdev_pdev(fdev);
	if (!pdev)
		return -EINVAL;
	busy = !force && smartio_device_in_use(&pdev->dev, disk);
	pci_dev_put(pdev);
	if (busy) {
		dev_info(&fdev->dev, "not returned: %s is in use\n", disk);
		return -EBUSY;
	}
	return smartio_detach(fdev, false);
}

/**
 * smartio_detach() - remove the local PCI device of a borrowed device
 * @fdev: the fabric device
 * @gone: the device no longer answers (surprise removal, link loss)
 *
 * Called with the rescan lock and smartio_lock held. The VFs of an SR-IOV
 * device go first. The PCI bus notifier puts the device back in the pool.
 *
 * Return: 0, or -EINVAL if it is not borrowed.
 */
int smartio_detach(struct smartio_fdev *fdev, bool gone)
{
	struct pci_dev *pdev;

	lockdep_assert_held(&smartio_lock);
	pdev = smartio_fdev_pdev(fdev);
	if (!pdev)
		return -EINVAL;
	if (gone)
		smartio_mark_gone(fdev);
	smartio_host_sriov_off(pdev, gone);
	pci_stop_and_remove_bus_device(pdev);
	pci_dev_put(pdev);
	return 0;
}

/**
 * smartio_detach_again() - remove a borrowed device a link or presence change reset
 * @fdev: the fabric device
 *
 * Like smartio_detach() of a gone device, and remembers it: the next scan
 * that finds the same card at its place borrows it again, as the PCI core
 * binds a device again that a native slot's link flap removed. Its driver
 * must not stay bound: the device it set up was reset, or is another one.
 * Called with the rescan lock and smartio_lock held.
 */
void smartio_detach_again(struct smartio_fdev *fdev)
{
	struct smartio_adapter *adapter = fdev->adapter;
	struct smartio_again *again;

	lockdep_assert_held(&smartio_lock);
	if (!fdev->pdev)
		return;
	if (adapter->nr_again == SMARTIO_MAX_AGAIN) {
		dev_warn(&fdev->dev, "too many devices to borrow again: this one stays in the pool\n");
	} else {
		again = &adapter->again[adapter->nr_again++];
		again->bus = fdev->bus;
		again->devfn = fdev->devfn;
		again->vendor = fdev->vendor;
		again->device = fdev->device;
		again->subsystem_vendor = fdev->subsystem_vendor;
		again->subsystem_device = fdev->subsystem_device;
		again->class = fdev->class;
		again->dsn = fdev->dsn;
	}
	smartio_detach(fdev, true);
}

/**
 * smartio_again_forget() - do not borrow again what was on some buses
 * @adapter: the adapter
 * @sec: first bus
 * @sub: last bus
 *
 * A card pulled out, or a slot powered off at a button's request, ends
 * the wait for its devices. Called with smartio_lock held.
 */
void smartio_again_forget(struct smartio_adapter *adapter, u8 sec, u8 sub)
{
	unsigned int i, n = 0;

	lockdep_assert_held(&smartio_lock);
	for (i = 0; i < adapter->nr_again; i++)
		if (adapter->again[i].bus < sec || adapter->again[i].bus > sub)
			adapter->again[n++] = adapter->again[i];
	adapter->nr_again = n;
}

static bool smartio_again_same(const struct smartio_again *again,
			       const struct smartio_fdev *fdev)
{
	return again->vendor == fdev->vendor &&
	       again->device == fdev->device &&
	       again->subsystem_vendor == fdev->subsystem_vendor &&
	       again->subsystem_device == fdev->subsystem_device &&
	       again->class == fdev->class && again->dsn == fdev->dsn;
}

/*
 * After a scan: borrows again what a link or presence change removed, if
 * the same card answers at its place; a different card stays in the pool.
 * A place that does not answer yet (the link still training) keeps its
 * entry for the next scan.
 */
void smartio_borrow_again(struct smartio_adapter *adapter)
{
	unsigned int i, n = 0;

	for (i = 0; i < adapter->nr_again; i++) {
		struct smartio_again *again = &adapter->again[i];
		struct smartio_fdev *fdev;
		int ret;

		fdev = smartio_fdev_find(adapter, smartio_fdid(adapter->id,
							       again->bus,
							       again->devfn));
		if (!fdev) {
			adapter->again[n++] = *again;
			continue;
		}
		if (fdev->pdev)
			continue;
		if (!smartio_again_same(again, fdev)) {
			dev_info(&fdev->dev,
				 "another device (%04x:%04x) is in the place of the borrowed %04x:%04x: not borrowed again\n",
				 fdev->vendor, fdev->device, again->vendor,
				 again->device);
			continue;
		}
		ret = smartio_borrow_locked(fdev, false);
		if (ret)
			dev_warn(&fdev->dev, "cannot borrow it again: %d\n", ret);
		else
			dev_info(&fdev->dev, "the same device answers again: borrowed again\n");
	}
	adapter->nr_again = n;
}

/* The borrowed fabric device whose PCI device @pdev is, or NULL. */
static struct smartio_fdev *smartio_borrowed_fdev(struct pci_dev *pdev)
{
	struct smartio_fdev *fdev;

	lockdep_assert_held(&smartio_borrow_lock);
	list_for_each_entry(fdev, &smartio_borrowed, borrowed_node)
		if (fdev->pdev == pdev)
			return fdev;
	return NULL;
}

/*
 * The driver core links "driver" before it calls the probe and tells
 * nothing when the probe is done: pci_driver says that, so that a waiting
 * program knows no more devices of the probe will come.
 */
static void smartio_pci_bound(struct pci_dev *pdev, const char *name)
{
	struct smartio_fdev *found;
	unsigned long flags;

	spin_lock_irqsave(&smartio_borrow_lock, flags);
	found = smartio_borrowed_fdev(pdev);
	if (found) {
		strscpy(found->pci_driver, name, sizeof(found->pci_driver));
		get_device(&found->dev);
	}
	spin_unlock_irqrestore(&smartio_borrow_lock, flags);
	if (!found)
		return;
	sysfs_notify(&found->dev.kobj, NULL, "pci_driver");
	put_device(&found->dev);
}

/*
 * Whoever removes a borrowed PCI device (return, the PCI core's own
 * "remove" attribute, adapter teardown), it goes back to the pool here,
 * with decoding and bus mastering off: its BARs keep addresses the PCI
 * core may now give to another device, and a driver that stopped half-way
 * may have left it able to write to memory that is freed by now.
 */
static int smartio_pci_notify(struct notifier_block *nb, unsigned long action,
			      void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);
	struct smartio_fdev *found;
	unsigned long *vfs = NULL;
	unsigned long flags;

	smartio_host_pci_event(pdev, action);
	if (action == BUS_NOTIFY_BOUND_DRIVER)
		smartio_pci_bound(pdev, pdev->dev.driver->name);
	if (action == BUS_NOTIFY_UNBIND_DRIVER)
		smartio_pci_bound(pdev, "");
	if (action != BUS_NOTIFY_DEL_DEVICE)
		return NOTIFY_DONE;

	spin_lock_irqsave(&smartio_borrow_lock, flags);
	found = smartio_borrowed_fdev(pdev);
	if (found) {
		list_del_init(&found->borrowed_node);
		found->pdev = NULL;
		found->pci_driver[0] = '\0';
		vfs = found->vfs;
		found->vfs = NULL;
		get_device(&found->dev);
	}
	spin_unlock_irqrestore(&smartio_borrow_lock, flags);
	if (!found)
		return NOTIFY_DONE;

	smartio_host_quiesce(found->adapter, found->bus, found->devfn);
	smartio_host_hide(found->adapter, found->bus, found->devfn);
	smartio_host_hide_vfs(found->adapter, vfs);
	sysfs_remove_link(&found->dev.kobj, "pci_dev");
	dev_info(&found->dev, "returned\n");
	smartio_fdev_uevent(found, false);
	module_put(found->adapter->owner);
	put_device(&found->dev);
	pci_dev_put(pdev);
	return NOTIFY_OK;
}

struct notifier_block smartio_pci_nb = {
	.notifier_call = smartio_pci_notify,
};


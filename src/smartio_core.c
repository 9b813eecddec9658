// SPDX-License-Identifier: GPL-2.0
/*
 * smartio: use PCIe devices behind a non-transparent bridge as local devices.
 *
 * The core: the smartio bus, its adapters and the pool of fabric devices
 * found by scanning the remote trees, and borrowing and returning them.
 */

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/idr.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/string_helpers.h>
#include <linux/sysfs.h>

#include "smartio.h"

#ifndef SMARTIO_VERSION
#define SMARTIO_VERSION "unknown"
#endif

/*
 * struct bus_attribute callbacks take a const bus_type since 6.4; Kbuild
 * tells which kind of header we build against.
 */
#ifdef SMARTIO_CONST_BUS_TYPE
#define smartio_bus_type_t const struct bus_type
#else
#define smartio_bus_type_t struct bus_type
#endif

/* device_type.uevent takes a const device since 6.3. */
#ifdef SMARTIO_CONST_DEV_UEVENT
#define smartio_uevent_dev_t const struct device
#else
#define smartio_uevent_dev_t struct device
#endif

/* Depth of switch levels a scan follows; PCIe allows far fewer in practice. */
#define SMARTIO_MAX_DEPTH	16

static bool autoborrow_transparent;
module_param(autoborrow_transparent, bool, 0444);
MODULE_PARM_DESC(autoborrow_transparent,
		 "Borrow every available fabric device a scan finds (default: 0); also scans each adapter as it is bound");

/*
 * Lock order: pci_lock_rescan_remove(), then smartio_lock, then
 * smartio_borrow_lock. The PCI core calls a backend's probe and remove
 * with the rescan lock held (rescan, "remove", pciehp) or without it
 * (driver bind and unbind), so neither may take it: registration and
 * unregistration only queue the work that needs it (attach_work,
 * teardown_work), and that work takes both locks in order.
 *
 * smartio_lock serializes scan, borrow, return and the watchers and
 * protects the adapter list and the pools. Neither lock is held while a
 * pool device is unregistered, since its store methods take both.
 *
 * smartio_scan_mutex, outside both, is held by whoever adds pool devices
 * or drops them, from the walk until the dropped ones are unregistered:
 * a device dropped by one path must have left sysfs before another path
 * adds a device of the same fdid. No store of a pool device takes it.
 */
DEFINE_MUTEX(smartio_scan_mutex);	/* see above */
DEFINE_MUTEX(smartio_lock);		/* see above */
static LIST_HEAD(smartio_adapters);	/* smartio_lock */
static DEFINE_IDA(smartio_adapter_ida);

/* Fences the backend: every call of an adapter's ops is a read side. */
DEFINE_SRCU(smartio_srcu);

/* Parent of the adapters: /sys/devices/smartio. */
static struct device *smartio_root;

/*
 * Adapters and pool devices not yet released. Their release functions are
 * module code, and the driver core may release late (kobject release
 * debugging delays it by seconds), so module exit waits for none to be left.
 */
static atomic_t smartio_live = ATOMIC_INIT(0);

/* Creates and tears down host bridges, one at a time, in lock order. */
static struct workqueue_struct *smartio_attach_wq;

/*
 * Borrowed devices and their PCI devices. The PCI bus notifier runs inside
 * PCI device removal, possibly under smartio_lock, so it uses this
 * spinlock only.
 */
static DEFINE_SPINLOCK(smartio_borrow_lock);
static LIST_HEAD(smartio_borrowed);	/* smartio_borrow_lock */

static struct dentry *smartio_debugfs;

/*
 * The hot-plug watchers run here, not on the system workqueue, which the
 * drivers they unbind may flush.
 */
struct workqueue_struct *smartio_wq;

static const struct device_type smartio_adapter_type;
static const struct device_type smartio_fdev_type;

/*
 * Strict boolean input: exactly "0" or "1", optionally with one trailing
 * newline, and nothing after it (a write may hold a NUL byte). kstrtouint()
 * alone would also take "+1", "01" and "1\0junk"; every such typo is
 * refused with -EINVAL instead.
 */
static int smartio_parse_bool(const char *buf, size_t count, bool *val)
{
	unsigned int v;

	if (count < 1 || count > 2 || (count == 2 && buf[1] != '\n') ||
	    (buf[0] != '0' && buf[0] != '1'))
		return -EINVAL;
	if (kstrtouint(buf, 10, &v))
		return -EINVAL;
	*val = v;
	return 0;
}

static int smartio_parse_true(const char *buf, size_t count)
{
	bool val;
	int ret;

	ret = smartio_parse_bool(buf, count, &val);
	if (ret)
		return ret;
	return val ? 0 : -EINVAL;
}

/**
 * smartio_config_read() - read remote config space through the backend
 * @adapter: the adapter
 * @bus: remote bus number
 * @devfn: remote device/function
 * @where: offset in config space
 * @size: 1, 2 or 4
 * @val: where the value goes; all-ones if the function does not answer
 *
 * Return: a PCIBIOS_* code.
 */
int smartio_config_read(struct smartio_adapter *adapter, unsigned int bus,
			unsigned int devfn, int where, int size, u32 *val)
{
	int idx, ret;

	atomic64_inc(&adapter->config_reads);
	idx = srcu_read_lock(&smartio_srcu);
	if (READ_ONCE(adapter->gone)) {
		PCI_SET_ERROR_RESPONSE(val);
		ret = PCIBIOS_DEVICE_NOT_FOUND;
	} else {
		ret = adapter->ops->config_read(adapter, bus, devfn, where,
						size, val);
	}
	srcu_read_unlock(&smartio_srcu, idx);
	return ret;
}

/**
 * smartio_config_write() - write remote config space through the backend
 * @adapter: the adapter
 * @bus: remote bus number
 * @devfn: remote device/function
 * @where: offset in config space
 * @size: 1, 2 or 4
 * @val: the value
 *
 * Return: a PCIBIOS_* code.
 */
int smartio_config_write(struct smartio_adapter *adapter, unsigned int bus,
			 unsigned int devfn, int where, int size, u32 val)
{
	int idx, ret = PCIBIOS_DEVICE_NOT_FOUND;

	idx = srcu_read_lock(&smartio_srcu);
	if (!READ_ONCE(adapter->gone))
		ret = adapter->ops->config_write(adapter, bus, devfn, where,
						 size, val);
	srcu_read_unlock(&smartio_srcu, idx);
	return ret;
}

bool smartio_link_up(struct smartio_adapter *adapter)
{
	bool up = false;
	int idx;

	idx = srcu_read_lock(&smartio_srcu);
	if (!READ_ONCE(adapter->gone))
		up = !adapter->ops->link_up || adapter->ops->link_up(adapter);
	srcu_read_unlock(&smartio_srcu, idx);
	return up;
}

/* Pool devices */

static struct pci_dev *smartio_fdev_pdev(struct smartio_fdev *fdev)
{
	struct pci_dev *pdev;
	unsigned long flags;

	spin_lock_irqsave(&smartio_borrow_lock, flags);
	pdev = pci_dev_get(fdev->pdev);
	spin_unlock_irqrestore(&smartio_borrow_lock, flags);
	return pdev;
}

/*
 * What the PCI core's pci_dev_set_disconnected() does, without the device
 * lock (a probe stuck on the dead device may hold it) and in any context.
 */
void smartio_pdev_set_gone(struct pci_dev *pdev)
{
	WRITE_ONCE(pdev->error_state, pci_channel_io_perm_failure);
}

static void smartio_fdev_uevent(struct smartio_fdev *fdev, bool borrowed)
{
	char state[32];
	char *envp[2];

	snprintf(state, sizeof(state), "SMARTIO_STATE=%s",
		 borrowed ? "borrowed" : "available");
	envp[0] = state;
	envp[1] = NULL;
	kobject_uevent_env(&fdev->dev.kobj, KOBJ_CHANGE, envp);
}

/* A config read for scanning: counted in the adapter's per-scan total. */
u32 smartio_scan_read(struct smartio_adapter *adapter, u8 bus, u8 devfn,
		      int where, int size)
{
	u32 val;

	atomic64_inc(&adapter->scan_config_reads);
	if (smartio_config_read(adapter, bus, devfn, where, size, &val))
		return ~0U;
	return val;
}

void smartio_scan_write(struct smartio_adapter *adapter, u8 bus, u8 devfn,
			int where, int size, u32 val)
{
	smartio_config_write(adapter, bus, devfn, where, size, val);
}

/*
 * Size the BARs of an endpoint nobody uses yet (it is invisible to the PCI
 * core), with decoding off while the BARs hold all-ones.
 */
static void smartio_fdev_size_bars(struct smartio_fdev *fdev)
{
	struct smartio_adapter *adapter = fdev->adapter;
	u8 bus = fdev->bus, devfn = fdev->devfn;
	u32 cmd, orig, mask, orig_hi, mask_hi;
	u64 size;
	int i, where;

	cmd = smartio_scan_read(adapter, bus, devfn, PCI_COMMAND, 2);
	smartio_scan_write(adapter, bus, devfn, PCI_COMMAND, 2,
			   cmd & ~(PCI_COMMAND_MEMORY | PCI_COMMAND_IO));

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct smartio_bar *bar = &fdev->bars[i];

		where = PCI_BASE_ADDRESS_0 + 4 * i;
		orig = smartio_scan_read(adapter, bus, devfn, where, 4);
		smartio_scan_write(adapter, bus, devfn, where, 4, ~0U);
		mask = smartio_scan_read(adapter, bus, devfn, where, 4);
		smartio_scan_write(adapter, bus, devfn, where, 4, orig);
		if (!mask || mask == ~0U)
			continue;

		if (orig & PCI_BASE_ADDRESS_SPACE_IO) {
			mask &= PCI_BASE_ADDRESS_IO_MASK;
			if (!(mask & 0xffff0000))
				mask |= 0xffff0000;
			bar->flags = IORESOURCE_IO;
			bar->size = (u32)(~mask + 1);
			continue;
		}

		bar->flags = IORESOURCE_MEM;
		if (orig & PCI_BASE_ADDRESS_MEM_PREFETCH)
			bar->flags |= IORESOURCE_PREFETCH;
		mask &= PCI_BASE_ADDRESS_MEM_MASK;
		if ((orig & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
		    PCI_BASE_ADDRESS_MEM_TYPE_64 && i < PCI_STD_NUM_BARS - 1) {
			bar->flags |= IORESOURCE_MEM_64;
			orig_hi = smartio_scan_read(adapter, bus, devfn,
						    where + 4, 4);
			smartio_scan_write(adapter, bus, devfn, where + 4, 4,
					   ~0U);
			mask_hi = smartio_scan_read(adapter, bus, devfn,
						    where + 4, 4);
			smartio_scan_write(adapter, bus, devfn, where + 4, 4,
					   orig_hi);
			size = ~(((u64)mask_hi << 32) | mask) + 1;
			i++;
		} else {
			size = (u32)(~mask + 1);
		}
		bar->size = size;
	}

	smartio_scan_write(adapter, bus, devfn, PCI_COMMAND, 2, cmd);
}

/* An extended capability; the walk is bounded: a broken list must not loop. */
static int smartio_find_ext_cap(struct smartio_adapter *adapter, u8 bus,
				u8 devfn, u16 id)
{
	int pos = PCI_CFG_SPACE_SIZE;
	int ttl = (PCI_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE) / 8;
	u32 hdr;

	while (ttl-- > 0) {
		hdr = smartio_scan_read(adapter, bus, devfn, pos, 4);
		if (!hdr || hdr == ~0U)
			return 0;
		if (PCI_EXT_CAP_ID(hdr) == id)
			return pos;
		pos = PCI_EXT_CAP_NEXT(hdr);
		if (pos < PCI_CFG_SPACE_SIZE)
			return 0;
	}
	return 0;
}

/*
 * The Device Serial Number capability of an endpoint, read as the scan
 * found it (what pci_get_dsn() would give once it is borrowed); 0 if it
 * has none.
 */
static u64 smartio_fdev_read_dsn(struct smartio_fdev *fdev)
{
	struct smartio_adapter *adapter = fdev->adapter;
	u8 bus = fdev->bus, devfn = fdev->devfn;
	int pos;
	u32 lo, hi;

	pos = smartio_find_ext_cap(adapter, bus, devfn, PCI_EXT_CAP_ID_DSN);
	if (!pos)
		return 0;
	lo = smartio_scan_read(adapter, bus, devfn, pos + 4, 4);
	hi = smartio_scan_read(adapter, bus, devfn, pos + 8, 4);
	return ((u64)hi << 32) | lo;
}

/* A DSN as lspci prints it: eight bytes, most significant first. */
int smartio_dsn_format(u64 dsn, char *buf, size_t len)
{
	return snprintf(buf, len, "%02x-%02x-%02x-%02x-%02x-%02x-%02x-%02x",
			(u8)(dsn >> 56), (u8)(dsn >> 48), (u8)(dsn >> 40),
			(u8)(dsn >> 32), (u8)(dsn >> 24), (u8)(dsn >> 16),
			(u8)(dsn >> 8), (u8)dsn);
}

static u64 smartio_fdev_needed(struct smartio_fdev *fdev, bool pref)
{
	u64 sum = 0;
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct smartio_bar *bar = &fdev->bars[i];

		if (!(bar->flags & IORESOURCE_MEM))
			continue;
		if (!!(bar->flags & IORESOURCE_PREFETCH) == pref)
			sum += bar->size;
	}
	return sum;
}

static u64 smartio_aperture_size(struct smartio_adapter *adapter, bool pref)
{
	u64 sum = 0;
	unsigned int i;

	for (i = 0; i < adapter->info.nr_windows; i++) {
		struct resource *r = &adapter->info.windows[i].res;

		if (!!(r->flags & IORESOURCE_PREFETCH) == pref)
			sum += resource_size(r);
	}
	return sum;
}

static void smartio_live_put(void)
{
	if (atomic_dec_and_test(&smartio_live))
		wake_up_var(&smartio_live);
}

static void smartio_fdev_release(struct device *dev)
{
	kfree(to_smartio_fdev(dev));
	smartio_live_put();
}

static struct smartio_fdev *smartio_fdev_find(struct smartio_adapter *adapter,
					      u32 fdid)
{
	struct smartio_fdev *fdev;

	list_for_each_entry(fdev, &adapter->fdevs, node)
		if (fdev->fdid == fdid)
			return fdev;
	return NULL;
}

static struct smartio_fdev *smartio_fdev_add(struct smartio_adapter *adapter,
					     u8 bus, u8 devfn, u32 id)
{
	struct smartio_fdev *fdev;
	u32 val;
	int ret;

	fdev = kzalloc(sizeof(*fdev), GFP_KERNEL);
	if (!fdev)
		return ERR_PTR(-ENOMEM);

	fdev->adapter = adapter;
	fdev->bus = bus;
	fdev->devfn = devfn;
	fdev->fdid = smartio_fdid(adapter->id, bus, devfn);
	fdev->vendor = id & 0xffff;
	fdev->device = id >> 16;
	val = smartio_scan_read(adapter, bus, devfn, PCI_SUBSYSTEM_VENDOR_ID, 4);
	fdev->subsystem_vendor = val & 0xffff;
	fdev->subsystem_device = val >> 16;
	fdev->class = smartio_scan_read(adapter, bus, devfn,
					PCI_CLASS_REVISION, 4) >> 8;
	INIT_LIST_HEAD(&fdev->borrowed_node);
	fdev->fresh = true;
	fdev->dsn = smartio_fdev_read_dsn(fdev);
	smartio_fdev_size_bars(fdev);

	device_initialize(&fdev->dev);
	atomic_inc(&smartio_live);
	fdev->dev.bus = adapter->dev.bus;
	fdev->dev.parent = &adapter->dev;
	fdev->dev.type = &smartio_fdev_type;
	fdev->dev.release = smartio_fdev_release;
	ret = dev_set_name(&fdev->dev, "%x", fdev->fdid);
	if (!ret)
		ret = device_add(&fdev->dev);
	if (ret) {
		put_device(&fdev->dev);
		return ERR_PTR(ret);
	}
	list_add_tail(&fdev->node, &adapter->fdevs);
	return fdev;
}

/* Drop a pool device; the caller unregisters it once smartio_lock is free. */
void smartio_fdev_drop(struct smartio_fdev *fdev, struct list_head *dead)
{
	fdev->dead = true;
	list_move_tail(&fdev->node, dead);
}

void smartio_fdevs_unregister(struct list_head *dead)
{
	struct smartio_fdev *fdev, *tmp;

	list_for_each_entry_safe(fdev, tmp, dead, node) {
		list_del_init(&fdev->node);
		device_unregister(&fdev->dev);
	}
}

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
static void smartio_fdev_reset(struct smartio_fdev *fdev)
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
static int smartio_borrowable(struct smartio_fdev *fdev)
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
static int smartio_borrow_locked(struct smartio_fdev *fdev, bool reset_done)
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
static void smartio_borrow_again(struct smartio_adapter *adapter)
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
	struct smartio_fdev *fdev, *found = NULL;
	unsigned long *vfs = NULL;
	unsigned long flags;

	smartio_host_pci_event(pdev, action);
	if (action != BUS_NOTIFY_DEL_DEVICE)
		return NOTIFY_DONE;

	spin_lock_irqsave(&smartio_borrow_lock, flags);
	list_for_each_entry(fdev, &smartio_borrowed, borrowed_node) {
		if (fdev->pdev == pdev) {
			found = fdev;
			list_del_init(&fdev->borrowed_node);
			fdev->pdev = NULL;
			vfs = fdev->vfs;
			fdev->vfs = NULL;
			get_device(&fdev->dev);
			break;
		}
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

static struct notifier_block smartio_pci_nb = {
	.notifier_call = smartio_pci_notify,
};

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

static bool smartio_scan_reset(struct smartio_adapter *adapter,
			       struct list_head *dead)
{
	struct smartio_fdev *fdev, *tmp;
	bool dropped = !list_empty(&adapter->fdevs);

	if (!smartio_host_stale(adapter))
		return false;
	/* Whatever is borrowed talks to a reset device: it goes. */
	dev_warn(&adapter->dev, "remote tree was reset (chassis power cycle?): enumerating it again\n");
	list_for_each_entry_safe(fdev, tmp, &adapter->fdevs, node) {
		smartio_detach_again(fdev);
		smartio_fdev_drop(fdev, dead);
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
	u32 id;

	lockdep_assert_held(&smartio_lock);
	atomic64_set(&adapter->scan_config_reads, 0);
	/* A reset tree loses its whole pool, re-added by the scan after. */
	if (smartio_scan_reset(adapter, dead))
		return;
	list_for_each_entry_safe(fdev, tmp, &adapter->fdevs, node) {
		if (fdev->pdev || fdev->resetting)
			continue;
		id = smartio_scan_read(adapter, fdev->bus, fdev->devfn,
				       PCI_VENDOR_ID, 4);
		/* A device retrying config requests (reset) is still there. */
		if ((id & 0xffff) == SMARTIO_CRS_VENDOR_ID)
			continue;
		if (id != ((u32)fdev->device << 16 | fdev->vendor))
			smartio_fdev_drop(fdev, dead);
	}
}

/* Walks the remote tree; with @pool, also updates the pool. */
static int smartio_walk(struct smartio_adapter *adapter, bool pool)
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
	struct smartio_fdev *fdev, *tmp;

	lockdep_assert_held(&smartio_lock);
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
	list_for_each_entry_safe(fdev, tmp, &adapter->fdevs, node)
		if (!fdev->seen && !fdev->pdev && !fdev->resetting)
			smartio_fdev_drop(fdev, dead);

	list_for_each_entry(fdev, &adapter->fdevs, node) {
		bool fresh = fdev->fresh;
		unsigned int rule;
		int ret;

		fdev->fresh = false;
		if (!READ_ONCE(autoborrow_transparent) || fdev->pdev ||
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

static void smartio_scan_all(void)
{
	struct smartio_adapter *adapter;
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
	list_for_each_entry(adapter, &smartio_adapters, node)
		smartio_scan_adapter(adapter, &dead, false);
	mutex_unlock(&smartio_lock);
	pci_unlock_rescan_remove();
	smartio_fdevs_unregister(&dead);
	mutex_unlock(&smartio_scan_mutex);
}

/* Bus attributes */

static ssize_t scan_store(smartio_bus_type_t *bus, const char *buf,
			  size_t count)
{
	int ret;

	ret = smartio_parse_true(buf, count);
	if (ret)
		return ret;
	smartio_scan_all();
	return count;
}
static BUS_ATTR_WO(scan);

/* A CHANGE uevent with @env on every adapter; smartio_lock held. */
static void smartio_adapters_uevent(char *env)
{
	struct smartio_adapter *adapter;
	char *envp[2];

	lockdep_assert_held(&smartio_lock);
	envp[0] = env;
	envp[1] = NULL;
	list_for_each_entry(adapter, &smartio_adapters, node)
		kobject_uevent_env(&adapter->dev.kobj, KOBJ_CHANGE, envp);
}

static ssize_t autoborrow_transparent_show(smartio_bus_type_t *bus, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(autoborrow_transparent));
}

static ssize_t autoborrow_transparent_store(smartio_bus_type_t *bus,
					    const char *buf, size_t count)
{
	char env[32];
	bool val;
	int ret;

	ret = smartio_parse_bool(buf, count, &val);
	if (ret)
		return ret;

	mutex_lock(&smartio_lock);
	if (READ_ONCE(autoborrow_transparent) == val) {
		mutex_unlock(&smartio_lock);
		return count;
	}
	WRITE_ONCE(autoborrow_transparent, val);
	snprintf(env, sizeof(env), "SMARTIO_AUTOBORROW=%d", val);
	smartio_adapters_uevent(env);
	mutex_unlock(&smartio_lock);
	return count;
}
static BUS_ATTR_RW(autoborrow_transparent);

static ssize_t autoborrow_policy_show(smartio_bus_type_t *bus, char *buf)
{
	return smartio_policy_show(buf);
}

static ssize_t autoborrow_policy_store(smartio_bus_type_t *bus,
				       const char *buf, size_t count)
{
	char env[40];
	int ret;

	ret = smartio_policy_store(buf, count);
	if (ret <= 0)
		return ret ? ret : count;

	mutex_lock(&smartio_lock);
	snprintf(env, sizeof(env), "SMARTIO_AUTOBORROW_RULES=%u",
		 smartio_policy_rules());
	smartio_adapters_uevent(env);
	mutex_unlock(&smartio_lock);
	return count;
}
static BUS_ATTR_RW(autoborrow_policy);

static struct attribute *smartio_bus_attrs[] = {
	&bus_attr_scan.attr,
	&bus_attr_autoborrow_transparent.attr,
	&bus_attr_autoborrow_policy.attr,
	NULL,
};
ATTRIBUTE_GROUPS(smartio_bus);

static struct bus_type smartio_bus_type = {
	.name = "smartio",
	.bus_groups = smartio_bus_groups,
};

/* Adapter attributes */

static ssize_t backend_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", to_smartio_adapter(dev)->info.backend);
}
static DEVICE_ATTR_RO(backend);

static ssize_t domain_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	int domain;

	mutex_lock(&smartio_lock);
	domain = smartio_host_domain(to_smartio_adapter(dev));
	mutex_unlock(&smartio_lock);
	if (domain < 0)
		return domain;
	return sysfs_emit(buf, "%04x\n", domain);
}
static DEVICE_ATTR_RO(domain);

static ssize_t bus_range_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	struct smartio_adapter *adapter = to_smartio_adapter(dev);

	return sysfs_emit(buf, "%02x-%02x\n", adapter->info.bus_start,
			  adapter->info.bus_end);
}
static DEVICE_ATTR_RO(bus_range);

static ssize_t aperture_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct smartio_adapter *adapter = to_smartio_adapter(dev);
	unsigned int i;
	int len = 0;

	for (i = 0; i < adapter->info.nr_windows; i++) {
		struct resource *r = &adapter->info.windows[i].res;

		len += sysfs_emit_at(buf, len, "%s %#llx-%#llx\n",
				     r->flags & IORESOURCE_PREFETCH ? "pref" : "mem",
				     (unsigned long long)r->start,
				     (unsigned long long)r->end);
	}
	return len;
}
static DEVICE_ATTR_RO(aperture);

static ssize_t aperture_size_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct smartio_adapter *adapter = to_smartio_adapter(dev);

	return sysfs_emit(buf, "%llu\n", smartio_aperture_size(adapter, false) +
			  smartio_aperture_size(adapter, true));
}
static DEVICE_ATTR_RO(aperture_size);

/* Aperture bytes held by the memory BARs of devices borrowed through it. */
static u64 smartio_aperture_used(struct smartio_adapter *adapter)
{
	struct smartio_fdev *fdev;
	unsigned long flags;
	u64 used = 0;
	int i;

	spin_lock_irqsave(&smartio_borrow_lock, flags);
	list_for_each_entry(fdev, &smartio_borrowed, borrowed_node) {
		if (fdev->adapter != adapter)
			continue;
		for (i = 0; i < PCI_STD_NUM_BARS; i++) {
			struct resource *r = &fdev->pdev->resource[i];

			if ((r->flags & IORESOURCE_MEM) && r->parent)
				used += resource_size(r);
		}
	}
	spin_unlock_irqrestore(&smartio_borrow_lock, flags);
	return used;
}

static ssize_t aperture_used_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  smartio_aperture_used(to_smartio_adapter(dev)));
}
static DEVICE_ATTR_RO(aperture_used);

static ssize_t aperture_free_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct smartio_adapter *adapter = to_smartio_adapter(dev);
	u64 size = smartio_aperture_size(adapter, false) +
		   smartio_aperture_size(adapter, true);

	return sysfs_emit(buf, "%llu\n", size - smartio_aperture_used(adapter));
}
static DEVICE_ATTR_RO(aperture_free);

static ssize_t link_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  smartio_link_up(to_smartio_adapter(dev)) ? "up" : "down");
}
static DEVICE_ATTR_RO(link);

static ssize_t slots_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	int len;

	mutex_lock(&smartio_lock);
	len = smartio_slots_show(to_smartio_adapter(dev), buf);
	mutex_unlock(&smartio_lock);
	return len;
}
static DEVICE_ATTR_RO(slots);

/* Parses one hex field of a slot address: exactly @len hex digits. */
static int smartio_parse_hex(const char *s, size_t len, u8 max, u8 *val)
{
	char tmp[3];
	size_t i;

	for (i = 0; i < len; i++)
		if (!isxdigit(s[i]))
			return -EINVAL;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (kstrtou8(tmp, 16, val) || *val > max)
		return -EINVAL;
	return 0;
}

/*
 * A slot's port as the kernel log and "slots" name it: "bb:dd.f", hex,
 * optionally with one trailing newline; nothing else is taken.
 */
static int smartio_parse_slot(const char *buf, size_t count, u8 *bus,
			      u8 *devfn)
{
	u8 dev, fn;

	if (count == 8 && buf[7] == '\n')
		count--;
	if (count != 7 || buf[2] != ':' || buf[5] != '.')
		return -EINVAL;
	if (smartio_parse_hex(buf, 2, 0xff, bus) ||
	    smartio_parse_hex(buf + 3, 2, 0x1f, &dev) ||
	    smartio_parse_hex(buf + 6, 1, 7, &fn))
		return -EINVAL;
	*devfn = PCI_DEVFN(dev, fn);
	return 0;
}

/*
 * Powers on a slot its attention button powered off, and scans the
 * adapter so that the card in it re-joins the pool before the write
 * returns. The scan mutex may be taken: it is not held while an adapter
 * leaves sysfs.
 */
static ssize_t slot_power_on_store(struct device *dev,
				   struct device_attribute *attr,
				   const char *buf, size_t count)
{
	struct smartio_adapter *adapter = to_smartio_adapter(dev);
	LIST_HEAD(dead);
	u8 bus, devfn;
	int ret;

	ret = smartio_parse_slot(buf, count, &bus, &devfn);
	if (ret)
		return ret;

	mutex_lock(&smartio_scan_mutex);
	mutex_lock(&smartio_lock);
	if (adapter->dead || !adapter->host || !smartio_link_up(adapter))
		ret = -ENODEV;
	else
		ret = smartio_slot_release_hold(adapter, bus, devfn);
	mutex_unlock(&smartio_lock);
	if (ret > 0)
		smartio_rescan_adapter(adapter, &dead);
	smartio_fdevs_unregister(&dead);
	mutex_unlock(&smartio_scan_mutex);
	return ret < 0 ? ret : count;
}
static DEVICE_ATTR_WO(slot_power_on);

static struct attribute *smartio_adapter_attrs[] = {
	&dev_attr_backend.attr,
	&dev_attr_domain.attr,
	&dev_attr_bus_range.attr,
	&dev_attr_aperture.attr,
	&dev_attr_aperture_size.attr,
	&dev_attr_aperture_used.attr,
	&dev_attr_aperture_free.attr,
	&dev_attr_link.attr,
	&dev_attr_slots.attr,
	&dev_attr_slot_power_on.attr,
	NULL,
};
ATTRIBUTE_GROUPS(smartio_adapter);

static void smartio_adapter_release(struct device *dev)
{
	kfree(to_smartio_adapter(dev));
	smartio_live_put();
}

static const struct device_type smartio_adapter_type = {
	.name = "smartio_adapter",
	.groups = smartio_adapter_groups,
	.release = smartio_adapter_release,
};

/* Pool device attributes */

static ssize_t fdid_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%x\n", to_smartio_fdev(dev)->fdid);
}
static DEVICE_ATTR_RO(fdid);

/* The PCI identity, formatted as PCI sysfs does. */
static ssize_t vendor_show(struct device *dev,
			   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "0x%04x\n", to_smartio_fdev(dev)->vendor);
}
static DEVICE_ATTR_RO(vendor);

static ssize_t device_show(struct device *dev,
			   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "0x%04x\n", to_smartio_fdev(dev)->device);
}
static DEVICE_ATTR_RO(device);

static ssize_t subsystem_vendor_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "0x%04x\n", to_smartio_fdev(dev)->subsystem_vendor);
}
static DEVICE_ATTR_RO(subsystem_vendor);

static ssize_t subsystem_device_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "0x%04x\n", to_smartio_fdev(dev)->subsystem_device);
}
static DEVICE_ATTR_RO(subsystem_device);

static ssize_t class_show(struct device *dev,
			  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "0x%06x\n", to_smartio_fdev(dev)->class);
}
static DEVICE_ATTR_RO(class);

static ssize_t adapter_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  dev_name(&to_smartio_fdev(dev)->adapter->dev));
}
static DEVICE_ATTR_RO(adapter);

static ssize_t serial_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	char dsn[24];

	smartio_dsn_format(to_smartio_fdev(dev)->dsn, dsn, sizeof(dsn));
	return sysfs_emit(buf, "%s\n", dsn);
}
static DEVICE_ATTR_RO(serial);

static ssize_t remote_address_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	struct smartio_fdev *fdev = to_smartio_fdev(dev);

	return sysfs_emit(buf, "%02x:%02x.%d\n", fdev->bus,
			  PCI_SLOT(fdev->devfn), PCI_FUNC(fdev->devfn));
}
static DEVICE_ATTR_RO(remote_address);

static ssize_t resources_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	struct smartio_fdev *fdev = to_smartio_fdev(dev);
	int i, len = 0;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct smartio_bar *bar = &fdev->bars[i];

		if (!bar->size)
			continue;
		len += sysfs_emit_at(buf, len, "%d %s %s %llu\n", i,
				     bar->flags & IORESOURCE_IO ? "io" :
				     bar->flags & IORESOURCE_MEM_64 ? "mem64" : "mem32",
				     bar->flags & IORESOURCE_PREFETCH ? "pref" : "nopref",
				     bar->size);
	}
	return len;
}
static DEVICE_ATTR_RO(resources);

static ssize_t aperture_needed_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	struct smartio_fdev *fdev = to_smartio_fdev(dev);

	return sysfs_emit(buf, "%llu\n", smartio_fdev_needed(fdev, false) +
			  smartio_fdev_needed(fdev, true));
}
static DEVICE_ATTR_RO(aperture_needed);

static ssize_t fit_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	struct smartio_fdev *fdev = to_smartio_fdev(dev);
	struct pci_dev *pdev = smartio_fdev_pdev(fdev);
	int i, len = 0;

	pci_lock_rescan_remove();
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct smartio_bar *bar = &fdev->bars[i];
		const char *fit;

		if (!bar->size || !(bar->flags & IORESOURCE_MEM))
			continue;
		if (pdev)
			fit = "assigned";
		else if (smartio_host_bar_fits(fdev->adapter, fdev->bus,
					       bar->size, bar->flags))
			fit = "fits";
		else
			fit = "no-room";
		len += sysfs_emit_at(buf, len, "%d %llu %s\n", i, bar->size, fit);
	}
	pci_unlock_rescan_remove();
	pci_dev_put(pdev);
	return len;
}
static DEVICE_ATTR_RO(fit);

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct smartio_fdev *fdev = to_smartio_fdev(dev);
	unsigned long flags;
	bool borrowed;

	spin_lock_irqsave(&smartio_borrow_lock, flags);
	borrowed = fdev->pdev;
	spin_unlock_irqrestore(&smartio_borrow_lock, flags);
	return sysfs_emit(buf, "%s\n", borrowed ? "borrowed" : "available");
}
static DEVICE_ATTR_RO(state);

/* Which rule of the autoborrow policy decides the device, by its line. */
static ssize_t policy_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct smartio_fdev *fdev = to_smartio_fdev(dev);
	unsigned int line;
	bool borrow;

	mutex_lock(&smartio_lock);
	borrow = smartio_policy_allows(fdev, &line);
	mutex_unlock(&smartio_lock);
	if (!line)
		return sysfs_emit(buf, "none\n");
	return sysfs_emit(buf, "%s %u\n", borrow ? "borrow" : "ignore", line);
}
static DEVICE_ATTR_RO(policy);

static ssize_t borrow_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	struct smartio_fdev *fdev = to_smartio_fdev(dev);
	bool reset;
	int ret;

	ret = smartio_parse_true(buf, count);
	if (ret)
		return ret;
	/*
	 * A function level reset takes 100 ms and more: not under the rescan
	 * lock, which the host's own hot-plug and rescans wait for.
	 */
	mutex_lock(&smartio_lock);
	ret = smartio_borrowable(fdev);
	reset = !ret && !fdev->cold;
	fdev->resetting = reset;
	mutex_unlock(&smartio_lock);
	if (ret)
		return ret;
	if (reset)
		smartio_fdev_reset(fdev);

	pci_lock_rescan_remove();
	mutex_lock(&smartio_lock);
	fdev->resetting = false;
	ret = smartio_borrow_locked(fdev, reset);
	mutex_unlock(&smartio_lock);
	pci_unlock_rescan_remove();
	return ret ?: count;
}
static DEVICE_ATTR_WO(borrow);

static ssize_t return_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	struct smartio_fdev *fdev = to_smartio_fdev(dev);
	int ret;

	ret = smartio_parse_true(buf, count);
	if (ret)
		return ret;
	/*
	 * A driver may still be initializing the device asynchronously (nvme
	 * on 6.1 does): let it finish, so its removal is an orderly one.
	 */
	wait_for_device_probe();
	pci_lock_rescan_remove();
	mutex_lock(&smartio_lock);
	ret = fdev->dead ? -ENODEV : smartio_detach(fdev, false);
	mutex_unlock(&smartio_lock);
	pci_unlock_rescan_remove();
	return ret ?: count;
}
static DEVICE_ATTR_WO(return);

static struct attribute *smartio_fdev_attrs[] = {
	&dev_attr_fdid.attr,
	&dev_attr_vendor.attr,
	&dev_attr_device.attr,
	&dev_attr_subsystem_vendor.attr,
	&dev_attr_subsystem_device.attr,
	&dev_attr_class.attr,
	&dev_attr_adapter.attr,
	&dev_attr_serial.attr,
	&dev_attr_remote_address.attr,
	&dev_attr_resources.attr,
	&dev_attr_aperture_needed.attr,
	&dev_attr_fit.attr,
	&dev_attr_state.attr,
	&dev_attr_policy.attr,
	&dev_attr_borrow.attr,
	&dev_attr_return.attr,
	NULL,
};

/*
 * The remote configuration space, read through the backend whether the
 * device is borrowed or not, so it can be looked at (lspci -F) before it
 * is borrowed. Reads only: writes would go behind the PCI core's back.
 */
static ssize_t config_read(struct file *filp, struct kobject *kobj,
			   struct bin_attribute *attr, char *buf, loff_t off,
			   size_t count)
{
	struct smartio_fdev *fdev = to_smartio_fdev(kobj_to_dev(kobj));
	loff_t pos;
	u32 val;

	if (off >= PCI_CFG_SPACE_EXP_SIZE)
		return 0;
	count = min_t(size_t, count, PCI_CFG_SPACE_EXP_SIZE - off);
	for (pos = off; pos < off + count; pos++) {
		if (pos == off || !(pos & 3))
			smartio_config_read(fdev->adapter, fdev->bus,
					    fdev->devfn, pos & ~3, 4, &val);
		buf[pos - off] = val >> (8 * (pos & 3));
	}
	return count;
}
static BIN_ATTR_ADMIN_RO(config, PCI_CFG_SPACE_EXP_SIZE);

static struct bin_attribute *smartio_fdev_bin_attrs[] = {
	&bin_attr_config,
	NULL,
};

/* "serial" exists only for a device with a Device Serial Number. */
static umode_t smartio_fdev_attr_visible(struct kobject *kobj,
					 struct attribute *attr, int n)
{
	struct smartio_fdev *fdev = to_smartio_fdev(kobj_to_dev(kobj));

	if (attr == &dev_attr_serial.attr && !fdev->dsn)
		return 0;
	return attr->mode;
}

static const struct attribute_group smartio_fdev_group = {
	.attrs = smartio_fdev_attrs,
	.bin_attrs = smartio_fdev_bin_attrs,
	.is_visible = smartio_fdev_attr_visible,
};

static const struct attribute_group *smartio_fdev_groups[] = {
	&smartio_fdev_group,
	NULL,
};

/* Every uevent of a pool device says what it is, for udev rules to match. */
static int smartio_fdev_uevent_env(smartio_uevent_dev_t *dev,
				   struct kobj_uevent_env *env)
{
	const struct smartio_fdev *fdev = to_smartio_fdev(dev);
	char dsn[24];

	if (fdev->dsn) {
		smartio_dsn_format(fdev->dsn, dsn, sizeof(dsn));
		if (add_uevent_var(env, "SMARTIO_SERIAL=%s", dsn))
			return -ENOMEM;
	}
	if (add_uevent_var(env, "SMARTIO_FDID=%x", fdev->fdid) ||
	    add_uevent_var(env, "SMARTIO_ADAPTER=%s",
			   dev_name(&fdev->adapter->dev)) ||
	    add_uevent_var(env, "PCI_ID=%04X:%04X", fdev->vendor,
			   fdev->device) ||
	    add_uevent_var(env, "PCI_SUBSYS_ID=%04X:%04X",
			   fdev->subsystem_vendor, fdev->subsystem_device) ||
	    add_uevent_var(env, "PCI_CLASS=%06X", fdev->class))
		return -ENOMEM;
	return 0;
}

static const struct device_type smartio_fdev_type = {
	.name = "smartio_fabric_device",
	.groups = smartio_fdev_groups,
	.uevent = smartio_fdev_uevent_env,
};

/* Adapters */

static int smartio_scan_reads_get(void *data, u64 *val)
{
	struct smartio_adapter *adapter = data;

	mutex_lock(&smartio_lock);
	*val = atomic64_read(&adapter->scan_config_reads);
	mutex_unlock(&smartio_lock);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(smartio_scan_reads_fops, smartio_scan_reads_get,
			 NULL, "%llu\n");

static int smartio_config_reads_get(void *data, u64 *val)
{
	struct smartio_adapter *adapter = data;

	*val = atomic64_read(&adapter->config_reads);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(smartio_config_reads_fops, smartio_config_reads_get,
			 NULL, "%llu\n");

/**
 * smartio_adapter_host() - give an adapter its host bridge if it has none
 * @adapter: the adapter
 *
 * Creates the host bridge, enumerating the remote bridges, and starts the
 * watcher. A creation that failed (the aperture still held by someone
 * else, no memory or PCI domain left) is tried again by every scan, so
 * the adapter is not lost until it is bound again. Called with the rescan
 * lock and smartio_lock held.
 *
 * Return: true if the adapter has its host bridge.
 */
bool smartio_adapter_host(struct smartio_adapter *adapter)
{
	int ret;

	lockdep_assert_held(&smartio_lock);
	if (adapter->host)
		return true;
	if (adapter->dead)
		return false;
	/* A link event from here on is the watcher's to handle. */
	adapter->link_events_seen = atomic_read(&adapter->link_events);
	ret = smartio_host_create(adapter);
	if (ret) {
		dev_err(&adapter->dev, "no PCI host bridge: %d; a scan tries again\n",
			ret);
		return false;
	}
	adapter->link_was_up = smartio_link_up(adapter);
	smartio_watch_start(adapter);
	return true;
}

/*
 * Creates the host bridge, with the rescan lock taken before smartio_lock
 * as everywhere else: the backend's probe may have been called with the
 * rescan lock held, or without it.
 */
static void smartio_attach_fn(struct work_struct *work)
{
	struct smartio_adapter *adapter =
		container_of(work, struct smartio_adapter, attach_work);
	LIST_HEAD(dead);

	mutex_lock(&smartio_scan_mutex);
	pci_lock_rescan_remove();
	mutex_lock(&smartio_lock);
	if (!smartio_adapter_host(adapter))
		goto unlock;
	if (READ_ONCE(autoborrow_transparent))
		smartio_scan_adapter(adapter, &dead, false);
	else if (adapter->link_was_up)
		smartio_walk(adapter, false);
unlock:
	mutex_unlock(&smartio_lock);
	pci_unlock_rescan_remove();
	smartio_fdevs_unregister(&dead);
	mutex_unlock(&smartio_scan_mutex);
}

/*
 * What unregistration left: the host bridge (its borrowed devices are
 * removed as on a surprise removal, since the backend is gone), the pool
 * and the adapter device.
 */
static void smartio_teardown_fn(struct work_struct *work)
{
	struct smartio_adapter *adapter =
		container_of(work, struct smartio_adapter, teardown_work);
	struct smartio_fdev *fdev, *tmp;
	LIST_HEAD(dead);

	cancel_delayed_work_sync(&adapter->watch);

	mutex_lock(&smartio_scan_mutex);
	pci_lock_rescan_remove();
	mutex_lock(&smartio_lock);
	list_for_each_entry(fdev, &adapter->fdevs, node) {
		struct pci_dev *pdev = smartio_fdev_pdev(fdev);

		smartio_mark_gone(fdev);
		/* The root bus goes as a whole; VFs must not outlive PFs. */
		if (pdev)
			smartio_host_sriov_off(pdev, true);
		pci_dev_put(pdev);
	}
	smartio_host_remove(adapter);
	list_for_each_entry_safe(fdev, tmp, &adapter->fdevs, node)
		smartio_fdev_drop(fdev, &dead);
	mutex_unlock(&smartio_lock);
	pci_unlock_rescan_remove();

	smartio_fdevs_unregister(&dead);
	mutex_unlock(&smartio_scan_mutex);
	/* A slot interrupt may have kicked the watcher before it was freed. */
	cancel_delayed_work_sync(&adapter->watch);
	device_del(&adapter->dev);
	/* Free the name now, not at release: a re-bound adapter reuses it. */
	ida_free(&smartio_adapter_ida, adapter->id);
	put_device(&adapter->dev);
}

/**
 * __smartio_adapter_register() - add an NTB adapter
 * @parent: the backend's device for it
 * @ops: backend operations
 * @info: bus range and aperture; copied
 * @priv: backend private data, in adapter->priv
 * @owner: the backend's module (smartio_adapter_register() passes it)
 *
 * Creates "adapter<N>" on the smartio bus. Its synthetic PCI host bridge
 * is created, and with autoborrow_transparent set the adapter is scanned,
 * by a work item (a scan waits for it), since the caller may hold the PCI
 * rescan lock. May be called from a backend's probe. Each device borrowed
 * through the adapter holds a reference on @owner, so the backend module
 * cannot be unloaded under a borrowed device (a mounted disk, say): as a
 * fabric transport's controllers pin it in nvme-fabrics.
 *
 * Return: the adapter or an ERR_PTR.
 */
struct smartio_adapter *
__smartio_adapter_register(struct device *parent,
			   const struct smartio_adapter_ops *ops,
			   const struct smartio_adapter_info *info, void *priv,
			   struct module *owner)
{
	struct smartio_adapter *adapter;
	int ret;

	adapter = kzalloc(sizeof(*adapter), GFP_KERNEL);
	if (!adapter)
		return ERR_PTR(-ENOMEM);
	ret = ida_alloc_max(&smartio_adapter_ida, 0xfff, GFP_KERNEL);
	if (ret < 0) {
		kfree(adapter);
		return ERR_PTR(ret);
	}
	adapter->id = ret;
	adapter->ops = ops;
	adapter->priv = priv;
	adapter->owner = owner;
	adapter->backend_dev = parent;
	adapter->info = *info;
	strscpy(adapter->backend_name, info->backend ? info->backend : "",
		sizeof(adapter->backend_name));
	adapter->info.backend = adapter->backend_name;
	INIT_LIST_HEAD(&adapter->fdevs);
	INIT_LIST_HEAD(&adapter->node);
	INIT_WORK(&adapter->attach_work, smartio_attach_fn);
	INIT_WORK(&adapter->teardown_work, smartio_teardown_fn);
	smartio_watch_init(adapter);

	device_initialize(&adapter->dev);
	atomic_inc(&smartio_live);
	adapter->dev.bus = &smartio_bus_type;
	adapter->dev.parent = smartio_root;
	adapter->dev.type = &smartio_adapter_type;
	ret = dev_set_name(&adapter->dev, "adapter%d", adapter->id);
	if (!ret)
		ret = device_add(&adapter->dev);
	if (ret)
		goto put_adapter;
	/* The adapter outlives its backend's device a little: link, not parent. */
	ret = sysfs_create_link(&adapter->dev.kobj, &parent->kobj, "device");
	if (ret)
		goto del_adapter;

	adapter->debugfs = debugfs_create_dir(dev_name(&adapter->dev),
					      smartio_debugfs);
	debugfs_create_file_unsafe("config_reads", 0444, adapter->debugfs,
				   adapter, &smartio_config_reads_fops);
	debugfs_create_file_unsafe("scan_config_reads", 0444, adapter->debugfs,
				   adapter, &smartio_scan_reads_fops);

	mutex_lock(&smartio_lock);
	list_add_tail(&adapter->node, &smartio_adapters);
	mutex_unlock(&smartio_lock);
	queue_work(smartio_attach_wq, &adapter->attach_work);
	return adapter;

del_adapter:
	device_del(&adapter->dev);
put_adapter:
	ida_free(&smartio_adapter_ida, adapter->id);
	put_device(&adapter->dev);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(__smartio_adapter_register);

/**
 * smartio_adapter_unregister() - remove an NTB adapter
 * @adapter: the adapter
 *
 * Once this returns, no operation of the backend is called again, so the
 * backend may free what they use; the backend must not call
 * smartio_adapter_link_event() for it any more. Every device borrowed through the
 * adapter is first quiesced through the backend (memory decode and bus
 * mastering off, marked disconnected), then removed as on a surprise
 * removal, and the pool behind it
 * goes away, by a work item: the caller may hold the PCI rescan lock (a
 * backend's remove called by the PCI core) or not (driver unbind).
 */
void smartio_adapter_unregister(struct smartio_adapter *adapter)
{
	struct smartio_fdev *fdev;

	mutex_lock(&smartio_lock);
	adapter->dead = true;
	WRITE_ONCE(adapter->watching, false);
	list_del_init(&adapter->node);
	/*
	 * Once config access is cut, the drivers' own pci_disable_device()
	 * writes are dropped: stop the borrowed devices' DMA and decoding
	 * now, while the backend still reaches them, so none writes into
	 * buffers its driver frees on the way out.
	 */
	list_for_each_entry(fdev, &adapter->fdevs, node) {
		struct pci_dev *pdev = smartio_fdev_pdev(fdev);

		if (!pdev)
			continue;
		smartio_pdev_set_gone(pdev);
		smartio_host_quiesce(adapter, fdev->bus, fdev->devfn);
		pci_dev_put(pdev);
	}
	smartio_host_unlink(adapter);
	mutex_unlock(&smartio_lock);

	WRITE_ONCE(adapter->gone, true);
	synchronize_srcu(&smartio_srcu);

	/* The backend's own debugfs files point into what it frees next. */
	debugfs_remove_recursive(adapter->debugfs);
	adapter->debugfs = NULL;
	sysfs_remove_link(&adapter->dev.kobj, "device");
	queue_work(smartio_attach_wq, &adapter->teardown_work);
}
EXPORT_SYMBOL_GPL(smartio_adapter_unregister);

/**
 * smartio_adapter_link_event() - tell the core that the link changed
 * @adapter: the adapter, registered and not yet unregistered
 *
 * A backend calls this, from process or hard interrupt context (not from
 * NMI: it takes a spinlock with interrupts off and queues work), whenever
 * its link went down or came up. A link that was down, however briefly, may have lost config
 * writes and transactions of the borrowed devices (a masked MSI-X vector,
 * a half-done reset), so they are marked disconnected at once, which makes
 * their drivers fail fast instead of waiting on them, and the watcher,
 * kicked now instead of at its next poll, removes them; they come back to
 * the pool available. Backends without link interrupts rely on polling of
 * &smartio_adapter_ops.link_up alone and may miss short drops.
 */
void smartio_adapter_link_event(struct smartio_adapter *adapter)
{
	struct smartio_fdev *fdev;
	unsigned long flags;

	atomic_inc(&adapter->link_events);
	spin_lock_irqsave(&smartio_borrow_lock, flags);
	list_for_each_entry(fdev, &smartio_borrowed, borrowed_node)
		if (fdev->adapter == adapter)
			smartio_pdev_set_gone(fdev->pdev);
	spin_unlock_irqrestore(&smartio_borrow_lock, flags);
	if (READ_ONCE(adapter->watching))
		mod_delayed_work(smartio_wq, &adapter->watch, 0);
}
EXPORT_SYMBOL_GPL(smartio_adapter_link_event);

/* Runs every adapter's watcher now, e.g. after its interval changed. */
void smartio_kick_watchers(void)
{
	struct smartio_adapter *adapter;

	mutex_lock(&smartio_lock);
	list_for_each_entry(adapter, &smartio_adapters, node)
		if (adapter->watching)
			mod_delayed_work(smartio_wq, &adapter->watch, 0);
	mutex_unlock(&smartio_lock);
}

/**
 * smartio_adapter_priv() - the backend private data of an adapter
 * @adapter: the adapter
 *
 * Return: the @priv given to __smartio_adapter_register().
 */
void *smartio_adapter_priv(const struct smartio_adapter *adapter)
{
	return adapter->priv;
}
EXPORT_SYMBOL_GPL(smartio_adapter_priv);

/**
 * smartio_adapter_debugfs() - the debugfs directory of an adapter
 * @adapter: the adapter, registered and not yet unregistered
 *
 * A backend may add its own files (fault injection, counters) there; they
 * are removed by smartio_adapter_unregister().
 *
 * Return: the adapter's directory below /sys/kernel/debug/smartio, or an
 * error pointer where debugfs is not available.
 */
struct dentry *smartio_adapter_debugfs(const struct smartio_adapter *adapter)
{
	return adapter->debugfs;
}
EXPORT_SYMBOL_GPL(smartio_adapter_debugfs);

/**
 * smartio_adapters_settle() - wait for adapters registered or unregistered
 *
 * Waits until every adapter registered before the call has its synthetic
 * PCI host bridge (and, with autoborrow_transparent, its first scan done),
 * and every adapter unregistered before the call has left sysfs with its
 * pool, so that a backend's module init returns with its adapters ready
 * and its module exit with them gone (their names free for reuse).
 * Must not be called with the PCI rescan lock held (not from a probe or
 * remove).
 */
void smartio_adapters_settle(void)
{
	flush_workqueue(smartio_attach_wq);
}
EXPORT_SYMBOL_GPL(smartio_adapters_settle);

/*
 * Before 6.3 the driver core clears bus_type.p when the bus kobject is
 * released, which kobject release debugging delays by seconds: the module
 * holding the bus_type must still be there then.
 */
static void smartio_bus_wait_released(void)
{
#ifdef SMARTIO_BUS_TYPE_HAS_P
	int i;

	for (i = 0; i < 100 && READ_ONCE(smartio_bus_type.p); i++)
		msleep(100);
#endif
}

static int __init smartio_init(void)
{
	int ret = -ENOMEM;

	smartio_wq = alloc_workqueue("smartio", 0, 0);
	if (!smartio_wq)
		return -ENOMEM;
	smartio_attach_wq = alloc_ordered_workqueue("smartio_attach", 0);
	if (!smartio_attach_wq)
		goto destroy_wq;
	ret = bus_register(&smartio_bus_type);
	if (ret)
		goto destroy_attach_wq;
	smartio_root = root_device_register("smartio");
	if (IS_ERR(smartio_root)) {
		ret = PTR_ERR(smartio_root);
		goto unregister_bus;
	}
	ret = smartio_slot_irqs_init();
	if (ret)
		goto unregister_root;
	ret = bus_register_notifier(&pci_bus_type, &smartio_pci_nb);
	if (ret)
		goto exit_slot_irqs;
	smartio_debugfs = debugfs_create_dir("smartio", NULL);
	pr_info("smartio %s loaded\n", SMARTIO_VERSION);
	return 0;

exit_slot_irqs:
	smartio_slot_irqs_exit();
unregister_root:
	root_device_unregister(smartio_root);
unregister_bus:
	bus_unregister(&smartio_bus_type);
	smartio_bus_wait_released();
destroy_attach_wq:
	destroy_workqueue(smartio_attach_wq);
destroy_wq:
	destroy_workqueue(smartio_wq);
	return ret;
}

static void __exit smartio_exit(void)
{
	/*
	 * The backends, which depend on this module, are gone already, and
	 * so is every borrowed device: each held its backend's module.
	 */
	flush_workqueue(smartio_attach_wq);
	wait_var_event(&smartio_live, !atomic_read(&smartio_live));
	debugfs_remove_recursive(smartio_debugfs);
	bus_unregister_notifier(&pci_bus_type, &smartio_pci_nb);
	smartio_slot_irqs_exit();
	root_device_unregister(smartio_root);
	bus_unregister(&smartio_bus_type);
	smartio_bus_wait_released();
	smartio_policy_exit();
	destroy_workqueue(smartio_attach_wq);
	destroy_workqueue(smartio_wq);
}

module_init(smartio_init);
module_exit(smartio_exit);

MODULE_DESCRIPTION("smartio: PCIe devices behind an NTB adapter as local devices");
MODULE_AUTHOR("smartio kernel team");
MODULE_LICENSE("GPL");
MODULE_VERSION(SMARTIO_VERSION);

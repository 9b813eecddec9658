// SPDX-License-Identifier: GPL-2.0
/*
 * smartio pool devices: the fabric devices a scan found, their objects and
 * their sysfs attributes on the smartio bus.
 */

#include <linux/blkdev.h>
#include <linux/device.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string_helpers.h>
#include <linux/sysfs.h>

#include "smartio.h"

/* Pool devices */

struct pci_dev *smartio_fdev_pdev(struct smartio_fdev *fdev)
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

void smartio_fdev_uevent(struct smartio_fdev *fdev, bool borrowed)
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
int smartio_find_ext_cap(struct smartio_adapter *adapter, u8 bus, u8 devfn,
			 u16 id)
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

u64 smartio_fdev_needed(struct smartio_fdev *fdev, bool pref)
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

u64 smartio_aperture_size(struct smartio_adapter *adapter, bool pref)
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

static void smartio_fdev_release(struct device *dev)
{
	kfree(to_smartio_fdev(dev));
	smartio_live_put();
}

struct smartio_fdev *smartio_fdev_find(struct smartio_adapter *adapter,
				       u32 fdid)
{
	struct smartio_fdev *fdev;

	list_for_each_entry(fdev, &adapter->fdevs, node)
		if (fdev->fdid == fdid)
			return fdev;
	return NULL;
}

struct smartio_fdev *smartio_fdev_add(struct smartio_adapter *adapter,
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
	smartio_live_get();
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

static ssize_t pci_driver_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct smartio_fdev *fdev = to_smartio_fdev(dev);
	char name[sizeof(fdev->pci_driver)];
	unsigned long flags;

	spin_lock_irqsave(&smartio_borrow_lock, flags);
	strscpy(name, fdev->pci_driver, sizeof(name));
	spin_unlock_irqrestore(&smartio_borrow_lock, flags);
	return sysfs_emit(buf, "%s\n", name);
}
static DEVICE_ATTR_RO(pci_driver);

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

/* The disk that keeps the device from being returned, if any. */
static ssize_t in_use_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct smartio_fdev *fdev = to_smartio_fdev(dev);
	struct pci_dev *pdev = smartio_fdev_pdev(fdev);
	char disk[DISK_NAME_LEN] = "";

	if (pdev) {
		smartio_device_in_use(&pdev->dev, disk);
		pci_dev_put(pdev);
	}
	return sysfs_emit(buf, "%s\n", disk);
}
static DEVICE_ATTR_RO(in_use);

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
	/* No NUL inside: "force" followed by anything is no request. */
	bool force = strnlen(buf, count) == count && sysfs_streq(buf, "force");
	struct kernfs_node *kn;
	int ret;

	if (!force) {
		ret = smartio_parse_true(buf, count);
		if (ret)
			return ret;
	}
	/*
	 * A driver may still be initializing the device asynchronously (nvme
	 * on 6.1 does): let it finish, so its removal is an orderly one. Any
	 * device's probe may be waiting for the watcher to remove it (a link
	 * flap lost its MSI-X enable and marked it gone: nvme's timeout then
	 * waits), and the watcher may be removing this fabric device, which
	 * drains this attribute: wait without holding it. The reference on
	 * the kobject keeps the fabric device, and so module exit, waiting.
	 */
	kn = sysfs_break_active_protection(&dev->kobj, &attr->attr);
	wait_for_device_probe();
	if (!force)
		smartio_wait_unused(fdev);
	pci_lock_rescan_remove();
	mutex_lock(&smartio_lock);
	ret = smartio_return(fdev, force);
	mutex_unlock(&smartio_lock);
	pci_unlock_rescan_remove();
	if (kn)
		sysfs_unbreak_active_protection(kn);
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
	&dev_attr_pci_driver.attr,
	&dev_attr_policy.attr,
	&dev_attr_in_use.attr,
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

const struct device_type smartio_fdev_type = {
	.name = "smartio_fabric_device",
	.groups = smartio_fdev_groups,
	.uevent = smartio_fdev_uevent_env,
};


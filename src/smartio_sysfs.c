// SPDX-License-Identifier: GPL-2.0
/*
 * smartio bus and adapter attributes.
 */

#include <linux/device.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string_helpers.h>
#include <linux/sysfs.h>

#include "smartio.h"

/* Bus attributes */

static ssize_t scan_store(smartio_bus_type_t *bus, const char *buf,
			  size_t count)
{
	int ret;

	ret = smartio_parse_true(buf, count);
	if (ret)
		return ret;
	ret = smartio_scan_all();
	return ret ? ret : count;
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
	return sysfs_emit(buf, "%d\n", READ_ONCE(smartio_autoborrow));
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
	if (READ_ONCE(smartio_autoborrow) == val) {
		mutex_unlock(&smartio_lock);
		return count;
	}
	WRITE_ONCE(smartio_autoborrow, val);
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

struct bus_type smartio_bus_type = {
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

static ssize_t scan_added_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(to_smartio_adapter(dev)->scan_added));
}
static DEVICE_ATTR_RO(scan_added);

static ssize_t scan_dropped_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(to_smartio_adapter(dev)->scan_dropped));
}
static DEVICE_ATTR_RO(scan_dropped);

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
	&dev_attr_scan_added.attr,
	&dev_attr_scan_dropped.attr,
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

const struct device_type smartio_adapter_type = {
	.name = "smartio_adapter",
	.groups = smartio_adapter_groups,
	.release = smartio_adapter_release,
};


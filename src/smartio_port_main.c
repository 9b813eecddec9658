// SPDX-License-Identifier: GPL-2.0
/*
 * smartio port backend.
 *
 * Adopts a PCIe root port or switch downstream port of an ordinary machine,
 * the port where a transparent host adapter, an expansion chassis cable or
 * a plain hot-plug slot ends, and makes the tree below it a smartio
 * adapter: smartio, not the OS, enumerates the devices there, and the pool,
 * borrow and return work as behind an NTB adapter.
 *
 * Handed over by writing the port's address to the driver's "adopt" and
 * "release" attributes, or by hand, the way vfio-pci is bound (no module
 * alias, no ID table):
 *
 *	echo smartio_port > /sys/bus/pci/devices/PORT/driver_override
 *	echo PORT > /sys/bus/pci/drivers/pcieport/unbind
 *	echo PORT > /sys/bus/pci/drivers/smartio_port/bind
 *
 * Adopting removes the OS's devices below the port (their drivers flush
 * first) and hides the port's secondary bus from the PCI core: its config
 * accessors answer "no device" to the PCI core until the smartio core
 * installs its own, which show the remote bridges and the borrowed devices
 * only, so a rescan or a sibling's hot-add finds nothing else there;
 * smartio reaches the tree through the accessors the platform gave that
 * bus. The devices stay on the port's own bus, in the machine's PCI
 * domain, with the requester IDs they have on the wire: the IOMMU and its
 * interrupt remapping cover a borrowed device as any other below the
 * port, and power management orders it below the port. The
 * port's memory windows, as assigned, are the aperture. Unbinding hands
 * the port back: the devices borrowed through it are returned, the bus is
 * visible again, the PCI core enumerates it, and pcieport takes the port
 * again.
 */

#include <linux/blkdev.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pm_runtime.h>
#include <linux/workqueue.h>

#include "smartio_backend.h"
#include "smartio_pci.h"
#include "smartio_port.h"

static struct workqueue_struct *smartio_port_wq;

/*
 * The PCI core's view of an adopted port's secondary bus: nothing answers,
 * so it neither enumerates the devices there nor touches their config.
 */
static int smartio_port_hidden_read(struct pci_bus *bus, unsigned int devfn,
				    int where, int size, u32 *val)
{
	*val = ~0U;
	return PCIBIOS_DEVICE_NOT_FOUND;
}

static int smartio_port_hidden_write(struct pci_bus *bus, unsigned int devfn,
				     int where, int size, u32 val)
{
	return PCIBIOS_DEVICE_NOT_FOUND;
}

static struct pci_ops smartio_port_hidden_ops = {
	.read = smartio_port_hidden_read,
	.write = smartio_port_hidden_write,
};

static int smartio_port_raw_read(struct smartio_port *port, unsigned int bus,
				 unsigned int devfn, int where, int size,
				 u32 *val)
{
	unsigned long flags;
	int ret;

	raw_spin_lock_irqsave(&port->cfg_lock, flags);
	port->cfg_bus->number = bus;
	ret = port->cfg_bus->ops->read(port->cfg_bus, devfn, where, size, val);
	raw_spin_unlock_irqrestore(&port->cfg_lock, flags);
	return ret;
}

/**
 * smartio_port_config_read() - &smartio_adapter_ops.config_read
 * @adapter: the adapter of an adopted port
 * @bus: a bus number below the port
 * @devfn: device and function
 * @where: register offset
 * @size: 1, 2 or 4
 * @val: where the value read goes
 *
 * Return: a PCIBIOS_* code; all-ones in @val if nothing answers.
 */
static int smartio_port_config_read(struct smartio_adapter *adapter,
				    unsigned int bus, unsigned int devfn,
				    int where, int size, u32 *val)
{
	struct smartio_port *port = smartio_adapter_priv(adapter);
	int ret;

	ret = smartio_port_raw_read(port, bus, devfn, where, size, val);
	if (ret)
		*val = ~0U;
	return ret;
}

/**
 * smartio_port_config_write() - &smartio_adapter_ops.config_write
 * @adapter: the adapter of an adopted port
 * @bus: a bus number below the port
 * @devfn: device and function
 * @where: register offset
 * @size: 1, 2 or 4
 * @val: the value to write
 *
 * Return: a PCIBIOS_* code.
 */
static int smartio_port_config_write(struct smartio_adapter *adapter,
				     unsigned int bus, unsigned int devfn,
				     int where, int size, u32 val)
{
	struct smartio_port *port = smartio_adapter_priv(adapter);
	unsigned long flags;
	int ret;

	raw_spin_lock_irqsave(&port->cfg_lock, flags);
	port->cfg_bus->number = bus;
	ret = port->cfg_bus->ops->write(port->cfg_bus, devfn, where, size, val);
	raw_spin_unlock_irqrestore(&port->cfg_lock, flags);
	return ret;
}

/**
 * smartio_port_link_up() - &smartio_adapter_ops.link_up
 * @adapter: the adapter of an adopted port
 *
 * Read without the PCI core's pci_lock, which the caller may hold.
 *
 * Return: whether the port's link is up (Data Link Layer Link Active,
 * or, on a port that does not report it, a card present in its slot).
 */
static bool smartio_port_link_up(struct smartio_adapter *adapter)
{
	struct smartio_port *port = smartio_adapter_priv(adapter);
	struct pci_dev *pdev = port->pdev;
	int reg = PCI_EXP_LNKSTA;
	u32 bit = PCI_EXP_LNKSTA_DLLLA, val;

	if (!pdev->link_active_reporting) {
		if (!(pcie_caps_reg(pdev) & PCI_EXP_FLAGS_SLOT))
			return true;
		reg = PCI_EXP_SLTSTA;
		bit = PCI_EXP_SLTSTA_PDS;
	}
	if (smartio_port_raw_read(port, pdev->bus->number, pdev->devfn,
				  pci_pcie_cap(pdev) + reg, 2, &val))
		return false;
	return val != 0xffff && (val & bit);
}

static const struct smartio_adapter_ops smartio_port_ops = {
	.config_read = smartio_port_config_read,
	.config_write = smartio_port_config_write,
	.link_up = smartio_port_link_up,
	.power = smartio_port_power,
};

/* Why a port cannot be adopted, or NULL if it can. */
static const char *smartio_port_refusal(struct pci_dev *pdev)
{
	int type;

	if (!pci_is_pcie(pdev))
		return "not a PCI Express device";
	type = pci_pcie_type(pdev);
	if (type != PCI_EXP_TYPE_ROOT_PORT && type != PCI_EXP_TYPE_DOWNSTREAM)
		return "not a root port or switch downstream port";
	if (!pdev->subordinate)
		return "has no secondary bus";
	/* acpiphp would act on the slot behind our back. */
	if ((pcie_caps_reg(pdev) & PCI_EXP_FLAGS_SLOT) &&
	    !pci_find_host_bridge(pdev->bus)->native_pcie_hotplug)
		return "its hot-plug belongs to the firmware (ACPI hot-plug)";
	/* Devices there are untrusted: they must stay behind the IOMMU's
	 * and the OS's own checks (Thunderbolt, USB4, external ports).
	 */
	if (pdev->external_facing || pdev->untrusted ||
	    pci_is_thunderbolt_attached(pdev))
		return "it is external-facing or untrusted (Thunderbolt/USB4)";
	return NULL;
}

/*
 * Whether the port may be adopted, saying why not in the log. Adopting
 * removes the devices below it: not from under the users of their disks.
 */
static int smartio_port_check(struct pci_dev *pdev)
{
	char disk[DISK_NAME_LEN];
	const char *why;

	why = smartio_port_refusal(pdev);
	if (why) {
		pci_err(pdev, "smartio_port: cannot adopt: %s\n", why);
		return -EINVAL;
	}
	if (smartio_device_in_use(&pdev->dev, disk)) {
		pci_err(pdev, "smartio_port: cannot adopt: %s below it is in use\n",
			disk);
		return -EBUSY;
	}
	return 0;
}

/* The port's memory windows as assigned: the aperture. */
static void smartio_port_windows(struct pci_dev *pdev,
				 struct smartio_adapter_info *info)
{
	unsigned int i;

	for (i = PCI_BRIDGE_RESOURCES; i <= PCI_BRIDGE_RESOURCES + 2; i++) {
		struct resource *r = &pdev->resource[i];
		struct smartio_window *win;

		if (!(r->flags & IORESOURCE_MEM) || !r->parent ||
		    !resource_size(r))
			continue;
		win = &info->windows[info->nr_windows++];
		win->res.start = r->start;
		win->res.end = r->end;
		win->res.flags = r->flags & (IORESOURCE_MEM |
					     IORESOURCE_PREFETCH |
					     IORESOURCE_MEM_64);
		win->offset = 0;
	}
}

static struct pci_bus *smartio_port_cfg_bus(struct pci_bus *sec)
{
	struct pci_bus *bus = kzalloc(sizeof(*bus), GFP_KERNEL);

	if (!bus)
		return NULL;
	bus->sysdata = sec->sysdata;
	bus->parent = sec->parent;
#ifdef CONFIG_PCI_DOMAINS_GENERIC
	bus->domain_nr = sec->domain_nr;
#endif
	return bus;
}

/* Removes the OS's devices below the port and hides its secondary bus. */
static void smartio_port_take(struct smartio_port *port)
{
	struct pci_bus *sec = port->pdev->subordinate;
	struct pci_dev *dev, *tmp;

	pci_lock_rescan_remove();
	list_for_each_entry_safe_reverse(dev, tmp, &sec->devices, bus_list)
		pci_stop_and_remove_bus_device(dev);
	port->cfg_bus->ops = pci_bus_set_ops(sec, &smartio_port_hidden_ops);
	pci_unlock_rescan_remove();
}

/*
 * Gives the PCI core the port's secondary bus back, with its accessors,
 * and lets it enumerate what is there. Nothing below may be borrowed.
 */
static void smartio_port_give_back(struct smartio_port *port)
{
	struct pci_bus *sec;

	pci_lock_rescan_remove();
	/* A port removed meanwhile has no secondary bus any more. */
	sec = port->pdev->subordinate;
	if (sec) {
		pci_bus_set_ops(sec, port->cfg_bus->ops);
		pci_rescan_bus(sec);
	}
	pci_unlock_rescan_remove();
}

/* Whether a PCI slot's last reference is gone but its release has not run. */
static bool smartio_port_slot_dying(void)
{
	struct kobject *kobj;
	bool dying = false;

	/* A slot stays in the kset, and in memory, until its release. */
	spin_lock(&pci_slots_kset->list_lock);
	list_for_each_entry(kobj, &pci_slots_kset->list, entry) {
		if (!kref_read(&kobj->kref)) {
			dying = true;
			break;
		}
	}
	spin_unlock(&pci_slots_kset->list_lock);
	return dying;
}

/*
 * Adopting destroys pciehp's slots: the port's own (pcieport's unbind just
 * before the probe) and those of the switch ports below. A slot leaves its
 * bus and sysfs only in its kobject release, which
 * CONFIG_DEBUG_KOBJECT_RELEASE delays by up to 4 s; a pciehp probing
 * meanwhile, when the port or the ports below come back, would take a
 * reference on the dying slot from zero or clash with its name. So both
 * the probe and the hand-back wait until no slot is being released, which
 * on kernels that release at once is no wait at all.
 */
static void smartio_port_wait_slots(struct pci_dev *pdev)
{
	unsigned long end = jiffies + 10 * HZ;

	while (smartio_port_slot_dying()) {
		if (time_after(jiffies, end)) {
			pci_warn(pdev, "smartio_port: a hot-plug slot is still being released\n");
			return;
		}
		msleep(100);
	}
}

static void smartio_port_release_work(struct work_struct *work);

static int smartio_port_probe(struct pci_dev *pdev,
			      const struct pci_device_id *id)
{
	struct smartio_adapter_info info = { .backend = "port" };
	struct smartio_port *port;
	int ret;

	smartio_port_wait_slots(pdev);
	ret = smartio_port_check(pdev);
	if (ret)
		return ret;
	info.bus_start = pdev->subordinate->busn_res.start;
	info.bus_end = pdev->subordinate->busn_res.end;
	info.dma_ids = SMARTIO_DMA_OWN_IDS;
	info.bus = pdev->subordinate;
	smartio_port_windows(pdev, &info);
	if (!info.nr_windows) {
		pci_err(pdev, "smartio_port: cannot adopt: it has no memory window\n");
		return -EINVAL;
	}

	port = kzalloc(sizeof(*port), GFP_KERNEL);
	if (!port)
		return -ENOMEM;
	port->pdev = pci_dev_get(pdev);
	raw_spin_lock_init(&port->cfg_lock);
	INIT_WORK(&port->release_work, smartio_port_release_work);
	port->cfg_bus = smartio_port_cfg_bus(pdev->subordinate);
	if (!port->cfg_bus) {
		ret = -ENOMEM;
		goto free_port;
	}

	/* pcieport's remove disabled the port: nothing below could DMA. */
	ret = pci_enable_device(pdev);
	if (ret)
		goto free_bus;
	pci_set_master(pdev);
	/* In D3 nothing below answers: the port stays in D0 while adopted. */
	pm_runtime_get_noresume(&pdev->dev);

	smartio_port_take(port);

	port->adapter = smartio_adapter_register(&pdev->dev, &smartio_port_ops,
						 &info, port);
	if (IS_ERR(port->adapter)) {
		ret = PTR_ERR(port->adapter);
		goto give_back;
	}
	pci_set_drvdata(pdev, port);
	smartio_port_slot_irq_start(port);
	pci_info(pdev, "smartio_port: adopted, buses %02x-%02x, slot events %s\n",
		 info.bus_start, info.bus_end,
		 port->irq ? "by interrupt" : "polled");
	return 0;

give_back:
	/* Nothing borrowed yet: the OS may have its devices back now. */
	smartio_port_give_back(port);
	pm_runtime_put_noidle(&pdev->dev);
	pci_disable_device(pdev);
free_bus:
	kfree(port->cfg_bus);
free_port:
	pci_dev_put(port->pdev);
	kfree(port);
	return ret;
}

/*
 * The driver the next probe of the port picks: @name, or with "" the one
 * its ID tables match again.
 */
static void smartio_port_override(struct pci_dev *pdev, const char *name)
{
#ifdef SMARTIO_DEV_DRIVER_OVERRIDE
	device_set_driver_override(&pdev->dev, name);
#else
	driver_set_override(&pdev->dev, &pdev->driver_override, name,
			    strlen(name));
#endif
}

/*
 * Once the adapter's synthetic tree is gone (smartio_adapters_settle(),
 * which must not run under the rescan lock that a remove may hold), the
 * PCI core sees the secondary bus again and enumerates it, and pcieport
 * takes the port back.
 */
static void smartio_port_release_work(struct work_struct *work)
{
	struct smartio_port *port = container_of(work, struct smartio_port,
						 release_work);
	struct pci_dev *pdev = port->pdev;

	smartio_adapters_settle();
	smartio_port_wait_slots(pdev);

	smartio_port_give_back(port);
	if (pdev->subordinate) {
		smartio_port_override(pdev, "");
		if (device_attach(&pdev->dev) < 0)
			pci_warn(pdev, "smartio_port: no driver took the port back\n");
	}
	pci_info(pdev, "smartio_port: released\n");
	pci_dev_put(pdev);
	kfree(port->cfg_bus);
	kfree(port);
}

static void smartio_port_remove(struct pci_dev *pdev)
{
	struct smartio_port *port = pci_get_drvdata(pdev);

	/* The handler tells the adapter: gone before the adapter is. */
	smartio_port_slot_irq_stop(port);
	smartio_adapter_unregister(port->adapter);
	pm_runtime_put_noidle(&pdev->dev);
	pci_disable_device(pdev);
	queue_work(smartio_port_wq, &port->release_work);
}

static struct pci_driver smartio_port_driver;

/* One adopt or release at a time: each hands a port between drivers. */
static DEFINE_MUTEX(smartio_port_adopt_lock);

/*
 * Hands @pdev from pcieport to this driver, checking first: pcieport's
 * unbind disables the port, which stops the DMA of the devices below.
 */
static int smartio_port_adopt(struct pci_dev *pdev)
{
	struct device_driver *drv;
	int ret;

	device_lock(&pdev->dev);
	drv = pdev->dev.driver;
	device_unlock(&pdev->dev);
	if (drv == &smartio_port_driver.driver)
		return 0;
	if (!drv || strcmp(drv->name, "pcieport")) {
		pci_err(pdev, "smartio_port: cannot adopt: not a PCIe port driven by pcieport (driver: %s)\n",
			drv ? drv->name : "none");
		return -EBUSY;
	}
	ret = smartio_port_check(pdev);
	if (ret)
		return ret;
	device_release_driver(&pdev->dev);
	smartio_port_override(pdev, "smartio_port");
	if (device_attach(&pdev->dev) == 1 &&
	    pdev->dev.driver == &smartio_port_driver.driver)
		return 0;
	/* The probe refused and said why: pcieport takes the port back. */
	smartio_port_override(pdev, "");
	if (device_attach(&pdev->dev) < 0)
		pci_warn(pdev, "smartio_port: no driver took the port back\n");
	return -EIO;
}

/*
 * Hands an adopted port back, unless a disk below one of its borrowed
 * devices is in use (opens that end by themselves get a second, as for a
 * return). The write returns once pcieport drives the port again. One
 * that is not adopted is left as it is.
 */
static int smartio_port_release(struct pci_dev *pdev)
{
	char disk[DISK_NAME_LEN];
	struct smartio_port *port;
	bool busy = false;
	int i;

	device_lock(&pdev->dev);
	if (pdev->dev.driver != &smartio_port_driver.driver) {
		device_unlock(&pdev->dev);
		return 0;
	}
	port = pci_get_drvdata(pdev);
	for (i = 0; i < 20; i++) {
		busy = smartio_adapter_in_use(port->adapter, disk);
		if (!busy)
			break;
		msleep(50);
	}
	device_unlock(&pdev->dev);
	if (busy) {
		pci_err(pdev, "smartio_port: cannot release: %s below it is in use\n",
			disk);
		return -EBUSY;
	}
	device_release_driver(&pdev->dev);
	flush_workqueue(smartio_port_wq);
	return 0;
}

/*
 * The port named exactly as the PCI core names it ("0000:00:04.0"), with
 * or without a newline, referenced in *@pdevp.
 */
static int smartio_port_lookup(const char *buf, size_t count,
			       struct pci_dev **pdevp)
{
	unsigned int domain, bus, dev, fn;
	struct pci_dev *pdev;
	size_t len = count;
	char name[32];

	if (len && buf[len - 1] == '\n')
		len--;
	if (!len || len >= sizeof(name) || strnlen(buf, len) != len)
		return -EINVAL;
	memcpy(name, buf, len);
	name[len] = '\0';
	if (sscanf(name, "%x:%x:%x.%x", &domain, &bus, &dev, &fn) != 4 ||
	    bus > 0xff || dev > 0x1f || fn > 7)
		return -EINVAL;
	pdev = pci_get_domain_bus_and_slot(domain, bus, PCI_DEVFN(dev, fn));
	if (!pdev)
		return -ENODEV;
	/* sscanf() takes more than the name ("0x", leading zeros, a tail). */
	if (strcmp(name, pci_name(pdev))) {
		pci_dev_put(pdev);
		return -EINVAL;
	}
	*pdevp = pdev;
	return 0;
}

/* Runs @op on the port written, one adopt or release at a time. */
static ssize_t smartio_port_store(const char *buf, size_t count,
				  int (*op)(struct pci_dev *pdev))
{
	struct pci_dev *pdev;
	int ret;

	ret = smartio_port_lookup(buf, count, &pdev);
	if (ret)
		return ret;
	mutex_lock(&smartio_port_adopt_lock);
	ret = op(pdev);
	mutex_unlock(&smartio_port_adopt_lock);
	pci_dev_put(pdev);
	return ret ?: count;
}

static ssize_t adopt_store(struct device_driver *driver, const char *buf,
			   size_t count)
{
	return smartio_port_store(buf, count, smartio_port_adopt);
}
static DRIVER_ATTR_WO(adopt);

static ssize_t release_store(struct device_driver *driver, const char *buf,
			     size_t count)
{
	return smartio_port_store(buf, count, smartio_port_release);
}
static DRIVER_ATTR_WO(release);

static struct attribute *smartio_port_drv_attrs[] = {
	&driver_attr_adopt.attr,
	&driver_attr_release.attr,
	NULL,
};
ATTRIBUTE_GROUPS(smartio_port_drv);

/* No ID table and no MODULE_DEVICE_TABLE: a port is adopted by hand. */
static struct pci_driver smartio_port_driver = {
	.name = "smartio_port",
	.probe = smartio_port_probe,
	.remove = smartio_port_remove,
	.groups = smartio_port_drv_groups,
};

static int __init smartio_port_init(void)
{
	int ret;

	smartio_port_wq = alloc_workqueue("smartio_port", 0, 0);
	if (!smartio_port_wq)
		return -ENOMEM;
	ret = pci_register_driver(&smartio_port_driver);
	if (ret)
		goto destroy_wq;
	return 0;

destroy_wq:
	destroy_workqueue(smartio_port_wq);
	return ret;
}

static void __exit smartio_port_exit(void)
{
	/* Nothing is borrowed: each borrowed device holds this module. */
	pci_unregister_driver(&smartio_port_driver);
	/* Every port handed back, to the OS and to pcieport, before rmmod returns. */
	destroy_workqueue(smartio_port_wq);
}

module_init(smartio_port_init);
module_exit(smartio_port_exit);

MODULE_DESCRIPTION("smartio port backend: a PCIe port of this machine as a smartio adapter");
MODULE_AUTHOR("smartio kernel team");
MODULE_LICENSE("GPL");
MODULE_VERSION(SMARTIO_VERSION);

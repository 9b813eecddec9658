// SPDX-License-Identifier: GPL-2.0
/*
 * smartio synthetic PCI host bridge.
 *
 * The remote tree behind an adapter becomes a PCI domain of its own
 * (0x10000 and up, like VMD), so the PCI core enumerates it, assigns BARs
 * inside the adapter's aperture and native drivers bind unchanged. Bridges
 * (root and switch ports) are visible from the start; endpoints answer only
 * while they are borrowed, so the pool stays invisible to the PCI core. The
 * virtual functions of a borrowed SR-IOV physical function answer too, for
 * as long as the PF is borrowed: the PCI core enumerates them itself when
 * the PF's driver enables SR-IOV.
 */

#include <linux/bitmap.h>
#include <linux/idr.h>
#include <linux/iommu.h>
#include <linux/ioport.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/pm_runtime.h>
#include <linux/slab.h>

#include "smartio.h"
#include "smartio_host.h"

static DEFINE_IDA(smartio_domain_ida);

/*
 * Bridges are always visible so the switch path of every slot exists in the
 * PCI core; an endpoint only while it is borrowed.
 */
static bool smartio_host_visible(struct smartio_host *host, unsigned int bus,
				 unsigned int devfn)
{
	struct smartio_adapter *adapter = host->adapter;
	u32 hdr;

	if (bus < adapter->info.bus_start || bus > adapter->info.bus_end)
		return false;
	if (test_bit(smartio_bdf(bus, devfn), host->visible))
		return true;
	if (smartio_config_read(adapter, bus, devfn, PCI_HEADER_TYPE, 1, &hdr))
		return false;
	return (hdr & 0x7f) == PCI_HEADER_TYPE_BRIDGE;
}

static bool smartio_hidden_ext_cap(u16 id)
{
	return id == PCI_EXT_CAP_ID_ATS || id == PCI_EXT_CAP_ID_PRI ||
	       id == PCI_EXT_CAP_ID_PASID;
}

/*
 * ATS, PRI and PASID of a remote function stay unknown to the PCI core: an
 * IOMMU driver would enable them, and its device-TLB invalidations would
 * carry the synthetic domain's requester IDs, which no hardware knows (its
 * walk to a root port ends at the synthetic root bus, which it takes for a
 * root-complex integrated device). A read covering the ID field of such a
 * capability's header reads ID 0 there, a null capability whose Next
 * pointer still leads on, so pci_find_ext_capability() never finds it.
 */
static void smartio_hide_ext_caps(struct smartio_adapter *adapter,
				  unsigned int bus, unsigned int devfn,
				  int where, int size, u32 *val)
{
	int ttl = (PCI_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE) / 8;
	int pos = PCI_CFG_SPACE_SIZE, b;
	u32 header;

	while (ttl-- > 0 && pos >= PCI_CFG_SPACE_SIZE) {
		if (smartio_config_read(adapter, bus, devfn, pos, 4, &header) ||
		    !header || header == ~0U)
			return;
		if (smartio_hidden_ext_cap(PCI_EXT_CAP_ID(header)))
			for (b = max(where, pos); b < min(where + size, pos + 2); b++)
				*val &= ~(0xffU << (8 * (b - where)));
		pos = PCI_EXT_CAP_NEXT(header);
	}
}

static int smartio_pci_read(struct pci_bus *bus, unsigned int devfn, int where,
			    int size, u32 *val)
{
	struct smartio_host *host = smartio_bus_to_host(bus);
	int ret;

	if (!smartio_host_visible(host, bus->number, devfn)) {
		PCI_SET_ERROR_RESPONSE(val);
		return PCIBIOS_DEVICE_NOT_FOUND;
	}
	ret = smartio_config_read(host->adapter, bus->number, devfn, where,
				  size, val);
	/* On the adapter's own bus the requester IDs are real: ATS works. */
	if (!ret && where >= PCI_CFG_SPACE_SIZE && !host->own_ops)
		smartio_hide_ext_caps(host->adapter, bus->number, devfn, where,
				      size, val);
	return ret;
}

static int smartio_pci_write(struct pci_bus *bus, unsigned int devfn,
			     int where, int size, u32 val)
{
	struct smartio_host *host = smartio_bus_to_host(bus);
	struct smartio_adapter *adapter = host->adapter;

	if (!smartio_host_visible(host, bus->number, devfn))
		return PCIBIOS_DEVICE_NOT_FOUND;
	return smartio_config_write(adapter, bus->number, devfn, where, size,
				    val);
}

/* Each tree has a copy, in its struct smartio_host. */
const struct pci_ops smartio_pci_ops = {
	.read = smartio_pci_read,
	.write = smartio_pci_write,
};

static bool smartio_domain_in_use(int domain)
{
	struct pci_bus *bus = NULL;

	while ((bus = pci_find_next_bus(bus)))
		if (pci_domain_nr(bus) == domain)
			return true;
	return false;
}

/*
 * The IDA makes concurrent adapter probes race-free among themselves; the
 * in-use check skips domains another synthetic bridge (VMD) already took.
 */
static int smartio_domain_alloc(void)
{
	int skipped[8];
	int nr = 0;
	int domain;

	for (;;) {
		domain = ida_alloc_min(&smartio_domain_ida, SMARTIO_DOMAIN_START,
				       GFP_KERNEL);
		if (domain < 0 || !smartio_domain_in_use(domain))
			break;
		if (nr == ARRAY_SIZE(skipped)) {
			ida_free(&smartio_domain_ida, domain);
			domain = -EBUSY;
			break;
		}
		skipped[nr++] = domain;
	}
	while (nr--)
		ida_free(&smartio_domain_ida, skipped[nr]);
	return domain;
}

/**
 * smartio_host_domain() - PCI domain of an adapter's remote tree
 * @adapter: the adapter, with smartio_lock or the rescan lock held
 *
 * Return: the domain number, or -ENODEV if the adapter has no host bridge.
 */
int smartio_host_domain(struct smartio_adapter *adapter)
{
	return adapter->host ? adapter->host->domain : -ENODEV;
}

/*
 * A firmware window of exactly the aperture's range (the ACPI host bridge
 * the kernel was told not to enumerate) ends up below our resource when we
 * insert it; the PCI core must allocate inside that one, or every claim
 * conflicts with it. The firmware resource is never removed, so reading
 * the tree here without the resource lock is safe.
 */
static struct resource *smartio_host_window(struct smartio_window *win)
{
	struct resource *child = win->res.child;

	if (child && !child->sibling && child->start == win->res.start &&
	    child->end == win->res.end)
		return child;
	return &win->res;
}

static void smartio_host_release_windows(struct smartio_adapter *adapter,
					 unsigned int nr)
{
	while (nr--)
		remove_resource(&adapter->info.windows[nr].res);
}

/**
 * smartio_host_enumerate() - let the PCI core find the remote bridges
 * @adapter: the adapter, with its host bridge
 *
 * Keeps the bridge windows the remote side programmed. Does nothing once
 * the root bus has its root port: an adapter whose link was down when its
 * host bridge was created has none, and gets it here once the link is up.
 * The caller holds the rescan lock and smartio_lock.
 */
void smartio_host_enumerate(struct smartio_adapter *adapter)
{
	struct pci_bus *bus = adapter->host->bus, *child;

	if (!list_empty(&bus->devices))
		return;
	pci_scan_child_bus(bus);
	if (list_empty(&bus->devices))
		return;
	pci_bus_claim_resources(bus);
	pci_assign_unassigned_bus_resources(bus);
	list_for_each_entry(child, &bus->children, node)
		pcie_bus_configure_settings(child);
	pci_bus_add_devices(bus);
}

static bool smartio_host_bus_stale(struct smartio_adapter *adapter,
				   struct pci_bus *bus)
{
	struct pci_dev *dev;
	u32 sec;

	list_for_each_entry(dev, &bus->devices, bus_list) {
		if (!dev->subordinate)
			continue;
		if (smartio_config_read(adapter, bus->number, dev->devfn,
					PCI_SECONDARY_BUS, 1, &sec) ||
		    sec != dev->subordinate->number)
			return true;
		if (smartio_host_bus_stale(adapter, dev->subordinate))
			return true;
	}
	return false;
}

/**
 * smartio_host_stale() - whether the remote tree lost its configuration
 * @adapter: the adapter, its link up
 *
 * A chassis power cycle or a reset resets the remote bridges: their bus
 * numbers (and windows) are gone, while the PCI core still has the tree it
 * enumerated. A bridge whose secondary bus number is no longer the one the
 * PCI core gave its bus tells. The caller holds the rescan lock and
 * smartio_lock.
 *
 * Return: true if the remote tree must be enumerated again.
 */
bool smartio_host_stale(struct smartio_adapter *adapter)
{
	return adapter->host && smartio_host_bus_stale(adapter, adapter->host->bus);
}

/**
 * smartio_host_forget() - remove the PCI core's view of the remote tree
 * @adapter: the adapter, with nothing borrowed through it any more
 *
 * Removes every device of the root bus (the remote bridges and their
 * buses) and keeps the root bus, so that smartio_host_enumerate() scans
 * the tree anew and the PCI core assigns its bus numbers and windows again.
 * The caller holds the rescan lock and smartio_lock.
 */
void smartio_host_forget(struct smartio_adapter *adapter)
{
	struct pci_dev *dev, *tmp;

	if (!adapter->host)
		return;
	list_for_each_entry_safe_reverse(dev, tmp, &adapter->host->bus->devices,
					 bus_list)
		pci_stop_and_remove_bus_device(dev);
}

/**
 * smartio_host_knows() - whether the PCI core has a remote function
 * @adapter: the adapter
 * @bus: remote bus number
 * @devfn: remote device/function
 *
 * Reads no configuration space. The caller holds the rescan lock.
 *
 * Return: true if it is a device of the synthetic domain, or if the
 * adapter has no host bridge.
 */
bool smartio_host_knows(struct smartio_adapter *adapter, u8 bus, u8 devfn)
{
	struct pci_bus *pbus;
	struct pci_dev *dev;

	if (!adapter->host)
		return true;
	pbus = pci_find_bus(adapter->host->domain, bus);
	if (!pbus)
		return false;
	list_for_each_entry(dev, &pbus->devices, bus_list)
		if (dev->devfn == devfn)
			return true;
	return false;
}

/*
 * An adapter that rewrites requester IDs to its own: the IOMMU has to map
 * the domain's DMA, and remap its MSIs, in the context of the adapter's
 * function. x86 has the mechanism for VMD, which does the same:
 * pci_real_dma_dev() returns sysdata.vmd_dev, and the IOMMU drivers and
 * pci_for_each_dma_alias() use that device instead. Without it (a kernel
 * built without VMD) there is no alias; an IOMMU then refuses the devices
 * and borrowing them fails (see smartio_host_attach()).
 */
static void smartio_host_set_alias(struct smartio_host *host)
{
	struct device *dev = host->adapter->backend_dev;

	if (host->adapter->info.dma_ids != SMARTIO_DMA_ADAPTER_ID ||
	    !dev_is_pci(dev))
		return;
	host->alias = pci_dev_get(to_pci_dev(dev));
#if IS_ENABLED(CONFIG_VMD)
	host->sysdata.vmd_dev = host->alias;
#endif
}

/**
 * smartio_host_iommu_vtd() - whether Intel VT-d translates a device
 * @dev: the adapter's device
 *
 * Of the x86 IOMMU drivers only VT-d knows PCI domains above 0xffff (it
 * must, for Intel VMD): a device there is covered by no DMAR unit, or,
 * with a DMA alias (pci_real_dma_dev(), only with CONFIG_VMD), mapped in
 * the alias's context. AMD's driver masks the PCI segment to 16 bits and
 * takes 10000:BB:DD.F for the local 0000:BB:DD.F: attaching and detaching
 * remote bridges and devices would rewrite that local device's table
 * entry. VT-d's units are "dmar<N>" in sysfs.
 *
 * Return: true if @dev's IOMMU is a VT-d unit.
 */
bool smartio_host_iommu_vtd(struct device *dev)
{
#ifdef CONFIG_IOMMU_API
	struct iommu_device *iommu = dev->iommu ? dev->iommu->iommu_dev : NULL;

	return iommu && iommu->dev && !strncmp(dev_name(iommu->dev), "dmar", 4);
#else
	return false;
#endif
}

/*
 * A tree on the adapter's own bus (a port's secondary bus): the devices
 * stay in the platform's PCI domain with their own requester IDs, below
 * the backend's device. The bus takes our accessors; its windows, the
 * aperture, are the backend's bridge's and already in the resource tree.
 */
static void smartio_host_own(struct smartio_host *host)
{
	struct smartio_adapter *adapter = host->adapter;

	host->bus = adapter->info.bus;
	host->domain = pci_domain_nr(host->bus);
	adapter->host = host;
	host->own_ops = pci_bus_set_ops(host->bus, &host->ops);
	smartio_host_enumerate(adapter);
	dev_info(&adapter->dev, "PCI domain %04x, on bus %s, remote buses %02x-%02x\n",
		 host->domain, dev_name(&host->bus->dev),
		 adapter->info.bus_start, adapter->info.bus_end);
}

/**
 * smartio_host_create() - create and scan the remote tree's PCI bus
 * @adapter: a registered adapter whose info (bus range, aperture) is final
 *
 * Claims the aperture, creates the root bus in a new domain (or takes the
 * adapter's own bus, see &smartio_adapter_info.bus) and lets the PCI core
 * enumerate the bridges of the remote tree, keeping the bridge windows the
 * remote side already programmed. The caller holds the rescan lock and
 * smartio_lock.
 *
 * Return: 0 or a negative errno.
 */
int smartio_host_create(struct smartio_adapter *adapter)
{
	struct smartio_adapter_info *info = &adapter->info;
	struct pci_host_bridge *bridge;
	struct smartio_host *host;
	LIST_HEAD(resources);
	unsigned int i;
	int ret;

	if (!info->bus && device_iommu_mapped(adapter->backend_dev) &&
	    !smartio_host_iommu_vtd(adapter->backend_dev)) {
		dev_err(&adapter->dev, "the IOMMU translating %s would take the remote devices for local ones of PCI domain 0000\n",
			dev_name(adapter->backend_dev));
		return -EOPNOTSUPP;
	}

	host = kzalloc(sizeof(*host), GFP_KERNEL);
	if (!host)
		return -ENOMEM;
	host->adapter = adapter;
	host->ops = smartio_pci_ops;
	host->visible = bitmap_zalloc(SMARTIO_NR_BUSES * 256, GFP_KERNEL);
	if (!host->visible) {
		ret = -ENOMEM;
		goto free_host;
	}
	if (info->bus) {
		smartio_host_own(host);
		return 0;
	}

	ret = smartio_domain_alloc();
	if (ret < 0)
		goto free_bitmap;
	host->domain = ret;
	host->sysdata.domain = ret;
	host->sysdata.node = dev_to_node(adapter->backend_dev);
	smartio_host_set_alias(host);

	host->busn.name = dev_name(&adapter->dev);
	host->busn.start = info->bus_start;
	host->busn.end = info->bus_end;
	host->busn.flags = IORESOURCE_BUS;
	pci_add_resource(&resources, &host->busn);

	/* Firmware windows are top-level in iomem already: insert, not request. */
	for (i = 0; i < info->nr_windows; i++) {
		struct smartio_window *win = &info->windows[i];

		win->res.name = dev_name(&adapter->dev);
		ret = insert_resource(&iomem_resource, &win->res);
		if (ret) {
			dev_err(&adapter->dev, "aperture %pR is in use\n",
				&win->res);
			goto free_resources;
		}
		pci_add_resource_offset(&resources, smartio_host_window(win),
					win->offset);
	}

	adapter->host = host;
	host->bus = pci_create_root_bus(&adapter->dev, info->bus_start,
					&host->ops, &host->sysdata, &resources);
	if (!host->bus) {
		ret = -ENODEV;
		goto clear_host;
	}

	/* Child buses take the MSI domain of their bridge, set at its add. */
	if (host->alias)
		dev_set_msi_domain(&host->bus->dev,
				   dev_get_msi_domain(&host->alias->dev));

	/*
	 * The tree hangs below the smartio root, not below the adapter's own
	 * device, and PCI devices suspend and resume asynchronously: order it
	 * after the adapter explicitly, for system sleep and runtime PM.
	 */
	host->pm_link = device_link_add(host->bus->bridge,
					adapter->backend_dev,
					DL_FLAG_STATELESS | DL_FLAG_PM_RUNTIME);
	if (!host->pm_link)
		dev_warn(&adapter->dev, "not ordered after %s for power management\n",
			 dev_name(adapter->backend_dev));

	/* smartio, not pciehp or AER, owns the remote tree's events. */
	bridge = to_pci_host_bridge(host->bus->bridge);
	bridge->native_pcie_hotplug = 0;
	bridge->native_shpc_hotplug = 0;
	bridge->native_aer = 0;
	bridge->native_pme = 0;
	bridge->native_ltr = 0;
	bridge->native_dpc = 0;

	smartio_host_enumerate(adapter);

	dev_info(&adapter->dev, "PCI domain %04x, remote buses %02x-%02x\n",
		 host->domain, info->bus_start, info->bus_end);
	return 0;

clear_host:
	adapter->host = NULL;
free_resources:
	pci_free_resource_list(&resources);
	smartio_host_release_windows(adapter, i);
	ida_free(&smartio_domain_ida, host->domain);
	pci_dev_put(host->alias);
free_bitmap:
	bitmap_free(host->visible);
free_host:
	kfree(host);
	return ret;
}

/**
 * smartio_host_unlink() - stop ordering the tree after the adapter's device
 * @adapter: the adapter
 *
 * Called when the backend lets the adapter go, before its device may be
 * deleted (which would drop the link behind our back), and again by
 * smartio_host_remove(). The caller holds smartio_lock.
 */
void smartio_host_unlink(struct smartio_adapter *adapter)
{
	struct smartio_host *host = adapter->host;

	if (host && host->pm_link) {
		device_link_del(host->pm_link);
		host->pm_link = NULL;
	}
}

/**
 * smartio_host_remove() - take the remote tree out of the PCI core
 * @adapter: the adapter
 *
 * Every borrowed device is unbound and removed first; the PCI bus notifier
 * of the core puts them back in the pool. A synthetic root bus goes with
 * them; the adapter's own bus gets its accessors back. The caller holds
 * the rescan lock and smartio_lock.
 */
void smartio_host_remove(struct smartio_adapter *adapter)
{
	struct smartio_host *host = adapter->host;
	struct pci_host_bridge *bridge;

	if (!host)
		return;

	smartio_host_unlink(adapter);
	if (host->own_ops) {
		smartio_host_forget(adapter);
		pci_bus_set_ops(host->bus, host->own_ops);
	} else {
		bridge = to_pci_host_bridge(host->bus->bridge);
		pci_stop_root_bus(host->bus);
		pci_remove_root_bus(host->bus);
		/* It only deletes it; the creator's reference is ours. */
		pci_free_host_bridge(bridge);
		smartio_host_release_windows(adapter, adapter->info.nr_windows);
		ida_free(&smartio_domain_ida, host->domain);
	}

	adapter->host = NULL;
	pci_dev_put(host->alias);
	bitmap_free(host->visible);
	kfree(host);
}

/**
 * smartio_host_msi_remapped() - whether a remote device's MSIs get through
 * @adapter: the adapter
 * @dev: a remote device (or port) of its synthetic domain
 *
 * With interrupt remapping on, the adapter's own device has the remapping
 * MSI domain, while a device of a domain no remapping unit covers gets the
 * plain one, whose compatibility-format messages the remapping unit blocks:
 * Linux clears Compatibility Format Interrupts in the unit's Global Command
 * whenever it enables remapping, in xAPIC and x2APIC mode alike (QEMU's
 * unit blocks them only in x2APIC mode). Such a device's interrupts would
 * never arrive. An adapter that rewrites requester IDs gives the domain
 * its device's MSI domain, so the two match.
 *
 * Return: true if @dev's MSIs take the same path as the adapter's.
 */
bool smartio_host_msi_remapped(struct smartio_adapter *adapter,
			       struct device *dev)
{
	return dev_get_msi_domain(dev) ==
	       dev_get_msi_domain(adapter->backend_dev);
}

/**
 * smartio_host_attach() - make a remote endpoint a local PCI device
 * @adapter: the adapter it sits behind
 * @bus: remote bus number
 * @devfn: remote device/function
 *
 * Keeps BAR addresses the remote side programmed where they fit, assigns
 * the others inside the aperture, re-sizing bridge windows of idle parts of
 * the tree if need be. The caller holds pci_lock_rescan_remove() and adds
 * the device with pci_bus_add_device(), which binds the native driver,
 * once it can find it (see smartio_adapter_link_event()).
 *
 * Return: the PCI device with a reference held, or ERR_PTR: -ENODEV if the
 * path or the device is gone, -ENOSPC if its BARs do not fit, -EOPNOTSUPP
 * if an IOMMU translates the adapter's device but did not take this one,
 * -EXDEV if interrupt remapping would block its MSIs.
 */
struct pci_dev *smartio_host_attach(struct smartio_adapter *adapter,
				    u8 bus, u8 devfn)
{
	struct resource bars[PCI_STD_NUM_BARS];
	struct smartio_host *host = adapter->host;
	struct pci_bus *pbus;
	struct pci_dev *pdev;
	unsigned int mask;
	int i, ret;

	if (!host)
		return ERR_PTR(-ENODEV);
	pbus = pci_find_bus(host->domain, bus);
	if (!pbus)
		return ERR_PTR(-ENODEV);

	set_bit(smartio_bdf(bus, devfn), host->visible);
	pdev = pci_scan_single_device(pbus, devfn);
	if (!pdev)
		goto hide;
	/*
	 * Its DMA would bypass the adapter's IOMMU context: the IOMMU driver
	 * does not use the DMA alias (or there is none, see
	 * smartio_host_set_alias()).
	 */
	if (device_iommu_mapped(adapter->backend_dev) &&
	    !device_iommu_mapped(&pdev->dev)) {
		ret = -EOPNOTSUPP;
		goto remove;
	}
	if (!smartio_host_msi_remapped(adapter, &pdev->dev)) {
		ret = -EXDEV;
		goto remove;
	}

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct resource *r = &pdev->resource[i];

		if ((r->flags & IORESOURCE_MEM) && !(r->flags & IORESOURCE_UNSET) &&
		    resource_size(r) && !r->parent && r->start)
			pci_claim_resource(pdev, i);
	}
	mask = smartio_mem_bars(pdev);
	memcpy(bars, pdev->resource, sizeof(bars));
	pci_assign_unassigned_bus_resources(pbus);
	if (!smartio_bars_assigned(pdev, mask))
		smartio_grow_windows(adapter, pdev, mask, bars);
	if (!smartio_bars_assigned(pdev, mask)) {
		ret = -ENOSPC;
		goto remove;
	}
	pcie_bus_configure_settings(pbus);
	return pci_dev_get(pdev);

remove:
	pci_stop_and_remove_bus_device(pdev);
	clear_bit(smartio_bdf(bus, devfn), host->visible);
	return ERR_PTR(ret);
hide:
	clear_bit(smartio_bdf(bus, devfn), host->visible);
	return ERR_PTR(-ENODEV);
}

/**
 * smartio_host_hide() - make a remote endpoint invisible to the PCI core
 * @adapter: the adapter it sits behind
 * @bus: remote bus number
 * @devfn: remote device/function
 *
 * Called once its PCI device is removed, so a later rescan of the PCI
 * core does not find it again.
 */
void smartio_host_hide(struct smartio_adapter *adapter, u8 bus, u8 devfn)
{
	if (adapter->host)
		clear_bit(smartio_bdf(bus, devfn), adapter->host->visible);
}

/**
 * smartio_host_quiesce() - turn off decoding and bus mastering of a function
 * @adapter: the adapter it sits behind
 * @bus: remote bus number
 * @devfn: remote device/function
 *
 * For a device that leaves the PCI core: its BARs keep addresses that may
 * be given to another device next, and it must not write to memory any
 * more. Goes through the backend directly, so it works on a function the
 * PCI core no longer sees.
 */
void smartio_host_quiesce(struct smartio_adapter *adapter, u8 bus, u8 devfn)
{
	u32 cmd;

	if (smartio_config_read(adapter, bus, devfn, PCI_COMMAND, 2, &cmd) ||
	    cmd == 0xffff)
		return;
	cmd &= ~(PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_MASTER);
	smartio_config_write(adapter, bus, devfn, PCI_COMMAND, 2, cmd);
}

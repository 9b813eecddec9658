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

/**
 * struct smartio_host - synthetic host bridge over one adapter
 * @sysdata: x86 bus sysdata; carries our PCI domain number and, for an
 *	adapter that rewrites requester IDs, the DMA alias (vmd_dev)
 * @adapter: the adapter whose remote tree this bridge presents
 * @bus: the root bus
 * @busn: remote bus number range of the root bus
 * @visible: endpoints the PCI core may see, bit (bus << 8 | devfn): the
 *	borrowed ones and the VFs their SR-IOV capabilities can create; set
 *	and cleared atomically under pci_lock_rescan_remove(), read locklessly
 *	by the config accessors
 * @alias: the adapter's own PCI function, whose requester ID the remote
 *	devices' DMA and MSI writes carry, or NULL; set before the root bus,
 *	with a reference: the teardown may run after the backend's device
 *	is gone
 * @pm_link: orders the tree after the adapter's device for system sleep
 *	and runtime PM; NULL once the adapter is unregistered
 */
struct smartio_host {
	struct pci_sysdata sysdata;
	struct smartio_adapter *adapter;
	struct pci_bus *bus;
	struct resource busn;
	unsigned long *visible;
	struct pci_dev *alias;
	struct device_link *pm_link;
};

static DEFINE_IDA(smartio_domain_ida);

static struct smartio_host *smartio_bus_to_host(struct pci_bus *bus)
{
	return container_of(bus->sysdata, struct smartio_host, sysdata);
}

static unsigned int smartio_bdf(unsigned int bus, unsigned int devfn)
{
	return (bus << 8) | devfn;
}

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
	if (!ret && where >= PCI_CFG_SPACE_SIZE)
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

static struct pci_ops smartio_pci_ops = {
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
 * smartio_host_domain() - PCI domain of an adapter's synthetic host bridge
 * @adapter: the adapter, with smartio_lock or the rescan lock held
 *
 * Return: the domain number, or -ENODEV if the adapter has no host bridge.
 */
int smartio_host_domain(struct smartio_adapter *adapter)
{
	return adapter->host ? adapter->host->sysdata.domain : -ENODEV;
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
	pbus = pci_find_bus(adapter->host->sysdata.domain, bus);
	if (!pbus)
		return false;
	list_for_each_entry(dev, &pbus->devices, bus_list)
		if (dev->devfn == devfn)
			return true;
	return false;
}

/* The lowest bus number of @bus's range that no bus of the domain uses. */
static int smartio_host_free_busnr(struct pci_bus *bus)
{
	int nr;

	for (nr = bus->busn_res.start; nr <= bus->busn_res.end; nr++)
		if (!pci_find_bus(pci_domain_nr(bus), nr))
			return nr;
	return -ENOSPC;
}

/*
 * Numbers the buses of a bridge that arrived behind a slot, from the
 * slot's range (the range of @bridge's bus) only: the buses beside the
 * slot belong to other ports. Nothing numbered it at boot, so the PCI
 * core does, in its two passes: numbers the bridge already has, if any,
 * then new ones for the rest. Bridges below it are numbered alike, each
 * with only the buses found behind it: unlike pciehp, no spare numbers are
 * set aside for the hot-plug ports of a switch that arrived.
 */
static bool smartio_host_add_bridge(struct smartio_adapter *adapter,
				    struct pci_dev *bridge)
{
	struct pci_bus *parent = bridge->bus;
	int nr = smartio_host_free_busnr(parent);

	if (nr >= 0) {
		nr = pci_scan_bridge(parent, bridge, nr - 1, 0);
		pci_scan_bridge(parent, bridge, nr, 1);
	}
	if (bridge->subordinate)
		return true;
	dev_warn(&adapter->dev,
		 "bridge %s: no bus number left in the slot's %pR, the devices behind it are not used\n",
		 pci_name(bridge), &parent->busn_res);
	return false;
}

/**
 * smartio_host_slot_add() - enumerate bridges that arrived behind a slot
 * @adapter: the adapter, with its host bridge
 * @bus: bus of the slot's port
 * @devfn: device/function of the slot's port
 *
 * The first enumeration only saw the bridges present then: a switch (or
 * any bridge) hot-added into a slot is added to the PCI core here, its
 * buses numbered from the slot's range, so that the walk of the remote
 * tree can go below it and smartio_host_attach() finds the bus of an
 * endpoint behind it. Endpoints stay invisible, so the new bridges' windows
 * are sized for what the PCI core sees; a borrow re-sizes them if a BAR
 * does not fit (see smartio_grow_windows()). The caller holds the rescan
 * lock and smartio_lock.
 *
 * Return: true if a bridge was added: the remote tree has new buses.
 */
bool smartio_host_slot_add(struct smartio_adapter *adapter, u8 bus, u8 devfn)
{
	struct pci_dev *port, *dev, *tmp;
	bool added = false;
	struct pci_bus *sec;

	if (!adapter->host)
		return false;
	port = pci_get_domain_bus_and_slot(adapter->host->sysdata.domain, bus,
					   devfn);
	if (!port)
		return false;
	sec = port->subordinate;
	/* Known already, or nothing new the PCI core may see (endpoints). */
	if (!sec || !list_empty(&sec->devices) ||
	    !pci_scan_slot(sec, PCI_DEVFN(0, 0)))
		goto out;
	list_for_each_entry_safe(dev, tmp, &sec->devices, bus_list) {
		if (!pci_is_bridge(dev))
			continue;
		if (smartio_host_add_bridge(adapter, dev)) {
			added = true;
			continue;
		}
		/*
		 * A bridge without buses must not reach a driver: shpchp
		 * dereferences the secondary bus it does not have.
		 */
		pci_stop_and_remove_bus_device(dev);
	}
	if (list_empty(&sec->devices))
		goto out;
	pci_assign_unassigned_bus_resources(sec);
	pcie_bus_configure_settings(sec);
	pci_bus_add_devices(sec);
	dev_info(&adapter->dev, "bridges behind slot %s added\n",
		 pci_name(port));
out:
	pci_dev_put(port);
	return added;
}

/**
 * smartio_host_slot_remove() - remove the PCI core's view behind a slot
 * @adapter: the adapter
 * @bus: bus of the slot's port
 * @devfn: device/function of the slot's port
 *
 * For a slot powered off or emptied, once its borrowed devices are
 * returned: the bridges that arrived with the card (and their buses) go,
 * so that nothing in the domain points at hardware that is gone, and the
 * next card in the slot is enumerated anew. The caller holds the rescan
 * lock and smartio_lock.
 */
void smartio_host_slot_remove(struct smartio_adapter *adapter, u8 bus,
			      u8 devfn)
{
	struct pci_dev *port, *dev, *tmp;

	if (!adapter->host)
		return;
	port = pci_get_domain_bus_and_slot(adapter->host->sysdata.domain, bus,
					   devfn);
	if (!port)
		return;
	if (port->subordinate)
		list_for_each_entry_safe_reverse(dev, tmp,
						 &port->subordinate->devices,
						 bus_list)
			pci_stop_and_remove_bus_device(dev);
	pci_dev_put(port);
}

/*
 * With pcie_ports=native the port driver gives a hot-plug port its pciehp
 * service whatever the host bridge says, and pciehp then fights smartio
 * over the slot: it finds none of the devices smartio keeps hidden, so it
 * powers off every slot a card is hot-added to. The port driver decides
 * its services from these flags in its probe: a remote port has none
 * while its driver probes or is removed (both then make the same runtime
 * PM decision from them), and gets them back from its Slot Capabilities,
 * as the PCI core set them, in between, for the window sizing that uses
 * them.
 */
static void smartio_host_port_hotplug(struct pci_dev *port, bool restore)
{
	u32 sltcap = 0;

	if (!pci_is_pcie(port))
		return;
	if (restore) {
		if (pcie_capability_read_dword(port, PCI_EXP_SLTCAP, &sltcap) ||
		    !(sltcap & PCI_EXP_SLTCAP_HPC))
			return;
		port->is_hotplug_bridge = 1;
#ifdef SMARTIO_HAS_IS_PCIEHP
		port->is_pciehp = 1;
#endif
		return;
	}
	port->is_hotplug_bridge = 0;
#ifdef SMARTIO_HAS_IS_PCIEHP
	/* Stable kernels since 2025 look at this one. */
	port->is_pciehp = 0;
#endif
}

/**
 * smartio_host_pci_event() - DMA, MSI, runtime PM and slot IRQs of remote devices
 * @pdev: a PCI device being added or deleted
 * @action: the PCI bus notifier action
 *
 * Scans and the hot-plug watcher read the configuration space below the
 * remote bridges through the adapter at any time, behind the PCI core's
 * back, and a bridge in D3hot forwards none of it: a pool device would
 * vanish. So each remote bridge holds a runtime PM usage reference from
 * the moment it is added to the synthetic domain until it is deleted
 * (a switch hot-removed, the adapter unbound). A bridge with a hot-plug
 * slot gets the slot's interrupt while the port driver is bound, see
 * smartio_slot_irq_bound(). Every remote device gets, as it is added, the
 * adapter's MSI domain if the adapter rewrites requester IDs, and the
 * limit of its inbound window. Called from the PCI bus notifier.
 */
void smartio_host_pci_event(struct pci_dev *pdev, unsigned long action)
{
	struct smartio_adapter *adapter;
	struct smartio_host *host;

	/* Child buses inherit the ops of the root bus. */
	if (pdev->bus->ops != &smartio_pci_ops)
		return;
	host = smartio_bus_to_host(pdev->bus);
	adapter = host->adapter;
	/*
	 * After the DMAR notifier (a higher priority), which gives a device of
	 * a domain no DMAR unit covers no MSI domain at all.
	 */
	if (action == BUS_NOTIFY_ADD_DEVICE && host->alias)
		dev_set_msi_domain(&pdev->dev,
				   dev_get_msi_domain(&host->alias->dev));
	/* Before a driver maps anything: no DMA beyond the inbound window. */
	if (action == BUS_NOTIFY_ADD_DEVICE && adapter->info.dma_limit)
		pdev->dev.bus_dma_limit = adapter->info.dma_limit;
	if (!pci_is_bridge(pdev))
		return;
	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
		pm_runtime_get_noresume(&pdev->dev);
		break;
	case BUS_NOTIFY_BIND_DRIVER:
		smartio_host_port_hotplug(pdev, false);
		break;
	case BUS_NOTIFY_DRIVER_NOT_BOUND:
	case BUS_NOTIFY_UNBOUND_DRIVER:
		smartio_host_port_hotplug(pdev, true);
		break;
	case BUS_NOTIFY_BOUND_DRIVER:
		smartio_host_port_hotplug(pdev, true);
		smartio_slot_irq_bound(adapter, pdev);
		break;
	case BUS_NOTIFY_UNBIND_DRIVER:
		smartio_slot_irq_unbind(pdev);
		smartio_host_port_hotplug(pdev, false);
		break;
	case BUS_NOTIFY_DEL_DEVICE:
		pm_runtime_put_noidle(&pdev->dev);
		break;
	}
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

/**
 * smartio_host_create() - create and scan the synthetic host bridge
 * @adapter: a registered adapter whose info (bus range, aperture) is final
 *
 * Claims the aperture, creates the root bus in a new domain and lets the
 * PCI core enumerate the bridges of the remote tree, keeping the bridge
 * windows the remote side already programmed. The caller holds the rescan
 * lock and smartio_lock.
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

	if (device_iommu_mapped(adapter->backend_dev) &&
	    !smartio_host_iommu_vtd(adapter->backend_dev)) {
		dev_err(&adapter->dev, "the IOMMU translating %s would take the remote devices for local ones of PCI domain 0000\n",
			dev_name(adapter->backend_dev));
		return -EOPNOTSUPP;
	}

	host = kzalloc(sizeof(*host), GFP_KERNEL);
	if (!host)
		return -ENOMEM;
	host->adapter = adapter;
	host->visible = bitmap_zalloc(SMARTIO_NR_BUSES * 256, GFP_KERNEL);
	if (!host->visible) {
		ret = -ENOMEM;
		goto free_host;
	}

	ret = smartio_domain_alloc();
	if (ret < 0)
		goto free_bitmap;
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
					&smartio_pci_ops, &host->sysdata,
					&resources);
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
		 host->sysdata.domain, info->bus_start, info->bus_end);
	return 0;

clear_host:
	adapter->host = NULL;
free_resources:
	pci_free_resource_list(&resources);
	smartio_host_release_windows(adapter, i);
	ida_free(&smartio_domain_ida, host->sysdata.domain);
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
 * smartio_host_remove() - tear the synthetic host bridge down
 * @adapter: the adapter
 *
 * Every borrowed device is unbound and removed first; the PCI bus notifier
 * of the core puts them back in the pool. The caller holds the rescan lock
 * and smartio_lock.
 */
void smartio_host_remove(struct smartio_adapter *adapter)
{
	struct smartio_host *host = adapter->host;
	struct pci_host_bridge *bridge;

	if (!host)
		return;

	bridge = to_pci_host_bridge(host->bus->bridge);
	smartio_host_unlink(adapter);
	pci_stop_root_bus(host->bus);
	pci_remove_root_bus(host->bus);
	/* pci_remove_root_bus() only deletes it; the creator's reference is ours. */
	pci_free_host_bridge(bridge);

	adapter->host = NULL;
	smartio_host_release_windows(adapter, adapter->info.nr_windows);
	ida_free(&smartio_domain_ida, host->sysdata.domain);
	pci_dev_put(host->alias);
	bitmap_free(host->visible);
	kfree(host);
}

/*
 * Memory BARs that need aperture space. There is no I/O window; PCIe drivers
 * do without I/O BARs.
 */
static unsigned int smartio_mem_bars(struct pci_dev *pdev)
{
	unsigned int mask = 0;
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct resource *r = &pdev->resource[i];

		if ((r->flags & IORESOURCE_MEM) && resource_size(r))
			mask |= BIT(i);
	}
	return mask;
}

/* A BAR that failed assignment is reset, so check the ones that needed it. */
static bool smartio_bars_assigned(struct pci_dev *pdev, unsigned int mask)
{
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++)
		if ((mask & BIT(i)) && !pdev->resource[i].parent)
			return false;
	return true;
}

/* Whether a BAR of @flags may live in bridge or host window @win. */
static bool smartio_window_compatible(struct resource *win, unsigned long flags)
{
	if (!win || !(win->flags & IORESOURCE_MEM) || !win->parent)
		return false;
	/* Non-prefetchable BARs never go in a prefetchable window. */
	if ((win->flags & IORESOURCE_PREFETCH) && !(flags & IORESOURCE_PREFETCH))
		return false;
	/* A 32-bit BAR needs room below 4 GiB. */
	return (flags & IORESOURCE_MEM_64) || win->start <= U32_MAX;
}

/* Whether @from..@to holds a range of @size aligned to @size. */
static bool smartio_gap_holds(resource_size_t from, resource_size_t to,
			      u64 size)
{
	resource_size_t start = ALIGN(from, size);

	return start >= from && start <= to && to - start + 1 >= size;
}

/* Whether @win has an aligned gap of @size between its children. */
static bool smartio_window_has_room(struct resource *win, u64 size)
{
	resource_size_t pos = win->start;
	struct resource *child;

	for (child = win->child; child; child = child->sibling) {
		if (child->start > pos &&
		    smartio_gap_holds(pos, child->start - 1, size))
			return true;
		pos = max(pos, child->end + 1);
	}
	return smartio_gap_holds(pos, win->end, size);
}

/*
 * Whether no device below @bus but @pdev holds a BAR: its bridge windows
 * can then be re-sized without moving anything a driver uses.
 */
static bool smartio_subtree_idle(struct pci_bus *bus, struct pci_dev *pdev)
{
	struct pci_dev *dev;
	int i;

	list_for_each_entry(dev, &bus->devices, bus_list) {
		if (dev == pdev)
			continue;
		for (i = 0; i < PCI_BRIDGE_RESOURCES; i++)
			if (dev->resource[i].parent)
				return false;
		if (dev->subordinate &&
		    !smartio_subtree_idle(dev->subordinate, pdev))
			return false;
	}
	return true;
}

/*
 * The lowest bridge above @bus whose window spans a BAR of @size and
 * @flags and whose whole subtree is idle: re-sizing the windows below it
 * can make room for the BAR. The bridge on the root bus is the highest
 * candidate; its windows are the aperture and stay as they are.
 */
static struct pci_dev *smartio_grow_target(struct pci_bus *bus,
					   struct pci_dev *pdev, u64 size,
					   unsigned long flags)
{
	struct pci_dev *bridge = bus->self;
	struct pci_dev *up;
	int i;

	while (bridge && !pci_is_root_bus(bridge->bus)) {
		up = bridge->bus->self;
		if (!up || !smartio_subtree_idle(up->subordinate, pdev))
			return NULL;
		for (i = PCI_BRIDGE_MEM_WINDOW; i <= PCI_BRIDGE_PREF_MEM_WINDOW; i++) {
			struct resource *win = &up->resource[i];

			if (smartio_window_compatible(win, flags) &&
			    smartio_gap_holds(win->start, win->end, size))
				return up;
		}
		bridge = up;
	}
	return NULL;
}

/* Releases the memory windows of every bridge below @bus, deepest first. */
static void smartio_release_windows(struct pci_bus *bus)
{
	struct pci_dev *dev;
	int i;

	list_for_each_entry(dev, &bus->devices, bus_list) {
		if (!dev->subordinate)
			continue;
		smartio_release_windows(dev->subordinate);
		for (i = PCI_BRIDGE_MEM_WINDOW; i <= PCI_BRIDGE_PREF_MEM_WINDOW; i++)
			if (dev->resource[i].parent)
				pci_release_resource(dev, i);
	}
}

/*
 * A bridge's base/limit register value for @res, or "disabled"; @region
 * gets the bus addresses, zero when disabled.
 */
static u32 smartio_window_regs(struct pci_dev *bridge, struct resource *res,
			       struct pci_bus_region *region)
{
	if (!res->parent) {
		region->start = 0;
		region->end = 0;
		return 0x0000fff0;
	}
	pcibios_resource_to_bus(bridge->bus, region, res);
	return ((region->start >> 16) & 0xfff0) | (region->end & 0xfff00000);
}

/*
 * The PCI core only programs the windows of bridges it has not enabled
 * yet, and the ports of the remote tree are enabled; write the re-sized
 * windows of every bridge below @bus ourselves. Nothing behind them is
 * in use, so the transient states in between are harmless.
 */
static void smartio_program_windows(struct pci_bus *bus)
{
	struct pci_bus_region region;
	struct pci_dev *dev;
	u32 regs;

	list_for_each_entry(dev, &bus->devices, bus_list) {
		if (!dev->subordinate)
			continue;
		regs = smartio_window_regs(dev, &dev->resource[PCI_BRIDGE_MEM_WINDOW],
					   &region);
		pci_write_config_dword(dev, PCI_MEMORY_BASE, regs);

		regs = smartio_window_regs(dev,
					   &dev->resource[PCI_BRIDGE_PREF_MEM_WINDOW],
					   &region);
		pci_write_config_dword(dev, PCI_PREF_LIMIT_UPPER32, 0);
		pci_write_config_dword(dev, PCI_PREF_MEMORY_BASE, regs);
		pci_write_config_dword(dev, PCI_PREF_BASE_UPPER32,
				       upper_32_bits(region.start));
		pci_write_config_dword(dev, PCI_PREF_LIMIT_UPPER32,
				       upper_32_bits(region.end));
		smartio_program_windows(dev->subordinate);
	}
}

/*
 * The firmware sized the windows above an empty slot for nothing in it, so
 * a device hot-added there may not fit although the aperture has room.
 * Re-size the windows below the lowest idle bridge that can hold the
 * largest unassigned BAR. Its own window, and everything outside it,
 * stays where it is.
 */
static void smartio_grow_windows(struct smartio_adapter *adapter,
				 struct pci_dev *pdev, unsigned int mask,
				 const struct resource *bars)
{
	const struct resource *big = NULL;
	struct pci_dev *target;
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++)
		if ((mask & BIT(i)) && !pdev->resource[i].parent &&
		    (!big || resource_size(&bars[i]) > resource_size(big)))
			big = &bars[i];
	if (!big)
		return;
	target = smartio_grow_target(pdev->bus, pdev, resource_size(big),
				     big->flags);
	if (!target)
		return;

	dev_info(&adapter->dev, "re-sizing bridge windows below %s for %s\n",
		 pci_name(target), pci_name(pdev));
	/* A failed assignment zeroed the BAR; the PCI core needs its size. */
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct resource *r = &pdev->resource[i];

		if (r->parent) {
			pci_release_resource(pdev, i);
		} else if (mask & BIT(i)) {
			r->start = 0;
			r->end = resource_size(&bars[i]) - 1;
			r->flags = bars[i].flags | IORESOURCE_UNSET;
		}
	}
	smartio_release_windows(target->subordinate);
	/*
	 * Size each window for what is below it, without spreading the rest
	 * of the target's window over the hot-plug ports: 6.1's spreading
	 * can leave a port less than its device needs.
	 */
	pci_bus_size_bridges(target->subordinate);
	pci_bus_assign_resources(target->subordinate);
	smartio_program_windows(target->subordinate);
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
	pbus = pci_find_bus(host->sysdata.domain, bus);
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
 * smartio_host_show_vfs() - let the PCI core see the VFs of a borrowed PF
 * @adapter: the adapter it sits behind
 * @pdev: the device just attached, not yet added
 *
 * The routing IDs of the VFs depend on NumVFs (First VF Offset and VF
 * Stride may change with it, PCIe r6.0 sec 9.3.3.9), so every value up to
 * TotalVFs is tried, as the PCI core does when it sizes the bus range, and
 * NumVFs is put back. The VFs themselves do not exist until VF Enable is
 * set; until then their IDs answer with all-ones like any empty function.
 * The caller holds pci_lock_rescan_remove().
 *
 * Return: the routing IDs made visible, for smartio_host_hide_vfs(), or
 * NULL if @pdev has no SR-IOV capability (or no memory for the bitmap: its
 * VFs then stay hidden and enabling them fails).
 */
unsigned long *smartio_host_show_vfs(struct smartio_adapter *adapter,
				     struct pci_dev *pdev)
{
	struct smartio_host *host = adapter->host;
	u16 total, num, offset, stride, n, i;
	unsigned long *vfs;
	unsigned int rid;
	int pos;

	if (!host || !pdev->is_physfn)
		return NULL;
	pos = pci_find_ext_capability(pdev, PCI_EXT_CAP_ID_SRIOV);
	if (!pos || pci_read_config_word(pdev, pos + PCI_SRIOV_TOTAL_VF, &total) ||
	    pci_read_config_word(pdev, pos + PCI_SRIOV_NUM_VF, &num) || !total)
		return NULL;
	vfs = bitmap_zalloc(SMARTIO_NR_BUSES * 256, GFP_KERNEL);
	if (!vfs) {
		pci_warn(pdev, "no memory to track its VFs: they stay hidden\n");
		return NULL;
	}

	for (n = 1; n <= total; n++) {
		pci_write_config_word(pdev, pos + PCI_SRIOV_NUM_VF, n);
		if (pci_read_config_word(pdev, pos + PCI_SRIOV_VF_OFFSET, &offset) ||
		    pci_read_config_word(pdev, pos + PCI_SRIOV_VF_STRIDE, &stride) ||
		    !offset)
			continue;
		for (i = 0; i < n; i++) {
			rid = pci_dev_id(pdev) + offset + stride * i;
			if ((rid >> 8) > host->adapter->info.bus_end)
				break;
			set_bit(rid, vfs);
		}
	}
	pci_write_config_word(pdev, pos + PCI_SRIOV_NUM_VF, num);

	for_each_set_bit(rid, vfs, SMARTIO_NR_BUSES * 256)
		set_bit(rid, host->visible);
	return vfs;
}

/**
 * smartio_host_hide_vfs() - hide the VFs of a PF that is returned
 * @adapter: the adapter it sits behind
 * @vfs: what smartio_host_show_vfs() returned for it, or NULL; freed
 *
 * Called once the PF's PCI device is removed (its VFs went before it, see
 * smartio_host_sriov_off()).
 */
void smartio_host_hide_vfs(struct smartio_adapter *adapter, unsigned long *vfs)
{
	unsigned int rid;

	if (vfs && adapter->host)
		for_each_set_bit(rid, vfs, SMARTIO_NR_BUSES * 256)
			clear_bit(rid, adapter->host->visible);
	bitmap_free(vfs);
}

/**
 * smartio_host_is_vf() - whether a remote function is a VF of a borrowed PF
 * @adapter: the adapter
 * @bus: remote bus number
 * @devfn: remote device/function
 *
 * For the scan, which must not put such a function in the pool: it is
 * visible to the PCI core although it is no pool device. The caller holds
 * smartio_lock and knows @bus/@devfn is no pool device.
 *
 * Return: true if it is visible to the PCI core.
 */
bool smartio_host_is_vf(struct smartio_adapter *adapter, u8 bus, u8 devfn)
{
	return adapter->host &&
	       test_bit(smartio_bdf(bus, devfn), adapter->host->visible);
}

/**
 * smartio_host_sriov_off() - remove the VFs of a PF before the PF goes
 * @pdev: a borrowed device, about to be removed
 * @gone: it no longer answers; its VFs are marked disconnected first
 *
 * The PCI core expects the driver of a PF to have disabled SR-IOV before
 * the PF is removed; otherwise it warns ("driver left SR-IOV enabled after
 * remove") and the VFs outlive their PF. Does what writing 0 to
 * sriov_numvfs does: the driver's sriov_configure(), else (no driver, or
 * one that refused) pci_disable_sriov(). The caller holds
 * pci_lock_rescan_remove() and smartio_lock.
 */
void smartio_host_sriov_off(struct pci_dev *pdev, bool gone)
{
	struct pci_driver *drv;
	struct pci_dev *vf = NULL;
	int ret = 0;

	if (!pdev->is_physfn || !pci_num_vf(pdev))
		return;
	if (gone) {
		while ((vf = pci_get_device(PCI_ANY_ID, PCI_ANY_ID, vf)))
			if (vf->is_virtfn && pci_physfn(vf) == pdev)
				smartio_pdev_set_gone(vf);
	}

	device_lock(&pdev->dev);
	drv = pdev->dev.driver ? to_pci_driver(pdev->dev.driver) : NULL;
	if (drv && drv->sriov_configure)
		ret = drv->sriov_configure(pdev, 0);
	if (pci_num_vf(pdev)) {
		if (ret < 0)
			pci_warn(pdev, "driver kept its VFs (%d): disabling SR-IOV anyway\n",
				 ret);
		pci_disable_sriov(pdev);
	}
	device_unlock(&pdev->dev);
	pci_info(pdev, "SR-IOV disabled before the PF is returned\n");
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

/**
 * smartio_host_bar_fits() - would a BAR fit the windows above a slot now
 * @adapter: the adapter
 * @bus: remote bus the device sits on
 * @size: the BAR's size (a power of two, also its alignment)
 * @flags: the BAR's IORESOURCE_* flags
 *
 * A hint for user space: looks for a free, aligned gap in a compatible
 * bridge window of @bus, or for idle bridges above it whose windows a
 * borrow would re-size to make one. The caller holds
 * pci_lock_rescan_remove(), under which the PCI core assigns resources.
 *
 * Return: true if there is room for it.
 */
bool smartio_host_bar_fits(struct smartio_adapter *adapter, u8 bus, u64 size,
			   unsigned long flags)
{
	struct smartio_host *host = adapter->host;
	struct resource *win;
	struct pci_bus *pbus;
	int i;

	if (!host || !size || !(flags & IORESOURCE_MEM))
		return false;
	pbus = pci_find_bus(host->sysdata.domain, bus);
	if (!pbus)
		return false;
	pci_bus_for_each_resource(pbus, win, i) {
		if (smartio_window_compatible(win, flags) &&
		    smartio_window_has_room(win, size))
			return true;
	}
	return !!smartio_grow_target(pbus, NULL, size, flags);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * smartio bridges in the synthetic tree that come and go: a switch
 * hot-added into a fabric slot gets bus numbers and windows, one removed
 * goes with its subtree, and pciehp is kept off the fabric's ports.
 */

#include <linux/pci.h>
#include <linux/pm_runtime.h>

#include "smartio.h"
#include "smartio_host.h"

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
	port = pci_get_domain_bus_and_slot(adapter->host->domain, bus, devfn);
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
	port = pci_get_domain_bus_and_slot(adapter->host->domain, bus, devfn);
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

	/* Child buses inherit the ops of the tree's bus. */
	if (!smartio_host_bus(pdev->bus))
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

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * smartio synthetic PCI host bridge: what smartio_host.c shares with the
 * window growing (smartio_window.c) and SR-IOV (smartio_sriov.c) parts.
 */

#ifndef _SMARTIO_HOST_H
#define _SMARTIO_HOST_H

#include <linux/pci.h>

struct smartio_adapter;

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

static inline struct smartio_host *smartio_bus_to_host(struct pci_bus *bus)
{
	return container_of(bus->sysdata, struct smartio_host, sysdata);
}

static inline unsigned int smartio_bdf(unsigned int bus, unsigned int devfn)
{
	return (bus << 8) | devfn;
}

/* smartio_host.c */
extern struct pci_ops smartio_pci_ops;

/* smartio_window.c */
unsigned int smartio_mem_bars(struct pci_dev *pdev);
bool smartio_bars_assigned(struct pci_dev *pdev, unsigned int mask);
void smartio_grow_windows(struct smartio_adapter *adapter,
			  struct pci_dev *pdev, unsigned int mask,
			  const struct resource *bars);

#endif /* _SMARTIO_HOST_H */

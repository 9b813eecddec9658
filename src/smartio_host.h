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
 * struct smartio_host - the PCI core's view of one adapter's remote tree
 * @sysdata: x86 bus sysdata of a synthetic root bus; carries its PCI domain
 *	number and, for an adapter that rewrites requester IDs, the DMA
 *	alias (vmd_dev)
 * @ops: the config accessors of every bus of the tree (child buses inherit
 *	them), a copy of smartio_pci_ops: they find the host from the bus
 * @own_ops: for an adapter on its own bus (&smartio_adapter_info.bus), the
 *	accessors that bus had before, given back at the end; else NULL
 * @domain: the PCI domain of the tree
 * @adapter: the adapter whose remote tree this is
 * @bus: the synthetic root bus, or the adapter's own bus
 * @busn: remote bus number range of a synthetic root bus
 * @visible: endpoints the PCI core may see, bit (bus << 8 | devfn): the
 *	borrowed ones and the VFs their SR-IOV capabilities can create; set
 *	and cleared atomically under pci_lock_rescan_remove(), read locklessly
 *	by the config accessors
 * @alias: the adapter's own PCI function, whose requester ID the remote
 *	devices' DMA and MSI writes carry, or NULL; set before the root bus,
 *	with a reference: the teardown may run after the backend's device
 *	is gone
 * @pm_link: orders a synthetic tree after the adapter's device for system
 *	sleep and runtime PM; NULL once the adapter is unregistered, and for
 *	a tree on the adapter's own bus, below that device already
 */
struct smartio_host {
	struct pci_sysdata sysdata;
	struct pci_ops ops;
	struct pci_ops *own_ops;
	int domain;
	struct smartio_adapter *adapter;
	struct pci_bus *bus;
	struct resource busn;
	unsigned long *visible;
	struct pci_dev *alias;
	struct device_link *pm_link;
};

/* smartio_host.c */
extern const struct pci_ops smartio_pci_ops;

/* Whether @bus belongs to a remote tree of smartio's. */
static inline bool smartio_host_bus(struct pci_bus *bus)
{
	return bus->ops->read == smartio_pci_ops.read;
}

static inline struct smartio_host *smartio_bus_to_host(struct pci_bus *bus)
{
	return container_of(bus->ops, struct smartio_host, ops);
}

static inline unsigned int smartio_bdf(unsigned int bus, unsigned int devfn)
{
	return (bus << 8) | devfn;
}

/* smartio_window.c */
unsigned int smartio_mem_bars(struct pci_dev *pdev);
bool smartio_bars_assigned(struct pci_dev *pdev, unsigned int mask);
void smartio_grow_windows(struct smartio_adapter *adapter,
			  struct pci_dev *pdev, unsigned int mask,
			  const struct resource *bars);

#endif /* _SMARTIO_HOST_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * smartio port backend: what its probe and its slot handling share.
 */
#ifndef _SMARTIO_PORT_H
#define _SMARTIO_PORT_H

#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

struct smartio_adapter;

/**
 * struct smartio_port - one adopted port
 * @pdev: the port, with a reference
 * @adapter: its smartio adapter
 * @cfg_lock: protects @cfg_bus; taken inside the PCI core's pci_lock
 * @cfg_bus: a private bus, never registered, whose ->ops are the accessors
 *	the port's secondary bus had before adopt; they reach any bus number
 *	of the port's segment (its ->number is set per access)
 * @release_work: hands the port back once the adapter is gone
 * @irq: the interrupt of the port's slot events, or 0 while polled only
 * @sltcap: the port's Slot Capabilities
 * @off: the slot was powered off at its attention button (set by the
 *	core's watcher through smartio_port_power(), read by the handler)
 */
struct smartio_port {
	struct pci_dev *pdev;
	struct smartio_adapter *adapter;
	raw_spinlock_t cfg_lock;
	struct pci_bus *cfg_bus;
	struct work_struct release_work;
	int irq;
	u32 sltcap;
	bool off;
};

/* smartio_port_slot.c */
void smartio_port_power(struct smartio_adapter *adapter, bool on);
void smartio_port_slot_irq_start(struct smartio_port *port);
void smartio_port_slot_irq_stop(struct smartio_port *port);

#endif /* _SMARTIO_PORT_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * smartio slot interrupts: a fabric port that signals hot-plug events by
 * MSI or MSI-X kicks the slot watcher (smartio_hotplug.c) at once instead
 * of at its next poll.
 */

#include <linux/bitfield.h>
#include <linux/interrupt.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/reboot.h>
#include <linux/slab.h>

#include "smartio.h"

/**
 * struct smartio_slot_irq - the hot-plug interrupt of one remote port
 * @node: entry in smartio_slot_irqs
 * @adapter: the adapter whose watcher it kicks
 * @port: the port, a bridge in the synthetic domain
 * @irq: its Linux interrupt number
 * @shared: a vector of the port driver's, not allocated here
 */
struct smartio_slot_irq {
	struct list_head node;
	struct smartio_adapter *adapter;
	struct pci_dev *port;
	int irq;
	bool shared;
};

#define SMARTIO_SLOT_IRQ_EVENTS	(PCI_EXP_SLTCTL_ABPE | PCI_EXP_SLTCTL_PDCE | \
				 PCI_EXP_SLTCTL_DLLSCE | PCI_EXP_SLTCTL_HPIE)

static DEFINE_MUTEX(smartio_slot_irq_lock);
static LIST_HEAD(smartio_slot_irqs);	/* smartio_slot_irq_lock */
static bool smartio_slot_irqs_off;	/* smartio_slot_irq_lock */

/*
 * The watcher handles the event: it reads and clears Slot Status itself.
 * On a vector shared with a port service the event may be that service's:
 * a poll that finds nothing costs a few config reads.
 */
static irqreturn_t smartio_slot_isr(int irq, void *data)
{
	struct smartio_slot_irq *si = data;

	if (READ_ONCE(si->adapter->watching))
		mod_delayed_work(smartio_wq, &si->adapter->watch, 0);
	return IRQ_HANDLED;
}

static int smartio_port_service(struct device *dev, void *data)
{
	return dev->bus && !strcmp(dev->bus->name, "pci_express");
}

/*
 * The vector the slot signals on. A port driver that set up interrupts for
 * a service of its own (bandwidth notification, which 6.1 gives every
 * port with Link Bandwidth Notification, as all ports above 5 GT/s have)
 * owns the port's MSI or MSI-X: the slot then uses the vector its PCIe
 * Capabilities name, shared. Otherwise the vectors up to that one are
 * allocated here.
 */
static int smartio_slot_irq_vector(struct smartio_slot_irq *si)
{
	struct pci_dev *port = si->port;
	unsigned int msg = FIELD_GET(PCI_EXP_FLAGS_IRQ, pcie_caps_reg(port));
	int ret;

	if (port->msi_enabled || port->msix_enabled) {
		si->shared = true;
		return pci_irq_vector(port, msg);
	}
	/* Services on the legacy interrupt: switching to MSI would cut them. */
	if ((!port->msi_cap && !port->msix_cap) ||
	    device_for_each_child(&port->dev, NULL, smartio_port_service))
		return -ENODEV;
	ret = pci_alloc_irq_vectors(port, msg + 1, msg + 1,
				    PCI_IRQ_MSIX | PCI_IRQ_MSI);
	return ret < 0 ? ret : pci_irq_vector(port, msg);
}

/**
 * smartio_slot_irq_bound() - take the hot-plug interrupt of a remote port
 * @adapter: the adapter
 * @port: a bridge of its synthetic domain whose driver just bound
 *
 * pciehp does not claim the slots of a synthetic domain (native hot-plug
 * is off there, and smartio_host_port_hotplug() keeps it off even with
 * pcie_ports=native), so the port driver binds the port without asking
 * for the slot's interrupt. smartio takes it, if the port has a hot-plug
 * slot and MSI or MSI-X, and interrupt remapping would not block the
 * port's MSIs (else the slot is polled only): an event kicks the watcher
 * at once instead of at its next poll. Called from the PCI bus notifier.
 */
void smartio_slot_irq_bound(struct smartio_adapter *adapter,
			    struct pci_dev *port)
{
	struct smartio_slot_irq *si;
	u32 sltcap;
	int ret;

	if (!pci_is_pcie(port) || !(pcie_caps_reg(port) & PCI_EXP_FLAGS_SLOT))
		return;
	if (pcie_capability_read_dword(port, PCI_EXP_SLTCAP, &sltcap) ||
	    !(sltcap & PCI_EXP_SLTCAP_HPC))
		return;
	if (!smartio_host_msi_remapped(adapter, &port->dev)) {
		pci_info(port, "smartio: slot polled only: interrupt remapping would block its MSIs\n");
		return;
	}
	si = kzalloc(sizeof(*si), GFP_KERNEL);
	if (!si)
		return;
	si->adapter = adapter;
	si->port = port;
	ret = smartio_slot_irq_vector(si);
	if (ret < 0)
		goto free_si;
	si->irq = ret;
	ret = request_irq(si->irq, smartio_slot_isr,
			  si->shared ? IRQF_SHARED : 0, "smartio-slot", si);
	if (ret)
		goto free_vectors;
	mutex_lock(&smartio_slot_irq_lock);
	if (smartio_slot_irqs_off) {
		mutex_unlock(&smartio_slot_irq_lock);
		ret = -ESHUTDOWN;
		goto free_irq;
	}
	/* The MSI is a write upstream: the port must master the bus. */
	pci_set_master(port);
	smartio_slot_command(adapter, port->bus->number, port->devfn,
			     port->pcie_cap, SMARTIO_SLOT_IRQ_EVENTS, 0);
	list_add_tail(&si->node, &smartio_slot_irqs);
	mutex_unlock(&smartio_slot_irq_lock);
	pci_dbg(port, "smartio: slot events by interrupt %d%s\n", si->irq,
		si->shared ? ", shared with the port driver" : "");
	return;

free_irq:
	free_irq(si->irq, si);
free_vectors:
	if (!si->shared)
		pci_free_irq_vectors(port);
free_si:
	kfree(si);
	pci_info(port, "smartio: slot polled only, no interrupt: %d\n", ret);
}

static void smartio_slot_irq_free(struct smartio_slot_irq *si)
{
	smartio_slot_command(si->adapter, si->port->bus->number,
			     si->port->devfn, si->port->pcie_cap, 0,
			     SMARTIO_SLOT_IRQ_EVENTS);
	free_irq(si->irq, si);
	if (!si->shared)
		pci_free_irq_vectors(si->port);
	kfree(si);
}

/**
 * smartio_slot_irq_unbind() - give a remote port's interrupt back
 * @port: a bridge of a synthetic domain whose driver is about to unbind
 *
 * Before the port driver's remove, which frees the port's vectors.
 * Called from the PCI bus notifier.
 */
void smartio_slot_irq_unbind(struct pci_dev *port)
{
	struct smartio_slot_irq *si, *found = NULL;

	mutex_lock(&smartio_slot_irq_lock);
	list_for_each_entry(si, &smartio_slot_irqs, node) {
		if (si->port == port) {
			list_del(&si->node);
			found = si;
			break;
		}
	}
	mutex_unlock(&smartio_slot_irq_lock);
	if (found)
		smartio_slot_irq_free(found);
}

/*
 * At power-off or reboot the port driver's shutdown frees the ports'
 * vectors with no unbind before it: give them all back first, and take
 * no new ones.
 */
static int smartio_slot_irqs_reboot(struct notifier_block *nb,
				    unsigned long action, void *data)
{
	struct smartio_slot_irq *si, *tmp;
	LIST_HEAD(all);

	mutex_lock(&smartio_slot_irq_lock);
	smartio_slot_irqs_off = true;
	list_splice_init(&smartio_slot_irqs, &all);
	mutex_unlock(&smartio_slot_irq_lock);
	list_for_each_entry_safe(si, tmp, &all, node)
		smartio_slot_irq_free(si);
	return NOTIFY_DONE;
}

static struct notifier_block smartio_slot_irqs_nb = {
	.notifier_call = smartio_slot_irqs_reboot,
};

/**
 * smartio_slot_irqs_init() - module init of the slot interrupts
 *
 * Return: 0 or a negative errno.
 */
int smartio_slot_irqs_init(void)
{
	return register_reboot_notifier(&smartio_slot_irqs_nb);
}

/**
 * smartio_slot_irqs_exit() - module exit of the slot interrupts
 *
 * Every adapter is gone, and with it every port's interrupt.
 */
void smartio_slot_irqs_exit(void)
{
	unregister_reboot_notifier(&smartio_slot_irqs_nb);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * smartio port backend: the adopted port's own hot-plug slot. Its presence
 * and link changes, by the port's interrupt, are the adapter's link events;
 * its attention button, the adapter's button; its power, the adapter's.
 */

#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/pci.h>

#include "smartio_backend.h"
#include "smartio_pci.h"
#include "smartio_port.h"

/* The slot events that tell smartio the chassis link changed. */
#define SMARTIO_PORT_SLTCTL_EVENTS \
	(PCI_EXP_SLTCTL_DLLSCE | PCI_EXP_SLTCTL_PDCE | PCI_EXP_SLTCTL_HPIE)
#define SMARTIO_PORT_SLTSTA_EVENTS \
	(PCI_EXP_SLTSTA_DLLSC | PCI_EXP_SLTSTA_PDC)
#define SMARTIO_PORT_SLTSTA_ALL \
	(SMARTIO_PORT_SLTSTA_EVENTS | PCI_EXP_SLTSTA_ABP | \
	 PCI_EXP_SLTSTA_PFD | PCI_EXP_SLTSTA_MRLSC | PCI_EXP_SLTSTA_CC)

/*
 * Clears those of @mask's events that are latched, and only those: QEMU
 * drops a write that clears an event which is not latched (its guard for
 * guests that clear everything at init). Returns the status read, 0xffff
 * if the port is gone.
 */
static u16 smartio_port_slot_ack(struct smartio_port *port, u16 mask)
{
	u16 sta;

	pcie_capability_read_word(port->pdev, PCI_EXP_SLTSTA, &sta);
	if (sta != 0xffff && (sta & mask))
		pcie_capability_write_word(port->pdev, PCI_EXP_SLTSTA,
					   sta & mask);
	return sta;
}

/*
 * Changes the @mask bits of Slot Control to @val. A port without No
 * Command Completed Support takes one Slot Control write at a time:
 * pciehp waited for its last one, this waits for its own (by polling, up
 * to 1 s, as pciehp does without the Command Completed interrupt). The
 * port's own bus keeps the PCI core's accessors, so these are the core's
 * capability helpers, as in pciehp's interrupt handler.
 */
static void smartio_port_slot_control(struct smartio_port *port, u16 mask,
				      u16 val)
{
	bool cc = !(port->sltcap & PCI_EXP_SLTCAP_NCCS);
	struct pci_dev *pdev = port->pdev;
	unsigned int i;
	u16 ctl, sta;

	if (cc)
		smartio_port_slot_ack(port, PCI_EXP_SLTSTA_CC);
	pcie_capability_read_word(pdev, PCI_EXP_SLTCTL, &ctl);
	if (ctl == 0xffff)
		return;
	pcie_capability_write_word(pdev, PCI_EXP_SLTCTL, (ctl & ~mask) | val);
	for (i = 0; cc && i < 50; i++) {
		pcie_capability_read_word(pdev, PCI_EXP_SLTSTA, &sta);
		if (sta == 0xffff || (sta & PCI_EXP_SLTSTA_CC))
			break;
		msleep(20);
	}
	if (cc)
		smartio_port_slot_ack(port, PCI_EXP_SLTSTA_CC);
}

/* Slot power and its indicator, as far as the slot has them. */
static void smartio_port_slot_power(struct smartio_port *port, bool on)
{
	u16 mask = 0, val = 0;

	if (port->sltcap & PCI_EXP_SLTCAP_PCP) {
		mask |= PCI_EXP_SLTCTL_PCC;
		val |= on ? PCI_EXP_SLTCTL_PWR_ON : PCI_EXP_SLTCTL_PWR_OFF;
	}
	if (port->sltcap & PCI_EXP_SLTCAP_PIP) {
		mask |= PCI_EXP_SLTCTL_PIC;
		val |= on ? PCI_EXP_SLTCTL_PWR_IND_ON : PCI_EXP_SLTCTL_PWR_IND_OFF;
	}
	if (mask)
		smartio_port_slot_control(port, mask, val);
}

/**
 * smartio_port_power() - &smartio_adapter_ops.power
 * @adapter: the adapter of an adopted port whose slot has a button
 * @on: power the slot on, or off
 *
 * Powering off with the card in completes an orderly removal (QEMU's
 * device_del then deletes the device).
 */
void smartio_port_power(struct smartio_adapter *adapter, bool on)
{
	struct smartio_port *port = smartio_adapter_priv(adapter);

	smartio_port_slot_power(port, on);
	WRITE_ONCE(port->off, !on);
}

/* Sets the slot's event enables; while adopted the slot is powered. */
static void smartio_port_slot_events(struct smartio_port *port, bool on)
{
	u16 val = 0;

	if (on) {
		val = SMARTIO_PORT_SLTCTL_EVENTS;
		if (port->sltcap & PCI_EXP_SLTCAP_ABP)
			val |= PCI_EXP_SLTCTL_ABPE;
		/*
		 * pciehp powers an empty slot off; a card added there would
		 * stay dark. While adopted the slot is the chassis link.
		 */
		smartio_port_slot_power(port, true);
	}
	smartio_port_slot_control(port, SMARTIO_PORT_SLTCTL_EVENTS |
				  PCI_EXP_SLTCTL_ABPE | PCI_EXP_SLTCTL_MRLSCE |
				  PCI_EXP_SLTCTL_PFDE | PCI_EXP_SLTCTL_CCIE, val);
}

/* Hard interrupt: acknowledge the slot's events and tell the core. */
static irqreturn_t smartio_port_slot_irq(int irq, void *data)
{
	struct smartio_port *port = data;
	u16 sta;

	sta = smartio_port_slot_ack(port, SMARTIO_PORT_SLTSTA_EVENTS |
				    PCI_EXP_SLTSTA_ABP);
	if (sta == 0xffff ||
	    !(sta & (SMARTIO_PORT_SLTSTA_EVENTS | PCI_EXP_SLTSTA_ABP)))
		return IRQ_NONE;
	if (sta & SMARTIO_PORT_SLTSTA_EVENTS)
		smartio_adapter_link_event(port->adapter);
	/*
	 * QEMU presses the button when a card is added: a press that comes
	 * with a presence change counts only where it powers the slot on.
	 */
	if ((sta & PCI_EXP_SLTSTA_ABP) &&
	    (!(sta & PCI_EXP_SLTSTA_PDC) || READ_ONCE(port->off)))
		smartio_adapter_button(port->adapter);
	return IRQ_HANDLED;
}

/**
 * smartio_port_slot_irq_start() - take the slot's events by interrupt
 * @port: a port being adopted
 *
 * The port's slot, hot-plug capable, signals presence and link changes by
 * the port's interrupt (free since pcieport let it go): MSI, where the
 * slot's events use the first message, or INTx. Without it the link is
 * polled, as before.
 */
void smartio_port_slot_irq_start(struct smartio_port *port)
{
	struct pci_dev *pdev = port->pdev;
	int ret;

	if (!(pcie_caps_reg(pdev) & PCI_EXP_FLAGS_SLOT))
		return;
	pcie_capability_read_dword(pdev, PCI_EXP_SLTCAP, &port->sltcap);
	if (!(port->sltcap & PCI_EXP_SLTCAP_HPC))
		return;
	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI | PCI_IRQ_INTX);
	if (ret < 0)
		goto polled;
	ret = request_irq(pci_irq_vector(pdev, 0), smartio_port_slot_irq,
			  IRQF_SHARED, "smartio_port", port);
	if (ret)
		goto free_vectors;
	port->irq = pci_irq_vector(pdev, 0);
	/* Events from before are stale: the core reads the link itself. */
	smartio_port_slot_ack(port, SMARTIO_PORT_SLTSTA_ALL);
	smartio_port_slot_events(port, true);
	return;

free_vectors:
	pci_free_irq_vectors(pdev);
polled:
	pci_info(pdev, "smartio_port: slot events polled (no interrupt: %d)\n",
		 ret);
}

/**
 * smartio_port_slot_irq_stop() - stop the slot's interrupt, forget its events
 * @port: a port being handed back
 */
void smartio_port_slot_irq_stop(struct smartio_port *port)
{
	if (port->irq) {
		smartio_port_slot_events(port, false);
		free_irq(port->irq, port);
		pci_free_irq_vectors(port->pdev);
		port->irq = 0;
	}
	/*
	 * What was latched while adopted is smartio's: QEMU presses the
	 * attention button on every hot-add, and pciehp, once bound again,
	 * would take a press left over as a request to power the slot off.
	 */
	if (port->sltcap & PCI_EXP_SLTCAP_HPC)
		smartio_port_slot_ack(port, SMARTIO_PORT_SLTSTA_ALL);
}

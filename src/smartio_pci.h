/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What smartio uses of the PCI core that is exported to modules but
 * declared only in the core's private drivers/pci/pci.h, and names that
 * differ between the kernels smartio supports.
 */
#ifndef SMARTIO_PCI_H
#define SMARTIO_PCI_H

struct kset;

/* Renamed in 6.8; 6.1 knows only the old name. */
#ifndef PCI_IRQ_INTX
#define PCI_IRQ_INTX	PCI_IRQ_LEGACY
#endif

/* Every struct pci_slot's kobject, until its release. */
extern struct kset *pci_slots_kset;

#endif /* SMARTIO_PCI_H */

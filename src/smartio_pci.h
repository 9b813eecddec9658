/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What smartio uses of the PCI core that is exported to modules but
 * declared only in the core's private drivers/pci/pci.h.
 */
#ifndef SMARTIO_PCI_H
#define SMARTIO_PCI_H

struct kset;

/* Every struct pci_slot's kobject, until its release. */
extern struct kset *pci_slots_kset;

#endif /* SMARTIO_PCI_H */

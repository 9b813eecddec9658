// SPDX-License-Identifier: GPL-2.0
/*
 * smartio bridge windows: placing a borrowed device's BARs in the
 * aperture, and re-sizing the windows of idle bridges above it when they
 * have no room.
 */

#include <linux/ioport.h>
#include <linux/pci.h>

#include "smartio.h"
#include "smartio_host.h"

/*
 * Memory BARs that need aperture space. There is no I/O window; PCIe drivers
 * do without I/O BARs.
 */
unsigned int smartio_mem_bars(struct pci_dev *pdev)
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
bool smartio_bars_assigned(struct pci_dev *pdev, unsigned int mask)
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
 * can make room for the BAR. The bridge whose windows are the aperture is
 * the highest candidate, and its windows stay as they are: the one on a
 * synthetic root bus, or the backend's own bridge above its own bus.
 */
static struct pci_dev *smartio_grow_target(struct pci_bus *bus,
					   struct pci_dev *pdev, u64 size,
					   unsigned long flags)
{
	struct pci_dev *top = smartio_bus_to_host(bus)->bus->self;
	struct pci_dev *bridge = bus->self;
	struct pci_dev *up;
	int i;

	while (bridge && bridge != top && !pci_is_root_bus(bridge->bus)) {
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
void smartio_grow_windows(struct smartio_adapter *adapter,
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
	pbus = pci_find_bus(host->domain, bus);
	if (!pbus)
		return false;
	pci_bus_for_each_resource(pbus, win, i) {
		if (smartio_window_compatible(win, flags) &&
		    smartio_window_has_room(win, size))
			return true;
	}
	return !!smartio_grow_target(pbus, NULL, size, flags);
}

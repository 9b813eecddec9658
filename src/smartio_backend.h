/* SPDX-License-Identifier: GPL-2.0 */
/*
 * smartio: use PCIe devices behind a non-transparent bridge as local devices.
 *
 * The backend interface of smartio.ko: what an adapter driver (a separate
 * module, such as smartio_emul.ko) uses to put its adapters on the smartio
 * bus. A backend describes each adapter it drives (remote bus range and
 * aperture), provides remote config access and the link state, registers
 * the adapter and unregisters it before it goes away. The core does the
 * rest: the synthetic host bridge, the pool, borrow and return, hot-plug.
 */
#ifndef _SMARTIO_BACKEND_H
#define _SMARTIO_BACKEND_H

#include <linux/device.h>
#include <linux/ioport.h>
#include <linux/types.h>

#define SMARTIO_MAX_WINDOWS	4
#define SMARTIO_BACKEND_NAME_LEN	16

struct dentry;
struct pci_bus;
struct smartio_adapter;

/**
 * struct smartio_adapter_ops - what a backend provides for one adapter
 * @config_read: read @size (1, 2 or 4) bytes at offset @where of the remote
 *	function @bus/@devfn into @val. Returns a PCIBIOS_* code; a function
 *	that does not answer reads as all-ones.
 * @config_write: write @size bytes of @val at offset @where of the remote
 *	function @bus/@devfn. Returns a PCIBIOS_* code.
 * @link_up: true while the NTB link to the remote tree is usable.
 * @power: optional, for a backend whose link ends in a hot-plug slot of its
 *	own with an attention button: power that slot on or off (and its
 *	power indicator with it). Called by the watcher, in process context
 *	under the PCI rescan lock, after smartio_adapter_button(); may sleep
 *	for the slot's Command Completed, not longer.
 *
 * The core calls these from process context and from the PCI core's config
 * accessors, which hold a raw spinlock with interrupts off: they must not
 * sleep, and they must fail fast. Once the backend knows its link is down
 * (or the remote side gone), @config_read answers all-ones and both return
 * PCIBIOS_DEVICE_NOT_FOUND without touching the NTB window: an access that
 * waits for a completion timeout costs milliseconds with interrupts off,
 * and the PCI core and drivers issue many while they let a dead device go.
 * @link_up must not sleep either. Once smartio_adapter_unregister() has
 * returned, the core calls none of them again, so the backend may free what
 * they use.
 *
 * What else a backend guarantees: the @parent device of
 * smartio_adapter_register() stays bound until it calls
 * smartio_adapter_unregister() (from its remove, before that device goes),
 * and config access keeps working until that call returns, so the core can
 * quiesce borrowed devices; the core orders the synthetic tree after
 * @parent for system sleep and runtime PM itself (a device link).
 */
struct smartio_adapter_ops {
	int (*config_read)(struct smartio_adapter *adapter, unsigned int bus,
			   unsigned int devfn, int where, int size, u32 *val);
	int (*config_write)(struct smartio_adapter *adapter, unsigned int bus,
			    unsigned int devfn, int where, int size, u32 val);
	bool (*link_up)(struct smartio_adapter *adapter);
	void (*power)(struct smartio_adapter *adapter, bool on);
};

/**
 * struct smartio_window - one aperture window of an adapter
 * @res: the window in local CPU addresses (IORESOURCE_MEM, optionally
 *	IORESOURCE_PREFETCH | IORESOURCE_MEM_64)
 * @offset: local CPU address minus remote bus address
 */
struct smartio_window {
	struct resource res;
	resource_size_t offset;
};

/**
 * enum smartio_dma_ids - the requester ID of remote devices' DMA and MSI
 * @SMARTIO_DMA_OWN_IDS: the adapter passes the remote devices' own
 *	requester IDs upstream, as transparent adapters and the emulated
 *	adapter do. In a synthetic domain no IOMMU has a context for them:
 *	while an IOMMU translates the adapter's own device, smartio refuses
 *	to borrow (EOPNOTSUPP), unless the adapter gives its own bus
 *	(&smartio_adapter_info.bus), where they are devices of the platform.
 * @SMARTIO_DMA_ADAPTER_ID: the adapter rewrites them to the requester ID
 *	of its own PCI function, the @parent of smartio_adapter_register(),
 *	as NTB adapters do. smartio makes that function the DMA alias of the
 *	synthetic domain (on x86 the VMD mechanism of struct pci_sysdata) and
 *	gives the domain that function's MSI domain, so that the IOMMU maps
 *	DMA and remaps MSIs of borrowed devices in the adapter's context.
 *	Where the IOMMU does not take the alias, borrow fails with
 *	EOPNOTSUPP.
 *
 * Remote devices reach local memory through the adapter's inbound window
 * 1:1 (a remote bus address is the local DMA address), up to
 * &smartio_adapter_info.dma_limit; a window that moves addresses cannot be
 * described.
 */
enum smartio_dma_ids {
	SMARTIO_DMA_OWN_IDS,
	SMARTIO_DMA_ADAPTER_ID,
};

/**
 * struct smartio_adapter_info - what a backend describes at registration
 * @backend: short backend name shown in sysfs, copied at registration
 *	(at most SMARTIO_BACKEND_NAME_LEN - 1 characters are kept)
 * @bus_start: first remote bus number behind the adapter
 * @bus_end: last remote bus number behind the adapter
 * @nr_windows: number of valid entries in @windows
 * @windows: the aperture
 * @dma_ids: the requester ID remote devices' DMA and MSI writes carry
 * @dma_limit: the highest local DMA address the adapter's inbound window
 *	reaches, or 0 if it reaches all of them. smartio makes it the bus
 *	DMA limit of every remote device, so that DMA mappings (direct, bounced
 *	or through the IOMMU) stay below it.
 * @bus: optional, for a transparent link (%SMARTIO_DMA_OWN_IDS): the
 *	backend's own PCI bus the remote tree hangs below, such as a port's
 *	secondary bus, whose bus numbers and windows are @bus_start,
 *	@bus_end and @windows. The core presents the tree on that bus, in its
 *	PCI domain, instead of on a synthetic host bridge: the devices keep
 *	the requester IDs they have on the wire, so the platform's IOMMU and
 *	interrupt remapping cover them as any device below that bus, their
 *	error messages carry IDs the platform knows, and power management
 *	orders them below the backend's device.
 *	Until registration the backend keeps the PCI core away from the bus
 *	(its accessors answer "no device"); the core installs its own while
 *	the adapter is registered and gives those back when it is gone. The
 *	bus must outlive the registration.
 */
struct smartio_adapter_info {
	const char *backend;
	u8 bus_start;
	u8 bus_end;
	unsigned int nr_windows;
	struct smartio_window windows[SMARTIO_MAX_WINDOWS];
	enum smartio_dma_ids dma_ids;
	u64 dma_limit;
	struct pci_bus *bus;
};

struct smartio_adapter *
__smartio_adapter_register(struct device *parent,
			   const struct smartio_adapter_ops *ops,
			   const struct smartio_adapter_info *info, void *priv,
			   struct module *owner);
/* The calling module is the adapter's owner, as for pci_register_driver(). */
#define smartio_adapter_register(parent, ops, info, priv) \
	__smartio_adapter_register(parent, ops, info, priv, THIS_MODULE)
void smartio_adapter_unregister(struct smartio_adapter *adapter);
void smartio_adapter_link_event(struct smartio_adapter *adapter);
void smartio_adapter_button(struct smartio_adapter *adapter);
void *smartio_adapter_priv(const struct smartio_adapter *adapter);
struct dentry *smartio_adapter_debugfs(const struct smartio_adapter *adapter);
void smartio_adapters_settle(void);
bool smartio_device_in_use(struct device *dev, char *name);
bool smartio_adapter_in_use(struct smartio_adapter *adapter, char *name);

#endif /* _SMARTIO_BACKEND_H */

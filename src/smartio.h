/* SPDX-License-Identifier: GPL-2.0 */
/*
 * smartio: use PCIe devices behind a non-transparent bridge as local devices.
 *
 * Internal interfaces shared by the core (pool, sysfs), the synthetic host
 * bridge and the hot-plug watcher. Backends see only smartio_backend.h.
 */
#ifndef _SMARTIO_H
#define _SMARTIO_H

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/device.h>
#include <linux/ioport.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/srcu.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "smartio_backend.h"

#define SMARTIO_DOMAIN_START	0x10000
#define SMARTIO_NR_BUSES	256
#define SMARTIO_MAX_SLOTS	64

struct smartio_adapter;
struct smartio_host;

/**
 * struct smartio_slot - a hot-plug slot of the remote tree
 * @bus: bus of the downstream or root port with the slot
 * @devfn: its device/function
 * @exp: offset of its PCI Express capability
 * @sec: first bus below the slot
 * @sub: last bus below the slot
 * @seen: found by the walk in progress
 * @held: powered off by its attention button with the card in it: walks
 *	leave it off and do not go below it until the button or
 *	adapter<N>/slot_power_on powers it on again, or the card is pulled
 * @pending: its button was pressed; it powers off at @deadline unless the
 *	button is pressed again (see button_cancel_ms)
 * @deadline: when a pending power-off happens, in jiffies
 * @powered: powered on before the walk (smartio_slots_power_on()): the
 *	devices it finds below are fresh from power-on reset
 *
 * Entries live in &smartio_adapter.slots and are protected by smartio_lock;
 * a walk keeps the state of the slots it finds again.
 */
struct smartio_slot {
	u8 bus;
	u8 devfn;
	u8 exp;
	u8 sec;
	u8 sub;
	bool seen;
	bool held;
	bool pending;
	unsigned long deadline;
	bool powered;
};

/* Vendor ID read while a device answers with CRS (PCIe r6.0 sec 2.3.2). */
#define SMARTIO_CRS_VENDOR_ID	0x0001

/* Borrowed devices a link or presence change took away, to borrow again. */
#define SMARTIO_MAX_AGAIN	32

/**
 * struct smartio_again - a borrowed device removed by a link or presence change
 * @bus: remote bus number
 * @devfn: remote device/function
 * @vendor: PCI vendor id
 * @device: PCI device id
 * @subsystem_vendor: subsystem vendor id
 * @subsystem_device: subsystem id
 * @class: class code
 * @dsn: Device Serial Number, 0 if none
 *
 * What tells the same card from another one put into its place.
 */
struct smartio_again {
	u8 bus;
	u8 devfn;
	u16 vendor;
	u16 device;
	u16 subsystem_vendor;
	u16 subsystem_device;
	u32 class;
	u64 dsn;
};

/**
 * struct smartio_adapter - one NTB adapter, a device on the smartio bus
 * @dev: the "adapter<N>" device, below /sys/devices/smartio
 * @id: N
 * @ops: backend operations
 * @priv: backend private data
 * @backend_dev: the backend's device, linked as "device" until unregistered
 * @info: bus range and aperture, fixed at registration; its @backend
 *	points to @backend_name
 * @backend_name: copy of the backend's name: the backend module may be
 *	gone while the adapter device is still in sysfs
 * @host: the synthetic PCI host bridge over the remote tree
 *	(pci_lock_rescan_remove() and smartio_lock to change, either to read)
 * @fdevs: pool devices behind this adapter (smartio_lock)
 * @node: entry in the adapter list (smartio_lock)
 * @config_reads: remote config reads done through this adapter
 * @scan_config_reads: remote config reads of the last scan (and of a
 *	borrow's reset outside the locks meanwhile)
 * @scan_added: pool devices the last scan added (written under
 *	smartio_lock, read without it)
 * @scan_dropped: pool devices the last scan dropped (as @scan_added)
 * @scan_pruned: pool devices the prune before a scan of every adapter
 *	dropped, counted by that scan in @scan_dropped (smartio_lock)
 * @debugfs: the adapter's debugfs directory
 * @slots: hot-plug slots found by the last walk of the tree (smartio_lock)
 * @nr_slots: number of valid @slots (smartio_lock)
 * @again: borrowed devices to borrow again once the same card answers at
 *	their place (smartio_lock)
 * @nr_again: number of valid @again (smartio_lock)
 * @new_bridge: the walk in progress met a bridge the PCI core does not
 *	have, hot-added behind a slot (smartio_lock)
 * @link_was_up: link state the watcher saw last (smartio_lock)
 * @link_events: link changes the backend reported, see
 *	smartio_adapter_link_event()
 * @link_events_seen: @link_events as the watcher saw it last (smartio_lock)
 * @buttons: presses of the attention button of the backend's own slot, see
 *	smartio_adapter_button()
 * @link_off: the watcher powered the backend's slot off at a button press;
 *	the link counts as down until a press powers it on (smartio_lock to
 *	set, read without)
 * @owner: the backend's module; each borrowed device holds a reference
 * @watching: the watcher runs; a link event may kick it (smartio_lock to
 *	set, read without)
 * @dead: unregistered; nothing new starts on it (smartio_lock)
 * @gone: the backend is gone; read under smartio_srcu by every call of @ops
 * @watch: the hot-plug watcher, polling the slots and the link
 * @attach_work: creates the host bridge in lock order, see smartio_core.c
 * @teardown_work: removes the host bridge and the pool after unregistration
 */
struct smartio_adapter {
	struct device dev;
	int id;
	const struct smartio_adapter_ops *ops;
	void *priv;
	struct module *owner;
	struct device *backend_dev;
	struct smartio_adapter_info info;
	char backend_name[SMARTIO_BACKEND_NAME_LEN];
	struct smartio_host *host;
	struct list_head fdevs;
	struct list_head node;
	atomic64_t config_reads;
	atomic64_t scan_config_reads;
	unsigned int scan_added;
	unsigned int scan_dropped;
	unsigned int scan_pruned;
	struct dentry *debugfs;
	struct smartio_slot slots[SMARTIO_MAX_SLOTS];
	unsigned int nr_slots;
	struct smartio_again again[SMARTIO_MAX_AGAIN];
	unsigned int nr_again;
	bool new_bridge;
	bool link_was_up;
	atomic_t link_events;
	unsigned int link_events_seen;
	atomic_t buttons;
	bool link_off;
	bool watching;
	bool dead;
	bool gone;
	struct delayed_work watch;
	struct work_struct attach_work;
	struct work_struct teardown_work;
};

#define to_smartio_adapter(d) container_of(d, struct smartio_adapter, dev)

/**
 * struct smartio_bar - one BAR of a fabric device, as sized by a scan
 * @size: size in bytes, 0 if not implemented
 * @flags: IORESOURCE_MEM or IORESOURCE_IO, with IORESOURCE_PREFETCH and
 *	IORESOURCE_MEM_64 where they apply
 */
struct smartio_bar {
	u64 size;
	unsigned long flags;
};

/**
 * struct smartio_fdev - one fabric device of the pool
 * @dev: the "<fdid>" device on the smartio bus
 * @adapter: the adapter it sits behind
 * @fdid: fabric device id, see smartio_fdid()
 * @bus: remote bus number
 * @devfn: remote device/function
 * @vendor: PCI vendor id
 * @device: PCI device id
 * @subsystem_vendor: PCI subsystem vendor id
 * @subsystem_device: PCI subsystem id
 * @class: PCI class code (24 bits)
 * @dsn: PCI Express Device Serial Number, 0 if it has none
 * @bars: standard BARs
 * @pdev: the local PCI device while borrowed (smartio_borrow_lock)
 * @pci_driver: the driver bound to @pdev once its probe has succeeded,
 *	empty otherwise (smartio_borrow_lock)
 * @vfs: routing IDs the VFs of @pdev may take, NULL if it has no SR-IOV
 *	capability; set by the borrow, before @pdev is published, and freed
 *	by the PCI bus notifier that takes @pdev away (the rescan lock
 *	serializes both)
 * @node: entry in the adapter's pool (smartio_lock)
 * @borrowed_node: entry in the borrowed list (smartio_borrow_lock)
 * @seen: found by the scan in progress (smartio_lock)
 * @fresh: added by the scan in progress (smartio_lock)
 * @cold: in its power-on reset state, as the scan that powered its slot on
 *	found it, until its first borrow (smartio_lock)
 * @dead: dropped from the pool; stores must give up (smartio_lock)
 * @resetting: a borrow resets it outside the rescan lock; scans keep it
 *	and nothing else borrows it meanwhile (smartio_lock)
 */
struct smartio_fdev {
	struct device dev;
	struct smartio_adapter *adapter;
	u32 fdid;
	u8 bus;
	u8 devfn;
	u16 vendor;
	u16 device;
	u16 subsystem_vendor;
	u16 subsystem_device;
	u32 class;
	u64 dsn;
	struct smartio_bar bars[PCI_STD_NUM_BARS];
	struct pci_dev *pdev;
	char pci_driver[32];
	unsigned long *vfs;
	struct list_head node;
	struct list_head borrowed_node;
	bool seen;
	bool fresh;
	bool cold;
	bool dead;
	bool resetting;
};

#define to_smartio_fdev(d) container_of(d, struct smartio_fdev, dev)

/* fdid: (adapter << 20) | (bus << 12) | (devfn << 4), as Dolphin prints it. */
static inline u32 smartio_fdid(int adapter, u8 bus, u8 devfn)
{
	return ((u32)adapter << 20) | ((u32)bus << 12) | ((u32)devfn << 4);
}

/*
 * struct bus_attribute callbacks take a const bus_type since 6.4; Kbuild
 * tells which kind of header we build against.
 */
#ifdef SMARTIO_CONST_BUS_TYPE
#define smartio_bus_type_t const struct bus_type
#else
#define smartio_bus_type_t struct bus_type
#endif

/* device_type.uevent takes a const device since 6.3. */
#ifdef SMARTIO_CONST_DEV_UEVENT
#define smartio_uevent_dev_t const struct device
#else
#define smartio_uevent_dev_t struct device
#endif

/* smartio_core.c */
extern bool smartio_autoborrow;
extern struct mutex smartio_scan_mutex;
extern struct mutex smartio_lock;
extern struct list_head smartio_adapters;
extern struct workqueue_struct *smartio_wq;
extern struct workqueue_struct *smartio_attach_wq;
extern struct srcu_struct smartio_srcu;
extern spinlock_t smartio_borrow_lock;
extern struct list_head smartio_borrowed;

int smartio_parse_bool(const char *buf, size_t count, bool *val);
int smartio_parse_true(const char *buf, size_t count);
void smartio_live_get(void);
void smartio_live_put(void);

void smartio_kick_watchers(void);
int smartio_config_read(struct smartio_adapter *adapter, unsigned int bus,
			unsigned int devfn, int where, int size, u32 *val);
int smartio_config_write(struct smartio_adapter *adapter, unsigned int bus,
			 unsigned int devfn, int where, int size, u32 val);
u32 smartio_scan_read(struct smartio_adapter *adapter, u8 bus, u8 devfn,
		      int where, int size);
void smartio_scan_write(struct smartio_adapter *adapter, u8 bus, u8 devfn,
			int where, int size, u32 val);
bool smartio_link_up(struct smartio_adapter *adapter);
bool smartio_adapter_host(struct smartio_adapter *adapter);
void smartio_rescan_adapter(struct smartio_adapter *adapter,
			    struct list_head *dead);
void smartio_scan_adapter(struct smartio_adapter *adapter,
			  struct list_head *dead, bool only_new);
void smartio_pdev_set_gone(struct pci_dev *pdev);
int smartio_detach(struct smartio_fdev *fdev, bool gone);
int smartio_return(struct smartio_fdev *fdev, bool force);
void smartio_wait_unused(struct smartio_fdev *fdev);
void smartio_detach_again(struct smartio_fdev *fdev);
void smartio_again_forget(struct smartio_adapter *adapter, u8 sec, u8 sub);
void smartio_mark_gone(struct smartio_fdev *fdev);

/* smartio_pool.c */
extern const struct device_type smartio_fdev_type;

struct pci_dev *smartio_fdev_pdev(struct smartio_fdev *fdev);
void smartio_fdev_uevent(struct smartio_fdev *fdev, bool borrowed);
int smartio_find_ext_cap(struct smartio_adapter *adapter, u8 bus, u8 devfn,
			 u16 id);
u64 smartio_fdev_needed(struct smartio_fdev *fdev, bool pref);
u64 smartio_aperture_size(struct smartio_adapter *adapter, bool pref);
struct smartio_fdev *smartio_fdev_find(struct smartio_adapter *adapter,
				       u32 fdid);
struct smartio_fdev *smartio_fdev_add(struct smartio_adapter *adapter,
				      u8 bus, u8 devfn, u32 id);
void smartio_fdev_drop(struct smartio_fdev *fdev, struct list_head *dead);
void smartio_fdevs_unregister(struct list_head *dead);
int smartio_dsn_format(u64 dsn, char *buf, size_t len);

/* smartio_borrow.c */
extern struct notifier_block smartio_pci_nb;

void smartio_fdev_reset(struct smartio_fdev *fdev);
int smartio_borrowable(struct smartio_fdev *fdev);
int smartio_borrow_locked(struct smartio_fdev *fdev, bool reset_done);
void smartio_borrow_again(struct smartio_adapter *adapter);

/* smartio_scan.c */
int smartio_walk(struct smartio_adapter *adapter, bool pool);
int smartio_scan_all(void);

/* smartio_sysfs.c */
extern struct bus_type smartio_bus_type;
extern const struct device_type smartio_adapter_type;

/* smartio_policy.c */
int smartio_policy_store(const char *buf, size_t count);
ssize_t smartio_policy_show(char *buf);
unsigned int smartio_policy_rules(void);
bool smartio_policy_allows(struct smartio_fdev *fdev, unsigned int *rule);
void smartio_policy_exit(void);

/* smartio_hotplug.c */
u8 smartio_find_cap(struct smartio_adapter *adapter, u8 bus, u8 devfn, u8 cap);
void smartio_slot_command(struct smartio_adapter *adapter, u8 bus, u8 devfn,
			  u8 exp, u16 set, u16 clear);
void smartio_slots_power_on(struct smartio_adapter *adapter);
bool smartio_slot_found(struct smartio_adapter *adapter, u8 bus, u8 devfn,
			bool *powered);
void smartio_slots_walk_start(struct smartio_adapter *adapter);
void smartio_slots_walk_end(struct smartio_adapter *adapter);
bool smartio_slots_add_bridges(struct smartio_adapter *adapter);
int smartio_slot_release_hold(struct smartio_adapter *adapter, u8 bus,
			      u8 devfn);
int smartio_slots_show(struct smartio_adapter *adapter, char *buf);
void smartio_watch_init(struct smartio_adapter *adapter);
void smartio_watch_start(struct smartio_adapter *adapter);

/* smartio_slot_irq.c */
void smartio_slot_irq_bound(struct smartio_adapter *adapter,
			    struct pci_dev *port);
void smartio_slot_irq_unbind(struct pci_dev *port);
int smartio_slot_irqs_init(void);
void smartio_slot_irqs_exit(void);

/* smartio_host.c */
int smartio_host_create(struct smartio_adapter *adapter);
void smartio_host_enumerate(struct smartio_adapter *adapter);
void smartio_host_remove(struct smartio_adapter *adapter);
int smartio_host_domain(struct smartio_adapter *adapter);
struct pci_dev *smartio_host_attach(struct smartio_adapter *adapter,
				    u8 bus, u8 devfn);
void smartio_host_hide(struct smartio_adapter *adapter, u8 bus, u8 devfn);
unsigned long *smartio_host_show_vfs(struct smartio_adapter *adapter,
				     struct pci_dev *pdev);
void smartio_host_hide_vfs(struct smartio_adapter *adapter, unsigned long *vfs);
bool smartio_host_is_vf(struct smartio_adapter *adapter, u8 bus, u8 devfn);
void smartio_host_sriov_off(struct pci_dev *pdev, bool gone);
bool smartio_host_iommu_vtd(struct device *dev);
bool smartio_host_msi_remapped(struct smartio_adapter *adapter,
			       struct device *dev);
void smartio_host_unlink(struct smartio_adapter *adapter);
void smartio_host_quiesce(struct smartio_adapter *adapter, u8 bus, u8 devfn);
bool smartio_host_stale(struct smartio_adapter *adapter);
void smartio_host_forget(struct smartio_adapter *adapter);
bool smartio_host_knows(struct smartio_adapter *adapter, u8 bus, u8 devfn);
bool smartio_host_slot_add(struct smartio_adapter *adapter, u8 bus, u8 devfn);
void smartio_host_slot_remove(struct smartio_adapter *adapter, u8 bus,
			      u8 devfn);
void smartio_host_pci_event(struct pci_dev *pdev, unsigned long action);
bool smartio_host_bar_fits(struct smartio_adapter *adapter, u8 bus, u64 size,
			   unsigned long flags);

#endif /* _SMARTIO_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * smartio: use PCIe devices behind a non-transparent bridge as local devices.
 *
 * The core: the glue to the backends (adapter registration and
 * unregistration, config access through the backend's ops, link events),
 * the locks and lists the other parts share, and module init. The pool
 * (smartio_pool.c), borrow and return (smartio_borrow.c), the scan
 * (smartio_scan.c) and the bus and adapter attributes (smartio_sysfs.c)
 * live in files of their own.
 */

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/idr.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/string_helpers.h>
#include <linux/sysfs.h>

#include "smartio.h"

#ifndef SMARTIO_VERSION
#define SMARTIO_VERSION "unknown"
#endif

bool smartio_autoborrow;
module_param_named(autoborrow_transparent, smartio_autoborrow, bool, 0444);
MODULE_PARM_DESC(autoborrow_transparent,
		 "Borrow every available fabric device a scan finds (default: 0); also scans each adapter as it is bound");

/*
 * Lock order: pci_lock_rescan_remove(), then smartio_lock, then
 * smartio_borrow_lock. The PCI core calls a backend's probe and remove
 * with the rescan lock held (rescan, "remove", pciehp) or without it
 * (driver bind and unbind), so neither may take it: registration and
 * unregistration only queue the work that needs it (attach_work,
 * teardown_work), and that work takes both locks in order.
 *
 * smartio_lock serializes scan, borrow, return and the watchers and
 * protects the adapter list and the pools. Neither lock is held while a
 * pool device is unregistered, since its store methods take both.
 *
 * smartio_scan_mutex, outside both, is held by whoever adds pool devices
 * or drops them, from the walk until the dropped ones are unregistered:
 * a device dropped by one path must have left sysfs before another path
 * adds a device of the same fdid. No store of a pool device takes it.
 */
DEFINE_MUTEX(smartio_scan_mutex);	/* see above */
DEFINE_MUTEX(smartio_lock);		/* see above */
LIST_HEAD(smartio_adapters);	/* smartio_lock */
static DEFINE_IDA(smartio_adapter_ida);

/* Fences the backend: every call of an adapter's ops is a read side. */
DEFINE_SRCU(smartio_srcu);

/* Parent of the adapters: /sys/devices/smartio. */
static struct device *smartio_root;

/*
 * Adapters and pool devices not yet released. Their release functions are
 * module code, and the driver core may release late (kobject release
 * debugging delays it by seconds), so module exit waits for none to be left.
 */
static atomic_t smartio_live = ATOMIC_INIT(0);

/* Counts an adapter or pool device that will need its release. */
void smartio_live_get(void)
{
	atomic_inc(&smartio_live);
}

void smartio_live_put(void)
{
	if (atomic_dec_and_test(&smartio_live))
		wake_up_var(&smartio_live);
}

/* Creates and tears down host bridges, one at a time, in lock order. */
struct workqueue_struct *smartio_attach_wq;

/*
 * Borrowed devices and their PCI devices. The PCI bus notifier runs inside
 * PCI device removal, possibly under smartio_lock, so it uses this
 * spinlock only.
 */
DEFINE_SPINLOCK(smartio_borrow_lock);
LIST_HEAD(smartio_borrowed);	/* smartio_borrow_lock */

static struct dentry *smartio_debugfs;

/*
 * The hot-plug watchers run here, not on the system workqueue, which the
 * drivers they unbind may flush.
 */
struct workqueue_struct *smartio_wq;

/*
 * Strict boolean input: exactly "0" or "1", optionally with one trailing
 * newline, and nothing after it (a write may hold a NUL byte). kstrtouint()
 * alone would also take "+1", "01" and "1\0junk"; every such typo is
 * refused with -EINVAL instead.
 */
int smartio_parse_bool(const char *buf, size_t count, bool *val)
{
	unsigned int v;

	if (count < 1 || count > 2 || (count == 2 && buf[1] != '\n') ||
	    (buf[0] != '0' && buf[0] != '1'))
		return -EINVAL;
	if (kstrtouint(buf, 10, &v))
		return -EINVAL;
	*val = v;
	return 0;
}

int smartio_parse_true(const char *buf, size_t count)
{
	bool val;
	int ret;

	ret = smartio_parse_bool(buf, count, &val);
	if (ret)
		return ret;
	return val ? 0 : -EINVAL;
}

/**
 * smartio_config_read() - read remote config space through the backend
 * @adapter: the adapter
 * @bus: remote bus number
 * @devfn: remote device/function
 * @where: offset in config space
 * @size: 1, 2 or 4
 * @val: where the value goes; all-ones if the function does not answer
 *
 * Return: a PCIBIOS_* code.
 */
int smartio_config_read(struct smartio_adapter *adapter, unsigned int bus,
			unsigned int devfn, int where, int size, u32 *val)
{
	int idx, ret;

	atomic64_inc(&adapter->config_reads);
	idx = srcu_read_lock(&smartio_srcu);
	if (READ_ONCE(adapter->gone)) {
		PCI_SET_ERROR_RESPONSE(val);
		ret = PCIBIOS_DEVICE_NOT_FOUND;
	} else {
		ret = adapter->ops->config_read(adapter, bus, devfn, where,
						size, val);
	}
	srcu_read_unlock(&smartio_srcu, idx);
	return ret;
}

/**
 * smartio_config_write() - write remote config space through the backend
 * @adapter: the adapter
 * @bus: remote bus number
 * @devfn: remote device/function
 * @where: offset in config space
 * @size: 1, 2 or 4
 * @val: the value
 *
 * Return: a PCIBIOS_* code.
 */
int smartio_config_write(struct smartio_adapter *adapter, unsigned int bus,
			 unsigned int devfn, int where, int size, u32 val)
{
	int idx, ret = PCIBIOS_DEVICE_NOT_FOUND;

	idx = srcu_read_lock(&smartio_srcu);
	if (!READ_ONCE(adapter->gone))
		ret = adapter->ops->config_write(adapter, bus, devfn, where,
						 size, val);
	srcu_read_unlock(&smartio_srcu, idx);
	return ret;
}

bool smartio_link_up(struct smartio_adapter *adapter)
{
	bool up = false;
	int idx;

	idx = srcu_read_lock(&smartio_srcu);
	if (!READ_ONCE(adapter->gone) && !READ_ONCE(adapter->link_off))
		up = !adapter->ops->link_up || adapter->ops->link_up(adapter);
	srcu_read_unlock(&smartio_srcu, idx);
	return up;
}

/* Adapters */

static int smartio_scan_reads_get(void *data, u64 *val)
{
	struct smartio_adapter *adapter = data;

	mutex_lock(&smartio_lock);
	*val = atomic64_read(&adapter->scan_config_reads);
	mutex_unlock(&smartio_lock);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(smartio_scan_reads_fops, smartio_scan_reads_get,
			 NULL, "%llu\n");

static int smartio_config_reads_get(void *data, u64 *val)
{
	struct smartio_adapter *adapter = data;

	*val = atomic64_read(&adapter->config_reads);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(smartio_config_reads_fops, smartio_config_reads_get,
			 NULL, "%llu\n");

/**
 * smartio_adapter_host() - give an adapter its host bridge if it has none
 * @adapter: the adapter
 *
 * Creates the host bridge, enumerating the remote bridges, and starts the
 * watcher. A creation that failed (the aperture still held by someone
 * else, no memory or PCI domain left) is tried again by every scan, so
 * the adapter is not lost until it is bound again. Called with the rescan
 * lock and smartio_lock held.
 *
 * Return: true if the adapter has its host bridge.
 */
bool smartio_adapter_host(struct smartio_adapter *adapter)
{
	int ret;

	lockdep_assert_held(&smartio_lock);
	if (adapter->host)
		return true;
	if (adapter->dead)
		return false;
	/* A link event from here on is the watcher's to handle. */
	adapter->link_events_seen = atomic_read(&adapter->link_events);
	ret = smartio_host_create(adapter);
	if (ret) {
		dev_err(&adapter->dev, "no PCI host bridge: %d; a scan tries again\n",
			ret);
		return false;
	}
	adapter->link_was_up = smartio_link_up(adapter);
	smartio_watch_start(adapter);
	return true;
}

/*
 * Creates the host bridge, with the rescan lock taken before smartio_lock
 * as everywhere else: the backend's probe may have been called with the
 * rescan lock held, or without it.
 */
static void smartio_attach_fn(struct work_struct *work)
{
	struct smartio_adapter *adapter =
		container_of(work, struct smartio_adapter, attach_work);
	LIST_HEAD(dead);

	mutex_lock(&smartio_scan_mutex);
	pci_lock_rescan_remove();
	mutex_lock(&smartio_lock);
	if (!smartio_adapter_host(adapter))
		goto unlock;
	if (READ_ONCE(smartio_autoborrow))
		smartio_scan_adapter(adapter, &dead, false);
	else if (adapter->link_was_up)
		smartio_walk(adapter, false);
unlock:
	mutex_unlock(&smartio_lock);
	pci_unlock_rescan_remove();
	smartio_fdevs_unregister(&dead);
	mutex_unlock(&smartio_scan_mutex);
}

/*
 * What unregistration left: the host bridge (its borrowed devices are
 * removed as on a surprise removal, since the backend is gone), the pool
 * and the adapter device.
 */
static void smartio_teardown_fn(struct work_struct *work)
{
	struct smartio_adapter *adapter =
		container_of(work, struct smartio_adapter, teardown_work);
	struct smartio_fdev *fdev, *tmp;
	LIST_HEAD(dead);

	cancel_delayed_work_sync(&adapter->watch);

	mutex_lock(&smartio_scan_mutex);
	pci_lock_rescan_remove();
	mutex_lock(&smartio_lock);
	list_for_each_entry(fdev, &adapter->fdevs, node) {
		struct pci_dev *pdev = smartio_fdev_pdev(fdev);

		smartio_mark_gone(fdev);
		/* The root bus goes as a whole; VFs must not outlive PFs. */
		if (pdev)
			smartio_host_sriov_off(pdev, true);
		pci_dev_put(pdev);
	}
	smartio_host_remove(adapter);
	list_for_each_entry_safe(fdev, tmp, &adapter->fdevs, node)
		smartio_fdev_drop(fdev, &dead);
	mutex_unlock(&smartio_lock);
	pci_unlock_rescan_remove();

	smartio_fdevs_unregister(&dead);
	mutex_unlock(&smartio_scan_mutex);
	if (adapter->info.bus)
		put_device(&adapter->info.bus->dev);
	/* A slot interrupt may have kicked the watcher before it was freed. */
	cancel_delayed_work_sync(&adapter->watch);
	device_del(&adapter->dev);
	/* Free the name now, not at release: a re-bound adapter reuses it. */
	ida_free(&smartio_adapter_ida, adapter->id);
	put_device(&adapter->dev);
}

/**
 * __smartio_adapter_register() - add an NTB adapter
 * @parent: the backend's device for it
 * @ops: backend operations
 * @info: bus range and aperture; copied
 * @priv: backend private data, in adapter->priv
 * @owner: the backend's module (smartio_adapter_register() passes it)
 *
 * Creates "adapter<N>" on the smartio bus. Its synthetic PCI host bridge
 * is created, and with autoborrow_transparent set the adapter is scanned,
 * by a work item (a scan waits for it), since the caller may hold the PCI
 * rescan lock. May be called from a backend's probe. Each device borrowed
 * through the adapter holds a reference on @owner, so the backend module
 * cannot be unloaded under a borrowed device (a mounted disk, say): as a
 * fabric transport's controllers pin it in nvme-fabrics.
 *
 * Return: the adapter or an ERR_PTR.
 */
struct smartio_adapter *
__smartio_adapter_register(struct device *parent,
			   const struct smartio_adapter_ops *ops,
			   const struct smartio_adapter_info *info, void *priv,
			   struct module *owner)
{
	struct smartio_adapter *adapter;
	int ret;

	adapter = kzalloc(sizeof(*adapter), GFP_KERNEL);
	if (!adapter)
		return ERR_PTR(-ENOMEM);
	ret = ida_alloc_max(&smartio_adapter_ida, 0xfff, GFP_KERNEL);
	if (ret < 0) {
		kfree(adapter);
		return ERR_PTR(ret);
	}
	adapter->id = ret;
	adapter->ops = ops;
	adapter->priv = priv;
	adapter->owner = owner;
	adapter->backend_dev = parent;
	adapter->info = *info;
	strscpy(adapter->backend_name, info->backend ? info->backend : "",
		sizeof(adapter->backend_name));
	adapter->info.backend = adapter->backend_name;
	INIT_LIST_HEAD(&adapter->fdevs);
	INIT_LIST_HEAD(&adapter->node);
	INIT_WORK(&adapter->attach_work, smartio_attach_fn);
	INIT_WORK(&adapter->teardown_work, smartio_teardown_fn);
	smartio_watch_init(adapter);

	device_initialize(&adapter->dev);
	smartio_live_get();
	adapter->dev.bus = &smartio_bus_type;
	adapter->dev.parent = smartio_root;
	adapter->dev.type = &smartio_adapter_type;
	ret = dev_set_name(&adapter->dev, "adapter%d", adapter->id);
	if (!ret)
		ret = device_add(&adapter->dev);
	if (ret)
		goto put_adapter;
	/* The adapter outlives its backend's device a little: link, not parent. */
	ret = sysfs_create_link(&adapter->dev.kobj, &parent->kobj, "device");
	if (ret)
		goto del_adapter;

	adapter->debugfs = debugfs_create_dir(dev_name(&adapter->dev),
					      smartio_debugfs);
	debugfs_create_file_unsafe("config_reads", 0444, adapter->debugfs,
				   adapter, &smartio_config_reads_fops);
	debugfs_create_file_unsafe("scan_config_reads", 0444, adapter->debugfs,
				   adapter, &smartio_scan_reads_fops);

	/*
	 * The PCI core may delete the adapter's own bus right after the
	 * backend's remove, before the teardown gives it its accessors back.
	 */
	if (info->bus)
		get_device(&info->bus->dev);
	mutex_lock(&smartio_lock);
	list_add_tail(&adapter->node, &smartio_adapters);
	mutex_unlock(&smartio_lock);
	queue_work(smartio_attach_wq, &adapter->attach_work);
	return adapter;

del_adapter:
	device_del(&adapter->dev);
put_adapter:
	ida_free(&smartio_adapter_ida, adapter->id);
	put_device(&adapter->dev);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(__smartio_adapter_register);

/**
 * smartio_adapter_unregister() - remove an NTB adapter
 * @adapter: the adapter
 *
 * Once this returns, no operation of the backend is called again, so the
 * backend may free what they use; the backend must not call
 * smartio_adapter_link_event() for it any more. Every device borrowed through the
 * adapter is first quiesced through the backend (memory decode and bus
 * mastering off, marked disconnected), then removed as on a surprise
 * removal, and the pool behind it
 * goes away, by a work item: the caller may hold the PCI rescan lock (a
 * backend's remove called by the PCI core) or not (driver unbind).
 */
void smartio_adapter_unregister(struct smartio_adapter *adapter)
{
	struct smartio_fdev *fdev;

	mutex_lock(&smartio_lock);
	adapter->dead = true;
	WRITE_ONCE(adapter->watching, false);
	list_del_init(&adapter->node);
	/*
	 * Once config access is cut, the drivers' own pci_disable_device()
	 * writes are dropped: stop the borrowed devices' DMA and decoding
	 * now, while the backend still reaches them, so none writes into
	 * buffers its driver frees on the way out.
	 */
	list_for_each_entry(fdev, &adapter->fdevs, node) {
		struct pci_dev *pdev = smartio_fdev_pdev(fdev);

		if (!pdev)
			continue;
		smartio_pdev_set_gone(pdev);
		smartio_host_quiesce(adapter, fdev->bus, fdev->devfn);
		pci_dev_put(pdev);
	}
	smartio_host_unlink(adapter);
	mutex_unlock(&smartio_lock);

	WRITE_ONCE(adapter->gone, true);
	synchronize_srcu(&smartio_srcu);

	/* The backend's own debugfs files point into what it frees next. */
	debugfs_remove_recursive(adapter->debugfs);
	adapter->debugfs = NULL;
	sysfs_remove_link(&adapter->dev.kobj, "device");
	queue_work(smartio_attach_wq, &adapter->teardown_work);
}
EXPORT_SYMBOL_GPL(smartio_adapter_unregister);

/**
 * smartio_adapter_link_event() - tell the core that the link changed
 * @adapter: the adapter, registered and not yet unregistered
 *
 * A backend calls this, from process or hard interrupt context (not from
 * NMI: it takes a spinlock with interrupts off and queues work), whenever
 * its link went down or came up. A link that was down, however briefly, may have lost config
 * writes and transactions of the borrowed devices (a masked MSI-X vector,
 * a half-done reset), so they are marked disconnected at once, which makes
 * their drivers fail fast instead of waiting on them, and the watcher,
 * kicked now instead of at its next poll, removes them; they come back to
 * the pool available. Backends without link interrupts rely on polling of
 * &smartio_adapter_ops.link_up alone and may miss short drops.
 */
void smartio_adapter_link_event(struct smartio_adapter *adapter)
{
	struct smartio_fdev *fdev;
	unsigned long flags;

	atomic_inc(&adapter->link_events);
	spin_lock_irqsave(&smartio_borrow_lock, flags);
	list_for_each_entry(fdev, &smartio_borrowed, borrowed_node)
		if (fdev->adapter == adapter)
			smartio_pdev_set_gone(fdev->pdev);
	spin_unlock_irqrestore(&smartio_borrow_lock, flags);
	if (READ_ONCE(adapter->watching))
		mod_delayed_work(smartio_wq, &adapter->watch, 0);
}
EXPORT_SYMBOL_GPL(smartio_adapter_link_event);

/**
 * smartio_adapter_button() - the attention button of the adapter's slot
 * @adapter: the adapter, registered and not yet unregistered, whose ops
 *	have &smartio_adapter_ops.power
 *
 * A backend whose link ends in a hot-plug slot of its own calls this, from
 * process or hard interrupt context, when that slot's attention button was
 * pressed. As with pciehp the button toggles the slot: the watcher, kicked
 * now, takes every device behind the adapter out orderly (borrowed ones are
 * stopped by their drivers while they still answer) and powers the slot
 * off; a press while it is off powers it on, and the link coming up brings
 * a scan. A paused watcher (hotplug_poll_ms 0) acts once it runs again.
 */
void smartio_adapter_button(struct smartio_adapter *adapter)
{
	atomic_inc(&adapter->buttons);
	if (READ_ONCE(adapter->watching))
		mod_delayed_work(smartio_wq, &adapter->watch, 0);
}
EXPORT_SYMBOL_GPL(smartio_adapter_button);

/* Runs every adapter's watcher now, e.g. after its interval changed. */
void smartio_kick_watchers(void)
{
	struct smartio_adapter *adapter;

	mutex_lock(&smartio_lock);
	list_for_each_entry(adapter, &smartio_adapters, node)
		if (adapter->watching)
			mod_delayed_work(smartio_wq, &adapter->watch, 0);
	mutex_unlock(&smartio_lock);
}

/**
 * smartio_adapter_priv() - the backend private data of an adapter
 * @adapter: the adapter
 *
 * Return: the @priv given to __smartio_adapter_register().
 */
void *smartio_adapter_priv(const struct smartio_adapter *adapter)
{
	return adapter->priv;
}
EXPORT_SYMBOL_GPL(smartio_adapter_priv);

/**
 * smartio_adapter_debugfs() - the debugfs directory of an adapter
 * @adapter: the adapter, registered and not yet unregistered
 *
 * A backend may add its own files (fault injection, counters) there; they
 * are removed by smartio_adapter_unregister().
 *
 * Return: the adapter's directory below /sys/kernel/debug/smartio, or an
 * error pointer where debugfs is not available.
 */
struct dentry *smartio_adapter_debugfs(const struct smartio_adapter *adapter)
{
	return adapter->debugfs;
}
EXPORT_SYMBOL_GPL(smartio_adapter_debugfs);

/**
 * smartio_adapters_settle() - wait for adapters registered or unregistered
 *
 * Waits until every adapter registered before the call has its synthetic
 * PCI host bridge (and, with autoborrow_transparent, its first scan done),
 * and every adapter unregistered before the call has left sysfs with its
 * pool, so that a backend's module init returns with its adapters ready
 * and its module exit with them gone (their names free for reuse).
 * Must not be called with the PCI rescan lock held (not from a probe or
 * remove).
 */
void smartio_adapters_settle(void)
{
	flush_workqueue(smartio_attach_wq);
}
EXPORT_SYMBOL_GPL(smartio_adapters_settle);

/*
 * Before 6.3 the driver core clears bus_type.p when the bus kobject is
 * released, which kobject release debugging delays by seconds: the module
 * holding the bus_type must still be there then.
 */
static void smartio_bus_wait_released(void)
{
#ifdef SMARTIO_BUS_TYPE_HAS_P
	int i;

	for (i = 0; i < 100 && READ_ONCE(smartio_bus_type.p); i++)
		msleep(100);
#endif
}

static int __init smartio_init(void)
{
	int ret = -ENOMEM;

	smartio_wq = alloc_workqueue("smartio", 0, 0);
	if (!smartio_wq)
		return -ENOMEM;
	smartio_attach_wq = alloc_ordered_workqueue("smartio_attach", 0);
	if (!smartio_attach_wq)
		goto destroy_wq;
	ret = bus_register(&smartio_bus_type);
	if (ret)
		goto destroy_attach_wq;
	smartio_root = root_device_register("smartio");
	if (IS_ERR(smartio_root)) {
		ret = PTR_ERR(smartio_root);
		goto unregister_bus;
	}
	ret = smartio_slot_irqs_init();
	if (ret)
		goto unregister_root;
	ret = bus_register_notifier(&pci_bus_type, &smartio_pci_nb);
	if (ret)
		goto exit_slot_irqs;
	smartio_debugfs = debugfs_create_dir("smartio", NULL);
	pr_info("smartio %s loaded\n", SMARTIO_VERSION);
	return 0;

exit_slot_irqs:
	smartio_slot_irqs_exit();
unregister_root:
	root_device_unregister(smartio_root);
unregister_bus:
	bus_unregister(&smartio_bus_type);
	smartio_bus_wait_released();
destroy_attach_wq:
	destroy_workqueue(smartio_attach_wq);
destroy_wq:
	destroy_workqueue(smartio_wq);
	return ret;
}

static void __exit smartio_exit(void)
{
	/*
	 * The backends, which depend on this module, are gone already, and
	 * so is every borrowed device: each held its backend's module.
	 */
	flush_workqueue(smartio_attach_wq);
	wait_var_event(&smartio_live, !atomic_read(&smartio_live));
	debugfs_remove_recursive(smartio_debugfs);
	bus_unregister_notifier(&pci_bus_type, &smartio_pci_nb);
	smartio_slot_irqs_exit();
	root_device_unregister(smartio_root);
	bus_unregister(&smartio_bus_type);
	smartio_bus_wait_released();
	smartio_policy_exit();
	destroy_workqueue(smartio_attach_wq);
	destroy_workqueue(smartio_wq);
}

module_init(smartio_init);
module_exit(smartio_exit);

MODULE_DESCRIPTION("smartio: PCIe devices behind an NTB adapter as local devices");
MODULE_AUTHOR("smartio kernel team");
MODULE_LICENSE("GPL");
MODULE_VERSION(SMARTIO_VERSION);


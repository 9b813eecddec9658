// SPDX-License-Identifier: GPL-2.0
/*
 * smartio SR-IOV: the virtual functions of a borrowed physical function
 * answer in the synthetic tree while the PF is borrowed, and go with it.
 */

#include <linux/bitmap.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "smartio.h"
#include "smartio_host.h"

/**
 * smartio_host_show_vfs() - let the PCI core see the VFs of a borrowed PF
 * @adapter: the adapter it sits behind
 * @pdev: the device just attached, not yet added
 *
 * The routing IDs of the VFs depend on NumVFs (First VF Offset and VF
 * Stride may change with it, PCIe r6.0 sec 9.3.3.9), so every value up to
 * TotalVFs is tried, as the PCI core does when it sizes the bus range, and
 * NumVFs is put back. The VFs themselves do not exist until VF Enable is
 * set; until then their IDs answer with all-ones like any empty function.
 * The caller holds pci_lock_rescan_remove().
 *
 * Return: the routing IDs made visible, for smartio_host_hide_vfs(), or
 * NULL if @pdev has no SR-IOV capability (or no memory for the bitmap: its
 * VFs then stay hidden and enabling them fails).
 */
unsigned long *smartio_host_show_vfs(struct smartio_adapter *adapter,
				     struct pci_dev *pdev)
{
	struct smartio_host *host = adapter->host;
	u16 total, num, offset, stride, n, i;
	unsigned long *vfs;
	unsigned int rid;
	int pos;

	if (!host || !pdev->is_physfn)
		return NULL;
	pos = pci_find_ext_capability(pdev, PCI_EXT_CAP_ID_SRIOV);
	if (!pos || pci_read_config_word(pdev, pos + PCI_SRIOV_TOTAL_VF, &total) ||
	    pci_read_config_word(pdev, pos + PCI_SRIOV_NUM_VF, &num) || !total)
		return NULL;
	vfs = bitmap_zalloc(SMARTIO_NR_BUSES * 256, GFP_KERNEL);
	if (!vfs) {
		pci_warn(pdev, "no memory to track its VFs: they stay hidden\n");
		return NULL;
	}

	for (n = 1; n <= total; n++) {
		pci_write_config_word(pdev, pos + PCI_SRIOV_NUM_VF, n);
		if (pci_read_config_word(pdev, pos + PCI_SRIOV_VF_OFFSET, &offset) ||
		    pci_read_config_word(pdev, pos + PCI_SRIOV_VF_STRIDE, &stride) ||
		    !offset)
			continue;
		for (i = 0; i < n; i++) {
			rid = pci_dev_id(pdev) + offset + stride * i;
			if ((rid >> 8) > host->adapter->info.bus_end)
				break;
			set_bit(rid, vfs);
		}
	}
	pci_write_config_word(pdev, pos + PCI_SRIOV_NUM_VF, num);

	for_each_set_bit(rid, vfs, SMARTIO_NR_BUSES * 256)
		set_bit(rid, host->visible);
	return vfs;
}

/**
 * smartio_host_hide_vfs() - hide the VFs of a PF that is returned
 * @adapter: the adapter it sits behind
 * @vfs: what smartio_host_show_vfs() returned for it, or NULL; freed
 *
 * Called once the PF's PCI device is removed (its VFs went before it, see
 * smartio_host_sriov_off()).
 */
void smartio_host_hide_vfs(struct smartio_adapter *adapter, unsigned long *vfs)
{
	unsigned int rid;

	if (vfs && adapter->host)
		for_each_set_bit(rid, vfs, SMARTIO_NR_BUSES * 256)
			clear_bit(rid, adapter->host->visible);
	bitmap_free(vfs);
}

/**
 * smartio_host_is_vf() - whether a remote function is a VF of a borrowed PF
 * @adapter: the adapter
 * @bus: remote bus number
 * @devfn: remote device/function
 *
 * For the scan, which must not put such a function in the pool: it is
 * visible to the PCI core although it is no pool device. The caller holds
 * smartio_lock and knows @bus/@devfn is no pool device.
 *
 * Return: true if it is visible to the PCI core.
 */
bool smartio_host_is_vf(struct smartio_adapter *adapter, u8 bus, u8 devfn)
{
	return adapter->host &&
	       test_bit(smartio_bdf(bus, devfn), adapter->host->visible);
}

/**
 * smartio_host_sriov_off() - remove the VFs of a PF before the PF goes
 * @pdev: a borrowed device, about to be removed
 * @gone: it no longer answers; its VFs are marked disconnected first
 *
 * The PCI core expects the driver of a PF to have disabled SR-IOV before
 * the PF is removed; otherwise it warns ("driver left SR-IOV enabled after
 * remove") and the VFs outlive their PF. Does what writing 0 to
 * sriov_numvfs does: the driver's sriov_configure(), else (no driver, or
 * one that refused) pci_disable_sriov(). The caller holds
 * pci_lock_rescan_remove() and smartio_lock.
 */
void smartio_host_sriov_off(struct pci_dev *pdev, bool gone)
{
	struct pci_driver *drv;
	struct pci_dev *vf = NULL;
	int ret = 0;

	if (!pdev->is_physfn || !pci_num_vf(pdev))
		return;
	if (gone) {
		while ((vf = pci_get_device(PCI_ANY_ID, PCI_ANY_ID, vf)))
			if (vf->is_virtfn && pci_physfn(vf) == pdev)
				smartio_pdev_set_gone(vf);
	}

	device_lock(&pdev->dev);
	drv = pdev->dev.driver ? to_pci_driver(pdev->dev.driver) : NULL;
	if (drv && drv->sriov_configure)
		ret = drv->sriov_configure(pdev, 0);
	if (pci_num_vf(pdev)) {
		if (ret < 0)
			pci_warn(pdev, "driver kept its VFs (%d): disabling SR-IOV anyway\n",
				 ret);
		pci_disable_sriov(pdev);
	}
	device_unlock(&pdev->dev);
	pci_info(pdev, "SR-IOV disabled before the PF is returned\n");
}

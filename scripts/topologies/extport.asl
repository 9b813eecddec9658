/*
 * SPDX-License-Identifier: GPL-2.0
 *
 * The "port" topology's root port rp3 (00:07.0) as firmware describes a
 * port whose link leaves the machine (a Thunderbolt/USB4 or external PCIe
 * connector): the "ExternalFacingPort" device property that Linux reads
 * into pci_dev->external_facing. QEMU's DSDT names each device on pcie.0
 * S<devfn>: 00:07.0 is S38; this adds the property to it.
 */
DefinitionBlock ("", "SSDT", 2, "SMRTIO", "EXTPORT", 1)
{
    External (\_SB.PCI0.S38, DeviceObj)

    Scope (\_SB.PCI0.S38)
    {
        Name (_DSD, Package () {
            ToUUID ("efcc06cc-73ac-4bc3-bff0-76143807c389"),
            Package () {
                Package () { "ExternalFacingPort", 1 },
            }
        })
    }
}

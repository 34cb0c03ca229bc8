// Package ntcip connects greenwave to the signal controllers cities own:
// NTCIP 1202 actuated signal controllers (Econolite, Siemens, McCain,
// Q-Free, Trafficware ...) driven over SNMP.
//
// Three parts:
//
//   - The object model (mib.go): the NTCIP 1202 objects greenwave reads and
//     writes, by OID, with their values' meanings — preemptControlState and
//     preemptState of the preempt tables, the phase status groups' greens,
//     the phase control groups' hold, force-off and calls, unitBackupTime.
//     docs/ntcip.md documents each and where it was read.
//   - The Gateway (gateway.go, intersection.go): subscribes to the commands
//     of its intersections and carries them out over SNMP (gosnmp as the
//     manager): a preempt sets the mapped preempt input (or, in priority
//     mode, holds and calls the phase and forces off the conflicting
//     ones), re-writes it while the lease lives, and clears it on release,
//     at expires_at, on the issuing controller's Last Will, at max_hold and
//     on shutdown. It polls each controller and publishes its status:
//     state from preemptState, green_phases from the phase greens. One
//     goroutine per intersection owns its SNMP session. Every failure —
//     timeout, refusal, wrong community or key, missing object, refused
//     value — is classified (Failure), counted, logged once per change and
//     published as fault with the reason.
//   - The virtual controller (virtual.go, passpersist.go, agent.go): the
//     same objects backed by a signals.Roadside running the intersection's
//     normal plan, behind Debian's real snmpd through net-snmp's
//     pass_persist protocol. snmpd does SNMP (v1, v2c, v3 USM with its
//     Report PDUs); greenwave does the controller. Tests check it with
//     net-snmp's own client tools, and the gateway against it.
//
// The gateway's configuration (config.go) is a YAML file of intersections
// with their addresses, SNMP credentials and preempt input numbers.
package ntcip

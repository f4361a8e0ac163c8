/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package dataplanetest builds a one-node Kubernetes dataplane in network namespaces,
// around an API server (envtest), so that suites can judge NetworkPolicies and
// Services on real packets.
//
// # What it builds
//
//   - The node: a network namespace of its own (vao-dp-node) with the node's address
//     (NodeIP) on its loopback and ip_forward on. kube-router (--run-firewall only) and
//     kube-proxy (iptables mode) run in it with `ip netns exec`, so their iptables
//     rules, ipsets, nfacct objects, conntrack entries and sysctls are the node's, not
//     the machine's. They reach the API server through a proxy the harness runs from
//     the node's loopback to the machine's. kube-controller-manager runs its garbage
//     collector alone, in the machine's namespace, talking only to the API server.
//   - Pods and outside hosts: each a network namespace joined to the node by a veth
//     pair created directly in the two namespaces (it never appears in the machine's),
//     routed with /32 routes, no bridge. A pod gets the next address of PodCIDR and a
//     Pod object on the node whose status (Running, podIP, hostIP = NodeIP) the
//     harness writes, since there is no kubelet. A host gets the addresses the test
//     gives, each in OutsideCIDRs.
//   - kube-system/kube-dns: a pod labelled k8s-app=kube-dns that answers DNS, its
//     Service at KubeDNSIP and an EndpointSlice, which is what allowDNS opens.
//
// # Safety
//
// Addresses are strictly PodCIDR (10.244.0.0/16) for the node and pods, ServiceCIDR
// (10.96.0.0/12) for ClusterIPs, and 198.51.100.0/24 and 203.0.113.0/24 for outside
// hosts and LoadBalancer addresses; 192.0.2.0/24, the machine's real uplink, is refused
// by name. No namespace has a default route. The node has no interface to the
// machine's namespace, and guard rules in its mangle table drop anything forwarded
// other than between the suite's veths and anything sent out other than to the suite's
// ranges; Stop reports how many packets they dropped (a suite fails on any).
//
// Start takes a machine-wide lock (two runs would see each other), removes namespaces
// a crashed run left, and takes a baseline of the machine's own namespace (Snapshot:
// ip netns, links, addresses, routes, rules, iptables-save, ip6tables-save, nft,
// ipsets, nfacct, conntrack entries of the suite's addresses, network sysctls). Stop
// ends every program by its process id, deletes every namespace (and with the node's
// everything the dataplane made) and returns the difference with the baseline, which
// must be empty.
//
// # Primitives
//
// AddPod / NewPod, AddHost / NewHost, Endpoint.Serve (a TCP server that greets each
// client with the address it sees it as, then echoes), Endpoint.Listen (a listener for
// a server of one's own), NewProcess (a program such as an ingress controller inside a
// pod's namespace), Endpoint.Connect and Probe
// (allowed or denied), AwaitReach, HoldReach and FirstAllowed (when a connection first
// got through), Endpoint.Open (an established connection), Endpoint.HTTPClient,
// Endpoint.QueryDNS and DNSProbe, CreateService, WriteEndpointSlice,
// SetLoadBalancerIngress, StartManager / NewManager with ManagerConfig (the manager's
// command line, in one place), and BuildManager.
//
// Requirements says whether a suite can run: root, the Debian tools
// (hack/install-test-deps.sh) and VAO_DATAPLANE_ASSETS (hack/dataplane-binaries.sh).
package dataplanetest

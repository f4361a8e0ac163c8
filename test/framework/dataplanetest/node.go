/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dataplanetest

import (
	"bufio"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// linkPrefix names the node's end of every veth the suite creates; the guard rules
// let packets through only between such interfaces.
const linkPrefix = "vdp"

// guardChains are the guard's iptables chains in the node's mangle table.
const (
	guardForward = "VAO-DP-GUARD-FWD"
	guardOut     = "VAO-DP-GUARD-OUT"
)

// Node is the cluster's one node: a network namespace of its own, where kube-router
// and kube-proxy run and keep their iptables rules, ipsets and conntrack table. Pods
// and outside hosts are namespaces joined to it by veth pairs, routed with /32 routes
// (no bridge). It has no interface to the machine's own namespace: nothing the suite
// does can reach the machine's network, and deleting the namespace removes every rule
// the dataplane made.
type Node struct {
	// Name is the Node object's name, and the --hostname-override of kube-router and
	// kube-proxy.
	Name string
	ns   *Netns

	prefix string // of the namespace names of this run

	mu        sync.Mutex
	nextLink  int
	nextPodIP netip.Addr
	endpoints map[string]*Endpoint
}

func newNode(prefix, name string) (*Node, error) {
	ns, err := newNetns(prefix + "node")
	if err != nil {
		return nil, err
	}
	n := &Node{Name: name, ns: ns, prefix: prefix, nextPodIP: firstPodIP, endpoints: map[string]*Endpoint{}}
	setup := func() error {
		if _, err := ns.Run("ip", "addr", "add", NodeIP.String()+"/32", "dev", "lo"); err != nil {
			return err
		}
		if err := n.installGuard(); err != nil {
			return err
		}
		// The node routes between pods and hosts; only inside its own namespace.
		return ns.SetSysctl("net.ipv4.ip_forward", "1")
	}
	if err := setup(); err != nil {
		_ = ns.delete()
		return nil, fmt.Errorf("setting up node namespace %s: %w", ns.Name, err)
	}
	return n, nil
}

// Netns is the node's network namespace.
func (n *Node) Netns() *Netns { return n.ns }

// Endpoint is the node itself as a client, for Connect and Probe: kube-router lets
// the node reach its own pods whatever the policies (as kubelet's probes must), so a
// connection from the node shows a server is up where other clients are denied.
func (n *Node) Endpoint() *Endpoint {
	return &Endpoint{Name: "node", Kind: "node", ns: n.ns, node: n, addrs: []netip.Addr{NodeIP}}
}

// installGuard adds mangle rules that drop any packet the node would forward other
// than from one of the suite's veths to another, and any packet it would send out
// other than on loopback or to the suite's own ranges through its veths. The node has
// no other interface, so they never fire; GuardDrops checks that they did not. They
// sit in the mangle table, which kube-router and kube-proxy leave alone.
func (n *Node) installGuard() error {
	var b strings.Builder
	b.WriteString("*mangle\n")
	fmt.Fprintf(&b, ":%s - [0:0]\n:%s - [0:0]\n", guardForward, guardOut)
	fmt.Fprintf(&b, "-A %s -i %s+ -o %s+ -j RETURN\n", guardForward, linkPrefix, linkPrefix)
	fmt.Fprintf(&b, "-A %s -m comment --comment \"vao-dataplane guard\" -j DROP\n", guardForward)
	fmt.Fprintf(&b, "-A %s -o lo -j RETURN\n", guardOut)
	for _, p := range append([]netip.Prefix{PodCIDR}, OutsideCIDRs...) {
		fmt.Fprintf(&b, "-A %s -o %s+ -d %s -j RETURN\n", guardOut, linkPrefix, p)
	}
	fmt.Fprintf(&b, "-A %s -m comment --comment \"vao-dataplane guard\" -j DROP\n", guardOut)
	fmt.Fprintf(&b, "-I FORWARD 1 -j %s\n-I POSTROUTING 1 -j %s\nCOMMIT\n", guardForward, guardOut)
	return n.restore(b.String())
}

func (n *Node) restore(rules string) error {
	cmd := []string{"ip", "netns", "exec", n.ns.Name, "iptables-restore", "--noflush"}
	if out, err := runStdin(rules, cmd...); err != nil {
		return fmt.Errorf("iptables-restore in %s: %w: %s\n%s", n.ns.Name, err, out, rules)
	}
	return nil
}

var dropCounter = regexp.MustCompile(`^\[(\d+):\d+\] -A (\S+) .*-j DROP$`)

// GuardDrops counts the packets the guard rules dropped: anything but 0 means
// something tried to leave the suite's interfaces and ranges.
func (n *Node) GuardDrops() (int, error) {
	out, err := n.ns.Run("iptables-save", "-c", "-t", "mangle")
	if err != nil {
		return 0, err
	}
	total, found := 0, 0
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := dropCounter.FindStringSubmatch(sc.Text())
		if m == nil || (m[2] != guardForward && m[2] != guardOut) {
			continue
		}
		found++
		c, _ := strconv.Atoi(m[1])
		total += c
	}
	if found != 2 {
		return 0, fmt.Errorf("guard rules missing from the node's mangle table (found %d of 2 DROP rules):\n%s", found, out)
	}
	return total, nil
}

// allocPodIP hands out the next pod address.
func (n *Node) allocPodIP() (netip.Addr, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	a := n.nextPodIP
	if err := checkPodIP(a); err != nil {
		return netip.Addr{}, err
	}
	n.nextPodIP = a.Next()
	return a, nil
}

// attach creates a namespace for an endpoint and joins it to the node: a veth pair
// created directly in the two namespaces (it never appears in the machine's own), the
// endpoint's addresses as /32s on its eth0, a /32 route to each on the node, and in the
// endpoint routes to the suite's ranges through the node, and no other.
func (n *Node) attach(kind, name string, addrs []netip.Addr) (*Endpoint, error) {
	n.mu.Lock()
	key := kind + "/" + name
	if _, dup := n.endpoints[key]; dup {
		n.mu.Unlock()
		return nil, fmt.Errorf("%s %s already exists", kind, name)
	}
	link := fmt.Sprintf("%s%d", linkPrefix, n.nextLink)
	n.nextLink++
	n.mu.Unlock()

	ns, err := newNetns(fmt.Sprintf("%s%s-%s", n.prefix, kind, sanitize(name)))
	if err != nil {
		return nil, err
	}
	e := &Endpoint{Name: name, Kind: kind, ns: ns, node: n, link: link}
	if err := e.wire(addrs); err != nil {
		_ = e.remove()
		return nil, fmt.Errorf("wiring %s %s: %w", kind, name, err)
	}
	n.mu.Lock()
	n.endpoints[key] = e
	n.mu.Unlock()
	return e, nil
}

func (e *Endpoint) wire(addrs []netip.Addr) error {
	node := e.node.ns
	if _, err := run("ip", "link", "add", e.link, "netns", node.Name, "type", "veth", "peer", "name", "eth0", "netns", e.ns.Name); err != nil {
		return err
	}
	steps := [][]string{
		{"ip", "link", "set", "eth0", "up"},
		{"ip", "route", "add", NodeIP.String(), "dev", "eth0", "scope", "link"},
	}
	for _, p := range routedPrefixes() {
		steps = append(steps, []string{"ip", "route", "add", p.String(), "via", NodeIP.String(), "dev", "eth0"})
	}
	for _, s := range steps {
		if _, err := e.ns.Run(s...); err != nil {
			return err
		}
	}
	if _, err := node.Run("ip", "link", "set", e.link, "up"); err != nil {
		return err
	}
	for _, a := range addrs {
		if err := e.AddAddress(a); err != nil {
			return err
		}
	}
	// No default route anywhere: a packet to an address outside the suite's ranges
	// cannot even be sent.
	if out, err := e.ns.Run("ip", "route", "show", "default"); err != nil || strings.TrimSpace(out) != "" {
		return fmt.Errorf("namespace %s has a default route (%q, %v)", e.ns.Name, out, err)
	}
	return nil
}

// AddAddress puts one more /32 on the endpoint, routed to it from the node. A pod's
// address must be in PodCIDR, a host's in OutsideCIDRs.
func (e *Endpoint) AddAddress(a netip.Addr) error {
	var err error
	if e.Kind == KindPod {
		err = checkPodIP(a)
	} else {
		err = CheckOutsideIP(a)
	}
	if err != nil {
		return err
	}
	if _, err := e.ns.Run("ip", "addr", "add", a.String()+"/32", "dev", "eth0"); err != nil {
		return err
	}
	if _, err := e.node.ns.Run("ip", "route", "add", a.String()+"/32", "dev", e.link); err != nil {
		return err
	}
	e.mu.Lock()
	e.addrs = append(e.addrs, a)
	e.mu.Unlock()
	return nil
}

// detach forgets an endpoint removed by its owner.
func (n *Node) detach(e *Endpoint) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.endpoints, e.Kind+"/"+e.Name)
}

// removeAll removes every endpoint still attached, then the node's namespace.
func (n *Node) removeAll() error {
	n.mu.Lock()
	eps := make([]*Endpoint, 0, len(n.endpoints))
	for _, e := range n.endpoints {
		eps = append(eps, e)
	}
	n.mu.Unlock()
	var errs []string
	for _, e := range eps {
		if err := e.remove(); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if err := n.ns.delete(); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return fmt.Errorf("removing the node: %s", strings.Join(errs, "; "))
	}
	return nil
}

var unsafeName = regexp.MustCompile(`[^a-z0-9-]+`)

func sanitize(s string) string {
	s = unsafeName.ReplaceAllString(strings.ToLower(s), "-")
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}

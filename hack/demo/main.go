/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Command demo is the helper of hack/demo.sh: it runs the local control plane the demo
// uses, and reads and waits on what the operator did, printed for people.
//
//	demo controlplane -kubeconfig FILE -pidfile FILE
//	    Starts etcd and kube-apiserver from $KUBEBUILDER_ASSETS (controller-runtime's
//	    envtest, the same binaries the tests use), writes an admin kubeconfig, prints
//	    the server's URL, and runs until SIGINT, SIGTERM or SIGHUP, when it stops both.
//	    The pid file lists etcd's and kube-apiserver's pids, so the script can make sure
//	    they are gone even if this helper is killed.
//	demo policies -kubeconfig FILE -n NS [NAME ...]
//	    Prints the NetworkPolicies the operator manages, one compact table each.
//	demo wait-peer -kubeconfig FILE -n NS -policy NAME [-present CIDR] [-absent CIDR]
//	    Waits until the policy opens CIDR (-present) and no longer opens CIDR
//	    (-absent); prints how long that took.
//	demo resolve -server HOST:PORT NAME ...
//	    Prints each name's A and AAAA records, as the server answers them.
//	demo freeport
//	    Prints a port of 127.0.0.1 free for both UDP and TCP.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/miekg/dns"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	ctrlzap "sigs.k8s.io/controller-runtime/pkg/log/zap"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/scheme"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/loopback"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: demo controlplane|policies|wait-peer|resolve|freeport [flags]")
	}
	cmd, args := os.Args[1], os.Args[2:]
	ctrllog.SetLogger(ctrlzap.New(ctrlzap.WriteTo(io.Discard)))
	var err error
	switch cmd {
	case "controlplane":
		err = controlPlane(args)
	case "policies":
		err = policies(args)
	case "wait-peer":
		err = waitPeer(args)
	case "resolve":
		err = resolve(args)
	case "freeport":
		var port int
		if port, err = loopback.FreePort(); err == nil {
			fmt.Println(port)
		}
	default:
		err = fmt.Errorf("unknown command %q", cmd)
	}
	if err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "demo:", msg)
	os.Exit(1)
}

func controlPlane(args []string) error {
	fs := flag.NewFlagSet("controlplane", flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", "", "where to write the admin kubeconfig")
	pidfile := fs.String("pidfile", "", "where to write the pids of etcd and kube-apiserver")
	_ = fs.Parse(args)
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" || *kubeconfig == "" || *pidfile == "" {
		return errors.New("controlplane needs KUBEBUILDER_ASSETS, -kubeconfig and -pidfile")
	}
	// Ask for the signals before starting anything, so none is missed.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)

	env := &envtest.Environment{BinaryAssetsDirectory: assets}
	if _, err := env.Start(); err != nil {
		_ = env.Stop()
		return fmt.Errorf("starting etcd and kube-apiserver: %w", err)
	}
	stop := func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "demo: stopping the control plane:", err)
		}
	}
	// envtest puts etcd and kube-apiserver in process groups of their own: they are
	// this process's children, so list them for the script's last-resort cleanup.
	if err := os.WriteFile(*pidfile, []byte(strings.Join(childPIDs(), "\n")+"\n"), 0o644); err != nil {
		stop()
		return err
	}
	user, err := env.AddUser(envtest.User{Name: "demo-admin", Groups: []string{"system:masters"}}, nil)
	if err == nil {
		var kc []byte
		if kc, err = user.KubeConfig(); err == nil {
			// Written whole, then renamed: the script waits for the file to appear.
			tmp := *kubeconfig + ".partial"
			if err = os.WriteFile(tmp, kc, 0o600); err == nil {
				err = os.Rename(tmp, *kubeconfig)
			}
		}
	}
	if err != nil {
		stop()
		return fmt.Errorf("writing the kubeconfig: %w", err)
	}
	fmt.Println(env.Config.Host)
	<-sigs
	stop()
	return nil
}

// childPIDs lists the pids of this process's children (Linux /proc).
func childPIDs() []string {
	self := strconv.Itoa(os.Getpid())
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces, so read after the last ')'.
		s := string(stat)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 1 && fields[1] == self {
			out = append(out, e.Name())
		}
	}
	return out
}

func newClient(kubeconfig string) (client.Client, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	return client.New(cfg, client.Options{Scheme: scheme.New()})
}

func policies(args []string) error {
	fs := flag.NewFlagSet("policies", flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig")
	ns := fs.String("n", "default", "namespace")
	_ = fs.Parse(args)
	c, err := newClient(*kubeconfig)
	if err != nil {
		return err
	}
	var list networkingv1.NetworkPolicyList
	if err := c.List(context.Background(), &list, client.InNamespace(*ns),
		client.MatchingLabels{v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue}); err != nil {
		return err
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	only := fs.Args()
	for _, p := range list.Items {
		if len(only) > 0 && !slices.Contains(only, p.Name) {
			continue
		}
		printPolicy(p)
	}
	return nil
}

// printPolicy prints one policy as a heading and a table of its rules: direction,
// ports, peers.
func printPolicy(p networkingv1.NetworkPolicy) {
	fmt.Printf("%s  (allowlist %s; pods %s)\n", p.Name, p.Labels[v1alpha1.AllowlistLabel], selector(&p.Spec.PodSelector))
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	row := func(dir string, ports []networkingv1.NetworkPolicyPort, peers []networkingv1.NetworkPolicyPeer) {
		lines := peerLines(peers)
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", dir, portList(ports), lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(tw, "  \t\t%s\n", l)
		}
	}
	for _, r := range p.Spec.Ingress {
		row("ingress from", r.Ports, r.From)
	}
	for _, r := range p.Spec.Egress {
		row("egress to", r.Ports, r.To)
	}
	if len(p.Spec.Ingress) == 0 && len(p.Spec.Egress) == 0 {
		fmt.Fprintf(tw, "  %v\t(no rule: nothing allowed)\t\n", p.Spec.PolicyTypes)
	}
	_ = tw.Flush()
	fmt.Println()
}

func portList(ports []networkingv1.NetworkPolicyPort) string {
	if len(ports) == 0 {
		return "all ports"
	}
	var out []string
	for _, p := range ports {
		proto := "TCP"
		if p.Protocol != nil {
			proto = string(*p.Protocol)
		}
		s := proto
		if p.Port != nil {
			s += "/" + p.Port.String()
			if p.EndPort != nil {
				s += "-" + strconv.Itoa(int(*p.EndPort))
			}
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// peerLines renders peers, address blocks four to a line.
func peerLines(peers []networkingv1.NetworkPolicyPeer) []string {
	var lines, blocks []string
	for _, p := range peers {
		switch {
		case p.IPBlock != nil:
			b := p.IPBlock.CIDR
			if len(p.IPBlock.Except) > 0 {
				b += " except " + strings.Join(p.IPBlock.Except, ",")
			}
			blocks = append(blocks, b)
		default:
			s := "pods " + selector(p.PodSelector)
			if p.NamespaceSelector != nil {
				s += " in namespaces " + selector(p.NamespaceSelector)
			}
			lines = append(lines, s)
		}
	}
	for i := 0; i < len(blocks); i += 4 {
		lines = append(lines, strings.Join(blocks[i:min(i+4, len(blocks))], "  "))
	}
	if len(lines) == 0 {
		lines = []string{"anywhere"}
	}
	return lines
}

func selector(s *metav1.LabelSelector) string {
	if s == nil {
		return "(any)"
	}
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		return "(invalid selector)"
	}
	if sel.Empty() {
		return "(all)"
	}
	return sel.String()
}

func waitPeer(args []string) error {
	fs := flag.NewFlagSet("wait-peer", flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig")
	ns := fs.String("n", "default", "namespace")
	name := fs.String("policy", "", "NetworkPolicy name")
	present := fs.String("present", "", "CIDR the policy must open")
	absent := fs.String("absent", "", "CIDR the policy must no longer open")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait")
	_ = fs.Parse(args)
	c, err := newClient(*kubeconfig)
	if err != nil {
		return err
	}
	start := time.Now()
	var cidrs []string
	for time.Since(start) < *timeout {
		var p networkingv1.NetworkPolicy
		if err := c.Get(context.Background(), client.ObjectKey{Namespace: *ns, Name: *name}, &p); err != nil {
			return err
		}
		cidrs = policyCIDRs(p)
		if (*present == "" || slices.Contains(cidrs, *present)) && (*absent == "" || !slices.Contains(cidrs, *absent)) {
			fmt.Printf("%.1fs\n", time.Since(start).Seconds())
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("policy %s/%s still opens %v after %v", *ns, *name, cidrs, *timeout)
}

func policyCIDRs(p networkingv1.NetworkPolicy) []string {
	var out []string
	add := func(peers []networkingv1.NetworkPolicyPeer) {
		for _, peer := range peers {
			if peer.IPBlock != nil {
				out = append(out, peer.IPBlock.CIDR)
			}
		}
	}
	for _, r := range p.Spec.Ingress {
		add(r.From)
	}
	for _, r := range p.Spec.Egress {
		add(r.To)
	}
	return out
}

func resolve(args []string) error {
	fs := flag.NewFlagSet("resolve", flag.ExitOnError)
	server := fs.String("server", "", "DNS server, HOST:PORT")
	_ = fs.Parse(args)
	c := &dns.Client{Timeout: time.Second}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	defer tw.Flush()
	for _, name := range fs.Args() {
		var addrs []string
		for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
			m := new(dns.Msg)
			m.SetQuestion(dns.Fqdn(name), qt)
			r, _, err := c.Exchange(m, *server)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			for _, rr := range r.Answer {
				switch rr := rr.(type) {
				case *dns.A:
					addrs = append(addrs, rr.A.String())
				case *dns.AAAA:
					addrs = append(addrs, rr.AAAA.String())
				}
			}
		}
		sort.Strings(addrs)
		if len(addrs) == 0 {
			addrs = []string{"(no address)"}
		}
		fmt.Fprintf(tw, "%s\t%s\n", name, strings.Join(addrs, " "))
	}
	return nil
}

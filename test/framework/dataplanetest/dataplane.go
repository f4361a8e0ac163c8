/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dataplanetest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Config is what Start needs.
type Config struct {
	// Kubeconfig is an admin kubeconfig of the API server (envtest's), whose server
	// is on the machine's loopback.
	Kubeconfig []byte
	// Client writes the Node, Pod, Service and EndpointSlice objects.
	Client client.Client
	// Assets is the directory hack/dataplane-binaries.sh prints (VAO_DATAPLANE_ASSETS).
	Assets string
	// LogDir receives each program's log and the kubeconfig files.
	LogDir string
	// Log, when set, receives progress lines (what started, how long it took).
	Log func(format string, args ...any)
}

// NodeName is the name of the suite's one Node.
const NodeName = "vao-dp-node"

// namePrefix starts the name of every network namespace the suite creates; a run
// removes the ones a crashed run left.
const namePrefix = "vao-dp-"

// Dataplane is a one-node cluster's dataplane around an API server: the node and its
// namespace, kube-router enforcing NetworkPolicies, kube-proxy translating Services,
// kube-controller-manager's garbage collector, and a kube-dns. Start builds it, Stop
// takes it down and compares the machine with how it was before.
type Dataplane struct {
	Node  *Node
	probe *Pod

	cfg      Config
	lock     *os.File
	baseline Snapshot
	proxy    *apiProxy
	procs    []*Process

	// KubeconfigPath is the admin kubeconfig on the machine's loopback, for programs
	// in the machine's namespace (the manager).
	KubeconfigPath string
	nodeKubeconfig string
}

// lockPath serializes dataplane runs on the machine: two suites at once would see each
// other's namespaces in their baseline comparison.
const lockPath = "/run/lock/vao-dataplane.lock"

// Start takes the machine's lock, removes what a crashed run left, takes the baseline,
// then builds the node and starts its programs. On error it undoes what it did.
func Start(ctx context.Context, cfg Config) (dp *Dataplane, err error) {
	if cfg.Log == nil {
		cfg.Log = func(string, ...any) {}
	}
	d := &Dataplane{cfg: cfg}
	if err := d.takeLock(); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_, _ = d.Stop(context.Background())
		}
	}()
	if err := removeLeftovers(cfg.Log); err != nil {
		return nil, err
	}
	d.baseline = TakeSnapshot()

	start := time.Now()
	if d.Node, err = newNode(namePrefix, NodeName); err != nil {
		return nil, err
	}
	if err := d.writeKubeconfigs(); err != nil {
		return nil, err
	}
	if err := d.createNodeObject(ctx); err != nil {
		return nil, err
	}
	cfg.Log("node namespace, guard and Node object in %v", time.Since(start).Round(time.Millisecond))

	if err := d.startKubeDNS(ctx); err != nil {
		return nil, err
	}
	if err := d.startGarbageCollector(); err != nil {
		return nil, err
	}
	if err := d.startKubeRouter(); err != nil {
		return nil, err
	}
	if err := d.startKubeProxy(); err != nil {
		return nil, err
	}
	cfg.Log("dataplane ready in %v", time.Since(start).Round(time.Millisecond))
	return d, nil
}

func (d *Dataplane) takeLock() error {
	if err := os.MkdirAll(filepath.Dir(lockPath), 0o755); err != nil {
		return fmt.Errorf("creating the directory of the dataplane lock: %w", err)
	}
	f, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("opening the dataplane lock %s: %w", lockPath, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		d.cfg.Log("another dataplane run holds %s: waiting", lockPath)
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return fmt.Errorf("locking %s: %w", lockPath, err)
		}
	}
	d.lock = f
	return nil
}

// removeLeftovers deletes the namespaces a run that died before its clean-up left
// (the programs in them died with the test binary). With the lock held, no running
// suite owns them.
func removeLeftovers(log func(string, ...any)) error {
	out, err := run("ip", "netns", "list")
	if err != nil {
		return err
	}
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || !strings.HasPrefix(f[0], namePrefix) {
			continue
		}
		log("removing network namespace %s, left by an earlier run", f[0])
		if _, err := run("ip", "netns", "delete", f[0]); err != nil {
			return err
		}
	}
	return nil
}

// writeKubeconfigs writes the admin kubeconfig twice: as it is, for the machine's
// namespace, and pointed at the API server proxy, for the node's.
func (d *Dataplane) writeKubeconfigs() error {
	cfg, err := clientcmd.Load(d.cfg.Kubeconfig)
	if err != nil {
		return fmt.Errorf("reading the API server's kubeconfig: %w", err)
	}
	d.KubeconfigPath = filepath.Join(d.cfg.LogDir, "admin.kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, d.KubeconfigPath); err != nil {
		return err
	}
	d.nodeKubeconfig = filepath.Join(d.cfg.LogDir, "node.kubeconfig")
	d.proxy, err = d.proxiedKubeconfig(d.Node.ns, d.nodeKubeconfig)
	return err
}

// proxiedKubeconfig starts an API server proxy on the loopback of ns and writes the
// admin kubeconfig pointed at it to path, for programs in ns, which get no route to
// the machine.
func (d *Dataplane) proxiedKubeconfig(ns *Netns, path string) (*apiProxy, error) {
	cfg, err := clientcmd.Load(d.cfg.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("reading the API server's kubeconfig: %w", err)
	}
	var target string
	for _, cl := range cfg.Clusters {
		target = strings.TrimPrefix(cl.Server, "https://")
	}
	if target == "" {
		return nil, errors.New("the API server's kubeconfig names no server")
	}
	p, err := startAPIProxy(ns, target)
	if err != nil {
		return nil, err
	}
	for _, cl := range cfg.Clusters {
		cl.Server = "https://" + p.addr()
	}
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

// startGarbageCollector runs kube-controller-manager's garbage collector: envtest runs
// no controllers, and NetworkPolicies owned by a deleted allowlist are removed by the
// garbage collector, as in a cluster.
func (d *Dataplane) startGarbageCollector() error {
	p, err := StartGarbageCollector(d.cfg.Assets, d.KubeconfigPath, d.cfg.LogDir, d.cfg.Log)
	if p != nil {
		d.procs = append(d.procs, p)
	}
	return err
}

// StartGarbageCollector runs kube-controller-manager (from assets, the directory
// hack/dataplane-binaries.sh prints) with its garbage collector alone, against the API
// server of kubeconfig (a file), and waits until it has synced its informers. It
// serves nothing (no secure port) and runs in the machine's namespace, talking only to
// the API server; its log is kube-controller-manager.log in logDir. The Process it
// returns, also with an error once started, is the caller's to Stop.
func StartGarbageCollector(assets, kubeconfig, logDir string, log func(string, ...any)) (*Process, error) {
	if log == nil {
		log = func(string, ...any) {}
	}
	p, err := StartProcess("kube-controller-manager", nil, logDir, nil, filepath.Join(assets, "kube-controller-manager"),
		"--kubeconfig="+kubeconfig,
		"--controllers=garbagecollector",
		"--leader-elect=false",
		"--bind-address=127.0.0.1",
		"--secure-port=0",
		"--concurrent-gc-syncs=5",
	)
	if err != nil {
		return nil, err
	}
	return p, waitFor(log, "kube-controller-manager's garbage collector", 60*time.Second, func() (bool, error) {
		if err := p.ExitErr(); err != nil {
			return false, err
		}
		return p.LogContains("Garbage collector: all resource monitors have synced") ||
			p.LogContains("synced garbage collector"), nil
	})
}

// startKubeRouter runs kube-router in the node's namespace as the NetworkPolicy
// engine alone (no routing, no service proxy), serving nothing: health and metrics
// ports 0.
func (d *Dataplane) startKubeRouter() error {
	p, err := d.startProcess("kube-router", d.Node.ns,
		"--kubeconfig="+d.nodeKubeconfig,
		"--run-firewall=true",
		"--run-router=false",
		"--run-service-proxy=false",
		"--hostname-override="+d.Node.Name,
		"--health-port=0",
		"--metrics-port=0",
		"--service-cluster-ip-range="+ServiceCIDR.String(),
	)
	if err != nil {
		return err
	}
	return d.waitFor("kube-router's firewall chains", 60*time.Second, func() (bool, error) {
		if err := p.ExitErr(); err != nil {
			return false, err
		}
		_, err := d.Node.ns.Run("iptables", "-w", "-n", "-L", "KUBE-ROUTER-FORWARD")
		return err == nil, nil
	})
}

// startKubeProxy runs kube-proxy in the node's namespace in iptables mode, with
// nothing left to its defaults that would touch the machine: no conntrack sysctls, no
// route_localnet, node ports only on the node's address, health and metrics on the
// node's loopback.
func (d *Dataplane) startKubeProxy() error {
	p, err := d.startProcess("kube-proxy", d.Node.ns,
		"--kubeconfig="+d.nodeKubeconfig,
		"--proxy-mode=iptables",
		"--hostname-override="+d.Node.Name,
		"--cluster-cidr="+PodCIDR.String(),
		"--detect-local-mode=ClusterCIDR",
		"--nodeport-addresses="+NodeIP.String()+"/32",
		"--iptables-localhost-nodeports=false",
		"--conntrack-max-per-core=0",
		"--conntrack-tcp-timeout-established=0",
		"--conntrack-tcp-timeout-close-wait=0",
		"--healthz-bind-address=127.0.0.1:10256",
		"--metrics-bind-address=127.0.0.1:10249",
	)
	if err != nil {
		return err
	}
	// Ready when kube-dns answers through its ClusterIP, from a pod.
	server := netip.AddrPortFrom(KubeDNSIP, 53)
	return d.waitFor("kube-proxy serving kube-dns's ClusterIP", 60*time.Second, func() (bool, error) {
		if err := p.ExitErr(); err != nil {
			return false, err
		}
		_, err := d.probe.QueryDNS(server, kubeDNSProbeName, 300*time.Millisecond)
		return err == nil, nil
	})
}

func (d *Dataplane) startProcess(name string, ns *Netns, args ...string) (*Process, error) {
	bin := filepath.Join(d.cfg.Assets, name)
	p, err := StartProcess(name, ns, d.cfg.LogDir, nil, bin, args...)
	if err != nil {
		return nil, err
	}
	d.procs = append(d.procs, p)
	return p, nil
}

// Processes are the programs the dataplane runs, for their logs.
func (d *Dataplane) Processes() []*Process { return d.procs }

// CheckRunning reports the first of the dataplane's programs that exited.
func (d *Dataplane) CheckRunning() error {
	for _, p := range d.procs {
		if err := p.ExitErr(); err != nil {
			return err
		}
	}
	return nil
}

func (d *Dataplane) waitFor(what string, timeout time.Duration, ready func() (bool, error)) error {
	return waitFor(d.cfg.Log, what, timeout, ready)
}

func waitFor(log func(string, ...any), what string, timeout time.Duration, ready func() (bool, error)) error {
	start := time.Now()
	for {
		ok, err := ready()
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		if ok {
			log("%s ready in %v", what, time.Since(start).Round(time.Millisecond))
			return nil
		}
		if time.Since(start) > timeout {
			return fmt.Errorf("%s not ready within %v", what, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Teardown is what Stop found.
type Teardown struct {
	// GuardDrops is how many packets the guard rules dropped (must be 0).
	GuardDrops int
	// Diff is how the machine differs from the baseline (must be empty).
	Diff string
}

// Stop stops every program by its process id, removes every namespace (and with the
// node's, every iptables rule, ipset, nfacct object and conntrack entry the dataplane
// made), then compares the machine with the baseline. It returns an error only when
// it could not clean up; the caller judges the Teardown.
func (d *Dataplane) Stop(ctx context.Context) (Teardown, error) {
	var td Teardown
	var errs []error
	if d.Node != nil {
		n, err := d.Node.GuardDrops()
		if err != nil {
			errs = append(errs, err)
		}
		td.GuardDrops = n
	}
	for i := len(d.procs) - 1; i >= 0; i-- {
		d.procs[i].Stop(10 * time.Second)
	}
	if d.proxy != nil {
		d.proxy.close()
	}
	if d.Node != nil {
		if err := d.Node.removeAll(); err != nil {
			errs = append(errs, err)
		}
	}
	if d.baseline != nil {
		td.Diff = Diff(d.baseline, TakeSnapshot())
	}
	if d.lock != nil {
		d.lock.Close() // releases the flock
	}
	return td, errors.Join(errs...)
}

// createNodeObject creates the Node kube-router and kube-proxy run as, with its
// InternalIP, pod range and Ready condition (there is no kubelet to write them).
func (d *Dataplane) createNodeObject(ctx context.Context) error {
	node := &corev1.Node{}
	node.Name = d.Node.Name
	node.Labels = map[string]string{corev1.LabelHostname: d.Node.Name}
	node.Spec.PodCIDR = "10.244.0.0/24"
	node.Spec.PodCIDRs = []string{"10.244.0.0/24"}
	if err := d.cfg.Client.Create(ctx, node); err != nil {
		return fmt.Errorf("creating Node %s: %w", node.Name, err)
	}
	node.Status.Addresses = []corev1.NodeAddress{
		{Type: corev1.NodeInternalIP, Address: NodeIP.String()},
		{Type: corev1.NodeHostName, Address: d.Node.Name},
	}
	node.Status.Conditions = []corev1.NodeCondition{{
		Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
		Message: "the dataplane suite's node", LastHeartbeatTime: nowMeta(), LastTransitionTime: nowMeta(),
	}}
	if err := d.cfg.Client.Status().Update(ctx, node); err != nil {
		return fmt.Errorf("writing Node %s's status: %w", node.Name, err)
	}
	return nil
}

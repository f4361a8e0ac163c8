/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dataplanetest

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Pod is a pod of the node: its network namespace (the Endpoint) and its Pod object.
// There is no kubelet: the suite writes the Pod's status (Running, its address, the
// node's address as hostIP), which is how kube-router tells a pod on its node.
type Pod struct {
	*Endpoint
	Namespace string
}

// AddPod creates a pod in namespace (which must exist): its network namespace with the
// next free pod address, a suite server on each port, and a Running Pod object on the
// node with those labels.
func (d *Dataplane) AddPod(ctx context.Context, namespace, name string, labels map[string]string, ports ...uint16) (*Pod, error) {
	ip, err := d.Node.allocPodIP()
	if err != nil {
		return nil, err
	}
	e, err := d.Node.attach(KindPod, namespace+"-"+name, []netip.Addr{ip})
	if err != nil {
		return nil, err
	}
	e.Name = namespace + "/" + name
	p := &Pod{Endpoint: e, Namespace: namespace}
	if err := e.Serve(ports...); err != nil {
		_ = e.remove()
		return nil, err
	}
	if err := d.createPodObject(ctx, p, name, labels, ports); err != nil {
		_ = e.remove()
		return nil, err
	}
	return p, nil
}

func (d *Dataplane) createPodObject(ctx context.Context, p *Pod, name string, labels map[string]string, ports []uint16) error {
	container := corev1.Container{Name: "app", Image: "vao-dp.invalid/none"}
	for _, port := range ports {
		container.Ports = append(container.Ports, corev1.ContainerPort{ContainerPort: int32(port), Protocol: corev1.ProtocolTCP})
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: name, Labels: labels},
		Spec: corev1.PodSpec{
			NodeName:                      d.Node.Name,
			Containers:                    []corev1.Container{container},
			TerminationGracePeriodSeconds: ptr.To[int64](0),
		},
	}
	if err := d.cfg.Client.Create(ctx, pod); err != nil {
		return fmt.Errorf("creating Pod %s/%s: %w", p.Namespace, name, err)
	}
	ip := p.IP().String()
	now := nowMeta()
	pod.Status = corev1.PodStatus{
		Phase:     corev1.PodRunning,
		HostIP:    NodeIP.String(),
		HostIPs:   []corev1.HostIP{{IP: NodeIP.String()}},
		PodIP:     ip,
		PodIPs:    []corev1.PodIP{{IP: ip}},
		StartTime: &now,
		Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		},
	}
	if err := d.cfg.Client.Status().Update(ctx, pod); err != nil {
		return fmt.Errorf("writing Pod %s/%s's status: %w", p.Namespace, name, err)
	}
	return nil
}

// RemovePod deletes the Pod object and the pod's namespace.
func (d *Dataplane) RemovePod(ctx context.Context, p *Pod) error {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: podName(p)}}
	err := client.IgnoreNotFound(d.cfg.Client.Delete(ctx, pod, client.GracePeriodSeconds(0)))
	if rerr := p.remove(); rerr != nil && err == nil {
		err = rerr
	}
	return err
}

func podName(p *Pod) string { return p.Name[len(p.Namespace)+1:] }

// AddHost creates an outside host: a network namespace with addrs (each in
// OutsideCIDRs) and a suite server on each port.
func (d *Dataplane) AddHost(name string, addrs []netip.Addr, ports ...uint16) (*Endpoint, error) {
	if len(addrs) == 0 {
		return nil, fmt.Errorf("host %s: give it at least one address", name)
	}
	for _, a := range addrs {
		if err := CheckOutsideIP(a); err != nil {
			return nil, fmt.Errorf("host %s: %w", name, err)
		}
	}
	e, err := d.Node.attach(KindHost, name, addrs)
	if err != nil {
		return nil, err
	}
	if err := e.Serve(ports...); err != nil {
		_ = e.remove()
		return nil, err
	}
	return e, nil
}

// RemoveHost deletes the host's namespace.
func (d *Dataplane) RemoveHost(e *Endpoint) error { return e.remove() }

// CreateService creates svc. With no controller-manager's endpoint controllers, the
// suite writes its EndpointSlice itself (WriteEndpointSlice), and its LoadBalancer
// status (SetLoadBalancerIngress).
func (d *Dataplane) CreateService(ctx context.Context, svc *corev1.Service) error {
	if err := d.cfg.Client.Create(ctx, svc); err != nil {
		return fmt.Errorf("creating Service %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	return nil
}

// endpointSliceManager marks the EndpointSlices the suite writes, as a controller would.
const endpointSliceManager = "vao-dataplane-suite"

// WriteEndpointSlice writes the EndpointSlice of svc (named after it) with every port
// of svc and each pod as a ready endpoint on the node, replacing the one written
// before. svc's ports must name a numeric targetPort.
func (d *Dataplane) WriteEndpointSlice(ctx context.Context, svc *corev1.Service, pods ...*Pod) error {
	es := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: svc.Namespace, Name: svc.Name,
			Labels: map[string]string{
				discoveryv1.LabelServiceName: svc.Name,
				discoveryv1.LabelManagedBy:   endpointSliceManager,
			},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	for _, sp := range svc.Spec.Ports {
		if sp.TargetPort.Type != intstr.Int || sp.TargetPort.IntVal == 0 {
			return fmt.Errorf("Service %s/%s port %s: give a numeric targetPort", svc.Namespace, svc.Name, sp.Name)
		}
		es.Ports = append(es.Ports, discoveryv1.EndpointPort{
			Name: ptr.To(sp.Name), Protocol: ptr.To(sp.Protocol), Port: ptr.To(sp.TargetPort.IntVal),
		})
	}
	for _, p := range pods {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{p.IP().String()},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true), Serving: ptr.To(true), Terminating: ptr.To(false)},
			NodeName:   ptr.To(d.Node.Name),
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: podName(p)},
		})
	}
	var old discoveryv1.EndpointSlice
	err := d.cfg.Client.Get(ctx, client.ObjectKeyFromObject(es), &old)
	switch {
	case err == nil:
		es.ResourceVersion = old.ResourceVersion
		err = d.cfg.Client.Update(ctx, es)
	case client.IgnoreNotFound(err) == nil:
		err = d.cfg.Client.Create(ctx, es)
	}
	if err != nil {
		return fmt.Errorf("writing EndpointSlice %s/%s: %w", es.Namespace, es.Name, err)
	}
	return nil
}

// SetLoadBalancerIngress writes the address a LoadBalancer Service is reachable at
// into its status, as a cloud's load-balancer controller would. The address must be
// in OutsideCIDRs; it is on no interface: kube-proxy translates it on the node, where
// the outside hosts' routes lead.
func (d *Dataplane) SetLoadBalancerIngress(ctx context.Context, svc *corev1.Service, ip netip.Addr) error {
	if err := CheckOutsideIP(ip); err != nil {
		return fmt.Errorf("LoadBalancer address of %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	if err := d.cfg.Client.Get(ctx, client.ObjectKeyFromObject(svc), svc); err != nil {
		return err
	}
	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip.String(), IPMode: ptr.To(corev1.LoadBalancerIPModeVIP)}}
	if err := d.cfg.Client.Status().Update(ctx, svc); err != nil {
		return fmt.Errorf("writing the LoadBalancer status of %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	return nil
}

// kubeDNSProbeName is the name the suite's kube-dns answers, to show it is reachable.
const kubeDNSProbeName = "kubernetes.default.svc.cluster.local"

// KubeDNSAnswer is the address kube-dns gives for kubeDNSProbeName: the API server's
// ClusterIP in a usual cluster.
var KubeDNSAnswer = netip.MustParseAddr("10.96.0.1")

// startKubeDNS makes kube-system/kube-dns: a pod labelled k8s-app=kube-dns with a DNS
// server on port 53, and its Service at KubeDNSIP with an EndpointSlice. It is what
// an allowlist's allowDNS opens.
func (d *Dataplane) startKubeDNS(ctx context.Context) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: metav1.NamespaceSystem}}
	if err := client.IgnoreAlreadyExists(d.cfg.Client.Create(ctx, ns)); err != nil {
		return fmt.Errorf("creating kube-system: %w", err)
	}
	pod, err := d.AddPod(ctx, metav1.NamespaceSystem, "coredns", map[string]string{"k8s-app": "kube-dns"})
	if err != nil {
		return err
	}
	if err := pod.ServeDNS(map[string]netip.Addr{kubeDNSProbeName: KubeDNSAnswer}); err != nil {
		return err
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: metav1.NamespaceSystem, Name: "kube-dns", Labels: map[string]string{"k8s-app": "kube-dns"}},
		Spec: corev1.ServiceSpec{
			ClusterIP: KubeDNSIP.String(),
			Selector:  map[string]string{"k8s-app": "kube-dns"},
			Ports: []corev1.ServicePort{
				{Name: "dns", Protocol: corev1.ProtocolUDP, Port: 53, TargetPort: intstr.FromInt32(53)},
				{Name: "dns-tcp", Protocol: corev1.ProtocolTCP, Port: 53, TargetPort: intstr.FromInt32(53)},
			},
		},
	}
	if err := d.CreateService(ctx, svc); err != nil {
		return err
	}
	if err := d.WriteEndpointSlice(ctx, svc, pod); err != nil {
		return err
	}
	// A pod no policy selects, to see kube-dns through its ClusterIP as any pod would.
	d.probe, err = d.AddPod(ctx, metav1.NamespaceSystem, "dataplane-probe", map[string]string{"app": "dataplane-probe"})
	return err
}

func nowMeta() metav1.Time { return metav1.NewTime(time.Now().Truncate(time.Second)) }

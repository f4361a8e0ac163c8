/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dataplane

import (
	"context"
	"net/netip"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/dataplanetest"
)

// TestIngress: with an ingress allowlist for docsaas's inbound addresses on port
// 8080, the vendor's host reaches the selected pod on 8080 and on no other port,
// another host reaches it on no port, and a pod the allowlist does not select is
// reached by both on every port, as before the allowlist.
func TestIngress(t *testing.T) {
	requireDataplane(t)
	ns := newNamespace(t, "ingress")
	web := dp.NewPod(t, ns, "web", map[string]string{"app": "web"}, 8080, 8081)
	other := dp.NewPod(t, ns, "other", map[string]string{"app": "other"}, 8080, 8081)
	vendor := dp.NewHost(t, "ingress-vendor", []netip.Addr{vendorIP})
	stranger := dp.NewHost(t, "ingress-stranger", []netip.Addr{strangerIP})
	startManager(t, ns, dataplanetest.ManagerConfig{})

	// Before any policy every connection gets through: the servers are up and the
	// routes work, so a denial later is the policy's doing.
	var before []dataplanetest.Check
	for _, from := range []*dataplanetest.Endpoint{vendor, stranger} {
		for _, to := range []*dataplanetest.Pod{web, other} {
			for _, port := range []uint16{8080, 8081} {
				before = append(before, allowedAs(from, to.IP(), port, from.IP()))
			}
		}
	}
	dataplanetest.AwaitReach(t, settle, "before the allowlist", before...)

	created := create(t, ingressAllowlist(ns, "docsaas-inbound", "web", 8080))
	dataplanetest.AwaitReach(t, settle, "with the ingress allowlist",
		allowedAs(vendor, web.IP(), 8080, vendorIP),
		denied(vendor, web.IP(), 8081),
		denied(stranger, web.IP(), 8080),
		denied(stranger, web.IP(), 8081),
		allowed(vendor, other.IP(), 8080),
		allowed(vendor, other.IP(), 8081),
		allowed(stranger, other.IP(), 8080),
		allowed(stranger, other.IP(), 8081),
		// The server on 8081 is still up: the node reaches it.
		allowed(dp.Node.Endpoint(), web.IP(), 8081),
	)
	t.Logf("allowlist created to enforced on packets: %v", time.Since(created).Round(time.Millisecond))
}

// TestLoadBalancerLocal: behind a LoadBalancer Service with externalTrafficPolicy
// Local, the pod sees the vendor's own address, so the ingress allowlist decides: the
// vendor gets through the load balancer's address, another host does not.
func TestLoadBalancerLocal(t *testing.T) {
	requireDataplane(t)
	ns := newNamespace(t, "lb")
	web := dp.NewPod(t, ns, "web", map[string]string{"app": "web"}, 8080)
	vendor := dp.NewHost(t, "lb-vendor", []netip.Addr{vendorIP})
	stranger := dp.NewHost(t, "lb-stranger", []netip.Addr{strangerIP})
	startManager(t, ns, dataplanetest.ManagerConfig{})

	ctx := context.Background()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec: corev1.ServiceSpec{
			Type:                  corev1.ServiceTypeLoadBalancer,
			ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal,
			Selector:              map[string]string{"app": "web"},
			Ports:                 []corev1.ServicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(8080)}},
		},
	}
	if err := dp.CreateService(ctx, svc); err != nil {
		t.Fatal(err)
	}
	if err := dp.WriteEndpointSlice(ctx, svc, web); err != nil {
		t.Fatal(err)
	}
	if err := dp.SetLoadBalancerIngress(ctx, svc, loadBalancerIP); err != nil {
		t.Fatal(err)
	}

	dataplanetest.AwaitReach(t, settle, "through the load balancer, before the allowlist",
		allowedAs(vendor, loadBalancerIP, 80, vendorIP),
		allowedAs(stranger, loadBalancerIP, 80, strangerIP),
	)

	create(t, ingressAllowlist(ns, "docsaas-inbound", "web", 8080))
	dataplanetest.AwaitReach(t, settle, "through the load balancer, with the ingress allowlist",
		allowedAs(vendor, loadBalancerIP, 80, vendorIP),
		denied(stranger, loadBalancerIP, 80),
	)
}

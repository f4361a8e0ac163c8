/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package security

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
)

// blackhole is a DNS "server" on loopback that reads every query and never answers.
func blackhole(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	ln, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		_ = pc.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close(); _ = ln.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	return "127.0.0.1#" + strconv.Itoa(port)
}

// One namespace's DNS never answering must not keep another namespace waiting: four
// allowlists of 32 names each that never answer, created first, leave a static
// allowlist in another namespace Ready within 10 s.
func TestSilentNamespaceDoesNotStallAnother(t *testing.T) {
	g := NewWithT(t)
	// dnsmasq forwards every name under silent.example to a server that never answers.
	srv := testdns.Start(t, testdns.WithArgs("--server=/silent.example/"+blackhole(t)))
	hostile, quiet := newNamespace(t, "hostile"), newNamespace(t, "quiet")
	startManager(t, srv, []string{hostile, quiet})
	for i := range 4 {
		var names []string
		for j := range 32 {
			names = append(names, fmt.Sprintf("n%d-%d.silent.example", i, j))
		}
		al := &v1alpha1.VendorAllowlist{
			ObjectMeta: metav1.ObjectMeta{Namespace: hostile, Name: fmt.Sprintf("slow-%d", i)},
			Spec: v1alpha1.VendorAllowlistSpec{
				PodSelector: selector("app"),
				Custom: []v1alpha1.CustomEntry{{
					Name: "slow", Direction: v1alpha1.DirectionEgress, Ports: ports(443), Hostnames: hostnames(names...),
				}},
			},
		}
		g.Expect(k8s.Create(context.Background(), al)).To(Succeed())
	}
	time.Sleep(200 * time.Millisecond) // the hostile allowlists are queued first

	start := time.Now()
	static := &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: quiet, Name: "static"},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: selector("app"),
			Vendors:     []v1alpha1.VendorSelection{{Name: "threobuilder", Ports: ports(443)}},
		},
	}
	g.Expect(k8s.Create(context.Background(), static)).To(Succeed())
	waitCondition(t, client.ObjectKeyFromObject(static), metav1.ConditionTrue, v1alpha1.ReasonReconciled, 10*time.Second)
	t.Logf("a static allowlist in another namespace was Ready %v after it was created, with 128 silent hostnames queued before it", time.Since(start).Round(time.Millisecond))
}

package main

import (
	"fmt"
	"time"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/resolver"
)

// newResolver builds the DNS resolver: the given servers, or /etc/resolv.conf's.
func newResolver(servers []string, timeout time.Duration) (*resolver.Resolver, error) {
	r := &resolver.Resolver{Servers: servers, Timeout: timeout}
	if len(servers) == 0 {
		found, err := resolver.ServersFromResolvConf(resolver.DefaultResolvConf)
		if err != nil {
			return nil, fmt.Errorf("no --dns-server given and %s unreadable: %w", resolver.DefaultResolvConf, err)
		}
		r.Servers = found
	}
	return r, nil
}

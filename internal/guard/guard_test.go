package guard

import (
	"net/netip"
	"testing"
)

func TestClassify(t *testing.T) {
	g := Guard{Cluster: []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16"), netip.MustParsePrefix("fd10:96::/108")}}
	cases := map[string]Class{
		"50.16.101.13":           Public,
		"2600:1f18::1":           Public,
		"127.0.0.1":              Forbidden,
		"::1":                    Forbidden,
		"169.254.169.254":        Forbidden,
		"fe80::1":                Forbidden,
		"224.0.0.1":              Forbidden,
		"ff02::1":                Forbidden,
		"0.0.0.0":                Forbidden,
		"::":                     Forbidden,
		"0.1.2.3":                Forbidden,
		"255.255.255.255":        Forbidden,
		"::ffff:169.254.169.254": Forbidden,
		"10.244.3.7":             Forbidden, // pod range
		"fd10:96::a":             Forbidden, // service range
		"10.0.0.5":               Private,
		"172.16.0.1":             Private,
		"192.168.1.1":            Private,
		"100.64.0.1":             Private,
		"fd00::1":                Private,
		"::ffff:10.0.0.5":        Private,
	}
	for addr, want := range cases {
		if got := g.Classify(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Classify(%s) = %s, want %s", addr, got, want)
		}
	}
}

func TestFilterHonoursAllowPrivate(t *testing.T) {
	g := Guard{}
	in := []netip.Addr{netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("52.5.142.59"), netip.MustParseAddr("127.0.0.1")}
	allowed, blocked := g.Filter(in, false)
	if len(allowed) != 1 || allowed[0].String() != "52.5.142.59" || len(blocked) != 2 {
		t.Fatalf("private not allowed: allowed=%v blocked=%v", allowed, blocked)
	}
	allowed, blocked = g.Filter(in, true)
	if len(allowed) != 2 || len(blocked) != 1 || blocked[0].String() != "127.0.0.1" {
		t.Fatalf("private allowed: allowed=%v blocked=%v (loopback must stay blocked)", allowed, blocked)
	}
}

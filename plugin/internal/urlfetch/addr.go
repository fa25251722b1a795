package urlfetch

import "net/netip"

// blockedPrefixes are ranges refused in addition to what netip's predicates catch.
var blockedPrefixes = mustPrefixes(
	"0.0.0.0/8",       // "this network"
	"100.64.0.0/10",   // carrier-grade NAT
	"169.254.0.0/16",  // link-local, cloud metadata 169.254.169.254
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // documentation
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // documentation
	"203.0.113.0/24",  // documentation
	"240.0.0.0/4",     // reserved, broadcast
	"100::/64",        // discard
	"2001::/32",       // Teredo (embeds an IPv4 address)
	"2001:db8::/32",   // documentation
	"fec0::/10",       // deprecated site-local
)

// embeddingPrefixes carry an IPv4 address that must itself be allowed.
var (
	nat64Prefix  = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local   = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFour    = netip.MustParsePrefix("2002::/16")
	compatPrefix = netip.MustParsePrefix("::/96")
)

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// Blocked reports whether a is an address the fetcher must never connect to (unless the
// operator allowlisted it).
func Blocked(a netip.Addr) bool {
	if !a.IsValid() {
		return true
	}
	a = a.Unmap() // ::ffff:a.b.c.d
	if a.Is6() {
		b := a.As16()
		switch {
		case compatPrefix.Contains(a) && !a.IsUnspecified() && !a.IsLoopback():
			return Blocked(netip.AddrFrom4([4]byte(b[12:16])))
		case nat64Prefix.Contains(a):
			return Blocked(netip.AddrFrom4([4]byte(b[12:16])))
		case nat64Local.Contains(a):
			return true
		case sixToFour.Contains(a):
			return Blocked(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() || !a.IsGlobalUnicast() {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

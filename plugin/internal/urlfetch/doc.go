// Package urlfetch downloads images for the `urls` parameter without opening a path into the
// server's network (SSRF).
//
// Every host is resolved once and every resolved address is checked at connect time, and the
// connection is made to the checked address itself, so DNS rebinding cannot swap it. Refused
// are loopback, private (RFC 1918, CGNAT 100.64/10, IPv6 ULA fc00::/7), link-local (including
// the 169.254.169.254 metadata address), multicast, unspecified, broadcast and reserved ranges,
// and IPv6 forms that embed such an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64
// 64:ff9b::/96, 6to4 2002::/16, Teredo). Redirects are bounded and each hop is checked again;
// only http and https are fetched, through no proxy, with a time limit, a size cap and an
// image/* content type. An operator allowlist (host, host:port, IP or CIDR) opens specific
// destinations, e.g. 127.0.0.1 in tests.
//
// Errors are *skyerr.Error values with SkyBiometry's download codes 30-36. Blocked addresses
// are reported without the address so that the API cannot be used to map internal DNS.
//
// The package does not import Caddy; the plugin constructs a Fetcher from its configuration.
package urlfetch

//! Client addresses as rate limits count them.

use std::net::{IpAddr, Ipv6Addr};

/// The bucket a client address counts in. An IPv4 address is its own bucket. An IPv6
/// address counts by its /64: one subscriber or host usually holds a whole /64 and can
/// pick any of its 2^64 addresses, so a per-address bucket would not limit anyone. An
/// IPv4 address written in IPv6 form (`::ffff:a.b.c.d`) is that IPv4 address. The
/// address is parsed and written back in one canonical form, so every spelling of one
/// /64 (leading zeros, `::`, upper case, a zone) lands in the same bucket. Anything that
/// does not parse as an address shares a single bucket: a missing or mangled header is
/// not a way around the limit.
pub fn bucket(raw: &str) -> String {
    let trimmed = raw.trim();
    // A zone (`fe80::1%eth0`) names an interface of the sender, not another client.
    let address = trimmed.split_once('%').map_or(trimmed, |(a, _)| a);
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                format!("{}/64", Ipv6Addr::from(bits))
            }
        },
        Err(_) => "unknown".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::bucket;

    #[test]
    fn ipv4_counts_per_address_and_ipv6_per_64() {
        for (raw, want) in [
            ("203.0.113.7", "203.0.113.7"),
            (" 203.0.113.7 ", "203.0.113.7"),
            ("203.0.113.8", "203.0.113.8"),
            ("::ffff:203.0.113.7", "203.0.113.7"),
            ("::FFFF:CB00:7107", "203.0.113.7"),
            ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
            ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
            (
                "2001:0db8:0001:0002:0000:0000:0000:0001",
                "2001:db8:1:2::/64",
            ),
            ("2001:DB8:1:2::abcd", "2001:db8:1:2::/64"),
            ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
            ("2001:db8::1", "2001:db8::/64"),
            ("fe80::1%eth0", "fe80::/64"),
            ("::1", "::/64"),
            ("", "unknown"),
            ("unknown", "unknown"),
            ("1.2.3", "unknown"),
            ("2001:db8::1::2", "unknown"),
            ("[2001:db8::1]", "unknown"),
        ] {
            assert_eq!(bucket(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn every_address_of_one_64_shares_a_bucket() {
        let one = bucket("2001:db8:aaaa:bbbb::1");
        for i in [2u32, 0xffff, 0x1_0000, 0xdead_beef] {
            let other = format!("2001:db8:aaaa:bbbb:{:x}:{:x}::", i >> 16, i & 0xffff);
            assert_eq!(bucket(&other), one, "{other}");
        }
        assert_ne!(
            bucket("2001:db8:aaaa:bbbc::1"),
            one,
            "the next /64 is another bucket"
        );
    }
}

//! `ip-filter`: client address ranges (single address, CIDR, or `first-last`).

use std::net::IpAddr;

use serde::{Deserialize, Deserializer};

/// An inclusive range of addresses of one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressRange {
    first: IpAddr,
    last: IpAddr,
}

/// Why a text is not an address range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressRangeError {
    /// A part that is not an IP address.
    #[error("{0:?} is not an IP address")]
    Address(String),
    /// `first-last` going down, or mixing IPv4 and IPv6.
    #[error("range {0:?} must go from a lower to a higher address of one family")]
    Order(String),
    /// A CIDR prefix longer than the address or not a number.
    #[error("bad prefix length in {0:?}")]
    Prefix(String),
}

impl AddressRange {
    /// Parses `10.0.0.1`, `10.0.0.0/8`, `10.0.0.1-10.0.0.9` (and the IPv6 forms).
    pub fn parse(text: &str) -> Result<Self, AddressRangeError> {
        let t = text.trim();
        let ip = |s: &str| s.trim().parse::<IpAddr>().map_err(|_| AddressRangeError::Address(s.to_string()));
        if let Some((a, b)) = t.split_once('-') {
            let (first, last) = (ip(a)?, ip(b)?);
            if first.is_ipv4() != last.is_ipv4() || to_u128(first) > to_u128(last) {
                return Err(AddressRangeError::Order(t.to_string()));
            }
            return Ok(Self { first, last });
        }
        if let Some((a, bits)) = t.split_once('/') {
            let base = ip(a)?;
            let width = if base.is_ipv4() { 32 } else { 128 };
            let bits: u32 =
                bits.parse().ok().filter(|b| *b <= width).ok_or_else(|| AddressRangeError::Prefix(t.to_string()))?;
            let host_bits = width - bits;
            let mask: u128 = if host_bits >= 128 { u128::MAX } else { (1u128 << host_bits) - 1 };
            let n = to_u128(base);
            return Ok(Self { first: from_u128(n & !mask, base.is_ipv4()), last: from_u128(n | mask, base.is_ipv4()) });
        }
        let one = ip(t)?;
        Ok(Self { first: one, last: one })
    }

    /// Is `addr` in the range? IPv4-mapped IPv6 addresses count as IPv4.
    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(addr),
            v4 => v4,
        };
        addr.is_ipv4() == self.first.is_ipv4() && (to_u128(self.first)..=to_u128(self.last)).contains(&to_u128(addr))
    }
}

fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn from_u128(n: u128, v4: bool) -> IpAddr {
    if v4 { IpAddr::V4(std::net::Ipv4Addr::from(n as u32)) } else { IpAddr::V6(std::net::Ipv6Addr::from(n)) }
}

impl<'de> Deserialize<'de> for AddressRange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_cidr_range_and_single_forms() {
        let cidr = AddressRange::parse("10.1.0.0/16").unwrap();
        assert!(cidr.contains("10.1.255.3".parse().unwrap()));
        assert!(!cidr.contains("10.2.0.1".parse().unwrap()));
        let range = AddressRange::parse("192.168.0.5-192.168.0.9").unwrap();
        assert!(range.contains("192.168.0.9".parse().unwrap()) && !range.contains("192.168.0.10".parse().unwrap()));
        let one = AddressRange::parse("127.0.0.1").unwrap();
        assert!(one.contains("::ffff:127.0.0.1".parse().unwrap()));
        assert!(AddressRange::parse("::1/129").is_err() && AddressRange::parse("nope").is_err());
    }
}

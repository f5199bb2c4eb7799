//! Names and tokens no one can guess: 128 bits from the operating system's
//! random source, for what is reachable without a credential.

/// 32 lowercase hex digits holding 128 random bits.
pub fn hex128() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    format!("{:032x}", u128::from_le_bytes(bytes))
}

//! The platform CSPRNG (`crypto.getRandomValues` on workerd) behind `kasse_shared::ids::Entropy`.

use kasse_shared::ids::Entropy;

pub(crate) struct Csprng;

impl Entropy for Csprng {
    fn fill(&mut self, buf: &mut [u8]) {
        // getRandomValues does not fail for buffers this small; if the platform ever
        // lacked it, continuing with predictable ids would be worse than stopping.
        if let Err(e) = getrandom::fill(buf) {
            panic!("no CSPRNG available: {e}");
        }
    }
}

pub(crate) fn token(prefix: &str, chars: usize) -> String {
    format!(
        "{prefix}{}",
        kasse_shared::ids::random_base62(&mut Csprng, chars)
    )
}

//! The Fargate CPU/memory table: which memory sizes each CPU size accepts.
//! Source: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size

/// (cpu units, smallest MiB, largest MiB, step MiB); 256 CPU is the odd one out (512, 1024, 2048).
const TABLE: &[(u32, u32, u32, u32)] = &[
    (256, 512, 2048, 512),
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122880, 8192),
];

/// The CPU sizes Fargate offers.
pub fn cpu_sizes() -> impl Iterator<Item = u32> {
    TABLE.iter().map(|row| row.0)
}

/// The memory sizes (MiB) Fargate accepts for `cpu`, or `None` for an unknown CPU size.
pub fn memory_sizes(cpu: u32) -> Option<Vec<u32>> {
    let &(_, lo, hi, step) = TABLE.iter().find(|row| row.0 == cpu)?;
    if cpu == 256 {
        return Some(vec![512, 1024, 2048]);
    }
    Some((lo..=hi).step_by(step as usize).collect())
}

/// A short human description of the memory allowed for `cpu`, e.g. `1024–4096 MiB in 1024 MiB steps`.
pub fn describe(cpu: u32) -> String {
    match TABLE.iter().find(|row| row.0 == cpu) {
        Some((256, ..)) => "512, 1024 or 2048 MiB".to_string(),
        Some(&(_, lo, hi, step)) => format!("{lo}–{hi} MiB in {step} MiB steps"),
        None => "no memory size (unknown cpu)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_the_fargate_documentation() {
        let cases = [
            (256, 512, true),
            (256, 1536, false),
            (256, 2048, true),
            (512, 1024, true),
            (512, 5120, false),
            (1024, 8192, true),
            (2048, 16384, true),
            (2048, 3072, false),
            (4096, 30720, true),
            (4096, 31744, false),
            (8192, 20480, true),
            (8192, 18432, false),
            (16384, 122880, true),
            (16384, 36864, false),
        ];
        for (cpu, mem, ok) in cases {
            let sizes = memory_sizes(cpu).unwrap_or_default();
            assert_eq!(sizes.contains(&mem), ok, "cpu {cpu} memory {mem}");
        }
        assert_eq!(memory_sizes(300), None);
        assert_eq!(cpu_sizes().count(), 7);
    }
}

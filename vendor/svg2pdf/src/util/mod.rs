pub mod allocate;
pub mod context;
pub mod helper;
pub mod resources;

/// repro's patch: a map whose iteration order is the same in every process (std's default
/// hasher is seeded per process, and the fonts and resources were written in its order, so
/// the same SVG gave PDFs of different bytes from run to run).
pub type HashMap<K, V> = std::collections::HashMap<
    K,
    V,
    std::hash::BuildHasherDefault<std::collections::hash_map::DefaultHasher>,
>;

//! The demo cohort's source files, embedded in the binary zstd-compressed: the demo builder
//! (`crate::demo`) imports them, and `rgdb synth` draws its values' shapes from them. A module
//! of its own, below both, so that the generator needs nothing of the database.

/// One source file of the demo, embedded zstd-compressed.
pub struct Embedded {
    /// The file's name (as in `data/nsclc_radiogenomics/`).
    pub name: &'static str,
    /// Its bytes, compressed with zstd (`data/embedded/<name>.zst`).
    pub compressed: &'static [u8],
}

/// The demo's files: the real TCIA clinical table (211 subjects), the real RNA-seq FPKM subset
/// (GEO GSE103584; 130 subjects × 140 genes) and the IDC series manifest (1,722 series). See
/// `data/README.md` for their attribution. `tests/integration/cli.rs` checks that each
/// decompresses to exactly the file in `data/nsclc_radiogenomics/`.
pub const FILES: [Embedded; 4] = [
    Embedded {
        name: "NSCLCR01Radiogenomic_DATA_LABELS_2018-05-22_1500-shifted.csv",
        compressed: include_bytes!(
            "../data/embedded/NSCLCR01Radiogenomic_DATA_LABELS_2018-05-22_1500-shifted.csv.zst"
        ),
    },
    Embedded {
        name: "rnaseq_fpkm_subset_130x140.tsv",
        compressed: include_bytes!("../data/embedded/rnaseq_fpkm_subset_130x140.tsv.zst"),
    },
    Embedded {
        name: "idc_series_manifest.csv",
        compressed: include_bytes!("../data/embedded/idc_series_manifest.csv.zst"),
    },
    Embedded {
        name: "pyradiomics_features_60.csv",
        compressed: include_bytes!("../data/embedded/pyradiomics_features_60.csv.zst"),
    },
];

impl Embedded {
    /// The file's bytes.
    pub fn bytes(&self) -> std::io::Result<Vec<u8>> {
        zstd::stream::decode_all(self.compressed)
    }
}

//! The settings of an extraction, as PyRadiomics names them, and the feature classes and
//! features it computes (`params.rs` reads them from a parameter file).

use super::discretise::Binning;

/// The settings of an extraction (PyRadiomics' names in brackets).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The mask value of the region (`label`).
    pub label: i64,
    /// Grey-level discretisation (`binWidth`, `binCount`).
    pub binning: Binning,
    /// Added to intensities by Energy, TotalEnergy and RootMeanSquared (`voxelArrayShift`).
    pub voxel_array_shift: f64,
    /// How far the mask's grid may be from the image's (`geometryTolerance`).
    pub geometry_tolerance: f64,
    /// Normalise the whole image first (`normalize`, `normalizeScale`, `removeOutliers`).
    pub normalize: Option<Normalize>,
    /// Keep only the region's voxels within a range (`resegmentRange`, `resegmentMode`).
    pub resegment: Option<Resegment>,
    /// Count GLCM pairs both ways (`symmetricalGLCM`).
    pub symmetrical_glcm: bool,
    /// How many grey levels apart a GLDM neighbour may be and still depend (`gldm_a`).
    pub gldm_a: u32,
    /// Texture in 2-D slices (`force2D`): the numpy axis they are stacked along
    /// (`force2Ddimension`: 0 = z, 1 = y, 2 = x).
    pub force_2d: Option<usize>,
    /// GLCM and GLRLM over all angles at once, each weighted by its length (`weightingNorm`);
    /// `None`: features per angle, averaged.
    pub weighting_norm: Option<Weighting>,
    /// The neighbour distances of GLCM, GLDM and NGTDM (`distances`, voxels, infinity norm).
    pub distances: Vec<u32>,
    /// The fewest axes along which the region must span more than one voxel
    /// (`minimumROIDimensions`, 1 to 3).
    pub minimum_roi_dimensions: usize,
    /// The region must have more voxels than this (`minimumROISize`).
    pub minimum_roi_size: Option<u64>,
    /// Resample a mask that is not on the image's grid onto it, nearest neighbour
    /// (`correctMask`).
    pub correct_mask: bool,
    /// Shape of the re-segmented region rather than of the mask as drawn (`resegmentShape`).
    pub resegment_shape: bool,
    /// The feature classes and features computed (`featureClass`).
    pub features: Features,
    /// `force2D` as shape2D reads it: from the parameter file's `setting` section only
    /// (`imageType: Original: {force2D: …}` changes the texture classes, not shape2D).
    pub shape_force_2d: Option<usize>,
}

/// How `weightingNorm` weighs an angle of offset `a` (mm: the offset times the spacing): the
/// GLCM by `exp(−‖a‖²)`, the GLRLM by `‖a‖`, in the norm named; `NoWeighting` (and any
/// name PyRadiomics does not know) by 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Weighting {
    Infinity,
    Euclidean,
    Manhattan,
    NoWeighting,
}

impl Weighting {
    /// The norm of offset `a` on a grid of `spacing`.
    pub fn norm(&self, a: [i64; 3], spacing: [f64; 3]) -> f64 {
        let mm: Vec<f64> = (0..3).map(|k| a[k].abs() as f64 * spacing[k]).collect();
        match self {
            Weighting::Infinity => mm.iter().copied().fold(0.0, f64::max),
            Weighting::Euclidean => mm.iter().map(|v| v * v).sum::<f64>().sqrt(),
            Weighting::Manhattan => mm.iter().sum(),
            Weighting::NoWeighting => 1.0,
        }
    }
}

/// `normalize: true`: the image as SimpleITK's `Normalize` makes it (minus the mean, over the
/// sample standard deviation, of the whole image), values beyond ±`remove_outliers` clipped
/// to it, then times `scale`.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalize {
    pub scale: f64,
    pub remove_outliers: Option<f64>,
}

/// `resegmentRange`: the region's voxels kept are those from the lower to the upper
/// threshold (or above the only one).
#[derive(Debug, Clone, PartialEq)]
pub struct Resegment {
    pub range: Vec<f64>,
    pub mode: ResegmentMode,
}

/// How `resegmentRange` is read (`resegmentMode`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ResegmentMode {
    /// Intensities (the default).
    Absolute,
    /// Fractions of the region's maximum.
    Relative,
    /// Standard deviations (population) from the region's mean.
    Sigma,
}

impl Default for Settings {
    /// PyRadiomics' defaults: label 1, bin width 25, no shift, tolerance 1e-6, distance 1,
    /// every class but shape2D with its default features.
    fn default() -> Self {
        Settings {
            label: 1,
            binning: Binning::Width(25.0),
            voxel_array_shift: 0.0,
            geometry_tolerance: 1e-6,
            normalize: None,
            resegment: None,
            symmetrical_glcm: true,
            gldm_a: 0,
            force_2d: None,
            distances: vec![1],
            minimum_roi_dimensions: 2,
            minimum_roi_size: None,
            correct_mask: false,
            resegment_shape: false,
            features: Features::default(),
            shape_force_2d: None,
            weighting_norm: None,
        }
    }
}

/// A feature class of PyRadiomics (`featureClass`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Shape,
    Shape2D,
    FirstOrder,
    Glcm,
    Gldm,
    Glrlm,
    Glszm,
    Ngtdm,
}

impl Class {
    /// Every class, in the order PyRadiomics computes them when a parameter file names none.
    pub const ALL: [Class; 8] = [
        Class::Shape,
        Class::Shape2D,
        Class::FirstOrder,
        Class::Glcm,
        Class::Gldm,
        Class::Glrlm,
        Class::Glszm,
        Class::Ngtdm,
    ];

    /// PyRadiomics' name of the class, as in feature names (`original_<class>_<feature>`).
    pub fn name(self) -> &'static str {
        match self {
            Class::Shape => "shape",
            Class::Shape2D => "shape2D",
            Class::FirstOrder => "firstorder",
            Class::Glcm => "glcm",
            Class::Gldm => "gldm",
            Class::Glrlm => "glrlm",
            Class::Glszm => "glszm",
            Class::Ngtdm => "ngtdm",
        }
    }

    /// The class of a name, as PyRadiomics spells it.
    pub fn named(name: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The features computed when the class is enabled without a list, in PyRadiomics' order.
    pub fn defaults(self) -> Vec<&'static str> {
        let names =
            |table: &[(&'static str, super::sizes::Kind)]| table.iter().map(|(n, _)| *n).collect();
        match self {
            Class::Shape => super::shape::FEATURES.to_vec(),
            Class::Shape2D => super::shape2d::FEATURES.to_vec(),
            Class::FirstOrder => super::firstorder::FEATURES.to_vec(),
            Class::Glcm => super::glcm::FEATURES.to_vec(),
            Class::Gldm => names(&super::zones::GLDM),
            Class::Glrlm => names(&super::zones::GLRLM),
            Class::Glszm => names(&super::zones::GLSZM),
            Class::Ngtdm => super::zones::NGTDM.to_vec(),
        }
    }

    /// The features PyRadiomics marks deprecated: computed only when named (the first
    /// three of shape, shape2D's one and firstorder's), or never, as PyRadiomics v3.0.1
    /// raises instead (GLCM's and GLDM's, equal to other features).
    pub fn deprecated(self) -> &'static [&'static str] {
        match self {
            Class::Shape => &["Compactness1", "Compactness2", "SphericalDisproportion"],
            Class::Shape2D => &["SphericalDisproportion"],
            Class::FirstOrder => &["StandardDeviation"],
            Class::Glcm => &[
                "Dissimilarity",
                "Homogeneity1",
                "Homogeneity2",
                "SumVariance",
            ],
            Class::Gldm => &["GrayLevelNonUniformityNormalized", "DependencePercentage"],
            Class::Glrlm | Class::Glszm | Class::Ngtdm => &[],
        }
    }

    /// Deprecated features PyRadiomics v3.0.1 names but never computes.
    pub fn never_computed(self, feature: &str) -> bool {
        matches!(self, Class::Glcm | Class::Gldm) && self.deprecated().contains(&feature)
    }
}

/// The feature classes computed, each with the features named for it (`None`: its defaults),
/// in the parameter file's order (shape classes first, as PyRadiomics computes them first).
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    pub classes: Vec<(Class, Option<Vec<String>>)>,
}

impl Default for Features {
    /// Every class with its default features (shape2D only comes out with `force2D`).
    fn default() -> Self {
        Features {
            classes: Class::ALL.into_iter().map(|c| (c, None)).collect(),
        }
    }
}

impl Features {
    /// The default classes, with shape's deprecated features too (the reference CSVs' set).
    pub fn with_deprecated_shape() -> Self {
        let mut features = Features::default();
        let mut shape: Vec<String> = Class::Shape
            .defaults()
            .iter()
            .map(|f| f.to_string())
            .collect();
        shape.extend(Class::Shape.deprecated().iter().map(|f| f.to_string()));
        features.classes[0].1 = Some(shape);
        features
    }

    /// The features of `class` to compute, or None when the class is not enabled.
    pub fn of(&self, class: Class) -> Option<Vec<&str>> {
        let (_, names) = self.classes.iter().find(|(c, _)| *c == class)?;
        Some(match names {
            None => class.defaults(),
            Some(list) => list
                .iter()
                .map(String::as_str)
                .filter(|f| !class.never_computed(f))
                .collect(),
        })
    }
}

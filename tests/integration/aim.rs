//! The AIM importer: the real AIM v4, v3 and JSON samples, files generated to answer the real
//! ePAD Lung Nodule template, subject-level queries over lesions, and refused files.

use std::path::{Path, PathBuf};

use rgdb::Database;
use rgdb::ingest::aim::{Template, parse_xml};
use rgdb::ingest::{AimImport, ImportRequest, PersonField};

use crate::common::*;

fn aim_file(name: &str) -> PathBuf {
    root().join("data/aim").join(name)
}

fn aim(path: &Path, options: AimImport) -> ImportRequest {
    ImportRequest::Aim {
        path: path.to_path_buf(),
        options,
    }
}

fn template() -> Template {
    let path = aim_file("LungNoduleTemplate.xml");
    let text = std::fs::read_to_string(&path).unwrap();
    Template::from_tree("t", &parse_xml("t", &text).unwrap()).unwrap()
}

#[test]
fn the_real_aim_v4_sample_keeps_answers_codes_and_calculations() {
    let (_dir, db) = clinical_db();
    let summary = db
        .import(&aim(&aim_file("recist_sample.xml"), AimImport::default()))
        .unwrap();
    assert_eq!(summary.table, "semantic");
    assert_eq!(summary.rows, 1);
    assert_eq!(
        summary.new_subjects, 1,
        "person/id 7 is not a cohort subject"
    );
    let got = rows(
        &db,
        "SELECT subject_id, location, location_code, status, status_code, lesion, lesion_code, \
         type, type_code, annotation_type, annotation_type_code, annotation_datetime, \
         annotation_date, annotator, study_uid, series_uid, image_uids, length, \
         standard_deviation, standard_deviation_2, aim_format FROM semantic",
    );
    assert_eq!(
        got,
        vec![
            vec![
                "7",
                "liver",
                "RID58",
                "tracked",
                "S83",
                "Lesion Followup Evaluation",
                "S82",
                "target",
                "S71",
                "Tumor assessment",
                "RECIST",
                "2019-06-14T18:44:39",
                "2019-06-14",
                "admin",
                "1.2.752.24.7.19011385.484010",
                "1.2.840.113704.1.111.5068.1212776060.31",
                "[1.2.840.113704.1.111.3844.1212776204.2784]",
                "3.3843049868978676",
                "25.733452833090695",
                "41.11103104557689",
                "aim4",
            ]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()
        ]
    );
    let columns = db
        .snapshot()
        .columns(&db.snapshot().table("semantic").unwrap())
        .unwrap();
    let length = columns.iter().find(|c| c.name == "length").unwrap();
    assert_eq!(length.label, "Length");
    assert_eq!(
        length.unit.as_deref(),
        Some("linear"),
        "the unit as the file writes it"
    );
    let sd = columns
        .iter()
        .find(|c| c.name == "standard_deviation")
        .unwrap();
    assert_eq!(sd.unit.as_deref(), Some("[hnsf'U]"));
    let location = columns.iter().find(|c| c.name == "location").unwrap();
    assert_eq!(location.label, "Location");
}

#[test]
fn aim_v3_and_epad_json_import_into_the_same_model() {
    let (dir, db) = clinical_db();
    let folder = dir.path().join("annotations");
    std::fs::create_dir_all(folder.join("json")).unwrap();
    std::fs::copy(aim_file("aim_v3_0022BaselineA.xml"), folder.join("v3.xml")).unwrap();
    std::fs::copy(
        aim_file("aimjson_testsegaim.json"),
        folder.join("json/seg.json"),
    )
    .unwrap();
    std::fs::write(folder.join("notes.txt"), "not an annotation").unwrap();
    let summary = db.import(&aim(&folder, AimImport::new("aim"))).unwrap();
    assert_eq!(summary.rows, 2);
    assert_eq!(summary.notes[0], "2 annotations from 2 files");
    let got = rows(
        &db,
        "SELECT subject_id, aim_format, annotation_type, conspicuity, conspicuity_code, \
         calcification, sphericity, anatomic_entity, length, annotation_datetime, annotator, \
         study_uid, image_uids FROM aim WHERE aim_format = 'aim3'",
    );
    assert_eq!(
        got[0],
        [
            "409978",
            "aim3",
            "Target Lesion Complete Response",
            "Extremely Obvious",
            "REX4007",
            "LIDC Calcification 1",
            "LIDC Sphericity 4",
            "LUNG",
            "39.5795974731445",
            "2008-04-11T15:32:15",
            "NWU",
            "1.3.6.1.4.1.9328.50.1.10607",
            "[1.3.6.1.4.1.9328.50.1.10717]",
        ]
    );
    let got = rows(
        &db,
        "SELECT subject_id, aim_format, annotation_type, annotation_type_code, minimum, maximum, \
         segmentation_uids, series_uid, annotation_datetime, comment FROM aim WHERE aim_format = 'aim4'",
    );
    assert_eq!(
        got[0],
        [
            "7",
            "aim4",
            "SEG Only",
            "SEG",
            "-9.0",
            "160.0",
            "[1.3.6.1.4.1.5962.99.1.3988.9480.1511522532838.2.1.1.1000.1]",
            "1.2.840.113704.1.111.424.1207241028.11",
            "2019-06-28T16:02:47",
            "CT / ABD / 17",
        ]
    );
}

/// One generated lesion: its subject, length, and answers to some template questions (the
/// others get the first allowed answer).
struct Lesion {
    subject: &'static str,
    length: f64,
    answers: &'static [(&'static str, &'static [&'static str])],
}

const LESIONS: &[Lesion] = &[
    Lesion {
        subject: "R01-001",
        length: 31.5,
        answers: &[
            ("Nodule Shape", &["round"]),
            ("Nodule Attenuation", &["solid"]),
            ("Nodule Internal Features", &["necrosis", "cavitated"]),
            ("Emphysema", &["present"]),
        ],
    },
    Lesion {
        subject: "R01-001",
        length: 12.0,
        answers: &[
            ("Nodule Shape", &["oval"]),
            ("Nodule Attenuation", &["ground glass"]),
            ("Nodule Internal Features", &["reticulation"]),
        ],
    },
    Lesion {
        subject: "R01-002",
        length: 22.25,
        answers: &[
            ("Nodule Shape", &["complex"]),
            ("Nodule Attenuation", &["partially solid"]),
            ("Nodule Internal Features", &[]),
        ],
    },
    Lesion {
        subject: "AMC-001",
        length: 40.0,
        answers: &[
            ("Nodule Shape", &["blobby"]),
            ("Nodule Attenuation", &["solid"]),
            (
                "Nodule Internal Features",
                &["internal air bronchogram sign"],
            ),
        ],
    },
];

/// Writes an ePAD-style AIM v4 file answering the Lung Nodule template for one lesion, with
/// the generator `rgdb synth` uses.
fn write_lesion(template: &Template, lesion: &Lesion, n: usize, path: &Path) {
    let lesion = rgdb::synth::Lesion {
        subject: lesion.subject.to_string(),
        number: n,
        length: lesion.length,
        datetime: format!("2018010{n}101010"),
        answers: lesion
            .answers
            .iter()
            .map(|(q, a)| (q.to_string(), a.iter().map(|x| x.to_string()).collect()))
            .collect(),
    };
    std::fs::write(path, rgdb::synth::lesion_xml(template, &lesion)).unwrap();
}

/// A clinical database plus generated annotations in `dir/lesions`.
fn lesions_db() -> (tempfile::TempDir, Database, PathBuf) {
    let (dir, db) = clinical_db();
    let folder = dir.path().join("lesions");
    std::fs::create_dir_all(&folder).unwrap();
    let t = template();
    for (n, lesion) in LESIONS.iter().enumerate() {
        write_lesion(
            &t,
            lesion,
            n + 1,
            &folder.join(format!("lesion{}.xml", n + 1)),
        );
    }
    (dir, db, folder)
}

#[test]
fn the_lung_nodule_template_defines_the_questions() {
    let t = template();
    assert_eq!(t.name, "Lung Nodule V2");
    assert_eq!(
        t.questions.len(),
        28,
        "2 components and 26 nodule and parenchyma features"
    );
    let internal = t.question("Nodule Internal Features").unwrap();
    assert_eq!((internal.min, internal.max), (0, 5));
    let shape = t.question("nodule shape").unwrap();
    assert!(shape.allows("", "round"));
    assert!(!shape.allows("", "blobby"));
}

#[test]
fn annotations_answering_the_template_are_queryable_by_answer() {
    let (_dir, db, folder) = lesions_db();
    let summary = db
        .import(&aim(
            &folder,
            AimImport::default().with_template(aim_file("LungNoduleTemplate.xml")),
        ))
        .unwrap();
    assert_eq!(summary.rows, 4);
    assert_eq!(summary.new_subjects, 0);
    // Every template question has its answer and code columns.
    let questions = summary
        .columns
        .iter()
        .filter(|c| c.name.ends_with("_code") && c.name != "annotation_type_code")
        .count();
    assert_eq!(questions, 28);
    assert!(
        summary.notes.iter().any(
            |n| n.starts_with("1 answers are not allowed by the template")
                && n.contains("`Nodule Shape` answered `blobby` (X999)")
        ),
        "{:?}",
        summary.notes
    );
    // A question allowing several answers is a text list.
    let internal = summary.column("nodule_internal_features").unwrap();
    assert_eq!(internal.ty.name(), "text list");
    assert_eq!(summary.column("nodule_shape").unwrap().ty.name(), "text");

    assert_eq!(
        rows(
            &db,
            "SELECT subject_id, nodule_shape, nodule_shape_code, nodule_internal_features, length FROM semantic ORDER BY length DESC"
        ),
        vec![
            vec![
                "AMC-001",
                "blobby",
                "X999",
                "[internal air bronchogram sign]",
                "40.0"
            ],
            vec![
                "R01-001",
                "round",
                "RID5799",
                "[necrosis, cavitated]",
                "31.5"
            ],
            vec!["R01-002", "complex", "RID5757", "NULL", "22.25"],
            vec!["R01-001", "oval", "RID5800", "[reticulation]", "12.0"],
        ]
        .into_iter()
        .map(|r| r.into_iter().map(String::from).collect::<Vec<_>>())
        .collect::<Vec<_>>()
    );
    // By answer, at the lesion level.
    assert_eq!(
        rows(
            &db,
            "SELECT subject_id FROM semantic WHERE contains(nodule_internal_features, 'necrosis')"
        ),
        vec![vec!["R01-001".to_string()]]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT count(*) FROM semantic WHERE any(nodule_internal_features, 'reticulation', 'cavitated')"
        ),
        vec![vec!["2".to_string()]]
    );
    // At the subject level: counts, presence, any lesion, and the primary lesion.
    assert_eq!(
        rows(&db, "SELECT count(*) FROM subjects WHERE has(semantic)"),
        vec![vec!["3".to_string()]]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT subject_id, count(semantic) AS lesions, \
             arg_max(semantic.nodule_shape, semantic.length) AS largest_shape, \
             arg_min(semantic.nodule_attenuation, semantic.annotation_datetime) AS first_attenuation, \
             bool_or(contains(semantic.nodule_internal_features, 'necrosis')) AS any_necrosis \
             FROM subjects WHERE has(semantic) ORDER BY subject_id"
        ),
        vec![
            vec!["AMC-001", "1", "blobby", "solid", "false"],
            vec!["R01-001", "2", "round", "solid", "true"],
            vec!["R01-002", "1", "complex", "partially solid", "NULL"],
        ]
        .into_iter()
        .map(|r| r.into_iter().map(String::from).collect::<Vec<_>>())
        .collect::<Vec<_>>()
    );
    // With clinical data: solid primary nodules by EGFR status.
    let by_egfr = rows(
        &db,
        "SELECT egfr_mutation_status, count(*) AS n FROM subjects \
         WHERE arg_max(semantic.nodule_attenuation, semantic.length) = 'solid' \
         GROUP BY egfr_mutation_status ORDER BY egfr_mutation_status",
    );
    assert_eq!(
        by_egfr
            .iter()
            .map(|r| r[1].parse::<i64>().unwrap())
            .sum::<i64>(),
        2
    );
    // The vocabulary is in the column description.
    let described = rows(&db, "SHOW COLUMNS FROM semantic LIKE 'nodule_shape'");
    assert!(described[0][5].contains("one answer of"), "{described:?}");
    assert!(described[0][5].contains("round"), "{described:?}");
    // A text list is not compared with text: the error says what to use.
    let err = db
        .query("SELECT count(*) FROM semantic WHERE nodule_internal_features = 'necrosis'")
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot compare text list with text; a text list holds several answers: test one with contains(list, 'answer') or any(list, 'a', 'b')"),
        "{err}"
    );
    // Lists leave as text in CSV and as lists in Parquet.
    let csv = db
        .query("SELECT nodule_internal_features FROM semantic WHERE subject_id = 'R01-001' ORDER BY length DESC")
        .unwrap()
        .to_delimited(b',')
        .unwrap();
    assert_eq!(
        csv,
        "nodule_internal_features\nnecrosis; cavitated\nreticulation\n"
    );
}

#[test]
fn the_subject_can_come_from_the_name_through_a_pattern() {
    let (dir, db) = clinical_db();
    let text = std::fs::read_to_string(aim_file("recist_sample.xml"))
        .unwrap()
        .replace(
            "<name value=\"7^3225^4503\"/>",
            "<name value=\"Lung^R01-005^x\"/>",
        );
    let path = dir.path().join("named.xml");
    std::fs::write(&path, text).unwrap();
    let options = AimImport::default().with_subject(PersonField::Name, Some(r"\^(R01-\d+)\^"));
    let summary = db.import(&aim(&path, options)).unwrap();
    assert_eq!(summary.new_subjects, 0);
    assert_eq!(
        rows(&db, "SELECT subject_id, person_id FROM semantic"),
        vec![vec!["R01-005".to_string(), "7".to_string()]]
    );
    // The statement form, and aliases: a person id that is an alias maps to its subject.
    let aliases = dir.path().join("aliases.csv");
    std::fs::write(&aliases, "alias,subject_id\n7,R01-009\n").unwrap();
    db.query(&format!("IMPORT ALIASES FROM '{}'", aliases.display()))
        .unwrap();
    db.query(&format!(
        "IMPORT AIM FROM '{}' AS recist",
        aim_file("recist_sample.xml").display()
    ))
    .unwrap();
    assert_eq!(
        rows(&db, "SELECT subject_id FROM recist"),
        vec![vec!["R01-009".to_string()]]
    );
}

#[test]
fn bad_aim_files_are_refused_naming_file_and_place() {
    let (dir, db, folder) = lesions_db();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    // Malformed XML: the line and column of the mismatched tag.
    let broken = write(
        "broken.xml",
        "<ImageAnnotationCollection>\n<person><id value=\"R01-001\"/>\n</ImageAnnotationCollection>\n",
    );
    let err = refused_import(&db, &aim(&broken, AimImport::default()));
    assert_eq!(err.code(), "E0417");
    assert!(
        err.to_string()
            .starts_with(&format!("{}:3:", broken.display())),
        "{err}"
    );
    // An annotation without a subject.
    let text = std::fs::read_to_string(aim_file("recist_sample.xml")).unwrap();
    let anonymous = write("anonymous.xml", &text.replace("<id value=\"7\"/>", ""));
    assert_eq!(
        refused_import(&db, &aim(&anonymous, AimImport::default())).to_string(),
        format!(
            "{}:24: no subject for this annotation: it has no person/id",
            anonymous.display()
        )
    );
    let unmatched = AimImport::default().with_subject(PersonField::Id, Some("^R01-"));
    assert_eq!(
        refused_import(&db, &aim(&aim_file("recist_sample.xml"), unmatched)).to_string(),
        format!(
            "{}:24: no subject for this annotation: person/id is `7`, which --subject-pattern `^R01-` does not match",
            aim_file("recist_sample.xml").display()
        )
    );
    // Entity declarations are never expanded: the file is refused.
    let bomb = write(
        "bomb.xml",
        "<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY x \"xxxxxxxx\"><!ENTITY y \"&x;&x;&x;&x;\">]>\n<ImageAnnotationCollection/>\n",
    );
    assert!(
        refused_import(&db, &aim(&bomb, AimImport::default()))
            .to_string()
            .starts_with(&format!(
                "{}:2:1: malformed XML: DOCTYPE declarations are refused",
                bomb.display()
            ))
    );
    // Malformed JSON, a file of another kind, and one over the size limit.
    let json = write(
        "bad.json",
        "{\"ImageAnnotationCollection\": {\"person\": [}\n",
    );
    let err = refused_import(&db, &aim(&json, AimImport::default()));
    assert_eq!(err.code(), "E0418");
    assert!(
        err.to_string()
            .starts_with(&format!("{}:1:", json.display())),
        "{err}"
    );
    let template = aim_file("LungNoduleTemplate.xml");
    assert_eq!(
        refused_import(&db, &aim(&template, AimImport::default())).to_string(),
        format!(
            "{}: the root element is <TemplateContainer>; expected AIM (ImageAnnotationCollection or ImageAnnotation)",
            template.display()
        )
    );
    let huge = dir.path().join("huge.xml");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(rgdb::ingest::MAX_AIM_FILE_BYTES + 1)
        .unwrap();
    assert_eq!(
        refused_import(&db, &aim(&huge, AimImport::default())).to_string(),
        format!(
            "{}: the file is 67108865 bytes, over the limit of 67108864 bytes for one AIM file",
            huge.display()
        )
    );
    let empty = dir.path().join("empty_dir");
    std::fs::create_dir_all(&empty).unwrap();
    assert_eq!(
        refused_import(&db, &aim(&empty, AimImport::default())).to_string(),
        format!(
            "{}: no AIM annotations found (looked for *.xml and *.json files)",
            empty.display()
        )
    );

    // A directory with bad files fails whole …
    std::fs::copy(&broken, folder.join("broken.xml")).unwrap();
    std::fs::copy(&anonymous, folder.join("zz_anonymous.xml")).unwrap();
    let err = refused_import(&db, &aim(&folder, AimImport::default()));
    assert_eq!(err.code(), "E0422");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "{}: 2 of 6 files could not be imported, nothing was; the first: {}:3:",
            folder.display(),
            folder.join("broken.xml").display()
        )),
        "{text}"
    );
    assert!(
        text.ends_with("Pass --skip-bad (SKIP BAD) to import the others"),
        "{text}"
    );
    // … or, with --skip-bad, imports the good ones and lists the others with their reasons.
    let summary = db
        .import(&aim(&folder, AimImport::default().skipping_bad_files()))
        .unwrap();
    assert_eq!(summary.rows, 4);
    assert_eq!(summary.notes[0], "4 annotations from 4 files (2 skipped)");
    assert!(summary.notes[1].starts_with(&format!(
        "skipped {}: {}:3:",
        folder.join("broken.xml").display(),
        folder.join("broken.xml").display()
    )));
    assert!(summary.notes[2].contains("no subject for this annotation"));
    // The statement form takes the same options.
    db.query(&format!(
        "IMPORT AIM FROM '{}' TEMPLATE '{}' SKIP BAD AS semantic2",
        folder.display(),
        aim_file("LungNoduleTemplate.xml").display()
    ))
    .unwrap();
    assert_eq!(scalar_i64(&sql(&db, "SELECT count(*) FROM semantic2")), 4);
    let err = db
        .query(&format!(
            "IMPORT AIM FROM '{}' ALLOW MIXED SETTINGS",
            folder.display()
        ))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("IMPORT AIM does not take ALLOW MIXED SETTINGS"),
        "{err}"
    );
}

#[test]
fn the_bundled_folder_imports_with_its_own_template() {
    // `rgdb --db X --create import aim data/aim --template data/aim/LungNoduleTemplate.xml`:
    // the scan meets the template itself, which it skips.
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("x.rgdb");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_rgdb"))
        .current_dir(root())
        .args([
            "--db",
            db_path.to_str().unwrap(),
            "--create",
            "import",
            "aim",
        ])
        .args(["data/aim", "--template", "data/aim/LungNoduleTemplate.xml"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("note: 3 annotations from 3 files\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "note: skipped data/aim/LungNoduleTemplate.xml: it is the template the annotations are checked against\n"
        ),
        "{stdout}"
    );
    let db = Database::open(&db_path).unwrap();
    assert_eq!(
        rows(
            &db,
            "SELECT aim_format, count(*) FROM semantic GROUP BY aim_format ORDER BY aim_format"
        ),
        [["aim3", "1"], ["aim4", "2"]]
    );
}

#[test]
fn documents_that_are_not_aim_are_skipped_in_a_folder_with_a_note() {
    let (dir, db) = clinical_db();
    let folder = dir.path().join("annotations");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(aim_file("recist_sample.xml"), folder.join("a.xml")).unwrap();
    // Another kind of XML (the template under another name, a Maven pom), and a JSON file
    // that is not an annotation.
    std::fs::copy(aim_file("LungNoduleTemplate.xml"), folder.join("b.xml")).unwrap();
    std::fs::write(
        folder.join("pom.xml"),
        "<project><modelVersion>4.0.0</modelVersion></project>\n",
    )
    .unwrap();
    std::fs::write(
        folder.join("package.json"),
        "{\"name\": {\"first\": \"x\"}}\n",
    )
    .unwrap();
    std::fs::write(folder.join("list.json"), "[1, 2]\n").unwrap();
    let summary = db.import(&aim(&folder, AimImport::default())).unwrap();
    assert_eq!(summary.rows, 1);
    let shown = |name: &str| folder.join(name).display().to_string();
    assert_eq!(
        summary.notes,
        [
            "1 annotations from 1 files".to_string(),
            format!(
                "skipped {}: not an AIM document (its root element is <TemplateContainer>)",
                shown("b.xml")
            ),
            format!(
                "skipped {}: not an AIM document (its root is an array)",
                shown("list.json")
            ),
            format!(
                "skipped {}: not an AIM document (its root element is <name>)",
                shown("package.json")
            ),
            format!(
                "skipped {}: not an AIM document (its root element is <project>)",
                shown("pom.xml")
            ),
        ]
    );
    // Named alone, such a file is refused, as before.
    assert_eq!(
        refused_import(&db, &aim(&folder.join("pom.xml"), AimImport::default())).code(),
        "E0419"
    );
    // A folder of nothing but such files has no annotations.
    std::fs::remove_file(folder.join("a.xml")).unwrap();
    let err = refused_import(&db, &aim(&folder, AimImport::default()));
    assert_eq!(err.code(), "E0423");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: no AIM annotations found (looked for *.xml and *.json files; 4 were not AIM documents)",
            folder.display()
        )
    );
}

#[test]
fn a_json_file_is_read_as_json_whatever_it_holds() {
    let (dir, db) = clinical_db();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    // Malformed JSON: its own line and column, never "malformed XML".
    let unclosed = write("unclosed.json", "\n  [{\"ImageAnnotationCollection\": 1}\n");
    let err = refused_import(&db, &aim(&unclosed, AimImport::default()));
    assert_eq!(err.code(), "E0418");
    assert_eq!(
        err.to_string(),
        format!(
            "{}:3:1: malformed JSON: EOF while parsing a list",
            unclosed.display()
        )
    );
    let word = write("word.json", "ImageAnnotationCollection\n");
    let err = refused_import(&db, &aim(&word, AimImport::default()));
    assert_eq!(err.code(), "E0418");
    assert_eq!(
        err.to_string(),
        format!("{}:1:1: malformed JSON: expected value", word.display())
    );
    // Well-formed JSON that is not AIM JSON, located at its value.
    let list = write(
        "list.json",
        "\n\n   [{\"ImageAnnotationCollection\": {}}]\n",
    );
    let err = refused_import(&db, &aim(&list, AimImport::default()));
    assert_eq!(err.code(), "E0438");
    assert_eq!(
        err.to_string(),
        format!(
            "{}:3:4: not AIM JSON: the document is an array; AIM JSON is an object with one member that names the root, such as `ImageAnnotationCollection`",
            list.display()
        )
    );
    let two = write("two.json", "{\"a\": {}, \"b\": {}}");
    assert_eq!(
        refused_import(&db, &aim(&two, AimImport::default())).to_string(),
        format!(
            "{}:1:1: not AIM JSON: the document is an object with 2 members; AIM JSON is an object with one member that names the root, such as `ImageAnnotationCollection`",
            two.display()
        )
    );
    // A JSON body in a file named .xml is read as JSON too.
    let text = std::fs::read_to_string(aim_file("aimjson_testsegaim.json")).unwrap();
    let misnamed = write("seg.xml", &text);
    assert_eq!(
        db.import(&aim(&misnamed, AimImport::default()))
            .unwrap()
            .rows,
        1
    );
}

#[cfg(unix)]
#[test]
fn a_linked_folder_of_annotations_is_read() {
    let (dir, db) = clinical_db();
    let folder = dir.path().join("annotations");
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::copy(aim_file("recist_sample.xml"), folder.join("a.xml")).unwrap();
    std::fs::copy(
        aim_file("aim_v3_0022BaselineA.xml"),
        elsewhere.join("v3.xml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(&elsewhere, folder.join("more")).unwrap();
    std::os::unix::fs::symlink(&folder, elsewhere.join("back")).unwrap();
    let summary = db.import(&aim(&folder, AimImport::default())).unwrap();
    assert_eq!(summary.notes[0], "2 annotations from 2 files");
    assert_eq!(
        summary.notes[1],
        format!(
            "skipped {}: it links back to {}, which holds it (a loop)",
            folder.join("more/back").display(),
            folder.canonicalize().unwrap().display()
        )
    );
}

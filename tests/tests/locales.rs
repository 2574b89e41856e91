//! The message catalogues of the cashier (`crates/cashier/locales/*.json`)
//! and of the Pay widget (`crates/widget/locales/*.json`), one file per
//! language, edited by translators: in each set every language has every
//! key of English and no other, each with the same `{placeholders}`, and
//! the files are exactly the languages the pages offer.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use tender_e2e::tools::root;

fn catalogues(crate_dir: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let dir: PathBuf = root().join(crate_dir).join("locales");
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let language = path.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            let words = serde_json::from_str(&text).unwrap_or_else(|e| {
                panic!("{}: not a flat JSON object of strings: {e}", path.display())
            });
            (language, words)
        })
        .collect()
}

/// `tender_protocol::locale::LANGUAGES`, read from its source (the pages are
/// built for the browser; this test runs natively).
fn offered_languages() -> Vec<String> {
    let source = std::fs::read_to_string(root().join("crates/protocol/src/locale.rs")).unwrap();
    let line = source
        .lines()
        .find(|l| l.starts_with("pub const LANGUAGES"))
        .expect("the LANGUAGES constant");
    let list = line.split_once('=').unwrap().1;
    list.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The `{name}`s of a message.
fn placeholders(text: &str) -> BTreeSet<&str> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

/// Checks one set of catalogues; English has at least `least` messages.
fn complete(crate_dir: &str, least: usize) {
    let all = catalogues(crate_dir);
    let spoken: BTreeSet<&str> = all.keys().map(String::as_str).collect();
    let offered = offered_languages();
    let offered: BTreeSet<&str> = offered.iter().map(String::as_str).collect();
    assert_eq!(
        spoken, offered,
        "{crate_dir}: a catalogue per language offered, no other"
    );
    let english = &all["en"];
    assert!(
        english.len() >= least,
        "{crate_dir}: only {} English messages",
        english.len()
    );
    for (language, words) in &all {
        let missing: Vec<_> = english.keys().filter(|k| !words.contains_key(*k)).collect();
        let extra: Vec<_> = words.keys().filter(|k| !english.contains_key(*k)).collect();
        assert!(
            missing.is_empty(),
            "{crate_dir} {language} lacks {missing:?}"
        );
        assert!(
            extra.is_empty(),
            "{crate_dir} {language} has keys English does not: {extra:?}"
        );
        for (key, text) in words {
            assert!(
                !text.trim().is_empty(),
                "{crate_dir} {language} {key} is empty"
            );
            assert_eq!(
                placeholders(text),
                placeholders(&english[key]),
                "{crate_dir} {language} {key}: {text:?}"
            );
        }
    }
}

#[test]
fn every_language_of_the_cashier_has_every_key_with_the_same_placeholders() {
    complete("crates/cashier", 40);
}

#[test]
fn every_language_of_the_widget_has_every_key_with_the_same_placeholders() {
    complete("crates/widget", 10);
}

#[test]
fn the_placeholder_reader_reads_placeholders() {
    assert_eq!(
        placeholders("{have} of {need}")
            .into_iter()
            .collect::<Vec<_>>(),
        ["have", "need"]
    );
    assert!(placeholders("none").is_empty());
}

//! The code's shape, held as the README's design section describes it: no
//! module of any crate imports, directly or through others, a module that
//! imports it back; and no source file is over 400 lines unless its module
//! doc says why ("is long because ...").
//!
//! Imports are read from the source text: every `crate::...` path (use trees
//! included) and, in a folder's `mod.rs` or a crate root, the paths through
//! its own submodules. Each path counts as an edge to the deepest module it
//! names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 400;

/// A module by its path (`["chain", "watcher"]`); the crate root is empty.
type Module = Vec<String>;
/// Each module and the modules it refers to.
type Graph = BTreeMap<Module, BTreeSet<Module>>;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// Every crate's `src` folder.
fn source_roots() -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = std::fs::read_dir(workspace().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    roots.push(workspace().join("tests/src"));
    roots.sort();
    roots
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file under `src` (`checkout/mod.rs` is
/// `checkout`; the crate root is empty); `None` for a binary's `main.rs`
/// beside a `lib.rs`, which is its own crate.
fn module_of(src: &Path, file: &Path) -> Option<Vec<String>> {
    let relative = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    match last.as_str() {
        "lib.rs" if parts.is_empty() => {}
        "main.rs" if parts.is_empty() => {
            if src.join("lib.rs").exists() {
                return None;
            }
        }
        "mod.rs" => {}
        name => parts.push(name.trim_end_matches(".rs").to_owned()),
    }
    Some(parts)
}

/// The source without comments (doc links are not imports).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(at) if !l[..at].contains('"') => &l[..at],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Parses a path tree at the start of `text` (`a::b`, `a::{b, c::d}`,
/// `a::{self, B}`), prefixed with `base`, into full paths.
fn paths(text: &str, base: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let mut at = 0;
    let mut current = base;
    loop {
        let rest = &text[at..];
        let trimmed = rest.trim_start();
        at += rest.len() - trimmed.len();
        if let Some(inner) = trimmed.strip_prefix('{') {
            at += 1;
            let mut consumed = 0;
            loop {
                let used = paths(&inner[consumed..], current.clone(), out);
                consumed += used;
                let after = inner[consumed..].trim_start();
                consumed += inner[consumed..].len() - after.len();
                if after.starts_with(',') {
                    consumed += 1;
                    continue;
                }
                if after.starts_with('}') {
                    consumed += 1;
                }
                break;
            }
            return at + consumed;
        }
        let ident: String = trimmed.chars().take_while(|c| is_ident(*c)).collect();
        if ident.is_empty() {
            out.push(current);
            return at;
        }
        at += ident.len();
        if ident != "self" {
            current.push(ident);
        }
        if text[at..].starts_with("::") {
            at += 2;
        } else {
            out.push(current);
            return at;
        }
    }
}

/// The modules a file refers to.
fn references(
    module: &[String],
    is_folder: bool,
    source: &str,
    modules: &BTreeSet<Vec<String>>,
) -> BTreeSet<Vec<String>> {
    let source = code(source);
    let mut found = Vec::new();
    let mut starts = vec![("crate::".to_owned(), Vec::new())];
    if is_folder {
        // A folder (or the crate root) reaches its children by name.
        for child in modules
            .iter()
            .filter(|m| m.len() == module.len() + 1 && m.starts_with(module))
        {
            let name = child.last().unwrap().clone();
            starts.push((format!("{name}::"), child.clone()));
        }
    }
    for (needle, base) in starts {
        let mut from = 0;
        while let Some(pos) = source[from..].find(&needle) {
            let start = from + pos;
            from = start + needle.len();
            let before = source[..start].chars().next_back();
            if before.is_some_and(|c| is_ident(c) || c == ':') {
                continue; // part of a longer path or name
            }
            paths(&source[from..], base.clone(), &mut found);
        }
    }
    found
        .into_iter()
        .filter_map(|path| {
            (0..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|prefix| modules.contains(prefix))
        })
        .filter(|target| target != module)
        .collect()
}

/// One cycle through `graph`, if there is any.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &Vec<String>,
        graph: &Graph,
        marks: &mut BTreeMap<Vec<String>, Mark>,
        stack: &mut Vec<Vec<String>>,
    ) -> Option<Vec<String>> {
        marks.insert(node.clone(), Mark::Open);
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            match marks.get(next) {
                Some(Mark::Open) => {
                    let from = stack.iter().position(|n| n == next).unwrap();
                    let mut cycle: Vec<String> = stack[from..].iter().map(|m| name(m)).collect();
                    cycle.push(name(next));
                    return Some(cycle);
                }
                Some(Mark::Done) => {}
                None => {
                    if let Some(cycle) = visit(next, graph, marks, stack) {
                        return Some(cycle);
                    }
                }
            }
        }
        stack.pop();
        marks.insert(node.clone(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if !marks.contains_key(node) {
            let mut stack = Vec::new();
            if let Some(cycle) = visit(node, graph, &mut marks, &mut stack) {
                return Some(cycle);
            }
        }
    }
    None
}

fn name(module: &[String]) -> String {
    if module.is_empty() {
        "crate".to_owned()
    } else {
        module.join("::")
    }
}

/// Each crate's module graph.
fn graphs() -> Vec<(PathBuf, Graph)> {
    source_roots()
        .into_iter()
        .map(|src| {
            let mut files = Vec::new();
            rust_files(&src, &mut files);
            let modules: BTreeMap<Vec<String>, PathBuf> = files
                .into_iter()
                .filter_map(|f| module_of(&src, &f).map(|m| (m, f)))
                .collect();
            let names: BTreeSet<Vec<String>> = modules.keys().cloned().collect();
            let graph = modules
                .iter()
                .map(|(module, file)| {
                    let is_folder =
                        module.is_empty() || file.file_name().is_some_and(|n| n == "mod.rs");
                    let text = std::fs::read_to_string(file).unwrap();
                    (module.clone(), references(module, is_folder, &text, &names))
                })
                .collect();
            (src, graph)
        })
        .collect()
}

#[test]
fn no_module_imports_itself_back() {
    let graphs = graphs();
    let gateway = graphs
        .iter()
        .find(|(src, _)| src.ends_with("crates/gateway/src"))
        .expect("the gateway's sources");
    assert!(
        gateway.1.len() > 30,
        "the reader sees the gateway's modules ({} found)",
        gateway.1.len()
    );
    let watcher = ["chain", "watcher"].map(String::from).to_vec();
    assert!(
        gateway.1[&watcher].contains(["chain", "watcher", "scan"].map(String::from).as_slice()),
        "the reader sees a folder's use of its children"
    );
    for (src, graph) in &graphs {
        if let Some(cycle) = find_cycle(graph) {
            panic!("{}: an import cycle: {}", src.display(), cycle.join(" -> "));
        }
    }
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let module = |s: &str| s.split("::").map(String::from).collect::<Vec<_>>();
    let names: BTreeSet<Vec<String>> = ["a", "a::b", "c"].iter().map(|s| module(s)).collect();
    let mut graph = BTreeMap::new();
    graph.insert(
        module("a"),
        references(&module("a"), true, "use b::X;", &names),
    );
    graph.insert(
        module("a::b"),
        references(&module("a::b"), false, "use crate::{c::{self, Y}};", &names),
    );
    graph.insert(
        module("c"),
        references(
            &module("c"),
            false,
            "fn f() { crate::a::g() } // crate::z",
            &names,
        ),
    );
    assert_eq!(
        find_cycle(&graph).map(|c| c.join(" -> ")).as_deref(),
        Some("a -> a::b -> c -> a")
    );
    graph.insert(module("c"), BTreeSet::new());
    assert_eq!(find_cycle(&graph), None);
}

#[test]
fn long_files_say_why() {
    let mut offenders = Vec::new();
    for src in source_roots() {
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let lines = text.lines().count();
            let doc: String = text
                .lines()
                .take_while(|l| l.starts_with("//!") || l.trim().is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            if lines > MAX_LINES && !doc.contains("is long because") {
                offenders.push(format!("{} ({lines} lines)", file.display()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "files over {MAX_LINES} lines whose module doc does not say why it \"is long because\": {offenders:#?}"
    );
}

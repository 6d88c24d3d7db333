//! Data sets as shipped: the repository's MNIST subset and the shared UCI tables.

use lgn_runtime::data::{self, Split};

#[test]
fn mnist10k_ships_with_the_repository() {
    let train = data::load("mnist10k", Split::Train).unwrap();
    let test = data::load("mnist10k", Split::Test).unwrap();
    assert_eq!((train.len(), test.len()), (8000, 2000));
    assert_eq!(train.shape, vec![1, 28, 28]);
    assert_eq!(train.classes, 10);
    // Real digits: mostly dark background with some bright strokes.
    let data::Features::U8(px) = &test.x else { panic!("images are bytes") };
    let bright = px.iter().filter(|&&p| p > 127).count() as f64 / px.len() as f64;
    assert!((0.05..0.3).contains(&bright), "fraction of bright pixels {bright}");
}

#[test]
fn uci_tables_split_80_20() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/uci");
    if !dir.exists() {
        eprintln!("skipping: {} not present", dir.display());
        return;
    }
    let train = data::load("iris", Split::Train).unwrap();
    let test = data::load("iris", Split::Test).unwrap();
    assert_eq!((train.len(), test.len(), train.features(), train.classes), (120, 30, 4, 3));
    let digits = data::load("digits", Split::Test).unwrap();
    assert_eq!(digits.features(), 64);
    let bc = data::load("breast-cancer", Split::Train).unwrap();
    assert_eq!(bc.features(), 30);
}

#[test]
fn unknown_names_and_paths_are_clear_errors() {
    let e = data::load("no-such-set", Split::Test).unwrap_err().to_string();
    assert!(e.contains("no-such-set") && e.contains("mnist10k"), "{e}");
}

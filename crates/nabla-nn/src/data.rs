//! Tabular data: CSV loading with a label column, targets for classification or regression,
//! standardisation, seeded train/test splits.

use std::io::Read;
use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::error::{NnError, Result};
use crate::tensor::Tensor;

/// A CSV file read as numeric features plus, optionally, a label column kept as text.
#[derive(Clone, Debug)]
pub struct Table {
    pub feature_names: Vec<String>,
    /// `[rows, feature_names.len()]`.
    pub features: Tensor,
    pub label: Option<LabelColumn>,
    /// Where the table came from, for error messages.
    pub source: PathBuf,
}

/// The raw cells of the label column, with the line each came from.
#[derive(Clone, Debug)]
pub struct LabelColumn {
    pub name: String,
    pub values: Vec<String>,
    pub lines: Vec<u64>,
}

impl LabelColumn {
    /// The labels as numbers (regression targets); errors name the offending line.
    pub fn numbers(&self, source: &Path) -> Result<Vec<f32>> {
        self.values
            .iter()
            .zip(&self.lines)
            .map(|(v, &line)| {
                parse_number(v).map_err(|detail| NnError::Csv {
                    path: source.to_path_buf(),
                    line,
                    column: Some(self.name.clone()),
                    detail,
                })
            })
            .collect()
    }
}

/// Reads a CSV file with a header row. Every column except `label` must hold numbers.
///
/// Errors name the file, line and column: an empty file, an unknown label column, a row with
/// the wrong number of fields, a cell that is not a finite number.
pub fn load_csv(path: &Path, label: Option<&str>) -> Result<Table> {
    let file = std::fs::File::open(path).map_err(|source| NnError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_csv(file, path, label)
}

/// [`load_csv`] from any reader; `source` is only used in error messages.
///
/// ```
/// use nabla_nn::read_csv;
/// let csv = "a,b,kind\n1,2,cat\n3,4,dog\n";
/// let table = read_csv(csv.as_bytes(), "pets.csv".as_ref(), Some("kind"))?;
/// assert_eq!(table.features.data(), &[1., 2., 3., 4.]);
/// assert_eq!(table.label.unwrap().values, vec!["cat", "dog"]);
/// let err = read_csv("a,b\n1,x\n".as_bytes(), "bad.csv".as_ref(), None).unwrap_err();
/// assert_eq!(err.to_string(), "bad.csv:2 column `b`: `x` is not a number");
/// # Ok::<(), nabla_nn::NnError>(())
/// ```
pub fn read_csv(reader: impl Read, source: &Path, label: Option<&str>) -> Result<Table> {
    let error = |line: u64, column: Option<&str>, detail: String| NnError::Csv {
        path: source.to_path_buf(),
        line,
        column: column.map(str::to_string),
        detail,
    };
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let header = csv
        .headers()
        .map_err(|e| error(1, None, e.to_string()))?
        .clone();
    if header.is_empty() || header.iter().all(str::is_empty) {
        return Err(error(1, None, "empty file: no header row".into()));
    }
    let label_index = match label {
        None => None,
        Some(name) => Some(header.iter().position(|h| h == name).ok_or_else(|| {
            error(
                1,
                Some(name),
                format!(
                    "no such label column; the columns are {}",
                    header.iter().collect::<Vec<_>>().join(", ")
                ),
            )
        })?),
    };
    let feature_names: Vec<String> = header
        .iter()
        .enumerate()
        .filter(|&(i, _)| Some(i) != label_index)
        .map(|(_, h)| h.to_string())
        .collect();

    let mut data = Vec::new();
    let mut label_column = label.map(|name| LabelColumn {
        name: name.to_string(),
        values: Vec::new(),
        lines: Vec::new(),
    });
    let mut record = csv::StringRecord::new();
    let mut rows = 0;
    loop {
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(error(line, None, e.to_string()));
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != header.len() {
            return Err(error(
                line,
                None,
                format!(
                    "row has {} fields but the header has {}",
                    record.len(),
                    header.len()
                ),
            ));
        }
        for (i, cell) in record.iter().enumerate() {
            if Some(i) == label_index {
                if let Some(col) = label_column.as_mut() {
                    col.values.push(cell.to_string());
                    col.lines.push(line);
                }
                continue;
            }
            let value =
                parse_number(cell).map_err(|detail| error(line, Some(&header[i]), detail))?;
            data.push(value);
        }
        rows += 1;
    }
    if rows == 0 {
        return Err(error(1, None, "no data rows after the header".into()));
    }
    Ok(Table {
        features: Tensor::new(&[rows, feature_names.len()], data)?,
        feature_names,
        label: label_column,
        source: source.to_path_buf(),
    })
}

fn parse_number(cell: &str) -> std::result::Result<f32, String> {
    match cell.parse::<f32>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(v) => Err(format!("`{cell}` is {v}, not a finite number")),
        Err(_) if cell.is_empty() => Err("empty cell".into()),
        Err(_) => Err(format!("`{cell}` is not a number")),
    }
}

/// What the label column means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Task {
    /// Regression when every label is a number and some label has a fractional part or there
    /// are more than [`MAX_AUTO_CLASSES`] distinct values; classification otherwise.
    #[default]
    Auto,
    Classification,
    Regression,
}

/// The most distinct integer labels [`Task::Auto`] still takes for classes.
pub const MAX_AUTO_CLASSES: usize = 32;

fn distinct(values: &[f64]) -> usize {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v.dedup();
    v.len()
}

/// Training targets derived from a label column.
#[derive(Clone, Debug, PartialEq)]
pub enum Targets {
    /// `indices[i]` is the position of row `i`'s label in `names`.
    Classes {
        indices: Vec<usize>,
        names: Vec<String>,
    },
    Values(Vec<f32>),
}

impl Targets {
    /// Targets for `task`. Classes are discovered from the data and sorted (numerically when
    /// every label is a number).
    ///
    /// ```
    /// use nabla_nn::{LabelColumn, Targets, Task};
    /// let col = LabelColumn { name: "y".into(), values: vec!["10".into(), "9".into(), "10".into()],
    ///                         lines: vec![2, 3, 4] };
    /// let t = Targets::from_column(&col, Task::Auto, "f.csv".as_ref())?;
    /// assert_eq!(t, Targets::Classes { indices: vec![1, 0, 1], names: vec!["9".into(), "10".into()] });
    /// # Ok::<(), nabla_nn::NnError>(())
    /// ```
    pub fn from_column(column: &LabelColumn, task: Task, source: &Path) -> Result<Targets> {
        let numbers: Option<Vec<f64>> = column.values.iter().map(|v| v.parse().ok()).collect();
        let task = match task {
            Task::Auto => match &numbers {
                Some(ns)
                    if ns.iter().any(|v| v.fract() != 0.0) || distinct(ns) > MAX_AUTO_CLASSES =>
                {
                    Task::Regression
                }
                _ => Task::Classification,
            },
            other => other,
        };
        if task == Task::Regression {
            return column.numbers(source).map(Targets::Values);
        }
        let numeric = numbers.is_some();
        let mut names: Vec<String> = column.values.clone();
        names.sort_by(|a, b| cmp_labels(a, b, numeric));
        names.dedup();
        let indices = column
            .values
            .iter()
            .map(|v| names.binary_search_by(|n| cmp_labels(n, v, numeric)))
            .map(|r| r.expect("every value is among the names"))
            .collect();
        Ok(Targets::Classes { indices, names })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Targets::Classes { indices, .. } => indices.len(),
            Targets::Values(v) => v.len(),
        }
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The targets of rows `rows`, in that order.
    pub fn select(&self, rows: &[usize]) -> Targets {
        match self {
            Targets::Classes { indices, names } => Targets::Classes {
                indices: rows.iter().map(|&r| indices[r]).collect(),
                names: names.clone(),
            },
            Targets::Values(v) => Targets::Values(rows.iter().map(|&r| v[r]).collect()),
        }
    }
}

/// The order of class names: by value when every label is a number (ties by text), else by text.
fn cmp_labels(a: &str, b: &str, numeric: bool) -> std::cmp::Ordering {
    if numeric {
        let (x, y): (f64, f64) = (a.parse().unwrap_or(0.0), b.parse().unwrap_or(0.0));
        x.total_cmp(&y).then_with(|| a.cmp(b))
    } else {
        a.cmp(b)
    }
}

/// Per-column shift and scale to zero mean and unit variance, fitted on training data only.
#[derive(Clone, Debug, PartialEq)]
pub struct Standardizer {
    pub mean: Vec<f32>,
    /// Population standard deviations; constant columns get 1 so they map to 0.
    pub std: Vec<f32>,
}

impl Standardizer {
    /// Column statistics of a `[rows, columns]` matrix with at least one row.
    ///
    /// ```
    /// use nabla_nn::{Standardizer, Tensor};
    /// let train = Tensor::matrix(2, 2, vec![1., 5., 3., 5.])?;
    /// let s = Standardizer::fit(&train)?;
    /// let mut test = Tensor::matrix(1, 2, vec![4., 7.])?;
    /// s.apply(&mut test)?;
    /// assert_eq!(test.data(), &[2., 2.]);
    /// # Ok::<(), nabla_nn::NnError>(())
    /// ```
    pub fn fit(x: &Tensor) -> Result<Standardizer> {
        let (rows, cols) = x.dims2("Standardizer::fit")?;
        if rows == 0 {
            return Err(NnError::invalid("Standardizer::fit", "no rows"));
        }
        let mut mean = vec![0.0f64; cols];
        let mut sq = vec![0.0f64; cols];
        for row in x.data().chunks(cols) {
            for (j, &v) in row.iter().enumerate() {
                mean[j] += f64::from(v);
                sq[j] += f64::from(v) * f64::from(v);
            }
        }
        let n = rows as f64;
        let std = mean
            .iter()
            .zip(&sq)
            .map(|(s, q)| {
                let var = (q / n - (s / n).powi(2)).max(0.0);
                if var > 1e-12 { var.sqrt() as f32 } else { 1.0 }
            })
            .collect();
        Ok(Standardizer {
            mean: mean.iter().map(|s| (s / n) as f32).collect(),
            std,
        })
    }

    /// Standardises `x` in place; its column count must match.
    pub fn apply(&self, x: &mut Tensor) -> Result<()> {
        let (_, cols) = x.dims2("Standardizer::apply")?;
        if cols != self.mean.len() {
            return Err(NnError::shape(
                "Standardizer::apply",
                x.shape(),
                &[self.mean.len()],
                "column counts differ",
            ));
        }
        if cols > 0 {
            for row in x.data_mut().chunks_mut(cols) {
                for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                    *v = (*v - m) / s;
                }
            }
        }
        Ok(())
    }
}

/// Shuffled row indices split into `(train, test)`, `ceil(rows · test_fraction)` of them for test
/// (as scikit-learn's `train_test_split`). Both parts must be non-empty.
pub fn train_test_split(
    rows: usize,
    test_fraction: f32,
    seed: u64,
) -> Result<(Vec<usize>, Vec<usize>)> {
    if !(0.0..1.0).contains(&test_fraction) {
        return Err(NnError::Config(format!(
            "test fraction {test_fraction} is not in [0, 1)"
        )));
    }
    // The tolerance absorbs f32 rounding (0.2f32 is slightly above 0.2).
    let n_test = (rows as f64 * f64::from(test_fraction) - 1e-6).ceil() as usize;
    if n_test >= rows {
        return Err(NnError::Config(format!(
            "{rows} rows are too few to hold out a test fraction of {test_fraction}"
        )));
    }
    let mut order: Vec<usize> = (0..rows).collect();
    order.shuffle(&mut StdRng::seed_from_u64(seed));
    let train = order.split_off(n_test);
    Ok((train, order))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, label: Option<&str>) -> Result<Table> {
        read_csv(text.as_bytes(), Path::new("t.csv"), label)
    }

    #[test]
    fn errors_carry_line_and_column() {
        let cases = [
            ("", None, "t.csv:1: empty file: no header row"),
            ("a,b\n", None, "t.csv:1: no data rows after the header"),
            (
                "a,b\n1,2\n3\n",
                None,
                "t.csv:3: row has 1 fields but the header has 2",
            ),
            ("a,b\n1,2\n3,\n", None, "t.csv:3 column `b`: empty cell"),
            (
                "a,b\n1,inf\n",
                None,
                "t.csv:2 column `b`: `inf` is inf, not a finite number",
            ),
        ];
        for (text, label, want) in cases {
            assert_eq!(read(text, label).unwrap_err().to_string(), want);
        }
        let err = read("a,b\n1,2\n", Some("c")).unwrap_err().to_string();
        assert_eq!(
            err,
            "t.csv:1 column `c`: no such label column; the columns are a, b"
        );
    }

    #[test]
    fn label_column_anywhere() {
        let t = read("y,a,b\n1,2,3\n0,4,5\n", Some("y")).unwrap();
        assert_eq!(t.feature_names, vec!["a", "b"]);
        assert_eq!(t.features.data(), &[2., 3., 4., 5.]);
        assert_eq!(t.label.unwrap().lines, vec![2, 3]);
    }

    #[test]
    fn targets_by_task() {
        let col = |vals: &[&str]| LabelColumn {
            name: "y".into(),
            values: vals.iter().map(|s| s.to_string()).collect(),
            lines: (2..2 + vals.len() as u64).collect(),
        };
        let p = Path::new("t.csv");
        assert_eq!(
            Targets::from_column(&col(&["b", "a", "b"]), Task::Auto, p).unwrap(),
            Targets::Classes {
                indices: vec![1, 0, 1],
                names: vec!["a".into(), "b".into()]
            }
        );
        assert_eq!(
            Targets::from_column(&col(&["0.5", "2"]), Task::Auto, p).unwrap(),
            Targets::Values(vec![0.5, 2.0])
        );
        let many: Vec<String> = (0..40).map(|i| i.to_string()).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(matches!(
            Targets::from_column(&col(&many), Task::Auto, p).unwrap(),
            Targets::Values(_)
        ));
        assert!(matches!(
            Targets::from_column(&col(&many), Task::Classification, p).unwrap(),
            Targets::Classes { .. }
        ));
        let err = Targets::from_column(&col(&["1", "x"]), Task::Regression, p).unwrap_err();
        assert_eq!(err.to_string(), "t.csv:3 column `y`: `x` is not a number");
    }

    #[test]
    fn split_is_seeded_disjoint_and_complete() {
        let (train, test) = train_test_split(10, 0.2, 3).unwrap();
        assert_eq!((train.len(), test.len()), (8, 2));
        let mut all: Vec<usize> = train.iter().chain(&test).copied().collect();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_eq!(train_test_split(10, 0.2, 3).unwrap(), (train, test));
        assert_ne!(
            train_test_split(10, 0.2, 4).unwrap().1,
            train_test_split(10, 0.2, 3).unwrap().1
        );
        assert!(train_test_split(1, 0.2, 0).is_err());
    }

    #[test]
    fn standardizer_handles_constant_columns() {
        let x = Tensor::matrix(3, 2, vec![1., 7., 2., 7., 3., 7.]).unwrap();
        let s = Standardizer::fit(&x).unwrap();
        let mut y = x.clone();
        s.apply(&mut y).unwrap();
        assert!(y.data().iter().all(|v| v.is_finite()));
        assert_eq!(y.data()[1], 0.0);
        assert!(s.apply(&mut Tensor::zeros(&[1, 3])).is_err());
    }
}

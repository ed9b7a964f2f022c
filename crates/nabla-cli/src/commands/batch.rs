//! `nabla batch`: JSON Lines in, JSON Lines out, one answer per request in the same order.
//!
//! A malformed line gets an `{"error": ...}` line and the batch goes on. Answers are streamed:
//! output is flushed whenever no more input is waiting, so an interactive client gets each answer
//! at once and a piped file is written in large blocks.

use std::io::{BufRead, BufWriter, Write};

use clap::Args;
use nabla::Store;
use nabla::print::to_text;
use serde::Deserialize;

use crate::failure::Failure;

/// Answer differentiation requests, one JSON object per line:
/// `{"expr": "x^2*y", "wrt": ["x", "y"]}` → `{"result": "2*x"}` or `{"error": "..."}`.
#[derive(Args)]
pub struct BatchArgs {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    expr: String,
    #[serde(default)]
    wrt: Vec<String>,
}

/// Past this many stored nodes the store is started afresh, so a long batch keeps bounded memory.
const STORE_LIMIT: usize = 4_000_000;

pub fn run(_args: BatchArgs) -> Result<(), Failure> {
    let mut input = std::io::BufReader::with_capacity(1 << 16, std::io::stdin().lock());
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut store = Store::new();
    let mut line = Vec::new();
    let io_error = |e: std::io::Error| Failure::failed(format!("error: {e}"));
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line).map_err(io_error)? == 0 {
            break;
        }
        if store.len() > STORE_LIMIT {
            store = Store::new();
        }
        let answer = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            answer(&mut store, &line)
        })) {
            Ok(answer) => answer,
            Err(payload) => {
                // The store may hold a half-built result; the next request starts afresh.
                store = Store::new();
                Err(match payload.downcast_ref::<nabla::store::TooLarge>() {
                    Some(too_large) => too_large.to_string(),
                    None => {
                        "internal error while answering this request (please report it)".to_string()
                    }
                })
            }
        };
        let reply = match answer {
            Ok(result) => serde_json::json!({ "result": result }),
            Err(error) => serde_json::json!({ "error": error }),
        };
        serde_json::to_writer(&mut out, &reply)
            .map_err(|e| Failure::failed(format!("error: {e}")))?;
        out.write_all(b"\n").map_err(io_error)?;
        if input.buffer().is_empty() {
            out.flush().map_err(io_error)?;
        }
    }
    out.flush().map_err(io_error)?;
    Ok(())
}

fn answer(store: &mut Store, line: &[u8]) -> Result<String, String> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let request: Request =
        serde_json::from_slice(line).map_err(|e| format!("malformed request: {e}"))?;
    let f = nabla::parse(store, &request.expr).map_err(|e| e.render(&request.expr))?;
    let mut vars = Vec::with_capacity(request.wrt.len());
    for v in &request.wrt {
        if !crate::input::is_variable_name(v) {
            return Err(format!("`{v}` is not a variable name"));
        }
        vars.push(store.symbol_id(v));
    }
    let d = store.diff_many(f, &vars);
    Ok(to_text(store, d))
}

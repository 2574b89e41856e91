//! The parts' log lines: printed into the test's output (shown when it
//! fails) and kept, so a test can check what the operator is told and when.

use std::io::{self, Write};
use std::sync::Mutex;

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Where the tests' log subscriber writes.
pub struct Tee;

impl Write for Tee {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        // `print!`, not stdout: the test harness captures it per test.
        print!("{text}");
        LINES
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(text.lines().map(str::to_owned));
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Every line logged so far by any part in this test process, oldest first.
pub fn lines() -> Vec<String> {
    LINES.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

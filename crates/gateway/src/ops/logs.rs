//! Where log lines go: a thread of their own writes them, so a request's
//! thread never waits on the log file. Under a flood of creates each line
//! was a `write` to the file from the request's thread, about one
//! twentieth of those threads' time; the log thread writes whatever lines
//! have come since its last write in one, at most 10 ms after the first
//! of them was logged.
//! The queue is bounded: a log thread that falls behind makes loggers wait
//! (as writing themselves did), and no line is dropped.

use std::io::Write;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// Lines waiting for the log thread, at most (a few hundred KB).
const WAITING: usize = 2048;
/// The log thread's pause after each write: the longest a line waits to
/// be written while lines keep coming.
const PAUSE: Duration = Duration::from_millis(10);

/// The log thread's end of the lines; [`finish`](Self::finish) it before
/// the process ends, so no line is left unwritten.
pub struct Lines {
    sender: Mutex<Option<SyncSender<Vec<u8>>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Lines {
    /// Starts the thread that writes lines to `out`.
    pub fn to(out: impl Write + Send + 'static) -> std::io::Result<Self> {
        let (sender, lines) = sync_channel(WAITING);
        let thread = std::thread::Builder::new()
            .name("logs".into())
            .spawn(move || write_all(lines, out))?;
        Ok(Self {
            sender: Mutex::new(Some(sender)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Writes every line sent so far and ends the thread; lines logged
    /// after this go straight to stderr.
    pub fn finish(&self) {
        drop(self.sender.lock().map(|mut sender| sender.take()));
        if let Some(thread) = self.thread.lock().ok().and_then(|mut t| t.take()) {
            let _ = thread.join();
        }
    }

    fn send(&self, line: Vec<u8>) {
        let sender = self.sender.lock().ok().and_then(|sender| sender.clone());
        let unsent = match sender {
            Some(sender) => match sender.try_send(line) {
                Ok(()) => return,
                // Behind: wait for room, as a write to the file would.
                Err(TrySendError::Full(line)) => match sender.send(line) {
                    Ok(()) => return,
                    Err(gone) => gone.0,
                },
                Err(TrySendError::Disconnected(line)) => line,
            },
            None => line,
        };
        let _ = std::io::stderr().write_all(&unsent);
    }
}

/// The log thread: a line, with every other already waiting, in one
/// write; then a pause, so the lines logged meanwhile wait in the queue
/// without waking it (only an idle thread, waiting for a line, is woken
/// by one: woken for each, with both cores busy, it cost more than the
/// writes it saved).
fn write_all(lines: Receiver<Vec<u8>>, out: impl Write) {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
    while let Ok(line) = lines.recv() {
        let _ = out.write_all(&line);
        while let Ok(line) = lines.try_recv() {
            let _ = out.write_all(&line);
        }
        let _ = out.flush();
        std::thread::sleep(PAUSE);
    }
}

/// One event's line, sent to the log thread whole when the formatter is
/// done with it (lines of two threads never mix).
pub struct Line<'a> {
    lines: &'a Lines,
    text: Vec<u8>,
}

impl Write for Line<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.text.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line<'_> {
    fn drop(&mut self) {
        if !self.text.is_empty() {
            self.lines.send(std::mem::take(&mut self.text));
        }
    }
}

impl<'a> MakeWriter<'a> for Lines {
    type Writer = Line<'a>;

    fn make_writer(&'a self) -> Line<'a> {
        Line {
            lines: self,
            text: Vec::with_capacity(256),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::fmt::MakeWriter;

    use super::Lines;

    /// A file stand-in: what was written.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_is_written_whole_and_in_order_by_the_finish() {
        let sink = Sink::default();
        let lines = Arc::new(Lines::to(sink.clone()).unwrap());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let lines = lines.clone();
                std::thread::spawn(move || {
                    for i in 0..5_000 {
                        let mut line = lines.make_writer();
                        // A formatter may write a line in pieces.
                        write!(line, "thread {t} ").unwrap();
                        writeln!(line, "line {i}").unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        lines.finish();
        let text = sink.0.lock().unwrap().clone();
        let text = String::from_utf8(text).unwrap();
        let mut next = [0; 4];
        for line in text.lines() {
            let (t, i) = line
                .strip_prefix("thread ")
                .and_then(|rest| rest.split_once(" line "))
                .unwrap_or_else(|| panic!("a line mixed with another: {line:?}"));
            let t: usize = t.parse().unwrap();
            assert_eq!(
                i.parse::<i32>().unwrap(),
                next[t],
                "thread {t}'s lines in order"
            );
            next[t] += 1;
        }
        assert_eq!(next, [5_000; 4], "no line lost");
    }

    #[test]
    fn a_line_after_the_finish_is_not_lost_on_a_closed_queue() {
        let sink = Sink::default();
        let lines = Lines::to(sink.clone()).unwrap();
        writeln!(lines.make_writer(), "before").unwrap();
        lines.finish();
        // Goes to stderr now; the sink has what came before, and this
        // does not block or panic.
        writeln!(lines.make_writer(), "after").unwrap();
        lines.finish();
        assert_eq!(*sink.0.lock().unwrap(), b"before\n");
    }
}

//! Reading Server-Sent Events from a response, message by message.

/// One message: its `id`, `event` and `data` fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
}

/// Messages of a stream as its bytes arrive.
pub struct Reader {
    response: reqwest::Response,
    buffer: String,
}

impl Reader {
    pub fn new(response: reqwest::Response) -> Self {
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next message with data (keep-alive comments skipped); `None` when
    /// the stream ends.
    pub async fn next(&mut self) -> anyhow::Result<Option<Message>> {
        loop {
            if let Some(message) = self.take() {
                if message.data.is_empty() {
                    continue;
                }
                return Ok(Some(message));
            }
            match self.response.chunk().await? {
                Some(bytes) => self
                    .buffer
                    .push_str(&String::from_utf8_lossy(&bytes).replace("\r\n", "\n")),
                None => return Ok(None),
            }
        }
    }

    fn take(&mut self) -> Option<Message> {
        let end = self.buffer.find("\n\n")?;
        let block: String = self.buffer.drain(..end + 2).collect();
        Some(parse(&block))
    }
}

/// One message's lines.
pub fn parse(block: &str) -> Message {
    let mut message = Message {
        id: None,
        event: None,
        data: String::new(),
    };
    for line in block.lines() {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "id" => message.id = Some(value.to_owned()),
            "event" => message.event = Some(value.to_owned()),
            "data" => {
                if !message.data.is_empty() {
                    message.data.push('\n');
                }
                message.data.push_str(value);
            }
            _ => {}
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_multi_line_data_are_read_and_comments_skipped() {
        let m = parse("id: evt_1\nevent: session.paid\ndata: {\"a\":\ndata: 1}\n\n");
        assert_eq!(m.id.as_deref(), Some("evt_1"));
        assert_eq!(m.event.as_deref(), Some("session.paid"));
        assert_eq!(m.data, "{\"a\":\n1}");
        assert_eq!(parse(":\n\n").data, "");
    }
}

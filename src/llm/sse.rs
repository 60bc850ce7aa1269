//! Server-sent events, as chat-completions servers stream them: bytes in, one `data`
//! payload per event out. The parser is incremental — a line, a UTF-8 character or a
//! CRLF may be split between network chunks — and reuses its buffers, so a long reply
//! costs no allocation per token here. It knows nothing of JSON or of models.

/// An SSE stream being read.
#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes of an unfinished line.
    line: Vec<u8>,
    /// The last byte was a CR: a following LF belongs to the same line break.
    after_cr: bool,
    /// `data` lines of the current event, joined with `\n`.
    data: String,
    has_data: bool,
    /// The current event's `event` field.
    event: String,
}

/// Why the bytes are not an SSE stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    #[error("事件流里有不是 UTF-8 的字节")]
    NotUtf8,
    #[error("事件流的一行超过 {0} 字节")]
    LineTooLong(usize),
}

/// Longest line accepted: a chunk with one token is a few hundred bytes; a stream that
/// never sends a line break is not SSE, and must not grow memory without bound.
const MAX_LINE: usize = 1 << 20;

impl SseParser {
    /// Feed received bytes; `on_event(event_name, data)` is called for each complete
    /// event and may stop the parse by returning `false` (the rest is not read).
    /// Returns `Ok(false)` when stopped.
    pub fn feed(
        &mut self,
        bytes: &[u8],
        on_event: &mut dyn FnMut(&str, &str) -> bool,
    ) -> Result<bool, SseError> {
        for &b in bytes {
            if self.after_cr {
                self.after_cr = false;
                if b == b'\n' {
                    continue;
                }
            }
            match b {
                b'\n' | b'\r' => {
                    self.after_cr = b == b'\r';
                    if !self.end_line(on_event)? {
                        return Ok(false);
                    }
                }
                _ => {
                    if self.line.len() >= MAX_LINE {
                        return Err(SseError::LineTooLong(MAX_LINE));
                    }
                    self.line.push(b);
                }
            }
        }
        Ok(true)
    }

    /// Whether the stream stopped in the middle of an event (data not yet dispatched,
    /// or a line without its line break): a truncated stream.
    pub fn has_partial_event(&self) -> bool {
        self.has_data || !self.line.is_empty()
    }

    fn end_line(&mut self, on_event: &mut dyn FnMut(&str, &str) -> bool) -> Result<bool, SseError> {
        let line = std::str::from_utf8(&self.line).map_err(|_| SseError::NotUtf8)?;
        if line.is_empty() {
            let go_on = if self.has_data {
                on_event(&self.event, &self.data)
            } else {
                true
            };
            self.data.clear();
            self.event.clear();
            self.has_data = false;
            self.line.clear();
            return Ok(go_on);
        }
        // A comment (`: keep-alive`) or a field; a line without a colon is a field with
        // an empty value. Unknown fields are ignored, as the SSE standard says.
        if !line.starts_with(':') {
            let (field, value) = match line.split_once(':') {
                Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
                None => (line, ""),
            };
            match field {
                "data" => {
                    if self.has_data {
                        self.data.push('\n');
                    }
                    self.data.push_str(value);
                    self.has_data = true;
                }
                "event" => {
                    self.event.clear();
                    self.event.push_str(value);
                }
                _ => {}
            }
        }
        self.line.clear();
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(chunks: &[&[u8]]) -> Result<(Vec<(String, String)>, bool), SseError> {
        let mut p = SseParser::default();
        let mut out = Vec::new();
        for c in chunks {
            p.feed(c, &mut |e, d| {
                out.push((e.to_string(), d.to_string()));
                true
            })?;
        }
        Ok((out, p.has_partial_event()))
    }

    #[test]
    fn events_survive_any_split() {
        let stream = "data: {\"a\":\"你好\"}\r\n\r\n: keep-alive\n\nevent: error\ndata: x\ndata: y\n\ndata:[DONE]\n\n";
        let bytes = stream.as_bytes();
        let whole = events(&[bytes]).unwrap();
        assert_eq!(
            whole.0,
            vec![
                (String::new(), "{\"a\":\"你好\"}".to_string()),
                ("error".to_string(), "x\ny".to_string()),
                (String::new(), "[DONE]".to_string()),
            ]
        );
        assert!(!whole.1);
        for cut in 1..bytes.len() {
            assert_eq!(
                events(&[&bytes[..cut], &bytes[cut..]]).unwrap(),
                whole,
                "cut {cut}"
            );
        }
    }

    #[test]
    fn garbage_lines_are_ignored_and_truncation_is_visible() {
        let (ev, partial) =
            events(&[b"garbage\nHTTP nonsense: 1\n\ndata: ok\n\ndata: half"]).unwrap();
        assert_eq!(ev, vec![(String::new(), "ok".to_string())]);
        assert!(partial);
        assert_eq!(
            events(&[b"data: \xff\xfe\n\n"]).unwrap_err(),
            SseError::NotUtf8
        );
    }

    #[test]
    fn a_stop_stops() {
        let mut p = SseParser::default();
        let mut seen = 0;
        let go_on = p
            .feed(b"data: 1\n\ndata: 2\n\n", &mut |_, _| {
                seen += 1;
                false
            })
            .unwrap();
        assert!(!go_on);
        assert_eq!(seen, 1);
    }
}

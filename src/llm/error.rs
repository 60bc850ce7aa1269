//! What can go wrong talking to a model server, one kind per thing a caller or a user
//! does differently. Every message is one Chinese line that says what to do next, and
//! is built from values that cannot hold the API key: server bodies are cleaned,
//! shortened and redacted before they get here.

use std::time::Duration;

/// A failed request or reply.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LlmError {
    #[error("连不上 {server}：服务没有启动？（{detail}）")]
    Connect { server: String, detail: String },

    #[error("{secs} 秒内没有连上 {server}：地址和端口对吗？")]
    ConnectTimeout { server: String, secs: f64 },

    #[error("服务 {secs} 秒没有回应{}：模型太慢或服务卡住了，可以用 --timeout 放宽", if *.partial { "（回复说到一半）" } else { "" })]
    ReadTimeout { secs: f64, partial: bool },

    #[error("服务 {secs} 秒内没有说完一句{}：模型太慢、服务卡住不回话或在一点点地吐字，可以用 --reply-timeout 放宽", if *.partial { "（回复说到一半）" } else { "" })]
    Deadline { secs: f64, partial: bool },

    #[error("服务限流（HTTP 429）{}：{message}", retry_hint(.retry_after))]
    RateLimited {
        retry_after: Option<Duration>,
        message: String,
    },

    #[error(
        "服务拒绝了请求（HTTP {status}）：检查环境变量 OPENAI_API_KEY 或配置文件里的 api_key。{message}"
    )]
    Unauthorized { status: u16, message: String },

    #[error("对话太长，超出了模型的上下文长度：{message}")]
    ContextLength { message: String },

    #[error("服务返回 HTTP {status}{}：{message}", status_hint(*.status))]
    Status { status: u16, message: String },

    #[error("回复中途断开{}：{detail}", if *.partial { "（已经说了一半）" } else { "" })]
    BrokenStream { detail: String, partial: bool },

    #[error("服务返回的数据看不懂：{detail}")]
    Malformed { detail: String },

    #[error("服务的回复里没有任何候选（choices 为空）：服务端出错，不是模型说错了话")]
    EmptyChoices,

    #[error("服务的回复里没有文字（content 为 null）：服务端出错，不是模型说错了话")]
    NullContent,

    #[error("没有指定模型，服务也没有列出可用的模型：用 --model 或环境变量 PEILIAN_MODEL 指定")]
    NoModel,

    #[error("已取消")]
    Cancelled,

    #[error("无法准备 HTTP 客户端：{0}")]
    Setup(String),
}

impl LlmError {
    /// Whether sending the same request again may succeed: the server was not reached,
    /// was busy, or failed on its side. Nothing else is retried, so a request the server
    /// understood and refused is never sent again in a loop.
    pub fn retryable(&self) -> bool {
        match self {
            LlmError::Connect { .. } | LlmError::RateLimited { .. } => true,
            LlmError::Status { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// How long the server asked us to wait.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            LlmError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

fn retry_hint(after: &Option<Duration>) -> String {
    match after {
        Some(d) => format!("，服务要求 {} 秒后再试", d.as_secs_f64().ceil()),
        None => "，请稍后再试".to_string(),
    }
}

fn status_hint(status: u16) -> &'static str {
    match status {
        404 => "（地址或模型不对？地址一般以 /v1 结尾）",
        s if s >= 500 => "（服务端出错）",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line_and_say_what_to_do() {
        let cases = [
            LlmError::Connect {
                server: "http://127.0.0.1:11434/v1".into(),
                detail: "连接被拒绝".into(),
            },
            LlmError::RateLimited {
                retry_after: Some(Duration::from_secs(30)),
                message: "slow down".into(),
            },
            LlmError::Status {
                status: 404,
                message: "not found".into(),
            },
        ];
        let texts: Vec<String> = cases.iter().map(ToString::to_string).collect();
        assert_eq!(
            texts[0],
            "连不上 http://127.0.0.1:11434/v1：服务没有启动？（连接被拒绝）"
        );
        assert!(texts[1].contains("30 秒后再试"), "{}", texts[1]);
        assert!(texts[2].contains("/v1"), "{}", texts[2]);
        assert!(texts.iter().all(|t| !t.contains('\n')));
        assert!(cases[0].retryable() && cases[1].retryable() && !cases[2].retryable());
    }
}

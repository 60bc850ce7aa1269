//! What every dimension shares: a trainee line with its signals as the scorer sees
//! them (the recorded reading, or the line read again under another rubric), and the
//! two shapes of evidence.

use super::card::Evidence;
use crate::engine::Event;
use crate::rubric::Analyser;
use crate::transcript::TurnRecord;

/// A signal as the scorer uses it.
pub(crate) struct Hit<'a> {
    pub kind: &'a str,
    /// Index into the rubric's rules.
    pub rule: usize,
    pub start: usize,
    pub end: usize,
}

/// One trainee line with its signals as today's rubric sees them.
pub(crate) struct Line<'a> {
    pub turn: u32,
    pub text: &'a str,
    pub hits: Vec<Hit<'a>>,
    /// The customer took this line's remedy as urgent action on their need (a safety,
    /// health or livelihood step offered at once): no 急于下结论, as the customer
    /// heard it.
    pub urgent: bool,
    /// What the customer noticed in this line (一味道歉, 急于下结论, 背稿子, …), as the
    /// session recorded it: the coach warned of the same events, and the card charges
    /// them. Empty for a real chat, which no customer engine heard.
    pub events: &'a [Event],
}

impl Line<'_> {
    pub(super) fn has(&self, kind: &str) -> bool {
        self.hits.iter().any(|h| h.kind == kind)
    }

    pub(super) fn first(&self, kind: &str) -> Option<&Hit<'_>> {
        self.hits.iter().find(|h| h.kind == kind)
    }

    /// The clause (or clauses) the first `kind` hit stands in, without its edge marks:
    /// a hit's span is what its rule matched, which may begin inside a word (the
    /// greeting rule starts at 先生 in 「陈先生您好，」), and a quote must not cut one.
    pub(super) fn quote(&self, kind: &str) -> String {
        self.quote_preferring(kind, |_| true)
    }

    /// [`Line::quote`] by the first `kind` hit whose clause satisfies `prefer`, or the
    /// first hit if none does: a line may do one thing twice, and the card should
    /// quote the clause that does it best (the 时限 of 「我马上给您办，五分钟内就能打通」
    /// is 五分钟内, not 马上).
    pub(super) fn quote_preferring(&self, kind: &str, prefer: impl Fn(&str) -> bool) -> String {
        let clause = |h: &Hit| crate::reading::clause_around(self.text, h.start, h.end);
        let mut hits = self.hits.iter().filter(|h| h.kind == kind);
        let best = hits
            .clone()
            .find(|h| {
                let (from, to) = clause(h);
                prefer(&self.text[from..to])
            })
            .or_else(|| hits.next());
        best.map_or_else(
            || self.text.to_string(),
            |h| {
                let (from, to) = clause(h);
                crate::reading::quote_span(self.text, from, to)
            },
        )
    }
}

/// A turn's recorded signals, if every one names a kind and rule of `analyser` and
/// spans its text.
pub(super) fn stored_hits<'a>(
    turn: &'a TurnRecord,
    analyser: &'a Analyser,
) -> Option<Vec<Hit<'a>>> {
    turn.signals
        .iter()
        .map(|s| {
            let kind = analyser.kinds().get(analyser.kind_index(&s.kind)?)?;
            let ok = s.start <= s.end && turn.trainee.get(s.start..s.end).is_some();
            ok.then_some(Hit {
                kind: kind.id.as_str(),
                rule: analyser.rule_index(&s.rule)?,
                start: s.start,
                end: s.end,
            })
        })
        .collect()
}

/// A line read afresh.
pub(super) fn read_hits<'a>(text: &str, analyser: &'a Analyser) -> Vec<Hit<'a>> {
    analyser
        .analyse(text)
        .iter()
        .map(|s| Hit {
            kind: analyser.kind(s).id.as_str(),
            rule: s.rule,
            start: s.start,
            end: s.end,
        })
        .collect()
}

/// Evidence of something that did not happen: no turn, no points, what to do.
pub(super) fn missing(rule: String, why: String, better: String) -> Evidence {
    Evidence {
        turn: None,
        quote: String::new(),
        rule,
        points: 0.0,
        why,
        better: Some(better),
    }
}

pub(super) fn evidence(
    turn: u32,
    quote: String,
    rule: &str,
    points: f64,
    why: impl Into<String>,
) -> Evidence {
    Evidence {
        turn: Some(turn),
        quote,
        rule: rule.to_string(),
        points,
        why: why.into(),
        better: None,
    }
}
